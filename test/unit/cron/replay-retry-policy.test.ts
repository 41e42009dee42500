/**
 * Retrying a delivery gap whose Replay ended Incomplete (src/cron/revalidate-policy.ts), as
 * pure functions: back-off after each failure, the bound on tries, the lookback, and how a
 * retry goes through the same planReplay path (and rules) as a first try.
 */
import { describe, expect, it } from "vitest";
import {
  MAX_REPLAY_TRIES,
  REPLAY_RETRY_BACKOFF_MS,
  decideRetry,
  gapsToGiveUp,
  planReplay,
  replayRetryBackoffMs,
} from "../../../src/cron/revalidate-policy.ts";
import type { GapRow } from "../../../src/state/registry-schema.ts";

const H = 3_600_000;
const M = 60_000;
const NOW = Date.parse("2026-03-10T12:00:00.000Z");
const iso = (ms: number): string => new Date(ms).toISOString();

/** A gap [from, to] whose `tries`-th Replay ended Incomplete at `failedAt`. */
const failed = (id: number, from: number, to: number, tries: number, failedAt: number | null): GapRow => ({
  id, webhook_id: "w1", from_at: iso(from), to_at: iso(to), state: "failed", job_id: `j${id}`,
  note: "replay job Incomplete: x side", tries, failed_at: failedAt === null ? null : iso(failedAt),
});
const closed = (id: number, from: number, to: number): GapRow =>
  ({ id, webhook_id: "w1", from_at: iso(from), to_at: iso(to), state: "closed", job_id: null, note: null, tries: 0, failed_at: null });

describe("replayRetryBackoffMs", () => {
  it("waits 1 h after the first failure and 4 h after the second (and later ones)", () => {
    expect(MAX_REPLAY_TRIES).toBe(3);
    expect(REPLAY_RETRY_BACKOFF_MS).toEqual([H, 4 * H]);
    expect(replayRetryBackoffMs(1)).toBe(H);
    expect(replayRetryBackoffMs(2)).toBe(4 * H);
    expect(replayRetryBackoffMs(5)).toBe(4 * H);
    expect(replayRetryBackoffMs(0)).toBe(0);
  });
});

describe("decideRetry", () => {
  const gap = (tries: number, failedAgoMs: number) => failed(1, NOW - 6 * H, NOW - 5 * H, tries, NOW - failedAgoMs);

  it("backs off 1 h after the first failure, then retries", () => {
    expect(decideRetry(gap(1, H - M), "v2", NOW)).toEqual({ kind: "backoff", until: iso(NOW + M) });
    expect(decideRetry(gap(1, H), "v2", NOW)).toEqual({ kind: "retry" });
  });

  it("backs off 4 h after the second failure, then retries", () => {
    expect(decideRetry(gap(2, 4 * H - M), "v2", NOW)).toEqual({ kind: "backoff", until: iso(NOW + M) });
    expect(decideRetry(gap(2, 2 * H), "v2", NOW)).toMatchObject({ kind: "backoff" });
    expect(decideRetry(gap(2, 4 * H), "v2", NOW)).toEqual({ kind: "retry" });
  });

  it("gives up once the gap has had MAX_REPLAY_TRIES tries, however long ago", () => {
    const d = decideRetry(gap(MAX_REPLAY_TRIES, 10 * H), "v2", NOW);
    expect(d).toMatchObject({ kind: "give_up", reason: expect.stringContaining(`${MAX_REPLAY_TRIES} times`) });
    expect(decideRetry(gap(MAX_REPLAY_TRIES + 1, 10 * H), "v2", NOW)).toMatchObject({ kind: "give_up" });
    expect(decideRetry(gap(MAX_REPLAY_TRIES - 1, 10 * H), "v2", NOW)).toEqual({ kind: "retry" });
  });

  it("gives up once the window has wholly left X's lookback; still retries one partly inside", () => {
    // v2 looks back 24 h (less a 5-minute margin).
    const gone = failed(1, NOW - 30 * H, NOW - 24 * H + 4 * M, 1, NOW - 5 * H);
    expect(decideRetry(gone, "v2", NOW)).toMatchObject({ kind: "give_up", reason: expect.stringContaining("lookback") });
    const partly = failed(1, NOW - 30 * H, NOW - 23 * H, 1, NOW - 5 * H);
    expect(decideRetry(partly, "v2", NOW)).toEqual({ kind: "retry" });
    // Enterprise looks back 5 days: the same window is still replayable.
    expect(decideRetry(gone, "v1.1-enterprise", NOW)).toEqual({ kind: "retry" });
  });

  it("treats a failed gap with no recorded failure time as past its back-off, still bounded by tries", () => {
    expect(decideRetry(failed(1, NOW - 6 * H, NOW - 5 * H, 1, null), "v2", NOW)).toEqual({ kind: "retry" });
    expect(decideRetry(failed(1, NOW - 6 * H, NOW - 5 * H, 0, null), "v2", NOW)).toEqual({ kind: "retry" });
    expect(decideRetry(failed(1, NOW - 6 * H, NOW - 5 * H, MAX_REPLAY_TRIES, null), "v2", NOW)).toMatchObject({ kind: "give_up" });
  });
});

