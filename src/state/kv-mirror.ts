/**
 * The read-only KV mirror of each app's Registry, for edge reads (dashboards, status checks)
 * that should not wake a Durable Object. The Registry decides and writes; KV never decides:
 * nothing reads these keys to make a state change.
 *
 * KV allows one write per second per key and is eventually consistent (~60 s), so the Registry
 * writes a key only when its content changed, and at most once a second (later changes are
 * coalesced by the Registry's alarm). See `mirrorDecision`.
 */
import type { ReplayJobRow, SubscriptionRow, WebhookRow } from "./registry-schema.ts";

export const statusKey = (app: string): string => `app:${app}:status`;
export const subscriptionsKey = (app: string): string => `app:${app}:subscriptions`;
/** Written by the webhook hot path each time it answers a CRC: `{at, ip}`. */
export const crcLastKey = (app: string): string => `crc:last:${app}`;

/** KV's documented limit: one write per second to the same key. */
export const KV_MIN_WRITE_INTERVAL_MS = 1000;

/** `app:<app>:status`. No timestamps of the write itself: the value changes only when state does. */
export interface StatusSnapshot {
  app: string;
  webhook: {
    id: string;
    url: string;
    valid: boolean;
    last_crc_at: string | null;
    last_recheck_at: string | null;
    last_recheck_result: string | null;
    invalid_since: string | null;
  } | null;
  subscription_count: number;
  open_replay_job: { job_id: string; from_date: string; to_date: string } | null;
}

/** `app:<app>:subscriptions`: active subscriptions only, sorted by user id. */
export interface SubscriptionsSnapshot {
  app: string;
  count: number;
  subscriptions: { user_id: string; screen_name: string | null; subscribed_at: string }[];
}

export function statusSnapshot(
  app: string,
  webhook: WebhookRow | null,
  activeCount: number,
  openJob: ReplayJobRow | null,
): StatusSnapshot {
  return {
    app,
    webhook: webhook && {
      id: webhook.id,
      url: webhook.url,
      valid: webhook.valid,
      last_crc_at: webhook.last_crc_at,
      last_recheck_at: webhook.last_recheck_at,
      last_recheck_result: webhook.last_recheck_result,
      invalid_since: webhook.invalid_since,
    },
    subscription_count: activeCount,
    open_replay_job: openJob && { job_id: openJob.job_id, from_date: openJob.from_date, to_date: openJob.to_date },
  };
}

export function subscriptionsSnapshot(app: string, active: readonly SubscriptionRow[]): SubscriptionsSnapshot {
  const subs = active
    .filter((s) => s.status === "active")
    .map((s) => ({ user_id: s.user_id, screen_name: s.screen_name, subscribed_at: s.subscribed_at }))
    .sort((a, b) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0));
  return { app, count: subs.length, subscriptions: subs };
}

/** What the Registry last wrote to one key. */
export interface MirrorRecord {
  digest: string;
  at_ms: number;
}

export type MirrorDecision = { kind: "skip" } | { kind: "write" } | { kind: "defer"; until_ms: number };

/**
 * Pure: write when the content changed and the key has not been written in the last second;
 * defer (to an alarm) when it changed too soon; skip when unchanged.
 */
export function mirrorDecision(last: MirrorRecord | null, digest: string, nowMs: number): MirrorDecision {
  if (last !== null && last.digest === digest) return { kind: "skip" };
  if (last !== null && nowMs - last.at_ms < KV_MIN_WRITE_INTERVAL_MS) {
    return { kind: "defer", until_ms: last.at_ms + KV_MIN_WRITE_INTERVAL_MS };
  }
  return { kind: "write" };
}

/** SHA-256 hex of the serialised value: what "changed" means. */
export async function digestOf(json: string): Promise<string> {
  const h = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(json));
  return [...new Uint8Array(h)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Edge read of the last CRC X sent, as the hot path recorded it. `at` may be ISO or epoch ms. */
export async function readCrcLast(kv: KVNamespace, app: string): Promise<{ at: string; ip: string | null } | null> {
  const raw = await kv.get<{ at?: unknown; ip?: unknown }>(crcLastKey(app), "json");
  if (raw === null || typeof raw !== "object") return null;
  const at = typeof raw.at === "number" ? new Date(raw.at) : typeof raw.at === "string" ? new Date(raw.at) : null;
  if (at === null || Number.isNaN(at.getTime())) return null;
  return { at: at.toISOString(), ip: typeof raw.ip === "string" ? raw.ip : null };
}
