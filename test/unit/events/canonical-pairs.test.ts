/**
 * One event seen through both APIs gets one `activity`, one `object_key` and one `for_user_id`:
 * what cross-API dedup during the migration relies on. Each pair is an XAA example from X's docs
 * (test/fixtures/payloads/xaa.*) and the AAA delivery X makes for the same event, built from the
 * ids in the XAA example in the v1.1 shapes of the AAA fixtures. Pairs for typing, read, block
 * and mute go the other way (AAA fixture, XAA built from it), since X's docs show no XAA example.
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../src/events/envelope.ts";
import { normaliseDelivery } from "../../../src/events/normalise.ts";
import typingRaw from "../../fixtures/payloads/direct_message_indicate_typing_events.json?raw";
import readRaw from "../../fixtures/payloads/direct_message_mark_read_events.json?raw";
import dmReceivedRaw from "../../fixtures/payloads/xaa.dm.received.json?raw";
import dmSentRaw from "../../fixtures/payloads/xaa.dm.sent.json?raw";
import followRaw from "../../fixtures/payloads/xaa.follow.follow.json?raw";
import unfollowRaw from "../../fixtures/payloads/xaa.follow.unfollow.json?raw";
import likeRaw from "../../fixtures/payloads/xaa.like.create.json?raw";
import revokeRaw from "../../fixtures/payloads/xaa.oauth.revoke.json?raw";
import postCreateRaw from "../../fixtures/payloads/xaa.post.create.json?raw";
import postDeleteRaw from "../../fixtures/payloads/xaa.post.delete.json?raw";
import mentionRaw from "../../fixtures/payloads/xaa.post.mention.create.json?raw";
import replyRaw from "../../fixtures/payloads/xaa.post.reply.create.json?raw";

const META = { app: "main", received_at: "2026-11-24T17:00:00.000Z", delivery_id: "d-1" };

type Json = Record<string, unknown>;

function one(text: string): Envelope {
  const envelopes = normaliseDelivery(text, META);
  expect(envelopes).toHaveLength(1);
  return envelopes[0] as Envelope;
}

/** `body.data` of an XAA example. */
function data(raw: string): Json {
  return (JSON.parse(raw) as { data: Json }).data;
}

function payload(raw: string): Json {
  return data(raw)["payload"] as Json;
}

/** "2026-07-24T21:05:48.000Z" as v1.1 writes it: "Fri Jul 24 21:05:48 +0000 2026". */
function v1Date(iso: string): string {
  // toUTCString: "Fri, 24 Jul 2026 21:05:48 GMT".
  const [weekday, day, month, year, time] = new Date(iso).toUTCString().replace(",", "").split(" ");
  return `${weekday ?? ""} ${month ?? ""} ${day ?? ""} ${time ?? ""} +0000 ${year ?? ""}`;
}

function v1User(id: string): Json {
  return { id: Number(id), id_str: id, screen_name: `u${id.slice(-4)}` };
}

/** A v1.1 Tweet for the v2 post `p` (the shape tweet_create_events carries). */
function v1Tweet(p: Json): Json {
  const tweet: Json = {
    created_at: v1Date(p["created_at"] as string),
    id_str: p["id"],
    text: p["text"],
    user: v1User(p["author_id"] as string),
  };
  if (typeof p["in_reply_to_user_id"] === "string") {
    tweet["in_reply_to_user_id_str"] = p["in_reply_to_user_id"];
    tweet["in_reply_to_status_id_str"] = p["in_reply_to_tweet_id"];
  }
  return tweet;
}

function aaa(forUser: string | null, key: string, events: unknown, extra: Json = {}): string {
  return JSON.stringify({ ...(forUser === null ? {} : { for_user_id: forUser }), ...extra, [key]: events });
}

/** An XAA body for the given type, built by hand for families X's docs give no example of. */
function xaa(forUser: string, eventType: string, body: unknown, uuid = "-1234567890123456789"): string {
  return JSON.stringify({ data: { event_uuid: uuid, filter: { user_id: forUser }, event_type: eventType, tag: "t", payload: body, includes: {} } });
}

const USER = "1111111111111111111";

