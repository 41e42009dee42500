/**
 * Latency histograms for the Metrics Durable Object: log-spaced buckets, so one app-minute's
 * latencies fit in one small row (a sparse `{bucket: count}` object) and merge by addition, and
 * p50/p99 over any span are read back from the merged counts. Pure: no storage, no clock.
 *
 * Bucket i holds latencies in (upper(i-1), upper(i)] ms with upper(i) = FIRST_MS * GROWTH^i, so a
 * percentile is exact to within one bucket (25%). The last bucket takes everything above
 * (about 6 days, past the forward hold limit).
 */

const FIRST_MS = 10;
const GROWTH = 1.25;
export const BUCKETS = 81;

/** A sparse histogram: bucket index (as a string key) -> count. */
export type Histogram = Record<string, number>;

/** Upper bound of bucket i, ms. */
export function bucketUpperMs(i: number): number {
  return Math.round(FIRST_MS * GROWTH ** i);
}

/** The bucket a latency falls in (negative or NaN -> 0: clocks of two machines may disagree a little). */
export function bucketOf(ms: number): number {
  if (!(ms > FIRST_MS)) return 0;
  const i = Math.ceil(Math.log(ms / FIRST_MS) / Math.log(GROWTH) - 1e-9);
  return Math.min(BUCKETS - 1, Math.max(0, i));
}

/** Add one latency to h (mutates and returns it). */
export function addLatency(h: Histogram, ms: number): Histogram {
  const k = String(bucketOf(ms));
  h[k] = (h[k] ?? 0) + 1;
  return h;
}

/** Merge b into a (mutates and returns a); keys that are not bucket indexes are ignored. */
export function mergeHistograms(a: Histogram, b: Readonly<Histogram>): Histogram {
  for (const [k, n] of Object.entries(b)) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= BUCKETS || !Number.isFinite(n) || n <= 0) continue;
    a[k] = (a[k] ?? 0) + n;
  }
  return a;
}

/** Total count in h. */
export function histogramCount(h: Readonly<Histogram>): number {
  return Object.values(h).reduce((s, n) => s + n, 0);
}

/** The q-quantile (0 < q <= 1) as the upper bound of its bucket, ms; null when h is empty. */
export function percentileMs(h: Readonly<Histogram>, q: number): number | null {
  const total = histogramCount(h);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += h[String(i)] ?? 0;
    if (seen >= rank) return bucketUpperMs(i);
  }
  return bucketUpperMs(BUCKETS - 1);
}
