/**
 * The claims an envelope makes on the Dedup shards and what a message does with the answers:
 * one id claim always; while the app migrates, a canonical claim too (short-lived for pair-keyed
 * families), so the same event through AAA and XAA is published once.
 */
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../src/events/envelope.ts";
import {
  canonicalDedupKey,
  decideClaims,
  dedupClaims,
  dedupKey,
  MIGRATION_PAIR_WINDOW_SECONDS,
  type ClaimStatus,
  type DedupPolicy,
} from "../../../src/pipeline/dedup-keys.ts";

const WINDOW = 432_000;
const policy = (over: Partial<DedupPolicy> = {}): DedupPolicy => ({ collapseAcrossUsers: false, migrating: true, shards: 16, windowSeconds: WINDOW, ...over });

function envelope(over: Partial<Envelope>): Envelope {
  return {
    id: "tweet_create_events:1:9",
    event_key: "tweet_create_events:9",
    app: "default",
    type: "tweet_create_events",
    format: "aaa",
    activity: "post.create",
    object_key: "post:9",
    for_user_id: "1",
    created_at: null,
    received_at: "2026-12-04T12:00:00.000Z",
    event: {},
    delivery_id: "d",
    ...over,
  };
}

const aaaPost = envelope({});
const xaaPost = envelope({ id: "post.create:1:-5", event_key: "post.create:-5", type: "post.create", format: "xaa" });

describe("canonicalDedupKey", () => {
  it("is equal for one event through AAA and XAA, and differs from every id key", () => {
    expect(canonicalDedupKey(aaaPost, false)).toBe("default:~post:post:9:1");
    expect(canonicalDedupKey(xaaPost, false)).toBe(canonicalDedupKey(aaaPost, false));
    expect(canonicalDedupKey(aaaPost, false)).not.toBe(dedupKey(aaaPost, false));
  });

  it("puts every post creation in one family, and keeps delete, follow and unfollow apart", () => {
    const mention = canonicalDedupKey(envelope({ activity: "post.mention.create" }), false);
    const reply = canonicalDedupKey(envelope({ activity: "post.reply.create" }), false);
    expect(mention).toBe(reply);
    expect(canonicalDedupKey(envelope({ activity: "post.delete" }), false)).not.toBe(mention);
    const pair = { object_key: "follow:1:2" };
    expect(canonicalDedupKey(envelope({ ...pair, activity: "follow.follow" }), false)).not.toBe(
      canonicalDedupKey(envelope({ ...pair, activity: "follow.unfollow" }), false),
    );
    expect(canonicalDedupKey(envelope({ activity: "dm.sent", object_key: "dm:5" }), false)).toBe(
      canonicalDedupKey(envelope({ activity: "dm.received", object_key: "dm:5" }), false),
    );
  });

  it("is scoped by user (dropped when the app collapses across users) and by app", () => {
    expect(canonicalDedupKey(envelope({ for_user_id: "2" }), false)).not.toBe(canonicalDedupKey(aaaPost, false));
    expect(canonicalDedupKey(envelope({ for_user_id: "2" }), true)).toBe(canonicalDedupKey(aaaPost, true));
    expect(canonicalDedupKey(envelope({ app: "other" }), false)).not.toBe(canonicalDedupKey(aaaPost, false));
  });

  it("is null without a cross-API identity (object key fell back to the event key)", () => {
    expect(canonicalDedupKey(envelope({ object_key: "tweet_create_events:9" }), false)).toBeNull();
  });
});

