/**
 * The cron run's deployment-wide pipeline check (one per run): read the queue backlogs and every
 * forward destination's circuit (one per URL; the same reads as GET /admin/pipeline, src/control/pipeline-status.ts), let the pure
 * policy decide (pipeline-policy.ts), raise `pipeline_backlog` and/or `forward_destination_down` (one per destination host),
 * and record when each was raised in the DeadLetters Durable Object's meta, beside the dead-letter
 * alert's marker, so the throttle holds across isolates. `PIPELINE_LAG_ALERT_MINUTES=0`: nothing read.
 */
import { forwardDestinations, getConfig, type Config } from "../config.ts";
import { destinationHost, inspectGate, queueStatuses, type QueueMetricsSource } from "../control/pipeline-status.ts";
import { deadLetterStore } from "../pipeline/dead-letter.ts";
import type { GateInspection } from "../pipeline/forward-gate-store.ts";
import type { DeadLetters } from "../state/dead-letters.ts";
import { raiseAlert } from "./alert.ts";
import { DEPLOYMENT_ALERT_APP } from "./dead-letter-check.ts";
import { combinedForwardPhase, decideBacklogAlert, decideForwardDownAlert, type PipelineDecision, type QueueLag } from "./pipeline-policy.ts";
import { settingsFrom } from "./revalidate-policy.ts";

/** `dead_letters_meta` keys: when each alert was last raised (ISO); the forward one is suffixed `:<host>`. */
export const BACKLOG_ALERT_META = "alert:pipeline_backlog";
export const FORWARD_DOWN_ALERT_META = "alert:forward_destination_down";

export interface PipelineCheckOutcome {
  at: string;
  backlog: { alerted: boolean; reason: string | null };
  /** Over every destination (see `combined`); `forward_destinations` has each one's. */
  forward_down: { alerted: boolean; reason: string | null };
  forward_destinations: DestinationOutcome[];
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
  forward_destination_down: "A forward destination's receiver keeps failing (errors, timeouts): the forwarder's circuit breaker is open.",
} as const;

function outcomeOf(d: PipelineDecision): { alerted: boolean; reason: string | null } {
  if (d.alert) return { alerted: true, reason: null };
  return { alerted: false, reason: d.reason === "throttled" ? `throttled until ${d.nextAlertAt ?? "later"}` : d.reason };
}

/** The alert marker of one destination: the throttle is per destination host. */
export function forwardDownMetaKey(host: string): string {
  return `${FORWARD_DOWN_ALERT_META}:${host}`;
}

export interface DestinationOutcome {
  host: string;
  apps: string[];
  alerted: boolean;
  reason: string | null;
}

/** `forward_down` over every destination: alerted if any was; else the one reason, or each host's. */
function combined(list: readonly DestinationOutcome[]): { alerted: boolean; reason: string | null } {
  if (list.length === 0) return { alerted: false, reason: "not_configured" };
  if (list.some((d) => d.alerted)) return { alerted: true, reason: null };
  if (list.length === 1) return { alerted: false, reason: list[0]!.reason };
  return { alerted: false, reason: list.map((d) => `${d.host}: ${d.reason ?? "-"}`).join("; ") };
}

export async function checkPipeline(env: Env, deps: PipelineCheckDeps = { now: () => Date.now() }): Promise<PipelineCheckOutcome> {
  const config = getConfig(env);
  const nowMs = deps.now();
  const at = new Date(nowMs).toISOString();
  const threshold = config.pipelineLagAlertMinutes;
  if (threshold === 0) return { at, backlog: { alerted: false, reason: "off" }, forward_down: { alerted: false, reason: "off" }, forward_destinations: [] };

  const store = deps.store ?? deadLetterStore(env);
  const destinations = forwardDestinations(config).map((d) => ({ ...d, host: destinationHost(d.url) }));
  const gateOf = deps.gate ?? ((u: string) => inspectGate(env, u));
  const [queues, gates, lastBacklog, lastDowns] = await Promise.all([
    queueStatuses(deps.queues ?? env, nowMs, config.ingestQueues ?? 1),
    Promise.all(destinations.map((d) => gateOf(d.url))),
    store.meta(BACKLOG_ALERT_META),
    Promise.all(destinations.map((d) => store.meta(forwardDownMetaKey(d.host)))),
  ]);
  const lags: QueueLag[] = queues.flatMap((q) =>
    "error" in q ? [] : [{ queue: q.queue, count: q.backlog_count, oldestAt: q.oldest_message_at }],
  );
  const alertRepeatMs = settingsFrom(config).alertRepeatMs;
  const forwardPhase = combinedForwardPhase(gates.map((g) => g?.phase ?? null));
  const backlog = decideBacklogAlert({ thresholdMinutes: threshold, queues: lags, forwardPhase, lastAlertAt: lastBacklog, nowMs, alertRepeatMs });
  if (backlog.alert) await raise(config, deps, store, "pipeline_backlog", backlog.message, BACKLOG_ALERT_META, at);

  const outcomes: DestinationOutcome[] = [];
  // Several destinations on one host share one alert (and one marker): the alert names hosts only.
  const seenHosts = new Set<string>();
  for (const [i, d] of destinations.entries()) {
    const gate = gates[i] ?? null;
    if (gate === null) {
      // A gate that could not be read is not "not configured": say so (inspectGate logged why).
      outcomes.push({ host: d.host, apps: d.apps, alerted: false, reason: "gate unavailable" });
      continue;
    }
    const down = decideForwardDownAlert({
      thresholdMinutes: threshold,
      gate: { host: d.host, phase: gate.phase, openSince: gate.openSince, openUntil: gate.openUntil, probeUntil: gate.probeUntil },
      maxHoldHours: config.forwardMaxHoldHours,
      lastAlertAt: lastDowns[i] ?? null,
      nowMs,
      alertRepeatMs,
    });
    if (down.alert && !seenHosts.has(d.host)) {
      seenHosts.add(d.host);
      await raise(config, deps, store, "forward_destination_down", `${down.message} Apps forwarding there: ${d.apps.join(", ")}.`, forwardDownMetaKey(d.host), at);
    }
    outcomes.push({ host: d.host, apps: d.apps, ...outcomeOf(down) });
  }
  return { at, backlog: outcomeOf(backlog), forward_down: combined(outcomes), forward_destinations: outcomes };
}

async function raise(
  config: Config,
  deps: PipelineCheckDeps,
  store: DurableObjectStub<DeadLetters>,
  problem: keyof typeof CAUSES,
  message: string,
  key: string,
  at: string,
): Promise<void> {
  await raiseAlert({ app: DEPLOYMENT_ALERT_APP, problem, message, cause: CAUSES[problem], at }, config.alertUrl, deps.fetcher);
  // After the alert: a failure in between alerts again next run rather than never.
  await store.setMeta(key, at);
}
