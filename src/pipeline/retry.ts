/**
 * Retry timing for the queue consumers: pure functions, `now` and randomness passed in.
 *
 * Why jitter: when a destination (or a Durable Object) has a bad minute, every message in flight
 * fails together; without jitter they would all come back at the same instant and fail together
 * again. "Equal jitter" (half fixed, half random) keeps a floor under the delay, so a retry is
 * never immediate, while still spreading the herd.
 */

/** Cloudflare Queues refuses a retry or send delay above 12 hours. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

export interface BackoffPolicy {
  /** Delay before the second attempt (attempt 1 failed), in seconds. Doubles each attempt. */
  readonly baseSeconds: number;
  /** No delay exceeds this, jitter included. */
  readonly ceilingSeconds: number;
}

/**
 * Ingest (normalise, dedup, publish): failures are our own storage or queue having a moment, so
 * retry soon, and never wait long: 2, 4, 8, ... capped at 5 minutes. The 10 attempts of the
 * aae-ingest consumer (`max_retries`) span about 15 minutes.
 */
export const INGEST_BACKOFF: BackoffPolicy = { baseSeconds: 2, ceilingSeconds: 300 };

/**
 * Forwarding to the user's endpoint: it may be down for hours (a deploy, an outage), so back off
 * to an hour: 10, 20, 40, ..., 2560, then 3600 s. This counts only requests actually sent: once the
 * circuit breaker opens, messages are held without using attempts (bounded by
 * FORWARD_MAX_HOLD_HOURS), so a long outage costs each message a few attempts, not all 20.
 */
export const FORWARD_BACKOFF: BackoffPolicy = { baseSeconds: 10, ceilingSeconds: 3600 };

/**
 * Delay before the next attempt, after `attempts` attempts have failed (Cloudflare's
 * `message.attempts`, which is 1 on the first delivery). `random` is in [0, 1).
 * Result: an integer in [ceil(d/2), d], d = min(ceiling, base * 2^(attempts-1)).
 */
export function backoffSeconds(attempts: number, policy: BackoffPolicy, random: number): number {
  const n = Math.max(1, Math.floor(attempts));
  // 2^(n-1) overflows to Infinity long after the ceiling is reached; Math.min handles it.
  const uncapped = policy.baseSeconds * 2 ** (n - 1);
  const cap = Math.min(policy.ceilingSeconds, MAX_QUEUE_DELAY_SECONDS, uncapped);
  const r = Math.min(Math.max(random, 0), 1);
  const delay = Math.ceil(cap / 2 + (r * cap) / 2);
  return Math.min(delay, Math.floor(Math.min(policy.ceilingSeconds, MAX_QUEUE_DELAY_SECONDS)));
}

/** Clamp any computed delay into what `retry({delaySeconds})` accepts. */
export function clampDelay(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.min(Math.ceil(seconds), MAX_QUEUE_DELAY_SECONDS);
}

/**
 * Parse an HTTP `Retry-After` header (RFC 9110 section 10.2.3): either delay-seconds or an
 * HTTP-date. Returns whole seconds from `nowMs`, or null when absent or unparseable (the caller
 * then falls back to its backoff). A date in the past means "now": 0.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (v === "") return null;
  if (/^\d+$/.test(v)) return clampDelay(Number(v));
  // HTTP-date always names a weekday and "GMT"; refuse anything else Date.parse might accept.
  if (!/GMT$/.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return clampDelay((at - nowMs) / 1000);
}