describe("dedupClaims", () => {
  it("is the id claim alone when the app is not migrating", () => {
    expect(dedupClaims(aaaPost, policy({ migrating: false }))).toEqual([
      { key: dedupKey(aaaPost, false), shard: expect.any(Number), windowSeconds: WINDOW, short: false, canonical: false },
    ]);
  });

  it("adds the canonical claim while migrating, on the same shard for both APIs' copies", () => {
    const a = dedupClaims(aaaPost, policy());
    const x = dedupClaims(xaaPost, policy());
    expect(a).toHaveLength(2);
    expect(a[1]).toEqual(x[1]);
    expect(a[1]?.windowSeconds).toBe(WINDOW);
    expect(a[0]?.key).not.toBe(x[0]?.key);
  });

  it("gives follow, block, mute and like canonical claims the short pair window only", () => {
    for (const activity of ["follow.follow", "block.unblock", "mute.mute", "like.create"]) {
      const [id, pair] = dedupClaims(envelope({ activity, object_key: "follow:1:2" }), policy());
      expect(id?.windowSeconds).toBe(WINDOW);
      expect(id?.short).toBe(false);
      expect(pair?.windowSeconds).toBe(MIGRATION_PAIR_WINDOW_SECONDS);
      expect(pair?.short).toBe(true);
    }
    const [, short] = dedupClaims(envelope({ activity: "follow.follow", object_key: "follow:1:2" }), policy({ windowSeconds: 60 }));
    expect(short?.windowSeconds).toBe(60);
    // No shorter than the deployment's window: committed with the other keys, not the short family.
    expect(short?.short).toBe(false);
  });

  it("shards a canonical claim without a user (a revoke) by its key, the same for both APIs", () => {
    const aaa = envelope({ id: "user_event:1:2:3", event_key: "user_event:1:2:3", activity: "oauth.revoke", object_key: "revoke:1:2:t", for_user_id: null });
    const xaa = envelope({ id: "oauth.revoke:-9", event_key: "oauth.revoke:-9", activity: "oauth.revoke", object_key: "revoke:1:2:t", for_user_id: null });
    expect(dedupClaims(aaa, policy())[1]).toEqual(dedupClaims(xaa, policy())[1]);
  });
});

describe("decideClaims", () => {
  const plan = (e: Envelope) => ({ envelope: e, claims: dedupClaims(e, policy()) });
  const answers = (m: Record<string, ClaimStatus>) => (key: string) => m[key] ?? "new";

  it("publishes an envelope whose claims are all new and commits them", () => {
    const p = plan(aaaPost);
    const d = decideClaims([p], answers({}));
    expect(d.publish).toEqual([aaaPost]);
    expect(d.commit.map((c) => c.key).sort()).toEqual(p.claims.map((c) => c.key).sort());
    expect(d.release).toEqual([]);
    expect(d.busy).toBe(false);
  });

  it("skips the XAA twin of a published AAA event and commits its own id so its retries stay known", () => {
    const p = plan(xaaPost);
    const [id, canonical] = p.claims;
    const d = decideClaims([p], answers({ [canonical!.key]: "done" }));
    expect(d.publish).toEqual([]);
    expect(d.commit).toEqual([id]);
    expect(d.busy).toBe(false);
  });

  it("waits, releasing its new lease, when the twin is being published by another consumer", () => {
    const p = plan(xaaPost);
    const [id, canonical] = p.claims;
    const d = decideClaims([p], answers({ [canonical!.key]: "busy" }));
    expect(d.publish).toEqual([]);
    expect(d.release).toEqual([id]);
    expect(d.commit).toEqual([]);
    expect(d.busy).toBe(true);
  });

  it("publishes the first of two envelopes of one message that share a key, and only it", () => {
    const second = envelope({ id: "tweet_create_events:1:9b", activity: "post.mention.create" });
    const d = decideClaims([plan(aaaPost), plan(second)], answers({}));
    expect(d.publish).toEqual([aaaPost]);
    // The second's own id is committed too: it is represented by the first.
    expect(d.commit.map((c) => c.key)).toContain(dedupKey(second, false));
  });

  it("keeps the delivery's order and decides each envelope on its own", () => {
    const other = envelope({ id: "tweet_create_events:1:10", event_key: "tweet_create_events:10", object_key: "post:10" });
    const third = envelope({ id: "tweet_create_events:1:11", event_key: "tweet_create_events:11", object_key: "post:11" });
    const d = decideClaims([plan(aaaPost), plan(other), plan(third)], answers({ [dedupKey(other, false)]: "done" }));
    expect(d.publish).toEqual([aaaPost, third]);
  });
});
