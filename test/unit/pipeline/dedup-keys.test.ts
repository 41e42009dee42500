import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../src/events/envelope.ts";
import { dedupKey, dedupShard, dedupShardName, fnv1a32, legacyDedupShard, shardInLayout } from "../../../src/pipeline/dedup-keys.ts";

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

/** One user's event number `n` (distinct ids, like a hot account's stream). */
function userEvent(user: string, n: number): Envelope {
  const tweet = (1924465506158878979n + BigInt(n)).toString();
  return { ...envelope(user, `tweet_create_events:${tweet}`), id: `tweet_create_events:${user}:${tweet}` };
}

describe("dedupShard (hash of the dedup key)", () => {
  it("places a key by a hash of the key itself, so every copy of it meets in one shard", () => {
    const e = userEvent("1603419180975409153", 7);
    expect(dedupShard(e, false, 16)).toBe(fnv1a32(dedupKey(e, false)) % 16);
    // An X retry or Replay of the same event: the same envelope id, the same shard.
    expect(dedupShard({ ...e, delivery_id: "another" }, false, 16)).toBe(dedupShard(e, false, 16));
    expect(dedupShardName(3)).toBe("dedup-3");
  });

  it("spreads one very hot user's events over every shard, none far above its share", () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 2000; i++) counts[dedupShard(userEvent("1603419180975409153", i), false, 16)]!++;
    expect(counts.every((c) => c > 0)).toBe(true);
    // 125 each if perfectly even; allow the spread of a good hash, not one user on one shard.
    expect(Math.max(...counts)).toBeLessThan(125 * 1.4);
  });

  it("puts every user's copy of one event on one shard when the app collapses them", () => {
    const users = ["1", "2", "3", "4", "5", "6", "7", "8"];
    expect(new Set(users.map((u) => dedupShard(envelope(u), true, 16))).size).toBe(1);
  });
});

describe("legacyDedupShard (the per-user layout, read during a migration)", () => {
  it("puts one user's events on one shard, and events without a user by their id", () => {
    const a = userEvent("1603419180975409153", 1);
    const b = userEvent("1603419180975409153", 2);
    expect(legacyDedupShard(a, false, 16)).toBe(fnv1a32("1603419180975409153") % 16);
    expect(legacyDedupShard(b, false, 16)).toBe(legacyDedupShard(a, false, 16));
    const e = envelope(null, "user_event:1:2:3");
    expect(legacyDedupShard(e, false, 16)).toBe(fnv1a32(e.id) % 16);
    expect(shardInLayout("user", a, false, 16)).toBe(legacyDedupShard(a, false, 16));
    expect(shardInLayout("key", a, false, 16)).toBe(dedupShard(a, false, 16));
  });
});
