import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../src/events/envelope.ts";
import { dedupKey, dedupShard, dedupShardName, fnv1a32 } from "../../../src/pipeline/dedup-keys.ts";

function envelope(forUser: string | null, eventKey = "tweet_create_events:1924465506158878979"): Envelope {
  return {
    id: forUser === null ? eventKey : `tweet_create_events:${forUser}:1924465506158878979`,
    event_key: eventKey,
    app: "default",
    type: "tweet_create_events",
    format: "aaa",
    activity: "post.create",
    object_key: "post:1924465506158878979",
    for_user_id: forUser,
    created_at: null,
    received_at: "2026-11-24T12:00:00.000Z",
    event: {},
    delivery_id: "d1",
  };
}

describe("fnv1a32", () => {
  it("matches the published FNV-1a 32-bit test values", () => {
    // From the FNV reference test suite (isthe.com/chongo/tech/comp/fnv): "", "a", "foobar".
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });
});

describe("dedupKey", () => {
  it("keeps each user's copy separate by default", () => {
    expect(dedupKey(envelope("1"), false)).not.toBe(dedupKey(envelope("2"), false));
    expect(dedupKey(envelope("1"), false)).toBe("default:tweet_create_events:1:1924465506158878979");
  });

  it("collapses the copies when the app asks for it", () => {
    expect(dedupKey(envelope("1"), true)).toBe(dedupKey(envelope("2"), true));
  });

  it("is scoped by app", () => {
    expect(dedupKey({ ...envelope("1"), app: "other" }, false)).not.toBe(dedupKey(envelope("1"), false));
  });
});

describe("dedupShard", () => {
  it("puts one user's events on one shard, and both copies on one shard when collapsing", () => {
    const shards = 16;
    const a = envelope("1603419180975409153", "k1");
    const b = envelope("1603419180975409153", "k2");
    expect(dedupShard(a, false, shards)).toBe(dedupShard(b, false, shards));
    const users = ["1", "2", "3", "4", "5", "6", "7", "8"];
    const collapsed = new Set(users.map((u) => dedupShard(envelope(u), true, shards)));
    expect(collapsed.size).toBe(1);
  });

  it("spreads users over every shard", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(dedupShard(envelope(String(1_000_000_000 + i)), false, 16));
    expect(seen.size).toBe(16);
  });

  it("shards events without a user by their id", () => {
    const e = envelope(null, "user_event:1:2:3");
    expect(dedupShard(e, false, 16)).toBe(fnv1a32(e.id) % 16);
    expect(dedupShardName(3)).toBe("dedup-3");
  });
});