interface Pair {
  name: string;
  aaa: string;
  xaa: string;
  activity: string;
  object_key: string;
  /** Whether both sides carry the event's time (so it must be equal too). */
  sameTime: boolean;
}

function pairs(): Pair[] {
  const created = payload(postCreateRaw);
  const mention = payload(mentionRaw);
  const reply = payload(replyRaw);
  const deleted = payload(postDeleteRaw);
  const like = payload(likeRaw);
  const revoke = payload(revokeRaw);
  const relationshipPair = (raw: string, type: string): string => {
    const p = payload(raw) as { source: { data: Json }; target: { data: Json } };
    const event = { type, created_timestamp: "1784927000000", source: v1User(p.source.data["id"] as string), target: v1User(p.target.data["id"] as string) };
    return aaa(USER, "follow_events", [event]);
  };
  const typing = JSON.parse(typingRaw) as Json;
  const read = JSON.parse(readRaw) as Json;
  const typingEvent = (typing["direct_message_indicate_typing_events"] as Json[])[0] as Json;
  const readEvent = (read["direct_message_mark_read_events"] as Json[])[0] as Json;
  const legacyDms = (raw: string) => payload(raw)["direct_message_events"];
  const relationshipXaa = (type: string, source: string, target: string) =>
    xaa(source, type, { source: { data: { id: source, username: "s" } }, target: { data: { id: target, username: "t" } } });
  return [
    {
      name: "own post: post.create",
      aaa: aaa(USER, "tweet_create_events", [v1Tweet(created)]),
      xaa: postCreateRaw,
      activity: "post.create",
      object_key: "post:2080761390344937796",
      sameTime: true,
    },
    {
      name: "someone mentions the user: post.mention.create",
      aaa: aaa(USER, "tweet_create_events", [v1Tweet(mention)], { user_has_blocked: false }),
      xaa: mentionRaw,
      activity: "post.mention.create",
      object_key: "post:2080765813578191303",
      sameTime: true,
    },
    {
      name: "someone replies to the user's post: post.reply.create",
      aaa: aaa(USER, "tweet_create_events", [v1Tweet(reply)], { user_has_blocked: false }),
      xaa: replyRaw,
      activity: "post.reply.create",
      object_key: "post:2090000000000000001",
      sameTime: true,
    },
    {
      name: "the user deletes a post: post.delete",
      aaa: aaa(USER, "tweet_delete_events", [{ status: { id: deleted["id"], user_id: deleted["author_id"] }, timestamp_ms: "1784927000000" }]),
      xaa: postDeleteRaw,
      activity: "post.delete",
      object_key: "post:2080761269309813134",
      sameTime: false,
    },
    {
      name: "the user likes a post: like.create outbound",
      aaa: aaa(USER, "favorite_events", [
        {
          id: like["id"],
          created_at: v1Date("2026-07-24T21:12:45.000Z"),
          timestamp_ms: Number(like["timestamp_ms"]),
          favorited_status: { id_str: like["liked_tweet_id"], user: v1User(like["liked_tweet_author_id"] as string) },
          user: v1User(USER),
        },
      ]),
      xaa: likeRaw,
      activity: "like.create",
      object_key: "like:2079814480427442556:1111111111111111111",
      sameTime: true,
    },
    {
      name: "the user follows someone: follow.follow",
      aaa: relationshipPair(followRaw, "follow"),
      xaa: followRaw,
      activity: "follow.follow",
      object_key: "follow:1111111111111111111:4444444444444444444",
      sameTime: false,
    },
    {
      name: "the user unfollows someone: follow.unfollow",
      aaa: relationshipPair(unfollowRaw, "unfollow"),
      xaa: unfollowRaw,
      activity: "follow.unfollow",
      object_key: "follow:1111111111111111111:4444444444444444444",
      sameTime: false,
    },
    {
      name: "the user receives a DM: dm.received",
      aaa: aaa(USER, "direct_message_events", legacyDms(dmReceivedRaw)),
      xaa: dmReceivedRaw,
      activity: "dm.received",
      object_key: "dm:2080765901528535096",
      sameTime: true,
    },
    {
      name: "the user sends a DM: dm.sent",
      aaa: aaa(USER, "direct_message_events", legacyDms(dmSentRaw)),
      xaa: dmSentRaw,
      activity: "dm.sent",
      object_key: "dm:2080763914820927863",
      sameTime: true,
    },
    {
      name: "the user revokes the app: oauth.revoke",
      aaa: JSON.stringify({ user_event: { revoke: { date_time: revoke["date_time"], target: { app_id: revoke["app_id"] }, source: { user_id: revoke["user_id"] } } } }),
      xaa: revokeRaw,
      activity: "oauth.revoke",
      object_key: "revoke:1111111111111111111:29820954:2026-07-23T21:44:05.000Z",
      sameTime: true,
    },
    {
      name: "someone is typing to the user: dm.indicate_typing",
      aaa: typingRaw,
      xaa: xaa(typing["for_user_id"] as string, "dm.indicate_typing", typingEvent),
      activity: "dm.indicate_typing",
      object_key: "dm_typing:3284025577:3001969357:1518127183443",
      sameTime: true,
    },
    {
      name: "a DM was read: dm.read",
      aaa: readRaw,
      xaa: xaa(read["for_user_id"] as string, "dm.read", readEvent),
      activity: "dm.read",
      object_key: "dm_read:199566737:963085315333238788",
      sameTime: true,
    },
    {
      name: "the user blocks someone: block.block",
      aaa: aaa("42", "block_events", [{ type: "block", created_timestamp: "1518127020304", source: v1User("42"), target: v1User("77") }]),
      xaa: relationshipXaa("block.block", "42", "77"),
      activity: "block.block",
      object_key: "block:42:77",
      sameTime: false,
    },
    {
      name: "the user unmutes someone: mute.unmute",
      aaa: aaa("42", "mute_events", [{ type: "unmute", created_timestamp: "1518127020304", source: v1User("42"), target: v1User("77") }]),
      xaa: relationshipXaa("mute.unmute", "42", "77"),
      activity: "mute.unmute",
      object_key: "mute:42:77",
      sameTime: false,
    },
  ];
}

