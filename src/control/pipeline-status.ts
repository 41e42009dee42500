/**
 * Pipeline status, read by GET /admin/pipeline (src/admin/pipeline.ts) and the cron's pipeline
 * check alike (a core both shells call; the cron never imports admin/): does the pipeline keep up, and are the forward destinations up? Each queue's
 * backlog (from the producer binding's `metrics()`), each forward destination's circuit breaker
 * (one per URL, with the apps forwarding there), and the
 * number of stored dead letters. Read by the dashboard's Pipeline section, the CLI's `pipeline`
 * command and the cron's pipeline check (src/cron/pipeline-check.ts), which reads it the same way.
 *
 * A part that cannot be read answers `{error: "unavailable"}` in its place, never a 500 and never
 * the internal message: an operator looking at a struggling pipeline needs the parts that work.
 * Forward destinations are shown by host only: a FORWARD_URL or `forward_url` may carry a token in its path or query.
 */
import { forwardDestinations, type Config } from "../config.ts";
import { ingestBinding } from "../config-pipeline.ts";
import type { BreakerPhase } from "../pipeline/circuit-breaker.ts";
import { deadLetterStore } from "../pipeline/dead-letter.ts";
import { FORWARD_GATE_INSTANCE } from "../pipeline/forward.ts";
import type { GateInspection } from "../pipeline/forward-gate-store.ts";

/** Our queues, by producer binding (wrangler.toml `[[queues.producers]]`), with one ingest queue. */
export const PIPELINE_QUEUES = [
  { binding: "INGEST", queue: "aae-ingest" },
  { binding: "EVENTS", queue: "aae-events" },
  { binding: "FORWARD", queue: "aae-forward" },
  { binding: "DEAD_LETTER", queue: "aae-dead-letter" },
] as const;

/** A producer binding: one of PIPELINE_QUEUES', or INGEST_2 ... INGEST_<n> (`INGEST_QUEUES`). */
export type QueueBinding = string;
export interface PipelineQueue {
  binding: QueueBinding;
  queue: string;
}
/**
 * Where the backlogs are read: the env's producer bindings (tests may stand in for them). Any
 * object: a binding it lacks, or one without `metrics()`, reads as unavailable.
 */
export type QueueMetricsSource = object;

/**
 * Every queue to watch: with `INGEST_QUEUES` = n, aae-ingest-2 ... aae-ingest-<n> (bindings
 * INGEST_2 ...) follow aae-ingest, so a stalled one shows and alerts like the first.
 */
export function pipelineQueues(ingestQueues: number = 1): PipelineQueue[] {
  const extra = Array.from({ length: Math.max(0, ingestQueues - 1) }, (_, k) => ({ binding: ingestBinding(k + 1), queue: `aae-ingest-${k + 2}` }));
  return [PIPELINE_QUEUES[0], ...extra, ...PIPELINE_QUEUES.slice(1)];
}

export type QueueStatus =
  | {
      queue: string;
      binding: QueueBinding;
      backlog_count: number;
      backlog_bytes: number;
      /** ISO time of the oldest message waiting; null when none or not reported. */
      oldest_message_at: string | null;
      oldest_age_seconds: number | null;
    }
  | { queue: string; binding: QueueBinding; error: "unavailable" };

export type ForwardStatus =
  | {
      destination_host: string;
      /** The apps forwarding to this destination (APPS order). */
      apps: string[];
      phase: BreakerPhase;
      /** ISO: when an open circuit lets a probe through; null when closed. */
      open_until: string | null;
      /** ISO: when the current outage began (circuit first opened); null when closed. */
      open_since: string | null;
      cool_down_ms: number;
      failures: number;
    }
  | { destination_host: string; apps: string[]; error: "unavailable" };

export interface PipelineStatus {
  at: string;
  queues: QueueStatus[];
  /** Every forward destination (one per URL: apps sharing one share its circuit); [] when nothing is forwarded. */
  forward_destinations: ForwardStatus[];
  /** The first of `forward_destinations`, or null: kept for readers of the one-destination shape (the CLI). */
  forward: ForwardStatus | null;
  dead_letters: { total: number } | { error: "unavailable" };
}

