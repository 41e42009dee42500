/**
 * Per-batch telemetry for the dashboard (state/metrics.ts): a consumer notes what its batch did
 * (events published by type, forward outcomes, dead letters, latencies since `received_at`, the
 * newest envelopes for the live tail) into one BatchMetrics, then `flushBatchMetrics` sends it in
 * ONE Metrics Durable Object call at the end of the batch: never a call or a row per event.
 *
 * It never throws and never changes an ack or a retry: a failed record is logged and dropped
 * (the charts miss that batch; nothing delivered is affected).
 */
import type { Envelope } from "../events/envelope.ts";
import { serialiseEnvelope } from "../events/normalise.ts";
import { summariseEnvelope } from "../events/tail-view.ts";
import { addLatency } from "../state/metrics-histogram.ts";
import { METRICS_INSTANCE, TAIL_PER_BATCH, type CountDelta, type CountKind, type LatencyDelta, type LatencyKind, type MetricsRecord, type TailEntry } from "../state/metrics.ts";

/** Largest envelope kept whole in the tail; a bigger one is kept as its summary and size. */
export const TAIL_ENVELOPE_MAX_CHARS = 32 * 1024;

/** What became of a forward attempt (or of a message the gate held back). */
export type ForwardOutcome = "delivered" | "retried" | "held" | "dead_lettered";

/** The envelope's top-level `received_at` from its serialised text (it precedes `event`, see normalise.ts). */
export function receivedAtOf(json: string): string | null {
  const m = /"received_at":"([^"\\]{1,40})"/.exec(json);
  return m?.[1] ?? null;
}

export class BatchMetrics {
  private readonly counts = new Map<string, CountDelta>();
  private readonly latencies = new Map<string, LatencyDelta>();
  private tail: TailEntry[] = [];

  constructor(private readonly now: () => number = () => Date.now()) {}

  count(app: string, kind: CountKind, key: string, n = 1): void {
    const k = JSON.stringify([app, kind, key]);
    const c = this.counts.get(k);
    if (c === undefined) this.counts.set(k, { app, kind, key, n });
    else c.n += n;
  }

  /** One latency from `receivedAt` (ISO) to now; ignored when unparseable. */
  latency(app: string, kind: LatencyKind, receivedAt: string | null): void {
    const t = receivedAt === null ? NaN : Date.parse(receivedAt);
    if (Number.isNaN(t)) return;
    const k = JSON.stringify([app, kind]);
    const l = this.latencies.get(k) ?? { app, kind, histogram: {} };
    addLatency(l.histogram, this.now() - t);
    this.latencies.set(k, l);
  }

  /** Envelopes published to EVENTS: counted by type, timed, and the newest kept for the tail. */
  published(envelopes: readonly Envelope[]): void {
    for (const e of envelopes) {
      this.count(e.app, "event", e.type);
      this.latency(e.app, "publish", e.received_at);
    }
    const newest = envelopes.slice(-TAIL_PER_BATCH).map(tailEntry);
    this.tail = [...this.tail, ...newest].slice(-TAIL_PER_BATCH);
  }

  /** A forward outcome; `json` (the envelope sent) times a delivered one. */
  forwarded(app: string, outcome: ForwardOutcome, json?: string): void {
    this.count(app, "forward", outcome);
    if (outcome === "delivered" && json !== undefined) this.latency(app, "forward", receivedAtOf(json));
  }

  /** The batch's record, or null when it noted nothing. */
  toRecord(): MetricsRecord | null {
    if (this.counts.size === 0 && this.latencies.size === 0 && this.tail.length === 0) return null;
    return { at: this.now(), counts: [...this.counts.values()], latencies: [...this.latencies.values()], tail: this.tail };
  }
}

function tailEntry(e: Envelope): TailEntry {
  const summary = summariseEnvelope(e);
  let json = serialiseEnvelope(e);
  if (json.length > TAIL_ENVELOPE_MAX_CHARS) {
    json = JSON.stringify({ id: e.id, app: e.app, type: e.type, for_user_id: e.for_user_id, received_at: e.received_at, event: `(not kept for the tail: ${json.length} characters)` });
  }
  return { id: e.id, app: e.app, type: e.type, for_user_id: e.for_user_id, received_at: e.received_at, summary, json };
}

/** Send the batch's record in one call. Never throws. */
export async function flushBatchMetrics(env: Env, metrics: BatchMetrics): Promise<void> {
  const record = metrics.toRecord();
  if (record === null) return;
  try {
    await env.METRICS.getByName(METRICS_INSTANCE).record(record);
  } catch (error) {
    console.error(JSON.stringify({ msg: "metrics record failed; dropped", error: String(error) }));
  }
}
