/**
 * Pipeline settings at scale (docs/pipeline.md "Cost per event" and "Ceilings"): whether EVENTS
 * is published, how many ingest queues the hot path spreads over, and the dedup layout a
 * deployment is migrating away from. Pure readers over the environment, used by parseConfig.
 */
import { ConfigError, str, type ConfigSource } from "./config-values.ts";

/** Most ingest queues: each is one consumer of up to 250 concurrent invocations and 5,000 msg/s. */
export const MAX_INGEST_QUEUES = 64;

/**
 * How dedup keys were placed on shards. "key": by a hash of the dedup key (this version);
 * "user": by `for_user_id` (event_key for collapse apps), the layout before it.
 */
export type DedupLayout = "key" | "user";

/** A layout still consulted for done keys until `untilMs` (a migration; docs/pipeline.md). */
export interface PreviousDedupLayout {
  layout: DedupLayout;
  shards: number;
  untilMs: number;
}

/** `PUBLISH_EVENTS`: "false" when no consumer is bound to aae-events (saves 3 queue ops per event). */
export function publishEvents(src: ConfigSource): boolean {
  const raw = str(src, "PUBLISH_EVENTS");
  if (raw === undefined || raw === "true") return true;
  if (raw === "false") return false;
  throw new ConfigError("PUBLISH_EVENTS", `must be "true" or "false", got "${raw}"`);
}

/** The binding name of ingest queue `i` (0-based): INGEST, INGEST_2, INGEST_3, ... */
export function ingestBinding(i: number): string {
  return i === 0 ? "INGEST" : `INGEST_${i + 1}`;
}

/**
 * `INGEST_QUEUES` (1-64, default 1): the hot path sends each delivery to one of INGEST, INGEST_2,
 * ... INGEST_<n>, picked by a hash of its delivery id. Every one must be bound (a producer in
 * wrangler.toml) or config fails naming the missing binding.
 */
export function ingestQueues(src: ConfigSource): number {
  const raw = str(src, "INGEST_QUEUES");
  if (raw === undefined) return 1;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_INGEST_QUEUES) {
    throw new ConfigError("INGEST_QUEUES", `must be a whole number between 1 and ${MAX_INGEST_QUEUES}, got "${raw}"`);
  }
  const n = Number(raw);
  for (let i = 0; i < n; i++) {
    const b = src[ingestBinding(i)];
    if (b === null || typeof b !== "object" || typeof (b as { send?: unknown }).send !== "function") {
      throw new ConfigError(ingestBinding(i), `INGEST_QUEUES is ${n}, so the queue producer binding ${ingestBinding(i)} must be declared in wrangler.toml`);
    }
  }
  return n;
}

/**
 * `DEDUP_PREVIOUS_LAYOUT`: `<user|key>:<shards>:<until, ISO 8601>`, e.g.
 * `user:16:2026-12-10T12:00:00Z`. Until then, keys the current layout does not know are also
 * looked up (read only) where the previous layout put them, so events committed before a
 * re-sharding are still recognised. Set it when upgrading from per-user sharding or changing
 * DEDUP_SHARDS, to the deploy time plus DEDUP_WINDOW_SECONDS; remove it after.
 */
export function previousDedupLayout(src: ConfigSource): PreviousDedupLayout | null {
  const raw = str(src, "DEDUP_PREVIOUS_LAYOUT");
  if (raw === undefined) return null;
  const m = /^(user|key):(\d{1,4}):(.+)$/.exec(raw);
  const untilMs = m === null ? Number.NaN : Date.parse(m[3]!);
  if (m === null || Number.isNaN(untilMs) || Number(m[2]) < 1 || Number(m[2]) > 1024) {
    throw new ConfigError("DEDUP_PREVIOUS_LAYOUT", `must be "<user|key>:<shards 1-1024>:<ISO 8601 time>", got "${raw}"`);
  }
  return { layout: m[1] as DedupLayout, shards: Number(m[2]), untilMs };
}