describe("the same event through AAA and through XAA", () => {
  for (const pair of pairs()) {
    it(`${pair.name}: equal activity, object_key and user`, () => {
      const a = one(pair.aaa);
      const x = one(pair.xaa);
      expect(a.format).toBe("aaa");
      expect(x.format).toBe("xaa");
      expect(a.activity).toBe(pair.activity);
      expect(x.activity).toBe(pair.activity);
      expect(a.object_key).toBe(pair.object_key);
      expect(x.object_key).toBe(pair.object_key);
      expect(a.for_user_id).toBe(x.for_user_id);
      if (pair.sameTime) {
        expect(a.created_at).not.toBeNull();
        expect(a.created_at).toBe(x.created_at);
      }
      // The flavour-specific fields still differ: consumers that use them keep working.
      expect(a.type).not.toBe(x.type);
      expect(a.id).not.toBe(x.id);
    });
  }

  it("a different post, DM, like or pair gets a different object_key", () => {
    const keys = pairs().map((p) => one(p.xaa).object_key);
    // follow and unfollow name the same pair; everything else names its own object.
    expect(new Set(keys).size).toBe(keys.length - 1);
  });

  it("an inbound XAA like names its liker from includes.users, as the liker's AAA delivery does", () => {
    const like = data(likeRaw);
    const p = like["payload"] as Json;
    const author = p["liked_tweet_author_id"] as string;
    const inbound = JSON.stringify({
      data: { ...like, filter: { user_id: author, direction: "inbound" }, includes: { users: [{ id: USER, username: "liker" }, { id: author, username: "author" }] } },
    });
    const aaaInbound = aaa(author, "favorite_events", [
      { id: p["id"], timestamp_ms: Number(p["timestamp_ms"]), favorited_status: { id_str: p["liked_tweet_id"], user: v1User(author) }, user: v1User(USER) },
    ]);
    const x = one(inbound);
    const a = one(aaaInbound);
    expect(x.direction).toBe("inbound");
    expect(a.direction).toBe("inbound");
    expect(x.object_key).toBe(`like:${p["liked_tweet_id"] as string}:${USER}`);
    expect(a.object_key).toBe(x.object_key);
  });
});
