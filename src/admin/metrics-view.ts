/**
 * Pure: the Metrics rows (state/metrics.ts) as the chart series GET /admin/metrics answers,
 * one value per step (a step is one minute or more) from `fromMinute` to `toMinute`, summed over
 * the apps asked for. Missing minutes are 0 counts and null percentiles (nothing to measure).
 */
import { mergeHistograms, percentileMs, histogramCount, type Histogram } from "../state/metrics-histogram.ts";
import type { CountRow, LatencyRow } from "../state/metrics.ts";

export const FORWARD_OUTCOMES = ["delivered", "retried", "held", "dead_lettered"] as const;

export interface LatencySeries {
  p50: (number | null)[];
  p99: (number | null)[];
  /** Over the whole span. */
  total: { count: number; p50_ms: number | null; p99_ms: number | null };
}

export interface MetricsView {
  from: string;
  to: string;
  step_seconds: number;
  /** Start of each step, seconds since the epoch (uPlot's x axis). */
  times: number[];
  /** Published events per step, by envelope type. */
  events: Record<string, number[]>;
  /** Forward outcomes per step. */
  forward: Record<string, number[]>;
  /** Dead letters stored per step, by origin (ingest, forward, unknown). */
  dead_letters: Record<string, number[]>;
  /** Milliseconds from `received_at` to publish on EVENTS, and to a delivered forward. */
  latency: { publish: LatencySeries; forward: LatencySeries };
  totals: { events: Record<string, number>; forward: Record<string, number>; dead_letters: Record<string, number> };
}

export function buildMetricsView(counts: readonly CountRow[], latencies: readonly LatencyRow[], fromMinute: number, toMinute: number, stepMinutes: number): MetricsView {
  const steps = Math.max(1, Math.floor((toMinute - fromMinute) / stepMinutes) + 1);
  const idx = (minute: number) => Math.floor((minute - fromMinute) / stepMinutes);
  const times = Array.from({ length: steps }, (_, i) => (fromMinute + i * stepMinutes) * 60);
  const series = (): number[] => new Array<number>(steps).fill(0);
  // Null-prototype maps: keys are envelope types from X's payloads.
  const events: Record<string, number[]> = Object.create(null) as Record<string, number[]>;
  const forward: Record<string, number[]> = Object.create(null) as Record<string, number[]>;
  const deadLetters: Record<string, number[]> = Object.create(null) as Record<string, number[]>;
  for (const o of FORWARD_OUTCOMES) forward[o] = series();
  const totals = { events: Object.create(null) as Record<string, number>, forward: Object.create(null) as Record<string, number>, dead_letters: Object.create(null) as Record<string, number> };
  for (const r of counts) {
    const i = idx(r.minute);
    if (i < 0 || i >= steps) continue;
    const [target, total] = r.kind === "event" ? [events, totals.events] : r.kind === "forward" ? [forward, totals.forward] : [deadLetters, totals.dead_letters];
    const s = target[r.key] ?? (target[r.key] = series());
    s[i]! += r.n;
    total[r.key] = (total[r.key] ?? 0) + r.n;
  }
  return {
    from: new Date(fromMinute * 60_000).toISOString(),
    to: new Date((toMinute + 1) * 60_000).toISOString(),
    step_seconds: stepMinutes * 60,
    times,
    events,
    forward,
    dead_letters: deadLetters,
    latency: {
      publish: latencySeries(latencies.filter((l) => l.kind === "publish"), steps, idx),
      forward: latencySeries(latencies.filter((l) => l.kind === "forward"), steps, idx),
    },
    totals,
  };
}

function latencySeries(rows: readonly LatencyRow[], steps: number, idx: (minute: number) => number): LatencySeries {
  const perStep: Histogram[] = Array.from({ length: steps }, () => ({}));
  const all: Histogram = {};
  for (const r of rows) {
    const i = idx(r.minute);
    if (i < 0 || i >= steps) continue;
    mergeHistograms(perStep[i]!, r.histogram);
    mergeHistograms(all, r.histogram);
  }
  return {
    p50: perStep.map((h) => percentileMs(h, 0.5)),
    p99: perStep.map((h) => percentileMs(h, 0.99)),
    total: { count: histogramCount(all), p50_ms: percentileMs(all, 0.5), p99_ms: percentileMs(all, 0.99) },
  };
}
