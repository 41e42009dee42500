/**
 * The rules behind `activity`, `object_key`, `direction` and XAA `created_at`, case by case:
 * who did what decides an AAA post's activity, a like's direction, a DM's side; each XAA family
 * reads its own timestamp field; attacker-named keys and types never reach Object.prototype.
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../src/events/envelope.ts";
import { normaliseDelivery } from "../../../src/events/normalise.ts";

const META = { app: "main", received_at: "2026-11-24T17:00:00.000Z", delivery_id: "d-1" };
const ME = "100";
const OTHER = "200";

function one(body: unknown): Envelope {
  const envelopes = normaliseDelivery(typeof body === "string" ? body : JSON.stringify(body), META);
  expect(envelopes).toHaveLength(1);
  return envelopes[0] as Envelope;
}

const user = (id: string) => ({ id_str: id, screen_name: `u${id}` });

function tweetFor(forUser: string, tweet: Record<string, unknown>, extra: Record<string, unknown> = {}): Envelope {
  return one({ for_user_id: forUser, ...extra, tweet_create_events: [{ id_str: "9001", text: "t", ...tweet }] });
}

describe("AAA tweet_create_events: who did what", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["the user's own post", { user: user(ME) }, "post.create"],
    ["the user's own reply to someone", { user: user(ME), in_reply_to_user_id_str: OTHER }, "post.create"],
    ["the user's own retweet", { user: user(ME), retweeted_status: { id_str: "1", user: user(OTHER) } }, "post.create"],
    ["the user's own quote", { user: user(ME), quoted_status: { id_str: "1", user: user(OTHER) } }, "post.create"],
    ["a retweet of the user's post", { user: user(OTHER), retweeted_status: { id_str: "1", user: user(ME) } }, "post.repost.create"],
    ["a quote of the user's post", { user: user(OTHER), quoted_status: { id_str: "1", user: user(ME) } }, "post.quote.create"],
    ["a reply to the user", { user: user(OTHER), in_reply_to_user_id_str: ME }, "post.reply.create"],
    ["a reply to the user, numeric id only", { user: user(OTHER), in_reply_to_user_id: 100 }, "post.reply.create"],
    ["someone else's post that mentions the user", { user: user(OTHER) }, "post.mention.create"],
    ["a retweet of someone else's post that mentions the user", { user: user(OTHER), retweeted_status: { id_str: "1", user: user("300") } }, "post.mention.create"],
  ];
  for (const [name, tweet, activity] of cases) {
    it(`${name}: ${activity}, keyed on the post id`, () => {
      const e = tweetFor(ME, tweet);
      expect(e.activity).toBe(activity);
      expect(e.object_key).toBe("post:9001");
      expect(e.type).toBe("tweet_create_events");
    });
  }

  it("a post without an author is a mention when X added user_has_blocked, else keeps the AAA key", () => {
    expect(tweetFor(ME, {}, { user_has_blocked: false }).activity).toBe("post.mention.create");
    expect(tweetFor(ME, {}).activity).toBe("tweet_create_events");
  });

  it("a post delivered without for_user_id keeps the AAA key", () => {
    const e = one({ tweet_create_events: [{ id_str: "9001", user: user(OTHER) }] });
    expect(e.activity).toBe("tweet_create_events");
    expect(e.object_key).toBe("post:9001");
  });

  it("each event of a multi-event delivery is classified on its own", () => {
    const envelopes = normaliseDelivery(
      JSON.stringify({ for_user_id: ME, tweet_create_events: [{ id_str: "1", user: user(ME) }, { id_str: "2", user: user(OTHER) }] }),
      META,
    );
    expect(envelopes.map((e) => [e.activity, e.object_key])).toEqual([
      ["post.create", "post:1"],
      ["post.mention.create", "post:2"],
    ]);
  });
});

describe("AAA favorite_events: like.create with its direction", () => {
  const fav = (liker: string, author: string) => ({ id: "f1", timestamp_ms: 1784927565236, favorited_status: { id_str: "777", user: user(author) }, user: user(liker) });

  it("outbound when the user liked, inbound when the user's post was liked; the key is post + liker", () => {
    const out = one({ for_user_id: ME, favorite_events: [fav(ME, OTHER)] });
    const inb = one({ for_user_id: OTHER, favorite_events: [fav(ME, OTHER)] });
    expect([out.activity, out.direction, out.object_key]).toEqual(["like.create", "outbound", `like:777:${ME}`]);
    expect([inb.activity, inb.direction, inb.object_key]).toEqual(["like.create", "inbound", `like:777:${ME}`]);
  });

  it("a like of one's own post is outbound (the user acted)", () => {
    expect(one({ for_user_id: ME, favorite_events: [fav(ME, ME)] }).direction).toBe("outbound");
  });

  it("no direction when the delivery names neither side as the user", () => {
    const e = one({ for_user_id: "300", favorite_events: [fav(ME, OTHER)] });
    expect(e).not.toHaveProperty("direction");
    expect(e.object_key).toBe(`like:777:${ME}`);
  });
});

describe("AAA follow, block, mute", () => {
  const rel = (type: unknown) => ({ ...(type === undefined ? {} : { type }), created_timestamp: "1517588749178", source: user(ME), target: user(OTHER) });

  for (const [key, activity] of [
    ["unfollow_events", "follow.unfollow"],
    ["unblock_events", "block.unblock"],
    ["unmute_events", "mute.unmute"],
  ] as const) {
    it(`${key} without a type is ${activity}`, () => {
      const e = one({ for_user_id: ME, [key]: [rel(undefined)] });
      expect(e.activity).toBe(activity);
      expect(e.object_key).toBe(`${activity.slice(0, activity.indexOf("."))}:${ME}:${OTHER}`);
    });
  }

  for (const type of ["constructor", "__proto__", "toString", "block", 7]) {
    it(`follow_events with type ${String(type)} keeps the AAA key as its activity`, () => {
      const e = one({ for_user_id: ME, follow_events: [rel(type)] });
      expect(e.activity).toBe("follow_events");
      expect(e.object_key).toBe(`follow:${ME}:${OTHER}`);
    });
  }
});

describe("AAA direct messages", () => {
  const dm = (sender: string, recipient: string) => ({
    type: "message_create",
    id: "555",
    created_timestamp: "1516403560557",
    message_create: { target: { recipient_id: recipient }, sender_id: sender, message_data: { text: "hi" } },
  });

  it("is dm.sent in the sender's delivery and dm.received in the recipient's, one object", () => {
    const sent = one({ for_user_id: ME, direct_message_events: [dm(ME, OTHER)] });
    const received = one({ for_user_id: OTHER, direct_message_events: [dm(ME, OTHER)] });
    expect([sent.activity, received.activity]).toEqual(["dm.sent", "dm.received"]);
    expect(sent.object_key).toBe("dm:555");
    expect(received.object_key).toBe("dm:555");
  });

  it("keeps the AAA key when the sender is missing", () => {
    const e = one({ for_user_id: ME, direct_message_events: [{ type: "message_create", id: "555", message_create: {} }] });
    expect(e.activity).toBe("direct_message_events");
    expect(e.object_key).toBe("dm:555");
  });
});

describe("AAA user_event", () => {
  it("a revoke's key reads its time as an instant: +00:00 and Z name the same revoke", () => {
    const revoke = (at: string) => one({ user_event: { revoke: { date_time: at, target: { app_id: "9" }, source: { user_id: ME } } } });
    expect(revoke("2018-05-24T09:48:12+00:00").object_key).toBe(revoke("2018-05-24T09:48:12Z").object_key);
    expect(revoke("2018-05-24T09:48:12+00:00").object_key).not.toBe(revoke("2018-05-24T09:48:13+00:00").object_key);
  });

  it("a user_event that is not a revoke keeps its key and gets the event key", () => {
    const e = one({ user_event: { something_new: {} } });
    expect(e.activity).toBe("user_event");
    expect(e.object_key).toBe(e.event_key);
  });
});

function xaa(eventType: string, payload: unknown, filter: Record<string, unknown> = { user_id: ME }, includes: unknown = {}): Envelope {
  return one({ data: { event_uuid: "-42", filter, event_type: eventType, tag: "t", payload, includes } });
}

describe("XAA events", () => {
  it("folds the deprecated chat.conversation_join onto chat.conversation.join; type stays as sent", () => {
    const e = xaa("chat.conversation_join", { created_at_msec: "1784927565236" });
    expect(e.activity).toBe("chat.conversation.join");
    expect(e.type).toBe("chat.conversation_join");
  });

  it("families with no AAA twin use the event key as object key", () => {
    for (const type of ["chat.received", "profile.update.bio", "spaces.start", "broadcast.chat", "news.new", "some.future.type"]) {
      const e = xaa(type, { id: "1" });
      expect(e.activity).toBe(type);
      expect(e.object_key).toBe(`${type}:-42`);
    }
  });

  it("a like without filter.direction is inbound when the user wrote the liked post, else outbound", () => {
    const payload = { id: "x", timestamp_ms: "1784927565236", liked_tweet_id: "777", liked_tweet_author_id: ME };
    const inbound = xaa("like.create", payload, { user_id: ME }, { users: [{ id: OTHER }, { id: ME }] });
    expect(inbound.direction).toBe("inbound");
    expect(inbound.object_key).toBe(`like:777:${OTHER}`);
    const outbound = xaa("like.create", { ...payload, liked_tweet_author_id: OTHER }, { user_id: ME });
    expect(outbound.direction).toBe("outbound");
    expect(outbound.object_key).toBe(`like:777:${ME}`);
  });

  it("an inbound like whose liker X does not name keeps the event key", () => {
    const payload = { id: "x", timestamp_ms: "1784927565236", liked_tweet_id: "777", liked_tweet_author_id: ME };
    const e = xaa("like.create", payload, { user_id: ME, direction: "inbound" }, { users: [{ id: "1" }, { id: "2" }] });
    expect(e.direction).toBe("inbound");
    expect(e.object_key).toBe(e.event_key);
  });

  it("typing and read receipts are read whether the legacy event is the payload or wrapped in it", () => {
    const event = { created_timestamp: "1518127183443", sender_id: OTHER, target: { recipient_id: ME } };
    expect(xaa("dm.indicate_typing", event).object_key).toBe(`dm_typing:${OTHER}:${ME}:1518127183443`);
    expect(xaa("dm.indicate_typing", { direct_message_indicate_typing_events: [event] }).object_key).toBe(
      `dm_typing:${OTHER}:${ME}:1518127183443`,
    );
    expect(xaa("dm.read", { direct_message_mark_read_events: [{ ...event, last_read_event_id: "9" }] }).object_key).toBe(`dm_read:${OTHER}:9`);
  });

  for (const type of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
    it(`event_type ${type} is just an unknown family: no throw, no prototype`, () => {
      const e = xaa(type, { id: "1" });
      expect(e.activity).toBe(type);
      expect(e.object_key).toBe(`${type}:-42`);
    });
  }

  it("a payload with __proto__ keys pollutes nothing", () => {
    const text =
      '{"data":{"event_uuid":"1","filter":{"user_id":"100","__proto__":{"direction":"inbound"}},"event_type":"like.create",' +
      '"payload":{"__proto__":{"liked_tweet_id":"666","timestamp_ms":"1"}},"includes":{"__proto__":{"users":[{"id":"5"}]}}}}';
    const e = one(text);
    expect(e.object_key).toBe(e.event_key);
    expect(e).not.toHaveProperty("direction");
    expect(e.created_at).toBeNull();
    expect(({} as Record<string, unknown>)["liked_tweet_id"]).toBeUndefined();
    expect(({} as Record<string, unknown>)["direction"]).toBeUndefined();
  });
});

describe("XAA created_at: each family's own field", () => {
  const ms = "1784927565236";
  const iso = "2026-07-24T21:12:45.236Z";
  const other = "2020-01-01T00:00:00.000Z";

  it("like.create: timestamp_ms (the like), never created_at (the liked post)", () => {
    expect(xaa("like.create", { created_at: other, timestamp_ms: ms, liked_tweet_id: "1", liked_tweet_author_id: OTHER }).created_at).toBe(iso);
    expect(xaa("like.create", { created_at: other, liked_tweet_id: "1" }).created_at).toBeNull();
  });

  it("chat: created_at_msec", () => {
    expect(xaa("chat.received", { created_at: other, created_at_msec: ms }).created_at).toBe(iso);
    expect(xaa("chat.sent", { created_at_msec: Number(ms) }).created_at).toBe(iso);
  });

  it("broadcast: event_timestamp_ms", () => {
    expect(xaa("broadcast.start", { created_at: other, event_timestamp_ms: ms }).created_at).toBe(iso);
  });

  it("oauth.revoke: date_time", () => {
    expect(xaa("oauth.revoke", { date_time: "2026-07-23T21:44:05+00:00", user_id: ME, app_id: "9" }, {}).created_at).toBe(
      "2026-07-23T21:44:05.000Z",
    );
  });

  it("dm: the wrapped DM's created_timestamp, or the payload's own", () => {
    expect(xaa("dm.received", { direct_message_events: [{ id: "1", created_timestamp: ms }] }).created_at).toBe(iso);
    expect(xaa("dm.indicate_typing", { created_timestamp: ms, sender_id: OTHER }).created_at).toBe(iso);
  });

  it("posts and other families: created_at", () => {
    expect(xaa("post.create", { id: "1", created_at: iso }).created_at).toBe(iso);
    expect(xaa("profile.update.bio", { created_at: iso }).created_at).toBe(iso);
    expect(xaa("follow.follow", { source: { data: { id: ME } }, target: { data: { id: OTHER } } }).created_at).toBeNull();
  });
});
