/**
 * The ingest consumer at scale, through the Worker's real queue handler with the real Dedup
 * objects: one begin and one commit per shard per batch, hash-of-key sharding of a hot user,
 * PUBLISH_EVENTS, a consumer that dies between publish and commit (a duplicate at worst, never a
 * loss), and the re-sharding migration (keys committed under the per-user layout or another
 * shard count are still recognised).
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, reset, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { normaliseDelivery } from "../../src/events/normalise.ts";
import { handleQueue } from "../../src/pipeline/queue.ts";
import type { IngestMessage } from "../../src/pipeline/messages.ts";
import { dedupKey, dedupShard, dedupShardName, legacyDedupShard } from "../../src/pipeline/dedup-keys.ts";
import type { Dedup } from "../../src/state/dedup.ts";
import { ingestMessage, interceptStubs, queued, testEnv, type TestEnv } from "./pipeline-helpers.ts";

const HOT_USER = "1603419180975409153";

/** A one-tweet delivery for `user`, tweet id from `n` (its text padded to `pad` characters). */
function tweetDelivery(user: string, n: number, pad = 0): string {
  const id = (1924465506158878979n + BigInt(n)).toString();
  return `{"for_user_id":"${user}","tweet_create_events":[{"created_at":"Mon May 19 14:01:46 +0000 2025","id":${id},"id_str":"${id}","text":"hot ${n}${"x".repeat(pad)}","user":{"id":1582853809,"id_str":"1582853809","screen_name":"HistoryInPics"}}]}`;
}

interface Calls {
  begin: Map<number, number>;
  commit: Map<number, number>;
  /** Throw from commit (a consumer that dies after publishing). */
  crashOnCommit: boolean;
}

/** The tweet id of each envelope a recording queue received (EVENTS text or FORWARD json), in order. */
function tweetIds(sent: { body: unknown }[]): string[] {
  return sent.map((s) => {
    const b = s.body as string | { json: string };
    const envelope = JSON.parse(typeof b === "string" ? b : b.json) as { event: { id_str: string } };
    return envelope.event.id_str;
  });
}

/** The real DEDUP namespace, with each shard's begin/commit calls counted (and commit breakable). */
function countingDedup(t: TestEnv): Calls {
  const calls: Calls = { begin: new Map(), commit: new Map(), crashOnCommit: false };
  interceptStubs(t, "DEDUP", (name, method, real) => {
    const n = Number(name.slice("dedup-".length));
    if (method === "beginBatch") {
      return (...args) => {
        calls.begin.set(n, (calls.begin.get(n) ?? 0) + 1);
        return real(...args);
      };
    }
    if (method === "commit") {
      return (...args) => {
        calls.commit.set(n, (calls.commit.get(n) ?? 0) + 1);
        if (calls.crashOnCommit) return Promise.reject(new Error("consumer died between publish and commit (test)"));
        return real(...args);
      };
    }
    return undefined;
  });
  return calls;
}

async function runIngest(t: TestEnv, messages: ReturnType<typeof queued<IngestMessage>>[]) {
  const batch = createMessageBatch("aae-ingest", messages);
  const ctx = createExecutionContext();
  await handleQueue(batch, t.env, ctx);
  return getQueueResult(batch, ctx);
}

const total = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

beforeEach(async () => {
  await reset();
});

