/**
 * "Last CRC answered" per app, written to KV (`crc:last:<app>`, docs/storage.md) for the admin
 * view and operators. Off the hot path: the write is handed to `ctx.waitUntil` and never delays
 * the CRC answer. Throttled per isolate, because KV allows one write per second per key and the
 * CRC GET is reachable by anyone who knows the URL.
 */
import { crcLastKey } from "../state/kv-mirror.ts";

/** At most one KV write per app per this many milliseconds, per isolate. */
export const CRC_RECORD_INTERVAL_MS = 60_000;

/** What `crc:last:<app>` holds (read back by `readCrcLast` in src/state/kv-mirror.ts). */
export interface CrcRecord {
  /** ISO 8601 time the CRC was answered. */
  at: string;
  /** `cf-connecting-ip` of the caller, when the edge supplied one. */
  ip?: string;
}

/**
 * Per-key rate gate: `take(key, now)` is true at most once per `intervalMs` per key. Pure
 * (time passed in). Memory is bounded by the number of configured apps: callers only pass keys
 * of known apps.
 */
export class KeyThrottle {
  private readonly last = new Map<string, number>();
  private readonly intervalMs: number;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  take(key: string, nowMs: number): boolean {
    const prev = this.last.get(key);
    if (prev !== undefined && nowMs - prev < this.intervalMs) return false;
    this.last.set(key, nowMs);
    return true;
  }
}

const throttle = new KeyThrottle(CRC_RECORD_INTERVAL_MS);
/** When this isolate last answered a CRC per app (every answer, not only the written ones). */
const lastAnsweredMs = new Map<string, number>();

/** When this isolate last answered a CRC for the app (ms), or null: what a re-check's diagnosis reads. */
export function lastCrcAnsweredHere(app: string): number | null {
  return lastAnsweredMs.get(app) ?? null;
}

/**
 * Schedule the KV write for an answered CRC, unless this isolate wrote one for the app within
 * the last minute. A failed write is logged, never surfaced: the answer has already gone.
 */
export function recordCrcAnswered(
  kv: KVNamespace,
  ctx: ExecutionContext,
  app: string,
  ip: string | null,
  now: Date,
): void {
  lastAnsweredMs.set(app, now.getTime());
  if (!throttle.take(app, now.getTime())) return;
  const record: CrcRecord = ip ? { at: now.toISOString(), ip } : { at: now.toISOString() };
  ctx.waitUntil(
    kv.put(crcLastKey(app), JSON.stringify(record)).catch((err: unknown) => {
      console.error(JSON.stringify({
        msg: "crc record write failed",
        app,
        error: err instanceof Error ? err.name : "unknown",
      }));
    }),
  );
}
