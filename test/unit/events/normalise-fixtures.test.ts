/**
 * Every payload X documents (test/fixtures/payloads, copied from X's docs) normalises to the
 * envelopes PROTOCOL.md's key table says it should. A fixture added without an expectation here
 * fails the completeness test.
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../src/events/envelope.ts";
import { normaliseDelivery, serialiseEnvelope } from "../../../src/events/normalise.ts";
import { fnv1a64 } from "../../../src/events/stable-hash.ts";

const FIXTURES = import.meta.glob<string>("../../fixtures/payloads/*.json", {
  query: "?raw",
  import: "default",
  eager: true,
});

const META = { app: "main", received_at: "2026-11-24T17:00:00.000Z", delivery_id: "d-1" };

/** The hash-fallback key part for an event X sent without its key fields (placeholder users). */
function hashOf(event: unknown): string {
  return `hash:${fnv1a64(JSON.stringify(event))}`;
}

interface Expected {
  type: string;
  format: "aaa" | "xaa";
  id: string;
  event_key: string;
  for_user_id: string | null;
  created_at: string | null;
  user_has_blocked?: boolean;
  /** Which top-level extras the envelope carries (users/apps for AAA, includes for XAA). */
  extras: ("users" | "apps" | "includes")[];
  /** Where the envelope's `event` sits in the fixture body. */
  eventAt: (body: Record<string, unknown>) => unknown;
}

function first(key: string) {
  return (body: Record<string, unknown>) => (body[key] as unknown[])[0];
}

/** A relationship event (follow/block/mute): the docs' placeholder users have no id, so hash. */
function relationship(file: string, key: string, createdAt: string): Expected {
  return {
    type: key,
    format: "aaa",
    id: `${key}:2244994945:${hashOf(first(key)(body(file)))}`,
    event_key: `${key}:${hashOf(first(key)(body(file)))}`,
    for_user_id: "2244994945",
    created_at: createdAt,
    extras: [],
    eventAt: first(key),
  };
}

function body(file: string): Record<string, unknown> {
  const raw = FIXTURES[`../../fixtures/payloads/${file}`];
  if (raw === undefined) throw new Error(`missing fixture ${file}`);
  return JSON.parse(raw) as Record<string, unknown>;
}

