import { describe, expect, it } from "vitest";
import {
  backoffSeconds,
  clampDelay,
  FORWARD_BACKOFF,
  INGEST_BACKOFF,
  MAX_QUEUE_DELAY_SECONDS,
  parseRetryAfter,
} from "../../../src/pipeline/retry.ts";

describe("backoffSeconds", () => {
  it("doubles per attempt, with equal jitter between half and all of the step", () => {
    const policy = { baseSeconds: 10, ceilingSeconds: 10_000 };
    for (const [attempts, step] of [[1, 10], [2, 20], [3, 40], [6, 320]] as const) {
      expect(backoffSeconds(attempts, policy, 0)).toBe(step / 2);
      expect(backoffSeconds(attempts, policy, 0.999999)).toBe(step);
      const mid = backoffSeconds(attempts, policy, 0.5);
      expect(mid).toBeGreaterThan(step / 2);
      expect(mid).toBeLessThan(step);
    }
  });

  it("never exceeds the ceiling, however many attempts", () => {
    for (const attempts of [10, 20, 100, 5000]) {
      expect(backoffSeconds(attempts, FORWARD_BACKOFF, 0.999999)).toBeLessThanOrEqual(FORWARD_BACKOFF.ceilingSeconds);
      expect(backoffSeconds(attempts, INGEST_BACKOFF, 0.999999)).toBe(INGEST_BACKOFF.ceilingSeconds);
    }
  });

  it("never exceeds the platform's 12 h retry delay limit", () => {
    expect(backoffSeconds(40, { baseSeconds: 60, ceilingSeconds: 10 ** 9 }, 0.999999)).toBe(MAX_QUEUE_DELAY_SECONDS);
    expect(backoffSeconds(40, { baseSeconds: 60, ceilingSeconds: 10 ** 9 }, 0)).toBe(MAX_QUEUE_DELAY_SECONDS / 2);
  });

  it("is never zero: a retry always waits", () => {
    expect(backoffSeconds(1, INGEST_BACKOFF, 0)).toBeGreaterThanOrEqual(1);
    expect(backoffSeconds(0, INGEST_BACKOFF, 0)).toBeGreaterThanOrEqual(1);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-24T12:00:00Z");

  it("reads delay-seconds", () => {
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter(" 7 ", now)).toBe(7);
  });

  it("reads an HTTP-date relative to now", () => {
    expect(parseRetryAfter("Tue, 24 Nov 2026 12:01:30 GMT", now)).toBe(90);
  });

  it("treats a past date as now", () => {
    expect(parseRetryAfter("Tue, 24 Nov 2026 11:00:00 GMT", now)).toBe(0);
  });

  it("returns null for absent or unparseable values", () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("", now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
    expect(parseRetryAfter("2026-11-24", now)).toBeNull();
  });

  it("caps huge values at the platform limit", () => {
    expect(parseRetryAfter("999999999", now)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });
});

describe("clampDelay", () => {
  it("rounds up and clamps into [0, 12 h]", () => {
    expect(clampDelay(1.2)).toBe(2);
    expect(clampDelay(-3)).toBe(0);
    expect(clampDelay(Number.NaN)).toBe(0);
    expect(clampDelay(10 ** 7)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });
});
