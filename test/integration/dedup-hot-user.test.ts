/**
 * Issue 12's ceiling check, against the real local objects: ONE user at 2,000 events a second over
 * 16 Dedup shards. One simulated second of traffic (2,000 one-event deliveries, in the 40 full
 * consumer batches of 50 that the ingest queue hands out at that rate) goes through the Worker's
 * real queue handler and the real Dedup objects; per shard we count requests and keys, measure
 * bytes per key from the object's own database size, and check each against its budget
 * (docs/pipeline.md "Ceilings"):
 * - requests: Cloudflare's soft limit of about 1,000 requests a second per object;
 * - storage: 10 GB per object, at a sustained rate, for the window plus one bucket of keys.
 * Per-user sharding put all 2,000 on one shard: 80 requests per batch-second there, and 4,000
 * deliveries' worth of begin/commit calls (2 per delivery) where the limit is about 1,000.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, reset, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { handleQueue } from "../../src/pipeline/queue.ts";
import { dedupShardName } from "../../src/pipeline/dedup-keys.ts";
import { DEFAULT_DEDUP_WINDOW_SECONDS } from "../../src/config.ts";
import type { Dedup } from "../../src/state/dedup.ts";
import { ingestMessage, queued, testEnv } from "./pipeline-helpers.ts";

const USER = "1603419180975409153";
const RATE = 2000;
const BATCH = 50;
const SHARDS = 16;
/** Cloudflare: a single Durable Object handles on the order of 1,000 requests per second. */
const REQUESTS_PER_OBJECT_PER_SECOND = 1000;
const OBJECT_STORAGE_BYTES = 10 * 1024 ** 3;

function delivery(n: number): string {
  const id = (1924465506158878979n + BigInt(n)).toString();
  return `{"for_user_id":"${USER}","tweet_create_events":[{"created_at":"Mon May 19 14:01:46 +0000 2025","id":${id},"id_str":"${id}","text":"celebrity ${n}","user":{"id":${USER},"id_str":"${USER}","screen_name":"celebrity"}}]}`;
}

const requests = new Map<number, number>();
let keysPerShard: number[] = [];
let bytesPerKey = 0;

beforeAll(async () => {
  await reset();
  const t = testEnv();
  const real = env.DEDUP;
  (t.env as unknown as { DEDUP: unknown }).DEDUP = {
    getByName(name: string) {
      const n = Number(name.slice("dedup-".length));
      const stub = real.getByName(name);
      return new Proxy(stub, {
        get(target, prop) {
          const v = Reflect.get(target, prop) as unknown;
          if (typeof v !== "function" || prop === "then") return v;
          return (...args: unknown[]) => {
            requests.set(n, (requests.get(n) ?? 0) + 1);
            return Reflect.apply(v as (...a: unknown[]) => unknown, target, args);
          };
        },
      });
    },
  };
  const sizeBefore: number[] = [];
  for (let s = 0; s < SHARDS; s++) {
    sizeBefore.push(await runInDurableObject(real.getByName(dedupShardName(s)), async (_i: Dedup, state) => state.storage.sql.databaseSize));
  }
  for (let b = 0; b < RATE / BATCH; b++) {
    const batch = createMessageBatch(
      "aae-ingest",
      Array.from({ length: BATCH }, (_, i) => queued(ingestMessage(delivery(b * BATCH + i)))),
    );
    const ctx = createExecutionContext();
    await handleQueue(batch, t.env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toHaveLength(BATCH);
  }
  keysPerShard = [];
  let grown = 0;
  for (let s = 0; s < SHARDS; s++) {
    const stub = real.getByName(dedupShardName(s));
    keysPerShard.push(await stub.size());
    grown += (await runInDurableObject(stub, async (_i: Dedup, state) => state.storage.sql.databaseSize)) - sizeBefore[s]!;
  }
  bytesPerKey = grown / RATE;
}, 120_000);

describe("one user at 2,000 events/s over 16 shards", () => {
  it("spreads the user's keys over every shard, none far above an even share", () => {
    expect(keysPerShard.reduce((a, b) => a + b, 0)).toBe(RATE);
    expect(keysPerShard.every((k) => k > 0)).toBe(true);
    expect(Math.max(...keysPerShard)).toBeLessThan((RATE / SHARDS) * 1.4);
  });

  it("keeps every shard far under its request budget: one begin and one commit per batch", () => {
    // 40 batches in the second; each shard is asked at most twice per batch.
    for (let s = 0; s < SHARDS; s++) expect(requests.get(s) ?? 0).toBeLessThanOrEqual((2 * RATE) / BATCH);
    expect(Math.max(...requests.values())).toBeLessThan(REQUESTS_PER_OBJECT_PER_SECOND / 10);
  });

  it("keeps every shard's storage bounded under 10 GB at this rate held for good (window + one day of keys)", () => {
    expect(bytesPerKey).toBeGreaterThan(0);
    const heldSeconds = DEFAULT_DEDUP_WINDOW_SECONDS + 86_400;
    const busiest = Math.max(...keysPerShard); // keys per second on the busiest shard
    const steadyBytes = busiest * heldSeconds * bytesPerKey;
    console.log(JSON.stringify({ keysPerShard, requestsPerShard: [...requests.entries()].sort((a, b) => a[0] - b[0]), bytesPerKey, steadyBytesBusiestShard: steadyBytes }));
    expect(steadyBytes).toBeLessThan(OBJECT_STORAGE_BYTES);
  });
});