describe("ingest consumer at scale", () => {
  it("asks each shard once per batch: 50 deliveries of one hot user spread over the shards, one begin and one commit each", async () => {
    const t = testEnv();
    const calls = countingDedup(t);
    const msgs = Array.from({ length: 50 }, (_, i) => queued(ingestMessage(tweetDelivery(HOT_USER, i))));
    const result = await runIngest(t, msgs);
    expect(result.explicitAcks).toHaveLength(50);
    expect(t.events.sent).toHaveLength(50);
    // Per-user sharding put all 50 on one shard with 100 calls; now at most one call per shard.
    expect(calls.begin.size).toBeGreaterThan(8);
    expect([...calls.begin.values()].every((n) => n === 1)).toBe(true);
    expect([...calls.commit.values()].every((n) => n === 1)).toBe(true);
    expect(total(calls.begin)).toBeLessThanOrEqual(16);
    // And the same 50 again (X retries) publish nothing.
    const again = await runIngest(t, Array.from({ length: 50 }, (_, i) => queued(ingestMessage(tweetDelivery(HOT_USER, i)))));
    expect(again.explicitAcks).toHaveLength(50);
    expect(t.events.sent).toHaveLength(50);
  });

  it("publishes a batch with one sendBatch per queue, not one per delivery: 50 deliveries are one EVENTS and one FORWARD call, in batch order", async () => {
    const t = testEnv({ FORWARD_URL: "https://receiver.example/events" });
    const msgs = Array.from({ length: 50 }, (_, i) => queued(ingestMessage(tweetDelivery(HOT_USER, i))));
    const result = await runIngest(t, msgs);
    expect(result.explicitAcks).toHaveLength(50);
    // Per-message publishing made 50 calls to each queue.
    expect(t.events.calls).toBe(1);
    expect(t.forward.calls).toBe(1);
    const order = Array.from({ length: 50 }, (_, i) => (1924465506158878979n + BigInt(i)).toString());
    expect(tweetIds(t.events.sent)).toEqual(order);
    expect(tweetIds(t.forward.sent)).toEqual(order);
  });

  it("a send that fails part-way through a batch: messages wholly sent are committed and acked, the rest released and retried, and published once on the retry", async () => {
    const t = testEnv({ FORWARD_URL: "https://receiver.example/events" });
    // 60 KB envelopes: four fit a sendBatch (256 KB), so ten deliveries are three EVENTS calls.
    const deliveries = Array.from({ length: 10 }, (_, i) => tweetDelivery(HOT_USER, 100 + i, 60_000));
    const msgs = deliveries.map((d) => queued(ingestMessage(d)));
    const inner = t.events.sendBatch.bind(t.events);
    let eventCalls = 0;
    t.events.sendBatch = async (messages, options) => {
      eventCalls++;
      if (eventCalls === 2) throw new Error("queue unavailable (test)");
      return inner(messages, options);
    };
    const first = await runIngest(t, msgs);
    expect(eventCalls).toBe(2); // the third chunk is not tried once the second failed
    expect(first.explicitAcks).toEqual(msgs.slice(0, 4).map((m) => m.id));
    expect(new Set(first.retryMessages.map((r) => r.msgId))).toEqual(new Set(msgs.slice(4).map((m) => m.id)));
    const ids = deliveries.map((_, i) => (1924465506158878979n + BigInt(100 + i)).toString());
    expect(tweetIds(t.events.sent)).toEqual(ids.slice(0, 4));
    // Not on EVENTS, so not forwarded either; the four that are went to FORWARD too.
    expect(tweetIds(t.forward.sent)).toEqual(ids.slice(0, 4));

    // The platform redelivers the six; X's retries of the first four come too: each event once in all.
    const again = await runIngest(t, [...msgs.slice(4).map((m) => ({ ...m, attempts: 2 })), ...deliveries.slice(0, 4).map((d) => queued(ingestMessage(d)))]);
    expect(again.explicitAcks).toHaveLength(10);
    expect(tweetIds(t.events.sent)).toEqual(ids);
    expect(tweetIds(t.forward.sent)).toEqual(ids);
  });

  it("an envelope whose spill fails holds back only its own message: the rest of the batch is published and acked", async () => {
    const t = testEnv();
    let spillFails = true;
    interceptStubs(t, "SPOOL", (_name, method) =>
      method === "putSpill" && spillFails ? () => Promise.reject(new Error("spool unavailable (test)")) : undefined,
    );
    // 200 KB: over a queue message, so its envelope is spilled and a stub sent.
    const small = [tweetDelivery(HOT_USER, 200), tweetDelivery(HOT_USER, 202)];
    const msgs = [small[0]!, tweetDelivery(HOT_USER, 201, 200_000), small[1]!].map((d) => queued(ingestMessage(d)));
    const first = await runIngest(t, msgs);
    expect(first.explicitAcks).toEqual([msgs[0]!.id, msgs[2]!.id]);
    expect(first.retryMessages.map((r) => r.msgId)).toEqual([msgs[1]!.id]);
    const id = (n: number) => (1924465506158878979n + BigInt(n)).toString();
    expect(tweetIds(t.events.sent)).toEqual([id(200), id(202)]);
    spillFails = false;
    const retried = await runIngest(t, [{ ...msgs[1]!, attempts: 2 }]);
    expect(retried.explicitAcks).toEqual([msgs[1]!.id]);
    const stub = JSON.parse(t.events.sent[2]!.body as string) as { event: null; spill: { key: string } };
    expect(stub.event).toBeNull();
    expect(stub.spill.key).toMatch(/^env:/);
  });

  it("PUBLISH_EVENTS=false: nothing on EVENTS, and an envelope no destination wants is neither published nor deduplicated", async () => {
    const t = testEnv({ PUBLISH_EVENTS: "false" });
    const calls = countingDedup(t);
    const q = queued(ingestMessage(tweetDelivery(HOT_USER, 1)));
    const result = await runIngest(t, [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(t.events.sent).toEqual([]);
    expect(t.forward.sent).toEqual([]);
    expect(total(calls.begin)).toBe(0);
  });

  it("PUBLISH_EVENTS=false with forwarding: only FORWARD gets the envelope", async () => {
    const t = testEnv({ PUBLISH_EVENTS: "false", FORWARD_URL: "https://receiver.example/events" });
    const q = queued(ingestMessage(tweetDelivery(HOT_USER, 2)));
    const result = await runIngest(t, [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(t.events.sent).toEqual([]);
    expect(t.forward.sent).toHaveLength(1);
  });

  it("a consumer that dies between publish and commit: its retry publishes again (a duplicate, same envelope id), never a loss; later copies are skipped", async () => {
    const t = testEnv();
    const calls = countingDedup(t);
    const m = ingestMessage(tweetDelivery(HOT_USER, 3));
    const q = queued(m);
    calls.crashOnCommit = true;
    const crashed = await runIngest(t, [q]);
    // Published, not committed, not acked: the platform redelivers it.
    expect(crashed.explicitAcks).toEqual([]);
    expect(t.events.sent).toHaveLength(1);
    calls.crashOnCommit = false;
    const redelivered = await runIngest(t, [{ ...q, attempts: 2 }]);
    expect(redelivered.explicitAcks).toEqual([q.id]);
    expect(t.events.sent).toHaveLength(2);
    const ids = t.events.sent.map((s) => (JSON.parse(s.body as string) as { id: string }).id);
    expect(ids[0]).toBe(ids[1]);
    // X sends it once more (another delivery): committed now, so skipped.
    const later = await runIngest(t, [queued(ingestMessage(tweetDelivery(HOT_USER, 3)))]);
    expect(later.explicitAcks).toHaveLength(1);
    expect(t.events.sent).toHaveLength(2);
  });

  it("upgrade from per-user sharding: a key the old layout committed (dedup_keys) in another shard is still recognised, and moved", async () => {
    // Find an event whose old (per-user) shard differs from its new (hash-of-key) shard.
    let n = 10;
    let envelope = normaliseDelivery(tweetDelivery(HOT_USER, n), { app: "default", received_at: "2026-11-24T12:00:00.000Z", delivery_id: "d" })[0]!;
    while (legacyDedupShard(envelope, false, 16) === dedupShard(envelope, false, 16)) {
      n++;
      envelope = normaliseDelivery(tweetDelivery(HOT_USER, n), { app: "default", received_at: "2026-11-24T12:00:00.000Z", delivery_id: "d" })[0]!;
    }
    const key = dedupKey(envelope, false);
    const later = Date.now() + 3600_000;
    // Every shard of an upgraded deployment holds the old table; the old shard holds this key.
    for (let s = 0; s < 16; s++) {
      const stub = env.DEDUP.getByName(dedupShardName(s));
      await runInDurableObject(stub, async (_i: Dedup, state) => {
        state.storage.sql.exec(`CREATE TABLE dedup_keys (key TEXT PRIMARY KEY, state TEXT NOT NULL, owner TEXT, expires_at INTEGER NOT NULL)`);
        state.storage.sql.exec(`INSERT INTO dedup_keys VALUES (?, 'done', NULL, ?)`, s === legacyDedupShard(envelope, false, 16) ? key : `default:other-${s}`, later);
      });
      // Restart the object, as a deploy does: the new code starts on the old storage.
      await runInDurableObject(stub, async (_i: Dedup, state) => {
        try {
          state.abort("deploy (test)");
        } catch {
          // abort() throws into its caller by design.
        }
      }).catch(() => undefined);
    }
    const t = testEnv();
    const result = await runIngest(t, [queued(ingestMessage(tweetDelivery(HOT_USER, n)))]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(t.events.sent).toEqual([]);
    // Moved: the new shard now answers "done" itself.
    const moved = await env.DEDUP.getByName(dedupShardName(dedupShard(envelope, false, 16))).seen([key]);
    expect(moved).toEqual([true]);
  });

  it("changing DEDUP_SHARDS: keys committed under the old count are still recognised (the shards report the old layout)", async () => {
    const t8 = testEnv({ DEDUP_SHARDS: "8" });
    await runIngest(t8, Array.from({ length: 20 }, (_, i) => queued(ingestMessage(tweetDelivery(HOT_USER, 100 + i)))));
    expect(t8.events.sent).toHaveLength(20);
    const t16 = testEnv({ DEDUP_SHARDS: "16" });
    const again = await runIngest(t16, Array.from({ length: 20 }, (_, i) => queued(ingestMessage(tweetDelivery(HOT_USER, 100 + i)))));
    expect(again.explicitAcks).toHaveLength(20);
    expect(t16.events.sent).toEqual([]);
  });
});
