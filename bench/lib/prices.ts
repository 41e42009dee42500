/**
 * Cloudflare's published list prices for what the pipeline uses, as of the date below: marginal
 * prices on the Workers Paid plan (the monthly included amounts are left out: at the scale where
 * cost per event matters they are used up). Re-check the sources and bump `asOf` when they change.
 *
 * Sources (read 2026-12-04):
 * - Workers: https://developers.cloudflare.com/workers/platform/pricing/ (Standard usage model)
 * - Queues: https://developers.cloudflare.com/queues/platform/pricing/ (an operation is a write,
 *   read or delete of up to 64 KB; a retry is another read)
 * - Durable Objects: https://developers.cloudflare.com/durable-objects/platform/pricing/ (every RPC
 *   method call on a stub is one request; alarm invocations are requests; SQLite storage billing)
 * - Workers KV: https://developers.cloudflare.com/kv/platform/pricing/
 */
export const PRICES = {
  asOf: "2026-12-04",
  currency: "USD",
  /** Per million Worker invocations (fetch, queue batch, cron). */
  workerRequestsPerMillion: 0.3,
  /** Per million CPU milliseconds. */
  workerCpuMsPerMillion: 0.02,
  /** Per million Queues operations (write, read or delete, per 64 KB). */
  queueOpsPerMillion: 0.4,
  /** Per million Durable Object requests (RPC calls, alarms). */
  doRequestsPerMillion: 0.15,
  /** Per million SQLite rows read. */
  sqlRowsReadPerMillion: 0.001,
  /** Per million SQLite rows written (a `setAlarm` is counted as one: it writes storage metadata). */
  sqlRowsWrittenPerMillion: 1.0,
  kvReadsPerMillion: 0.5,
  /** Writes, deletes and lists. */
  kvWritesPerMillion: 5.0,
  /**
   * Not priced per event, and why:
   * - Durable Object duration ($12.50 per million GB-s): billed only while an object runs or
   *   cannot hibernate; a shard answering a batch in a few ms costs ~1e-9 $ per event.
   * - SQLite storage ($0.20 per GB-month): a dedup key is ~100 bytes for 5 days, about $0.003
   *   per million events; bounded storage per shard is shown in docs/pipeline.md.
   * - Subrequests: not billed (counted, for the 1000-per-invocation limit).
   * - CPU ($0.02 per million CPU-ms): locally only the whole workerd process's time can be read,
   *   Miniflare's broker and timers included; the Worker's own few ms per event are ~$0.0001.
   */
  notPriced: ["Durable Object duration", "SQLite storage", "subrequests", "CPU time"],
} as const;
