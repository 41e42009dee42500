/**
 * Summary statistics for the load runs. Pure: numbers in, numbers out.
 *
 * Percentiles use the nearest-rank method on a sorted copy, so p99 is a latency some request
 * actually had (no interpolation between two samples that may be far apart in a tail).
 */

/** Nearest-rank percentile of `sorted` (ascending), `p` in (0, 100]. NaN for no samples. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  const i = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[i] ?? Number.NaN;
}

/** Median of a few run results (the middle one; mean of the two middle ones when even). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  if (s.length % 2 === 1) return s[mid] ?? Number.NaN;
  return ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2;
}

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** p50/p99/max/mean of latency samples in milliseconds. Sorts `samples` in place (it is ours). */
export function summarizeLatencies(samples: Float64Array): LatencySummary {
  samples.sort();
  let sum = 0;
  for (const v of samples) sum += v;
  return {
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    maxMs: samples.length === 0 ? Number.NaN : (samples[samples.length - 1] ?? Number.NaN),
    meanMs: samples.length === 0 ? Number.NaN : sum / samples.length,
  };
}

/** Round for reports: keeps JSON and Markdown readable without pretending to more precision. */
export function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
