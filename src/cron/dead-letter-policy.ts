/**
 * Whether the cron run alerts about dead letters, and what the alert says: pure (state in,
 * decision out, `now` passed in). Dead letters are events that did not reach the consumer; with
 * nobody reading /admin/dead-letters they would pile up unseen, so new ones raise an alert at
 * once, and a steady trickle raises at most one per `alertRepeatMs` (the same throttle as the
 * webhook alerts, `shouldAlert`) carrying the count accumulated since the last one.
 */
import type { DeadLetterAlertMarker, NewDeadLetters } from "../state/dead-letters-schema.ts";
import { shouldAlert, type RevalidationSettings } from "./revalidate-policy.ts";

export type DeadLetterDecision =
  | { alert: true; message: string; since: string | null }
  | { alert: false; reason: "none_new" | "throttled"; nextAlertAt?: string };

/** At most this many apps are named in the message; the rest are summed as "+N more". */
const MAX_APPS_NAMED = 5;

/** `{a: 2, b: 5}` -> "b: 5, a: 2" (largest first, then by name). */
function breakdown(counts: Readonly<Record<string, number>>, sep: string, max = Infinity): string {
  const sorted = Object.entries(counts).sort(([ak, an], [bk, bn]) => bn - an || (ak < bk ? -1 : ak > bk ? 1 : 0));
  const shown = sorted.slice(0, max).map(([k, n]) => `${k}${sep}${n}`);
  const rest = sorted.length - shown.length;
  return rest > 0 ? `${shown.join(", ")}, +${rest} more` : shown.join(", ");
}

/**
 * The alert text: counts by origin and app and where to look. Only counts and app names, never a
 * reason or any part of an envelope (those can hold user content or a receiver's answer).
 */
export function deadLetterAlertMessage(fresh: NewDeadLetters, since: string | null): string {
  const n = fresh.total;
  const what = `${n} new dead letter${n === 1 ? "" : "s"}${since === null ? "" : ` since ${since}`}`;
  return `${what} (${breakdown(fresh.by_from, ": ")}; apps: ${breakdown(fresh.by_app, " ", MAX_APPS_NAMED)}). List: GET /admin/dead-letters`;
}

/**
 * Alert when letters arrived after the last alerted one and the last dead-letter alert is older
 * than the repeat window (or there was none). "Since" is the last alert's time, or the first new
 * letter's when there was none.
 */
export function decideDeadLetterAlert(
  fresh: NewDeadLetters,
  marker: DeadLetterAlertMarker,
  nowMs: number,
  settings: RevalidationSettings,
): DeadLetterDecision {
  if (fresh.total === 0) return { alert: false, reason: "none_new" };
  const last = marker.alerted_at === null ? NaN : Date.parse(marker.alerted_at);
  const lastMs = Number.isNaN(last) ? null : last;
  if (!shouldAlert(lastMs, nowMs, settings)) {
    return { alert: false, reason: "throttled", nextAlertAt: new Date(lastMs! + settings.alertRepeatMs).toISOString() };
  }
  const since = lastMs === null ? fresh.first_at : marker.alerted_at;
  return { alert: true, message: deadLetterAlertMessage(fresh, since), since };
}
