/**
 * Subscription reconciliation decisions as pure functions (state in, decision out, `now` passed
 * in): when a run is due, what to do per user after comparing X's subscription list with the
 * Registry's, how a failed re-subscribe is read, and what the alert says. X can drop a user's
 * subscription while the webhook stays valid (a clean-up on X's side, a permission change, an
 * unsubscribe by another tool): without this the user's events stop with no error anywhere.
 * The orchestration (X calls, Registry writes, alert) is in reconcile.ts.
 */
import type { Config } from "../config.ts";
import type { XApiErrorKind } from "../x-api/errors.ts";
import type { SubscriptionRow } from "../state/registry-schema.ts";
import { DEFAULT_SETTINGS, shouldAlert } from "./revalidate-policy.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface ReconcileSettings {
  /** A cron run reconciles at most this often; 0: the cron never does (on demand still works). */
  intervalMs: number;
  /** After a run stopped on a transient error (rate limit, X down), try again this soon. */
  retryAfterMs: number;
  /** Re-subscribes per run at most; the rest wait for the next run (X's user-context limits). */
  maxResubscribesPerRun: number;
  /** Alert again about drift no sooner than this (the other alerts' throttle). */
  alertRepeatMs: number;
}

export const DEFAULT_RECONCILE_SETTINGS: ReconcileSettings = {
  intervalMs: 6 * HOUR,
  retryAfterMs: 15 * MINUTE,
  maxResubscribesPerRun: 25,
  alertRepeatMs: DEFAULT_SETTINGS.alertRepeatMs,
};

/** The settings for a deployment: `SUBSCRIPTION_RECONCILE_HOURS` is validated by parseConfig. */
export function reconcileSettingsFrom(config: Pick<Config, "subscriptionReconcileHours">): ReconcileSettings {
  return { ...DEFAULT_RECONCILE_SETTINGS, intervalMs: config.subscriptionReconcileHours * HOUR };
}

export type RunDecision = { run: true } | { run: false; reason: "off" | "not_due"; nextDueAt?: string };

/** Whether the cron reconciles now: never when off; else when the last run's `next_due_at` has come. */
export function decideReconcileRun(lastNextDueAt: string | null, nowMs: number, settings: ReconcileSettings): RunDecision {
  if (settings.intervalMs <= 0) return { run: false, reason: "off" };
  if (lastNextDueAt === null) return { run: true };
  const due = Date.parse(lastNextDueAt);
  if (Number.isNaN(due) || nowMs >= due) return { run: true };
  return { run: false, reason: "not_due", nextDueAt: lastNextDueAt };
}

/**
 * When the next run is due: a full interval after a completed run; `retryAfterMs` (or X's own
 * reset time, if later) after one that stopped early, so a rate limit does not cost 6 hours.
 * With the cron off (interval 0) a completed run still records one interval of the default.
 */
export function nextDueAt(nowMs: number, completed: boolean, settings: ReconcileSettings, retryAt?: Date): string {
  if (completed) return new Date(nowMs + (settings.intervalMs > 0 ? settings.intervalMs : DEFAULT_RECONCILE_SETTINGS.intervalMs)).toISOString();
  const retry = Math.max(nowMs + settings.retryAfterMs, retryAt?.getTime() ?? 0);
  return new Date(retry).toISOString();
}

export interface ReconcilePlan {
  /** Distinct user ids X lists. */
  atX: number;
  /** Our active subscriptions. */
  ours: number;
  /** Active here, missing at X, a token stored: re-subscribe (in this order). */
  resubscribe: string[];
  /** Active here, missing at X, no token: mark `dropped_at_x` (failed: nothing to re-subscribe with). */
  noToken: string[];
  /** Listed by X but not active here: record them (a `dropped_at_x` one becomes active again). */
  unknown: string[];
}

/**
 * Compare X's list with the Registry's rows (all statuses). Only `active` rows are ours; a
 * `dropped_at_x` row is already known to be gone (alerted once) and is not retried until X
 * lists it again or the user signs in again; removed and revoked rows are history.
 */
export function planReconcile(rows: readonly SubscriptionRow[], atX: readonly string[]): ReconcilePlan {
  const xSet = new Set(atX);
  const active = rows.filter((r) => r.status === "active");
  const activeIds = new Set(active.map((r) => r.user_id));
  const missing = active.filter((r) => !xSet.has(r.user_id));
  return {
    atX: xSet.size,
    ours: active.length,
    resubscribe: missing.filter((r) => r.has_token).map((r) => r.user_id),
    noToken: missing.filter((r) => !r.has_token).map((r) => r.user_id),
    unknown: [...xSet].filter((id) => !activeIds.has(id)).sort(),
  };
}

