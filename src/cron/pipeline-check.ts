/**
 * The cron run's deployment-wide pipeline check (one per run): read the queue backlogs and the
 * forward circuit (the same reads as GET /admin/pipeline, src/admin/pipeline.ts), let the pure
 * policy decide (pipeline-policy.ts), raise `pipeline_backlog` and/or `forward_destination_down`,
 * and record when each was raised in the DeadLetters Durable Object's meta, beside the dead-letter
 * alert's marker, so the throttle holds across isolates. `PIPELINE_LAG_ALERT_MINUTES=0`: nothing read.
 */
import { getConfig } from "../config.ts";
import { destinationHost, inspectGate, queueStatuses, type QueueMetricsSource } from "../admin/pipeline.ts";
import { deadLetterStore } from "../pipeline/dead-letter.ts";
import type { GateInspection } from "../pipeline/forward-gate-store.ts";
import type { DeadLetters } from "../state/dead-letters.ts";
import { raiseAlert } from "./alert.ts";
import { DEPLOYMENT_ALERT_APP } from "./dead-letter-check.ts";
import { decideBacklogAlert, decideForwardDownAlert, type PipelineDecision, type QueueLag } from "./pipeline-policy.ts";
import { settingsFrom } from "./revalidate-policy.ts";

/** `dead_letters_meta` keys: when each alert was last raised (ISO). */
export const BACKLOG_ALERT_META = "alert:pipeline_backlog";
export const FORWARD_DOWN_ALERT_META = "alert:forward_destination_down";

export interface PipelineCheckOutcome {
  at: string;
  backlog: { alerted: boolean; reason: string | null };
  forward_down: { alerted: boolean; reason: string | null };
}

export interface PipelineCheckDeps {
  now: () => number;
  /** The alert POST; tests inject a recorder (no HTTP receiver can run inside workerd). */
  fetcher?: typeof fetch;
  /** Where the alert markers live; defaults to the deployment's dead-letter store. */
  store?: DurableObjectStub<DeadLetters>;
  /** The forward gate's state; defaults to the `forward-gate` instance. */
  gate?: (url: string) => Promise<GateInspection | null>;
  /** Queue metrics; defaults to the env's producer bindings. */
  queues?: QueueMetricsSource;
}

const CAUSES = {
  pipeline_backlog: "A consumer is failing or too slow: messages wait on its queue.",
  forward_destination_down: "The FORWARD_URL receiver keeps failing (errors, timeouts): the forwarder's circuit breaker is open.",
} as const;

function outcomeOf(d: PipelineDecision): { alerted: boolean; reason: string | null } {
  if (d.alert) return { alerted: true, reason: null };
  return { alerted: false, reason: d.reason === "throttled" ? `throttled until ${d.nextAlertAt ?? "later"}` : d.reason };
}

export async function checkPipeline(env: Env, deps: PipelineCheckDeps = { now: () => Date.now() }): Promise<PipelineCheckOutcome> {
  const config = getConfig(env);
  const nowMs = deps.now();
  const at = new Date(nowMs).toISOString();
  const threshold = config.pipelineLagAlertMinutes;
  if (threshold === 0) return { at, backlog: { alerted: false, reason: "off" }, forward_down: { alerted: false, reason: "off" } };

  const store = deps.store ?? deadLetterStore(env);
  const url = config.forward?.url ?? null;
  const gateOf = deps.gate ?? ((u: string) => inspectGate(env, u));
  const [queues, gate, lastBacklog, lastDown] = await Promise.all([
    queueStatuses(deps.queues ?? env, nowMs),
    url === null ? Promise.resolve(null) : gateOf(url),
    store.meta(BACKLOG_ALERT_META),
    store.meta(FORWARD_DOWN_ALERT_META),
  ]);
  const lags: QueueLag[] = queues.flatMap((q) =>
    "error" in q ? [] : [{ queue: q.queue, count: q.backlog_count, oldestAt: q.oldest_message_at }],
  );
  const alertRepeatMs = settingsFrom(config).alertRepeatMs;
  const backlog = decideBacklogAlert({ thresholdMinutes: threshold, queues: lags, forwardPhase: gate?.phase ?? null, lastAlertAt: lastBacklog, nowMs, alertRepeatMs });
  const down = decideForwardDownAlert({
    thresholdMinutes: threshold,
    gate: url === null || gate === null ? null : { host: destinationHost(url), phase: gate.phase, openSince: gate.openSince, openUntil: gate.openUntil, probeUntil: gate.probeUntil },
    maxHoldHours: config.forwardMaxHoldHours,
    lastAlertAt: lastDown,
    nowMs,
    alertRepeatMs,
  });
  for (const [problem, d, key] of [
    ["pipeline_backlog", backlog, BACKLOG_ALERT_META],
    ["forward_destination_down", down, FORWARD_DOWN_ALERT_META],
  ] as const) {
    if (!d.alert) continue;
    await raiseAlert({ app: DEPLOYMENT_ALERT_APP, problem, message: d.message, cause: CAUSES[problem], at }, config.alertUrl, deps.fetcher);
    // After the alert: a failure in between alerts again next run rather than never.
    await store.setMeta(key, at);
  }
  // A gate that could not be read is not "not configured": say so (inspectGate logged why).
  const downOutcome = url !== null && gate === null ? { alerted: false, reason: "gate unavailable" } : outcomeOf(down);
  return { at, backlog: outcomeOf(backlog), forward_down: downOutcome };
}
