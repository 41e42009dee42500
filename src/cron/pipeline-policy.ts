/**
 * Whether the cron run alerts that the pipeline falls behind (`pipeline_backlog`) or that the
 * forward destination is down (`forward_destination_down`): pure (state in, decision out, `now`
 * passed in). Both use `PIPELINE_LAG_ALERT_MINUTES` as their threshold (0: off) and the webhook
 * alerts' throttle (`shouldAlert`, one alert per problem per `alertRepeatMs`).
 *
 * The two are kept apart on purpose: while the forward circuit is not closed, aae-forward's
 * backlog grows because the forwarder holds messages back, which is the destination's outage
 * (the second alert), not a consumer falling behind (the first).
 */
import type { BreakerPhase } from "../pipeline/circuit-breaker.ts";
import { MAX_COOL_DOWN_MS, PROBE_LEASE_MS } from "../pipeline/circuit-breaker.ts";
import { shouldAlert } from "./revalidate-policy.ts";

const MINUTE = 60_000;

/** The queues whose lag means events are late: the ones our own consumers drain. */
export const LAG_QUEUES = ["aae-ingest", "aae-forward"] as const;

/** A lag queue: aae-forward, aae-ingest, or an extra ingest queue aae-ingest-<n> (`INGEST_QUEUES`). */
export function isLagQueue(queue: string): boolean {
  return (LAG_QUEUES as readonly string[]).includes(queue) || /^aae-ingest-\d{1,2}$/.test(queue);
}

export interface QueueLag {
  queue: string;
  count: number;
  /** ISO time of the oldest waiting message; null when none or unknown. */
  oldestAt: string | null;
}

export type PipelineSkip = "off" | "keeping_up" | "throttled" | "not_configured" | "closed" | "idle" | "not_long_enough";

export type PipelineDecision =
  | { alert: true; message: string }
  | { alert: false; reason: PipelineSkip; nextAlertAt?: string };

