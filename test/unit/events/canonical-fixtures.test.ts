/**
 * The canonical fields (`activity`, `object_key`, `direction`) of every payload X documents
 * (test/fixtures/payloads). A fixture added without an expectation here fails the completeness
 * test. The AAA docs fixtures use `$placeholder` users, so where an event's object is named by
 * user ids the object key falls back to the event key: that fallback is part of the contract.
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../src/events/envelope.ts";
import { normaliseDelivery } from "../../../src/events/normalise.ts";

const FIXTURES = import.meta.glob<string>("../../fixtures/payloads/*.json", {
  query: "?raw",
  import: "default",
  eager: true,
});

const META = { app: "main", received_at: "2026-11-24T17:00:00.000Z", delivery_id: "d-1" };

interface Expected {
  activity: string;
  /** The object key, or "event_key" when it must equal the envelope's event_key (ids missing). */
  object_key: string;
  direction?: "inbound" | "outbound";
}

const FALLBACK = "event_key";

const EXPECTED: Record<string, Expected> = {
  // Placeholder tweet: no author, no user_has_blocked, so not classifiable: the AAA key stays.
  "tweet_create_events.docs.json": { activity: "tweet_create_events", object_key: FALLBACK },
  // Placeholder tweet, but user_has_blocked is only ever on mentions.
  "tweet_create_events.mention.docs.json": { activity: "post.mention.create", object_key: FALLBACK },
  // The author is a placeholder; the post id is real.
  "tweet_create_events.longform.docs.json": { activity: "tweet_create_events", object_key: "post:1924465506158878979" },
  // Liker and liked post are placeholders: no direction, no object ids.
  "favorite_events.json": { activity: "like.create", object_key: FALLBACK },
  "follow_events.follow.json": { activity: "follow.follow", object_key: FALLBACK },
  "follow_events.unfollow.json": { activity: "follow.unfollow", object_key: FALLBACK },
  "block_events.block.json": { activity: "block.block", object_key: FALLBACK },
  "block_events.unblock.json": { activity: "block.unblock", object_key: FALLBACK },
  "mute_events.mute.json": { activity: "mute.mute", object_key: FALLBACK },
  "mute_events.unmute.json": { activity: "mute.unmute", object_key: FALLBACK },
  // Sender 3001969357, delivered for 4337869213: received.
  "direct_message_events.json": { activity: "dm.received", object_key: "dm:954491830116155396" },
  "direct_message_indicate_typing_events.json": {
    activity: "dm.indicate_typing",
    object_key: "dm_typing:3284025577:3001969357:1518127183443",
  },
  "direct_message_mark_read_events.json": { activity: "dm.read", object_key: "dm_read:199566737:963085315333238788" },
  "tweet_delete_events.json": { activity: "post.delete", object_key: "post:1045405559317569537" },
  "user_event.revoke.json": { activity: "oauth.revoke", object_key: "revoke:63046977:13090192:2018-05-24T09:48:12.000Z" },
  "replay_job_status.complete.json": { activity: "replay_job_status", object_key: FALLBACK },
  "replay_job_status.incomplete.json": { activity: "replay_job_status", object_key: FALLBACK },
  // The envelope example has an empty payload: no post id.
  "xaa.Event_envelope.json": { activity: "post.create", object_key: FALLBACK },
  "xaa.post.create.json": { activity: "post.create", object_key: "post:2080761390344937796" },
  "xaa.post.mention.create.json": { activity: "post.mention.create", object_key: "post:2080765813578191303" },
  "xaa.post.reply.create.json": { activity: "post.reply.create", object_key: "post:2090000000000000001" },
  "xaa.post.delete.json": { activity: "post.delete", object_key: "post:2080761269309813134" },
  "xaa.like.create.json": {
    activity: "like.create",
    object_key: "like:2079814480427442556:1111111111111111111",
    direction: "outbound",
  },
  "xaa.follow.follow.json": { activity: "follow.follow", object_key: "follow:1111111111111111111:4444444444444444444" },
  "xaa.follow.unfollow.json": {
    activity: "follow.unfollow",
    object_key: "follow:1111111111111111111:4444444444444444444",
  },
  "xaa.dm.received.json": { activity: "dm.received", object_key: "dm:2080765901528535096" },
  "xaa.dm.sent.json": { activity: "dm.sent", object_key: "dm:2080763914820927863" },
  "xaa.oauth.revoke.json": { activity: "oauth.revoke", object_key: "revoke:1111111111111111111:29820954:2026-07-23T21:44:05.000Z" },
};

const payloadFiles = Object.keys(FIXTURES)
  .map((path) => path.slice(path.lastIndexOf("/") + 1))
  .filter((file) => file !== "INDEX.json");

describe("activity and object_key on X's documented payloads", () => {
  it("has an expectation for every fixture file (and a fixture for every expectation)", () => {
    expect([...payloadFiles].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file}: ${expected.activity}, ${expected.object_key}`, () => {
      const envelopes = normaliseDelivery(FIXTURES[`../../fixtures/payloads/${file}`] ?? "", META);
      expect(envelopes).toHaveLength(1);
      const envelope = envelopes[0] as Envelope;
      expect(envelope.activity).toBe(expected.activity);
      expect(envelope.object_key).toBe(expected.object_key === FALLBACK ? envelope.event_key : expected.object_key);
      if (expected.direction === undefined) expect(envelope).not.toHaveProperty("direction");
      else expect(envelope.direction).toBe(expected.direction);
      // The existing fields keep their meaning: `type` is still X's own name.
      expect(envelope.type).toBe(file.startsWith("xaa.") ? expected.activity : file.slice(0, file.indexOf(".")));
    });
  }
});