const EXPECTED: Record<string, () => Expected> = {
  "tweet_create_events.docs.json": () => ({
    type: "tweet_create_events",
    format: "aaa",
    // The docs' <Tweet Object> placeholder has no id_str: hash fallback, still scoped.
    id: `tweet_create_events:2244994945:${hashOf(first("tweet_create_events")(body("tweet_create_events.docs.json")))}`,
    event_key: `tweet_create_events:${hashOf(first("tweet_create_events")(body("tweet_create_events.docs.json")))}`,
    for_user_id: "2244994945",
    created_at: null,
    extras: [],
    eventAt: first("tweet_create_events"),
  }),
  "tweet_create_events.mention.docs.json": () => ({
    type: "tweet_create_events",
    format: "aaa",
    id: `tweet_create_events:2244994945:${hashOf(first("tweet_create_events")(body("tweet_create_events.mention.docs.json")))}`,
    event_key: `tweet_create_events:${hashOf(first("tweet_create_events")(body("tweet_create_events.mention.docs.json")))}`,
    for_user_id: "2244994945",
    created_at: null,
    user_has_blocked: false,
    extras: [],
    eventAt: first("tweet_create_events"),
  }),
  "tweet_create_events.longform.docs.json": () => ({
    type: "tweet_create_events",
    format: "aaa",
    id: "tweet_create_events:1603419180975409153:1924465506158878979",
    event_key: "tweet_create_events:1924465506158878979",
    for_user_id: "1603419180975409153",
    created_at: "2025-05-19T14:01:46.000Z",
    extras: [],
    eventAt: first("tweet_create_events"),
  }),
  "favorite_events.json": () => ({
    type: "favorite_events",
    format: "aaa",
    id: "favorite_events:2244994945:a7ba59eab0bfcba386f7acedac279542",
    event_key: "favorite_events:a7ba59eab0bfcba386f7acedac279542",
    for_user_id: "2244994945",
    created_at: "2018-03-26T16:33:26.140Z",
    extras: [],
    eventAt: first("favorite_events"),
  }),
  "follow_events.follow.json": () =>
    relationship("follow_events.follow.json", "follow_events", "2018-02-02T16:25:49.178Z"),
  "follow_events.unfollow.json": () =>
    relationship("follow_events.unfollow.json", "follow_events", "2018-02-02T16:25:49.178Z"),
  "block_events.block.json": () =>
    relationship("block_events.block.json", "block_events", "2018-02-08T21:57:00.304Z"),
  "block_events.unblock.json": () =>
    relationship("block_events.unblock.json", "block_events", "2018-02-08T21:57:00.304Z"),
  "mute_events.mute.json": () =>
    relationship("mute_events.mute.json", "mute_events", "2018-02-08T21:57:00.304Z"),
  "mute_events.unmute.json": () =>
    relationship("mute_events.unmute.json", "mute_events", "2018-02-08T21:57:00.304Z"),
  "direct_message_events.json": () => ({
    type: "direct_message_events",
    format: "aaa",
    id: "direct_message_events:4337869213:954491830116155396",
    event_key: "direct_message_events:954491830116155396",
    for_user_id: "4337869213",
    created_at: "2018-01-19T23:12:40.557Z",
    extras: ["users", "apps"],
    eventAt: first("direct_message_events"),
  }),
  "direct_message_indicate_typing_events.json": () => ({
    type: "direct_message_indicate_typing_events",
    format: "aaa",
    id: "direct_message_indicate_typing_events:4337869213:3284025577:3001969357:1518127183443",
    event_key: "direct_message_indicate_typing_events:3284025577:3001969357:1518127183443",
    for_user_id: "4337869213",
    created_at: "2018-02-08T21:59:43.443Z",
    extras: ["users"],
    eventAt: first("direct_message_indicate_typing_events"),
  }),
  "direct_message_mark_read_events.json": () => ({
    type: "direct_message_mark_read_events",
    format: "aaa",
    id: "direct_message_mark_read_events:4337869213:199566737:963085315333238788",
    event_key: "direct_message_mark_read_events:199566737:963085315333238788",
    for_user_id: "4337869213",
    created_at: "2018-02-12T16:20:44.662Z",
    extras: ["users"],
    eventAt: first("direct_message_mark_read_events"),
  }),
  "tweet_delete_events.json": () => ({
    type: "tweet_delete_events",
    format: "aaa",
    id: "tweet_delete_events:930524282358325248:1045405559317569537",
    event_key: "tweet_delete_events:1045405559317569537",
    for_user_id: "930524282358325248",
    created_at: "2015-05-21T17:09:15.593Z",
    extras: [],
    eventAt: first("tweet_delete_events"),
  }),
  "user_event.revoke.json": () => ({
    type: "user_event",
    format: "aaa",
    id: "user_event:63046977:13090192:2018-05-24T09:48:12+00:00",
    event_key: "user_event:63046977:13090192:2018-05-24T09:48:12+00:00",
    for_user_id: null,
    created_at: "2018-05-24T09:48:12.000Z",
    extras: [],
    eventAt: (b) => b["user_event"],
  }),
  "replay_job_status.complete.json": () => ({
    type: "replay_job_status",
    format: "aaa",
    id: "replay_job_status:1095098195724558337:Complete",
    event_key: "replay_job_status:1095098195724558337:Complete",
    for_user_id: null,
    created_at: null,
    extras: [],
    eventAt: (b) => b["replay_job_status"],
  }),
  "replay_job_status.incomplete.json": () => ({
    type: "replay_job_status",
    format: "aaa",
    id: "replay_job_status:1093226942650736640:Incomplete",
    event_key: "replay_job_status:1093226942650736640:Incomplete",
    for_user_id: null,
    created_at: null,
    extras: [],
    eventAt: (b) => b["replay_job_status"],
  }),
  "xaa.Event_envelope.json": () => ({
    type: "post.create",
    format: "xaa",
    id: "post.create:1111111111111111111:2080761390344937796",
    event_key: "post.create:2080761390344937796",
    for_user_id: "1111111111111111111",
    created_at: null,
    extras: ["includes"],
    eventAt: (b) => b["data"],
  }),
  "xaa.post.create.json": () => ({
    type: "post.create",
    format: "xaa",
    id: "post.create:1111111111111111111:2080761390344937796",
    event_key: "post.create:2080761390344937796",
    for_user_id: "1111111111111111111",
    created_at: "2026-07-24T21:05:48.000Z",
    extras: ["includes"],
    eventAt: (b) => b["data"],
  }),
  "xaa.dm.received.json": () => ({
    type: "dm.received",
    format: "xaa",
    id: "dm.received:1111111111111111111:-6850472171600526495",
    event_key: "dm.received:-6850472171600526495",
    for_user_id: "1111111111111111111",
    created_at: "2026-07-24T21:23:44.372Z",
    extras: [],
    eventAt: (b) => b["data"],
  }),
  "xaa.follow.follow.json": () => ({
    type: "follow.follow",
    format: "xaa",
    id: "follow.follow:1111111111111111111:-7953119945885597316",
    event_key: "follow.follow:-7953119945885597316",
    for_user_id: "1111111111111111111",
    created_at: null,
    extras: [],
    eventAt: (b) => b["data"],
  }),
  "xaa.follow.unfollow.json": () => xaa("follow.unfollow", "1111111111111111111", "-4233426745281461957", null, []),
  "xaa.dm.sent.json": () =>
    // The wrapped legacy DM's created_timestamp.
    xaa("dm.sent", "1111111111111111111", "-3577827201104920132", "2026-07-24T21:15:50.704Z", []),
  // The like's own timestamp_ms (…45.236Z), not payload.created_at (…45.000Z, the liked post's).
  "xaa.like.create.json": () =>
    xaa("like.create", "1111111111111111111", "-3402274206530057851", "2026-07-24T21:12:45.236Z", ["includes"]),
  // filter is {}: no user scope; the time is payload.date_time.
  "xaa.oauth.revoke.json": () => ({
    type: "oauth.revoke",
    format: "xaa",
    id: "oauth.revoke:5934540941047412905",
    event_key: "oauth.revoke:5934540941047412905",
    for_user_id: null,
    created_at: "2026-07-23T21:44:05.000Z",
    extras: [],
    eventAt: (b) => b["data"],
  }),
  "xaa.post.delete.json": () => xaa("post.delete", "1111111111111111111", "-2781149976877970683", null, ["includes"]),
  "xaa.post.mention.create.json": () =>
    xaa("post.mention.create", "1111111111111111111", "2080765813578191303", "2026-07-24T21:23:23.000Z", ["includes"]),
  "xaa.post.reply.create.json": () =>
    xaa("post.reply.create", "1111111111111111111", "3091827364059182736", "2026-08-12T18:00:00.000Z", ["includes"]),
};