/**
 * What a failed re-subscribe means:
 * - "token_rejected": X refused this user's token (401 could not authenticate / invalid or
 *   expired token, or 348 not permitted for this user): the user revoked the app or the token
 *   belongs elsewhere; re-trying cannot help, so the subscription and token are removed.
 * - "stop": says nothing about the user (rate limit, X unreachable or failing, a credential
 *   missing, the webhook or the app's write access gone): stop the run, change nothing, retry.
 * - "failed": anything else: recorded as failed for this user, the run goes on.
 */
export function classifySubscribeFailure(err: { kind: XApiErrorKind; status: number }): "token_rejected" | "stop" | "failed" {
  if (err.kind === "rate_limited" || err.kind === "network" || err.kind === "missing_credential" || err.status >= 500) return "stop";
  if (err.kind === "webhook_not_found" || err.kind === "app_cannot_write" || err.kind === "no_access" || err.kind === "forbidden") return "stop";
  if (err.kind === "auth_failed" || err.kind === "user_not_permitted") return "token_rejected";
  return "failed";
}

export interface Rejection {
  user_id: string;
  reason: string;
}

/**
 * Whether token rejections are believed. X answers a wrong consumer key the same way as a
 * revoked token (401, code 32), and removing every user over an app-wide misconfiguration would
 * be the silent stop this exists to prevent. So when two or more tokens were rejected and none
 * was accepted in the run, nothing is removed: they are reported as failed, naming the likely
 * cause. (A wrong consumer secret also fails CRC, so the webhook is invalid and no run happens.)
 */
export function settleRejections(rejected: readonly Rejection[], acceptedCount: number): { remove: Rejection[]; failed: Rejection[] } {
  if (rejected.length >= 2 && acceptedCount === 0) {
    return {
      remove: [],
      failed: rejected.map((r) => ({ user_id: r.user_id, reason: `${r.reason}; every token tried was rejected, so nothing was removed: check the app's consumer key and secret` })),
    };
  }
  return { remove: [...rejected], failed: [] };
}

/** Whether to raise the drift alert, last raised at `lastAlertAt` (null: never); an unreadable stamp counts as never. */
export function driftAlertDue(lastAlertAt: string | null, nowMs: number, settings: ReconcileSettings): boolean {
  const last = lastAlertAt === null ? NaN : Date.parse(lastAlertAt);
  return shouldAlert(Number.isNaN(last) ? null : last, nowMs, settings);
}

/** At most this many ids are named per list in the alert; the rest are counted. */
const MAX_IDS_NAMED = 20;

function ids(list: readonly string[]): string {
  if (list.length === 0) return "none";
  const shown = list.slice(0, MAX_IDS_NAMED).join(", ");
  return list.length > MAX_IDS_NAMED ? `${shown}, +${list.length - MAX_IDS_NAMED} more` : shown;
}

export interface DriftCounts {
  resubscribed: readonly string[];
  failed: readonly { user_id: string }[];
  removed: readonly string[];
  unknown: readonly string[];
  /** Still to re-subscribe: the run stopped or hit its per-run cap first. */
  deferred: readonly string[];
}

/**
 * The `subscriptions_drifted` alert text, or null when X dropped nobody (unknown users alone do
 * not alert: they cost nothing and show in the dashboard). User ids only: no names, no tokens.
 */
export function driftAlertMessage(app: string, d: DriftCounts): string | null {
  const dropped = d.resubscribed.length + d.failed.length + d.removed.length + d.deferred.length;
  if (dropped === 0) return null;
  const parts = [
    `re-subscribed ${d.resubscribed.length} (${ids(d.resubscribed)})`,
    `failed ${d.failed.length} (${ids(d.failed.map((f) => f.user_id))})`,
    `removed ${d.removed.length} (token rejected: ${ids(d.removed)})`,
  ];
  if (d.deferred.length > 0) parts.push(`left for the next run ${d.deferred.length} (${ids(d.deferred)})`);
  return `X dropped ${dropped} subscription${dropped === 1 ? "" : "s"} of app ${app}: ${parts.join("; ")}. ` +
    `Unknown at X (subscribed elsewhere, recorded): ${d.unknown.length} (${ids(d.unknown)}). Details: GET /admin/apps/${app}`;
}
