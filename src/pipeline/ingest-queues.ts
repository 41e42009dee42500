/**
 * Which ingest queue a delivery goes to. One queue takes about 5,000 messages a second (Cloudflare
 * Queues' per-queue limit), so a deployment above that binds more (`INGEST_QUEUES`, INGEST_2 ...,
 * each with its own consumer: docs/pipeline.md "The plan to internet scale") and the hot path
 * spreads deliveries over them by a hash of the delivery id. Dedup does not care which queue a
 * copy of an event came through: its shards are chosen by the dedup key.
 */
import type { Config } from "../config.ts";
import { ingestBinding } from "../config-pipeline.ts";
import { ingestQueueIndex } from "./queue-pick.ts";

/** The queue for this delivery (INGEST when there is one). */
export function ingestQueueFor(env: Env, config: Config, deliveryId: string): Queue {
  const n = config.ingestQueues ?? 1;
  if (n <= 1) return env.INGEST;
  // parseConfig checked that every INGEST_<i> is bound.
  return (env as unknown as Record<string, Queue>)[ingestBinding(ingestQueueIndex(deliveryId, n))]!;
}