/** Epoch ms of a reported timestamp: typed Date, but Miniflare reports an ISO string. */
function epochMs(t: unknown): number | null {
  if (t === undefined || t === null) return null;
  const ms = t instanceof Date ? t.getTime() : typeof t === "string" || typeof t === "number" ? new Date(t).getTime() : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** One queue's backlog from its metrics (pure). Oldest time only while messages wait. */
export function queueStatus(q: PipelineQueue, m: QueueMetrics, nowMs: number): QueueStatus {
  const oldest = m.backlogCount > 0 ? epochMs(m.oldestMessageTimestamp) : null;
  return {
    queue: q.queue,
    binding: q.binding,
    backlog_count: m.backlogCount,
    backlog_bytes: m.backlogBytes,
    oldest_message_at: oldest === null ? null : new Date(oldest).toISOString(),
    oldest_age_seconds: oldest === null ? null : Math.max(0, Math.floor((nowMs - oldest) / 1000)),
  };
}

/** The host (and port) of the destination: never its path, query or credentials. */
export function destinationHost(url: string): string {
  return new URL(url).host;
}

/** The forward status from the gate's inspection (pure). */
export function forwardStatus(url: string, g: GateInspection, apps: string[] = []): ForwardStatus {
  return {
    destination_host: destinationHost(url),
    apps,
    phase: g.phase,
    open_until: g.openUntil === 0 ? null : new Date(g.openUntil).toISOString(),
    open_since: g.openSince === 0 ? null : new Date(g.openSince).toISOString(),
    cool_down_ms: g.coolDownMs,
    failures: g.failures,
  };
}

async function readQueue(q: PipelineQueue, source: QueueMetricsSource, nowMs: number): Promise<QueueStatus> {
  const binding: unknown = (source as Record<string, unknown>)[q.binding];
  if (binding === null || typeof binding !== "object" || typeof (binding as { metrics?: unknown }).metrics !== "function") {
    // parseConfig requires every INGEST_<i> INGEST_QUEUES names; a stand-in source may lack one.
    console.error(JSON.stringify({ msg: "queue metrics unavailable", queue: q.queue, error: `no producer binding ${q.binding}` }));
    return { queue: q.queue, binding: q.binding, error: "unavailable" };
  }
  try {
    return queueStatus(q, await (binding as Pick<Queue, "metrics">).metrics(), nowMs);
  } catch (err) {
    console.error(JSON.stringify({ msg: "queue metrics unavailable", queue: q.queue, error: err instanceof Error ? err.name : "unknown" }));
    return { queue: q.queue, binding: q.binding, error: "unavailable" };
  }
}

/** Every queue's backlog (each ingest queue's too); a queue whose metrics cannot be read is `unavailable`. */
export function queueStatuses(source: QueueMetricsSource, nowMs: number, ingestQueues: number = 1): Promise<QueueStatus[]> {
  return Promise.all(pipelineQueues(ingestQueues).map((q) => readQueue(q, source, nowMs)));
}

/** The gate's raw inspection (the cron needs `probeUntil` too), or null when it cannot be read. */
export async function inspectGate(env: Env, url: string): Promise<GateInspection | null> {
  try {
    return await env.DEAD_LETTERS.getByName(FORWARD_GATE_INSTANCE).gateInspect(url);
  } catch (err) {
    console.error(JSON.stringify({ msg: "forward gate unavailable", error: err instanceof Error ? err.name : "unknown" }));
    return null;
  }
}

export async function pipelineStatus(env: Env, config: Pick<Config, "apps" | "forward" | "ingestQueues">, nowMs: number, source: QueueMetricsSource = env): Promise<PipelineStatus> {
  const destinations = forwardDestinations(config);
  const [queues, gates, deadLetters] = await Promise.all([
    queueStatuses(source, nowMs, config.ingestQueues ?? 1),
    Promise.all(destinations.map((d) => inspectGate(env, d.url))),
    deadLetterStore(env).count().then(
      (total) => ({ total }),
      () => ({ error: "unavailable" as const }),
    ),
  ]);
  const forward = destinations.map(({ url, apps }, i): ForwardStatus => {
    const gate = gates[i] ?? null;
    return gate === null ? { destination_host: destinationHost(url), apps, error: "unavailable" } : forwardStatus(url, gate, apps);
  });
  return { at: new Date(nowMs).toISOString(), queues, forward_destinations: forward, forward: forward[0] ?? null, dead_letters: deadLetters };
}
