/**
 * What the forwarder does with one POST's outcome: pure (`now` and randomness passed in).
 *
 * - 2xx: delivered, ack.
 * - 400, 401, 403, 404, 410, 413: the destination refuses this message and will keep refusing
 *   it (bad request, auth, gone, too large): retrying only delays the operator's fix, so dead-letter
 *   at once, with the status as the reason. The message can be redriven once the cause is fixed.
 * - 429: retry when the destination says (`Retry-After`, seconds or HTTP-date), else back off.
 * - Any other status (5xx, 408, 409, 3xx because we do not follow redirects...), network errors
 *   and timeouts: transient, retry with exponential backoff and jitter (`FORWARD_BACKOFF`).
 * - A transient failure on the last allowed attempt: dead-letter with the last failure as reason.
 */
import { forwardFor, type Config } from "../config.ts";
import { backoffSeconds, clampDelay, FORWARD_BACKOFF, parseRetryAfter } from "./retry.ts";

/** Our own give-up point; the aae-forward consumer's `max_retries` (20) is the platform's backstop. */
export const FORWARD_MAX_ATTEMPTS = 20;
/** Per-request timeout: a destination slower than this is treated as down for this attempt. */
export const FORWARD_TIMEOUT_MS = 15_000;

const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404, 410, 413]);

export type ForwardAttemptResult =
  | { kind: "response"; status: number; retryAfter: string | null }
  | { kind: "network"; detail: string }
  | { kind: "timeout" };

export type ForwardDecision =
  | { action: "ack" }
  | { action: "dead-letter"; reason: string }
  | { action: "retry"; delaySeconds: number; reason: string };

/** Whether a result counts as the destination being unhealthy (feeds the circuit breaker). */
export function isDestinationFailure(result: ForwardAttemptResult): boolean {
  if (result.kind !== "response") return true;
  return result.status >= 500 || result.status === 429 || result.status === 408;
}

export function describeResult(result: ForwardAttemptResult): string {
  switch (result.kind) {
    case "response":
      return `HTTP ${result.status}`;
    case "timeout":
      return `timeout after ${FORWARD_TIMEOUT_MS / 1000} s`;
    case "network":
      return `network error: ${result.detail}`;
  }
}

export function decideForwardOutcome(
  result: ForwardAttemptResult,
  attempts: number,
  nowMs: number,
  random: number,
  maxAttempts: number = FORWARD_MAX_ATTEMPTS,
): ForwardDecision {
  if (result.kind === "response" && result.status >= 200 && result.status < 300) return { action: "ack" };
  const what = describeResult(result);
  if (result.kind === "response" && PERMANENT_STATUSES.has(result.status)) {
    return { action: "dead-letter", reason: `destination refused the envelope: ${what}` };
  }
  if (attempts >= maxAttempts) {
    return { action: "dead-letter", reason: `gave up after ${attempts} attempts; last: ${what}` };
  }
  if (result.kind === "response" && result.status === 429) {
    const after = parseRetryAfter(result.retryAfter, nowMs);
    if (after !== null) return { action: "retry", delaySeconds: clampDelay(Math.max(after, 1)), reason: what };
  }
  return { action: "retry", delaySeconds: backoffSeconds(attempts, FORWARD_BACKOFF, random), reason: what };
}

/** Why the gate held messages back: its breaker phase tells the two apart. */
export type HoldCause = "circuit open" | "rate limited";

export type HoldDecision =
  | { action: "hold"; heldSince: string; delaySeconds: number }
  | { action: "dead-letter"; reason: string };

/** Most seconds added to the gate's wait, so held messages do not all return as one herd. */
export const HOLD_SPREAD_SECONDS = 5;

/**
 * What to do with a message the gate held back (not sent): pure (`now` and randomness passed in).
 *
 * Hold it again (the caller re-sends a copy carrying `heldSince`, so holds use no queue attempts)
 * after the gate's wait plus up to HOLD_SPREAD_SECONDS, unless it was first held more than
 * `maxHoldHours` ago: then dead-letter it. `heldSince` is the message's `held_since`, absent on
 * its first hold (the hold starts now); a value that is not a date restarts the clock rather than
 * expiring the message at once. Only a message about to be held again can expire: one the gate
 * lets through is sent however long it waited.
 */
export function decideHold(
  heldSince: string | undefined,
  nowMs: number,
  gateWaitMs: number,
  random: number,
  maxHoldHours: number,
  cause: HoldCause,
): HoldDecision {
  const started = heldSince === undefined ? NaN : Date.parse(heldSince);
  const since = Number.isFinite(started) ? heldSince! : new Date(nowMs).toISOString();
  if (Number.isFinite(started) && nowMs - started > maxHoldHours * 3_600_000) {
    return { action: "dead-letter", reason: `destination unavailable for more than ${maxHoldHours} h (${cause}); held since ${since}` };
  }
  const spread = Math.min(Math.max(random, 0), 1) * HOLD_SPREAD_SECONDS;
  return { action: "hold", heldSince: since, delaySeconds: Math.max(1, clampDelay(Math.max(gateWaitMs, 0) / 1000 + spread)) };
}

/**
 * Whether an envelope `type` passes an app's `forward_types` (pure): absent lets every type
 * through; an entry matches exactly, or, ending in `*`, as a prefix (`dm.*`). Case sensitive, as
 * X's names are. Unknown names are accepted by the config (X adds types), so a typo silently
 * matches nothing.
 */
export function matchesForwardTypes(patterns: readonly string[] | undefined, type: string): boolean {
  if (patterns === undefined) return true;
  return patterns.some((p) => (p.endsWith("*") ? type.startsWith(p.slice(0, -1)) : type === p));
}

/** Whether the publisher puts an envelope of `app` and `type` on FORWARD (pure). */
export function shouldForward(config: Pick<Config, "apps" | "forward">, app: string, type: string): boolean {
  return forwardFor(config, app) !== null && matchesForwardTypes(config.apps.get(app)?.forwardTypes, type);
}