describe("gapsToGiveUp", () => {
  it("names only failed gaps out of tries or out of the lookback", () => {
    const gaps = [
      failed(1, NOW - 6 * H, NOW - 5 * H, MAX_REPLAY_TRIES, NOW - 5 * H),
      failed(2, NOW - 30 * H, NOW - 25 * H, 1, NOW - 20 * H),
      failed(3, NOW - 6 * H, NOW - 5 * H, 1, NOW - 10 * M),
      failed(4, NOW - 6 * H, NOW - 5 * H, 2, NOW - 5 * H),
      closed(5, NOW - 30 * H, NOW - 25 * H),
      { ...failed(6, NOW - 6 * H, NOW - 5 * H, MAX_REPLAY_TRIES, NOW - 5 * H), state: "given_up" as const },
    ];
    expect(gapsToGiveUp("v2", gaps, NOW).map((g) => g.gapId)).toEqual([1, 2]);
  });
});

describe("planReplay with failed gaps", () => {
  it("requests a failed gap again once its back-off has passed, clipped and rounded like a first try", () => {
    const g = failed(7, NOW - 3 * H + 30_000, NOW - 2 * H + 30_000, 1, NOW - H);
    expect(planReplay({ flavour: "v2", gaps: [g], jobOpen: false, nowMs: NOW }))
      .toEqual({ kind: "request", gapId: 7, from: new Date(NOW - 3 * H), to: new Date(NOW - 2 * H + M), clipped: false });
    const old = failed(8, NOW - 30 * H, NOW - 2 * H, 1, NOW - H);
    expect(planReplay({ flavour: "v2", gaps: [old], jobOpen: false, nowMs: NOW })).toMatchObject({ kind: "request", gapId: 8, clipped: true });
  });

  it("waits (does not request) while the back-off runs, and says until when", () => {
    const g = failed(7, NOW - 3 * H, NOW - 2 * H, 2, NOW - H);
    expect(planReplay({ flavour: "v2", gaps: [g], jobOpen: false, nowMs: NOW }))
      .toEqual({ kind: "wait", gapId: 7, reason: `retry of a failed Replay backs off until ${iso(NOW + 3 * H)}` });
  });

  it("keeps one job at a time for retries too", () => {
    const g = failed(7, NOW - 3 * H, NOW - 2 * H, 1, NOW - 2 * H);
    expect(planReplay({ flavour: "v2", gaps: [g], jobOpen: true, nowMs: NOW })).toMatchObject({ kind: "wait", reason: expect.stringContaining("open") });
  });

  it("does not let a backing-off or exhausted failed gap hold up a closed one", () => {
    const gaps = [
      failed(1, NOW - 8 * H, NOW - 7 * H, 1, NOW - 10 * M),
      failed(2, NOW - 6 * H, NOW - 5 * H, MAX_REPLAY_TRIES, NOW - 5 * H),
      closed(3, NOW - 4 * H, NOW - 3 * H),
    ];
    expect(planReplay({ flavour: "v2", gaps, jobOpen: false, nowMs: NOW })).toMatchObject({ kind: "request", gapId: 3 });
  });

  it("never requests an exhausted or out-of-lookback failed gap (gapsToGiveUp handles them)", () => {
    const gaps = [failed(1, NOW - 6 * H, NOW - 5 * H, MAX_REPLAY_TRIES, NOW - 5 * H), failed(2, NOW - 30 * H, NOW - 25 * H, 1, NOW - 20 * H)];
    expect(planReplay({ flavour: "v2", gaps, jobOpen: false, nowMs: NOW })).toEqual({ kind: "none" });
  });
});
