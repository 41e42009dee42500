/**
 * Per-batch telemetry for the dashboard (state/metrics.ts): a consumer notes what its batch did
 * (events published by type, forward outcomes, dead letters, latencies since `received_at`, the
 * newest envelopes for the live tail) into one BatchMetrics, then `flushBatchMetrics` adds it to
 * the isolate's buffer and sends that in ONE Metrics Durable Object call once METRICS_FLUSH_SECONDS
 * (default 30) have passed since the isolate's last send: never a call or a row per event, and at
 * low rates (batches of one) not a call per batch either, which cost about $6 per million events
 * (bench:cost). The price: charts and the tail lag by up to that long, and what an isolate holds
 * when it is evicted is lost (telemetry only; nothing delivered depends on it).
 *
 * It never throws and never changes an ack or a retry: a failed record is logged and dropped
 * (the charts miss that batch; nothing delivered is affected).
 */
import { getConfig } from "../config.ts";
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

  /** Add another batch's notes to these (the isolate's buffer). */
  absorb(other: BatchMetrics): void {
    for (const c of other.counts.values()) this.count(c.app, c.kind, c.key, c.n);
    for (const [k, l] of other.latencies) {
      const mine = this.latencies.get(k);
      if (mine === undefined) {
        this.latencies.set(k, { app: l.app, kind: l.kind, histogram: { ...l.histogram } });
        continue;
      }
      for (const [bucket, n] of Object.entries(l.histogram)) mine.histogram[bucket] = (Object.hasOwn(mine.histogram, bucket) ? mine.histogram[bucket]! : 0) + n;
    }
    this.tail = [...this.tail, ...other.tail].slice(-TAIL_PER_BATCH);
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

/** The isolate's buffer: batches' notes wait here until the next send is due. */
const isolateBuffer = { metrics: new BatchMetrics(), lastSentMs: Number.NEGATIVE_INFINITY };

/** Add the batch's notes to the isolate's buffer; send it in one call when due. Never throws. */
export async function flushBatchMetrics(env: Env, metrics: BatchMetrics, nowMs: number = Date.now()): Promise<void> {
  let flushSeconds = 0;
  try {
    flushSeconds = getConfig(env).metricsFlushSeconds;
  } catch {
    // A config error is reported by every request; here it only means "send now".
  }
  isolateBuffer.metrics.absorb(metrics);
  if (flushSeconds > 0 && nowMs - isolateBuffer.lastSentMs < flushSeconds * 1000) return;
  const record = isolateBuffer.metrics.toRecord();
  if (record === null) return;
  isolateBuffer.metrics = new BatchMetrics();
  isolateBuffer.lastSentMs = nowMs;
  try {
    await env.METRICS.getByName(METRICS_INSTANCE).record(record);
  } catch (error) {
    console.error(JSON.stringify({ msg: "metrics record failed; dropped", error: String(error) }));
  }
}