/** An XAA example scoped by `filter.user_id`, keyed by `event_uuid`. */
function xaa(
  type: string,
  forUser: string,
  uuid: string,
  createdAt: string | null,
  extras: Expected["extras"],
): Expected {
  return {
    type,
    format: "xaa",
    id: `${type}:${forUser}:${uuid}`,
    event_key: `${type}:${uuid}`,
    for_user_id: forUser,
    created_at: createdAt,
    extras,
    eventAt: (b) => b["data"],
  };
}

const EXTRA_SOURCE: Record<"users" | "apps" | "includes", (b: Record<string, unknown>) => unknown> = {
  users: (b) => b["users"],
  apps: (b) => b["apps"],
  includes: (b) => (b["data"] as Record<string, unknown>)["includes"],
};

const payloadFiles = Object.keys(FIXTURES)
  .map((path) => path.slice(path.lastIndexOf("/") + 1))
  .filter((file) => file !== "INDEX.json");

describe("normaliseDelivery on X's documented payloads", () => {
  it("has an expectation for every fixture file (and a fixture for every expectation)", () => {
    expect(payloadFiles.length).toBe(28);
    expect([...payloadFiles].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const file of Object.keys(EXPECTED)) {
    it(`${file} gives one envelope with the documented id, times and extras`, () => {
      const raw = FIXTURES[`../../fixtures/payloads/${file}`] ?? "";
      const expected = (EXPECTED[file] as () => Expected)();
      const source = body(file);

      const envelopes = normaliseDelivery(raw, META);
      expect(envelopes).toHaveLength(1);
      const envelope = envelopes[0] as Envelope;

      expect(envelope.type).toBe(expected.type);
      expect(envelope.format).toBe(expected.format);
      expect(envelope.id).toBe(expected.id);
      expect(envelope.event_key).toBe(expected.event_key);
      expect(envelope.for_user_id).toBe(expected.for_user_id);
      expect(envelope.created_at).toBe(expected.created_at);
      expect(envelope.app).toBe("main");
      expect(envelope.received_at).toBe("2026-11-24T17:00:00.000Z");
      expect(envelope.delivery_id).toBe("d-1");
      if (expected.user_has_blocked === undefined) expect(envelope).not.toHaveProperty("user_has_blocked");
      else expect(envelope.user_has_blocked).toBe(expected.user_has_blocked);

      // Compare through serialisation: that is what consumers receive.
      const wire = JSON.parse(serialiseEnvelope(envelope)) as Record<string, unknown>;
      expect(wire["event"]).toEqual(expected.eventAt(source));
      for (const extra of ["users", "apps", "includes"] as const) {
        if (expected.extras.includes(extra)) {
          expect(wire[extra], extra).toEqual(EXTRA_SOURCE[extra](source));
          expect(wire[extra], extra).toBeDefined();
        } else {
          expect(wire, extra).not.toHaveProperty(extra);
        }
      }
    });
  }

  it("tells follow from unfollow, block from unblock and mute from unmute by id", () => {
    const pairs = [
      ["follow_events.follow.json", "follow_events.unfollow.json"],
      ["block_events.block.json", "block_events.unblock.json"],
      ["mute_events.mute.json", "mute_events.unmute.json"],
    ] as const;
    for (const [a, b] of pairs) {
      const [ea] = normaliseDelivery(FIXTURES[`../../fixtures/payloads/${a}`] ?? "", META);
      const [eb] = normaliseDelivery(FIXTURES[`../../fixtures/payloads/${b}`] ?? "", META);
      expect(ea?.id).not.toBe(eb?.id);
    }
  });
});
