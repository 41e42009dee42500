/** Latency histograms (src/state/metrics-histogram.ts): buckets, merge, percentiles. */
import { describe, expect, it } from "vitest";
import { addLatency, BUCKETS, bucketOf, bucketUpperMs, histogramCount, mergeHistograms, percentileMs, type Histogram } from "../../../src/state/metrics-histogram.ts";

describe("latency histogram", () => {
  it("puts a latency in the bucket whose upper bound is the first at or above it, within 25%", () => {
    for (const ms of [11, 99, 1000, 2500, 61_000, 3_600_000]) {
      const i = bucketOf(ms);
      expect(bucketUpperMs(i), String(ms)).toBeGreaterThanOrEqual(ms);
      expect(bucketUpperMs(i), String(ms)).toBeLessThanOrEqual(Math.ceil(ms * 1.25) + 1);
      expect(i === 0 || bucketUpperMs(i - 1) < ms, String(ms)).toBe(true);
    }
    expect(bucketOf(-50)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(1e15)).toBe(BUCKETS - 1);
  });

  it("reads p50 and p99 from counts and merges by addition", () => {
    const h: Histogram = {};
    for (let i = 0; i < 98; i++) addLatency(h, 100);
    addLatency(h, 5000);
    addLatency(h, 5000);
    expect(histogramCount(h)).toBe(100);
    expect(percentileMs(h, 0.5)).toBe(bucketUpperMs(bucketOf(100)));
    expect(percentileMs(h, 0.99)).toBe(bucketUpperMs(bucketOf(5000)));
    const merged = mergeHistograms({ ...h }, { [String(bucketOf(5000))]: 100 });
    expect(histogramCount(merged)).toBe(200);
    expect(percentileMs(merged, 0.5)).toBe(bucketUpperMs(bucketOf(5000)));
    expect(percentileMs({}, 0.5)).toBeNull();
  });

  it("ignores keys that are not bucket indexes and counts that are not positive", () => {
    const m = mergeHistograms({}, { "-1": 5, "9999": 5, x: 5, "3": -2, "4": 2 } as Histogram);
    expect(m).toEqual({ "4": 2 });
  });
});
