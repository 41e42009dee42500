/**
 * Circuit breaker for one forwarding destination: a pure state machine (`now` passed in). The
 * state lives in a Durable Object (see `ForwardGate` in src/state/forward-gate.ts) so every isolate
 * and every consumer invocation agrees on it.
 *
 * closed --(FAILURE_THRESHOLD consecutive failures)--> open
 * open   --(cool-down elapsed)--> half-open: exactly one probe request is let through
 * half-open --probe succeeds--> closed;  --probe fails--> open again, cool-down doubled (capped)
 * While open, messages are not sent at all: they are held (re-queued as delayed copies, which
 * costs no queue attempt; src/pipeline/forward.ts) until the remaining cool-down has passed, so a
 * dead destination gets one request per cool-down instead of a retry storm.
 */

export const FAILURE_THRESHOLD = 5;
export const BASE_COOL_DOWN_MS = 30_000;
export const MAX_COOL_DOWN_MS = 15 * 60_000;
/** A probe that never reports back (its consumer crashed) stops blocking after this long. */
export const PROBE_LEASE_MS = 60_000;

export interface BreakerState {
  /** Consecutive failures while closed. */
  failures: number;
  /** Epoch ms until which the circuit is open; 0 when closed. */
  openUntil: number;
  /** Current cool-down length, doubled on each failed probe. */
  coolDownMs: number;
  /** Epoch ms until which a half-open probe is in flight; 0 when none. */
  probeUntil: number;
}

export const CLOSED: BreakerState = { failures: 0, openUntil: 0, coolDownMs: BASE_COOL_DOWN_MS, probeUntil: 0 };

export type BreakerPhase = "closed" | "open" | "half-open";

export function phase(s: BreakerState, now: number): BreakerPhase {
  if (s.openUntil === 0) return "closed";
  return now < s.openUntil ? "open" : "half-open";
}

/**
 * How many of `wanted` requests may go now. Closed: all. Open: none, retry after the rest of the
 * cool-down. Half-open: one probe, unless one is already in flight.
 */
export function admit(
  s: BreakerState,
  wanted: number,
  now: number,
): { state: BreakerState; allowed: number; retryAfterMs: number } {
  switch (phase(s, now)) {
    case "closed":
      return { state: s, allowed: wanted, retryAfterMs: 0 };
    case "open":
      return { state: s, allowed: 0, retryAfterMs: s.openUntil - now };
    case "half-open":
      if (s.probeUntil > now || wanted === 0) {
        return { state: s, allowed: 0, retryAfterMs: Math.max(s.probeUntil - now, 1000) };
      }
      return { state: { ...s, probeUntil: now + PROBE_LEASE_MS }, allowed: 1, retryAfterMs: PROBE_LEASE_MS };
  }
}

/** Fold the outcomes of sent requests (true = destination healthy), in order. */
export function record(s: BreakerState, outcomes: readonly boolean[], now: number): BreakerState {
  let st = s;
  for (const healthy of outcomes) {
    const p = phase(st, now);
    if (healthy) {
      // Any success proves the destination is back: close and reset the cool-down.
      st = { ...CLOSED };
    } else if (p === "closed") {
      const failures = st.failures + 1;
      st = failures >= FAILURE_THRESHOLD
        ? { failures, openUntil: now + st.coolDownMs, coolDownMs: st.coolDownMs, probeUntil: 0 }
        : { ...st, failures };
    } else if (p === "half-open") {
      const coolDownMs = Math.min(st.coolDownMs * 2, MAX_COOL_DOWN_MS);
      st = { failures: st.failures, openUntil: now + coolDownMs, coolDownMs, probeUntil: 0 };
    }
    // Failures reported while open (requests sent before it opened) change nothing.
  }
  return st;
}
