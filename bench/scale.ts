/**
 * `npm run bench:scale`: the plan to internet scale, simulated with the Worker's own placement
 * code (docs/pipeline.md "The plan to internet scale"). For each configuration, one second of
 * traffic at the target rate (one very hot user taking a fifth of it, the rest spread over a
 * million users; one event per delivery, the costliest shape) is placed exactly as the Worker
 * places it: each delivery on an ingest queue by `ingestQueueIndex` (hash of the delivery id), each
 * event's dedup key on a shard by `dedupShard` (hash of the key). Each queue's consumer takes full
 * batches of 50; each batch asks every shard it touches once to begin and once to commit. Per
 * component the busiest instance is compared with its limit:
 *
 * - ingest queue: 5,000 messages/s per queue (Cloudflare Queues limits);
 * - Dedup shard requests: about 1,000 requests/s per Durable Object (Durable Objects limits);
 * - Dedup shard storage: 10 GB per object, holding (window + one day) of keys at ~65.5 bytes each
 *   (measured by test/integration/dedup-hot-user.test.ts on the real objects).
 * EVENTS and FORWARD are one queue each (5,000 messages/s): their rows show where that binds.
 *
 *   npm run bench:scale [-- --only 2000]
 */
import { parseArgs } from "node:util";
import type { Envelope } from "../src/events/envelope.ts";
import { dedupShard } from "../src/pipeline/dedup-keys.ts";
import { ingestQueueIndex } from "../src/pipeline/queue-pick.ts";

const { values: args } = parseArgs({ options: { only: { type: "string" } } });

const QUEUE_MSGS_PER_S = 5000;
const OBJECT_REQUESTS_PER_S = 1000;
const OBJECT_BYTES = 10 * 1024 ** 3;
const BYTES_PER_KEY = 65.5;
const DAY_S = 86_400;
const BATCH = 50;

interface Plan {
  rate: number;
  ingestQueues: number;
  shards: number;
  /** DEDUP_WINDOW_SECONDS. */
  windowSeconds: number;
}

const PLANS: Plan[] = [
  { rate: 2_000, ingestQueues: 1, shards: 16, windowSeconds: 5 * DAY_S },
  { rate: 5_000, ingestQueues: 2, shards: 32, windowSeconds: 5 * DAY_S },
  { rate: 20_000, ingestQueues: 5, shards: 128, windowSeconds: 5 * DAY_S },
  { rate: 100_000, ingestQueues: 24, shards: 512, windowSeconds: 5 * DAY_S },
  { rate: 250_000, ingestQueues: 64, shards: 1024, windowSeconds: 3 * DAY_S },
];

function envelope(user: string, n: string): Envelope {
  return {
    id: `tweet_create_events:${user}:${n}`,
    event_key: `tweet_create_events:${n}`,
    app: "default",
    type: "tweet_create_events",
    format: "aaa",
    for_user_id: user,
    created_at: null,
    received_at: "2026-12-04T12:00:00.000Z",
    event: {},
    delivery_id: `d${n}`,
  } as Envelope;
}

function simulate(plan: Plan) {
  const queues = Array.from({ length: plan.ingestQueues }, () => [] as Envelope[]);
  for (let n = 0; n < plan.rate; n++) {
    const user = n % 5 === 0 ? "1603419180975409153" : String(1_000_000_000 + ((n * 7919) % 1_000_000));
    const e = envelope(user, String(1924465506158878979n + BigInt(n)));
    // Delivery ids are random UUIDs, as the hot path makes them.
    queues[ingestQueueIndex(crypto.randomUUID(), plan.ingestQueues)]!.push(e);
  }
  const requests = new Array<number>(plan.shards).fill(0);
  const keys = new Array<number>(plan.shards).fill(0);
  for (const q of queues) {
    for (let i = 0; i < q.length; i += BATCH) {
      const touched = new Set<number>();
      for (const e of q.slice(i, i + BATCH)) {
        const s = dedupShard(e, false, plan.shards);
        touched.add(s);
        keys[s]!++;
      }
      for (const s of touched) requests[s]! += 2;
    }
  }
  const busiestQueue = Math.max(...queues.map((q) => q.length));
  const busiestRequests = Math.max(...requests);
  // A shard holds the window plus one bucket (a day) of keys.
  const busiestStorage = Math.max(...keys) * (plan.windowSeconds + DAY_S) * BYTES_PER_KEY;
  return {
    ...plan,
    ingestPerQueue: busiestQueue,
    ingestUse: busiestQueue / QUEUE_MSGS_PER_S,
    shardRequests: busiestRequests,
    shardRequestUse: busiestRequests / OBJECT_REQUESTS_PER_S,
    shardStorageGB: busiestStorage / 1024 ** 3,
    shardStorageUse: busiestStorage / OBJECT_BYTES,
    outputQueueUse: plan.rate / QUEUE_MSGS_PER_S,
  };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const rows = PLANS.filter((p) => args.only === undefined || String(p.rate) === args.only).map(simulate);
console.log("| events/s | INGEST_QUEUES | DEDUP_SHARDS | window (days) | busiest ingest queue msg/s (of 5,000) | busiest shard req/s (of ~1,000) | busiest shard storage GB (of 10) | one EVENTS/FORWARD queue (of 5,000/s) |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  console.log(
    `| ${r.rate.toLocaleString("en")} | ${r.ingestQueues} | ${r.shards} | ${r.windowSeconds / DAY_S} | ${r.ingestPerQueue} (${pct(r.ingestUse)}) | ${r.shardRequests} (${pct(r.shardRequestUse)}) | ${r.shardStorageGB.toFixed(1)} (${pct(r.shardStorageUse)}) | ${pct(r.outputQueueUse)}${r.outputQueueUse > 1 ? " **over: needs output queues spread like INGEST**" : ""} |`,
  );
}
const within = rows.every((r) => r.ingestUse <= 1 && r.shardRequestUse <= 1 && r.shardStorageUse <= 1);
console.log(`\ningest and dedup within every limit: ${within ? "yes" : "NO"}`);
if (!within) process.exitCode = 1;