function lastMsOf(iso: string | null): number | null {
  const t = iso === null ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function minutes(ms: number): string {
  const m = Math.floor(ms / MINUTE);
  return m >= 120 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

function throttled(lastMs: number, alertRepeatMs: number): PipelineDecision {
  return { alert: false, reason: "throttled", nextAlertAt: new Date(lastMs + alertRepeatMs).toISOString() };
}

export interface BacklogInput {
  thresholdMinutes: number;
  queues: readonly QueueLag[];
  /** The forward circuit's phase; null when nothing is forwarded or the gate could not be read. */
  forwardPhase: BreakerPhase | null;
  lastAlertAt: string | null;
  nowMs: number;
  alertRepeatMs: number;
}

/**
 * Alert when the oldest message on an ingest queue or aae-forward waited longer than the threshold.
 * aae-forward is left out while its circuit is open or half-open (held messages wait on purpose).
 * One alert names every lagging queue; only counts and ages, never a message.
 */
export function decideBacklogAlert(input: BacklogInput): PipelineDecision {
  if (input.thresholdMinutes === 0) return { alert: false, reason: "off" };
  const limitMs = input.thresholdMinutes * MINUTE;
  const lagging: { queue: string; count: number; ageMs: number }[] = [];
  for (const q of input.queues) {
    if (!isLagQueue(q.queue)) continue;
    if (q.queue === "aae-forward" && input.forwardPhase !== null && input.forwardPhase !== "closed") continue;
    const oldest = lastMsOf(q.oldestAt);
    if (q.count === 0 || oldest === null) continue;
    const ageMs = input.nowMs - oldest;
    if (ageMs > limitMs) lagging.push({ queue: q.queue, count: q.count, ageMs });
  }
  if (lagging.length === 0) return { alert: false, reason: "keeping_up" };
  const lastMs = lastMsOf(input.lastAlertAt);
  if (!shouldAlert(lastMs, input.nowMs, input)) return throttled(lastMs!, input.alertRepeatMs);
  const what = lagging
    .map((l) => `${l.queue}: ${l.count} message${l.count === 1 ? "" : "s"} waiting, the oldest ${minutes(l.ageMs)} old`)
    .join("; ");
  return {
    alert: true,
    message:
      `The pipeline is falling behind (${what}; threshold ${input.thresholdMinutes} min). ` +
      "Check the consumer's errors in the Worker's logs (wrangler tail) and `account-activity-edge dead-letters list`; " +
      "`account-activity-edge pipeline` shows the backlogs.",
  };
}

/**
 * The one phase the backlog check reads when several destinations are forwarded to (pure): any
 * circuit not closed (open first) exempts aae-forward, whose backlog then includes messages held
 * for that destination on purpose; null when no gate could be read (or nothing is forwarded).
 */
export function combinedForwardPhase(phases: readonly (BreakerPhase | null)[]): BreakerPhase | null {
  if (phases.includes("open")) return "open";
  if (phases.includes("half-open")) return "half-open";
  return phases.includes("closed") ? "closed" : null;
}

export interface ForwardGateView {
  /** The destination's host: never the full URL (it may carry a token). */
  host: string;
  phase: BreakerPhase;
  /** Epoch ms the outage began; 0 when closed. */
  openSince: number;
  openUntil: number;
  probeUntil: number;
}

export interface ForwardDownInput {
  thresholdMinutes: number;
  /** null: nothing is forwarded to this destination (no FORWARD_URL, no app `forward_url`). */
  gate: ForwardGateView | null;
  maxHoldHours: number;
  lastAlertAt: string | null;
  nowMs: number;
  alertRepeatMs: number;
}

/**
 * A half-open circuit whose cool-down ended longer ago than this saw no traffic since: held
 * messages come back when the cool-down ends (and probe), so none are waiting, and the
 * destination's state is unknown rather than down. The next message probes it.
 */
export const IDLE_HALF_OPEN_MS = MAX_COOL_DOWN_MS + PROBE_LEASE_MS;

/**
 * Alert when the forward circuit has been open (or half-open with a probe due or in flight)
 * continuously for longer than the threshold. Throttled per `alertRepeatMs`, except that a new
 * outage (begun after the last alert) alerts at once.
 */
export function decideForwardDownAlert(input: ForwardDownInput): PipelineDecision {
  if (input.thresholdMinutes === 0) return { alert: false, reason: "off" };
  const g = input.gate;
  if (g === null) return { alert: false, reason: "not_configured" };
  if (g.phase === "closed" || g.openSince === 0) return { alert: false, reason: "closed" };
  if (g.phase === "half-open" && g.probeUntil <= input.nowMs && input.nowMs - g.openUntil > IDLE_HALF_OPEN_MS) {
    return { alert: false, reason: "idle" };
  }
  const downMs = input.nowMs - g.openSince;
  if (downMs <= input.thresholdMinutes * MINUTE) return { alert: false, reason: "not_long_enough" };
  const lastMs = lastMsOf(input.lastAlertAt);
  const sameOutage = lastMs !== null && lastMs >= g.openSince;
  if (sameOutage && !shouldAlert(lastMs, input.nowMs, input)) return throttled(lastMs, input.alertRepeatMs);
  const since = new Date(g.openSince).toISOString();
  const deadline = new Date(g.openSince + input.maxHoldHours * 3_600_000).toISOString();
  return {
    alert: true,
    message:
      `The forward destination ${g.host} has been failing since ${since} (${minutes(downMs)}; circuit ${g.phase}). ` +
      `Envelopes are held and retried; one held longer than FORWARD_MAX_HOLD_HOURS (${input.maxHoldHours} h) goes to the ` +
      `dead letters, the first of this outage's around ${deadline}. Check the receiver at ${g.host}; ` +
      "`account-activity-edge pipeline` shows the circuit.",
  };
}
