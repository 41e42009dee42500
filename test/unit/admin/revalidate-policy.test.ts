/** Revalidation's decisions (src/cron/revalidate-policy.ts) as pure functions: state in, action out. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.ts";
import { DEFAULT_SETTINGS, decideRecheck, planReplay, settingsFrom, shouldAlert } from "../../../src/cron/revalidate-policy.ts";
import { replayWindowProblem } from "../../../src/admin/replay.ts";
import type { GapRow } from "../../../src/state/registry-schema.ts";

const H = 3_600_000;
const M = 60_000;
const NOW = Date.parse("2026-03-10T12:00:00.000Z");
const iso = (ms: number): string => new Date(ms).toISOString();
const base = { createdAt: iso(NOW - 100 * H), lastRecheckAt: null, nowMs: NOW, settings: DEFAULT_SETTINGS };

describe("decideRecheck", () => {
  it("re-checks an invalid webhook", () => {
    expect(decideRecheck({ ...base, valid: false, lastCrcAt: iso(NOW - M) })).toEqual({ recheck: true, reason: "invalid" });
  });
  it("leaves a valid webhook with a recent CRC alone", () => {
    expect(decideRecheck({ ...base, valid: true, lastCrcAt: iso(NOW - 24 * H) })).toEqual({ recheck: false, reason: null });
  });
  it("re-checks when X's last CRC is older than the threshold (25 h default)", () => {
    expect(decideRecheck({ ...base, valid: true, lastCrcAt: iso(NOW - 25 * H - M) })).toEqual({ recheck: true, reason: "crc_stale" });
  });
  it("re-checks an old webhook that never saw a CRC, not a new one", () => {
    expect(decideRecheck({ ...base, valid: true, lastCrcAt: null })).toEqual({ recheck: true, reason: "no_crc_seen" });
    expect(decideRecheck({ ...base, createdAt: iso(NOW - H), valid: true, lastCrcAt: null }).recheck).toBe(false);
  });
  it("spaces re-checks by the minimum interval, however often it runs", () => {
    const d = decideRecheck({ ...base, valid: false, lastCrcAt: null, lastRecheckAt: iso(NOW - 2 * M) });
    expect(d).toEqual({ recheck: false, reason: "invalid", deferredUntil: iso(NOW - 2 * M + DEFAULT_SETTINGS.minRecheckIntervalMs) });
  });
  it("honours the configured threshold (parseConfig refuses one past X's 28 h: see config.test.ts)", () => {
    const s = settingsFrom(parseConfig({ X_CONSUMER_SECRET: "cs", CRC_STALE_AFTER_SECONDS: "7200" }));
    expect(decideRecheck({ ...base, settings: s, valid: true, lastCrcAt: iso(NOW - 3 * H) }).recheck).toBe(true);
    expect(settingsFrom(parseConfig({ X_CONSUMER_SECRET: "cs", CRC_STALE_AFTER_SECONDS: "" }))).toEqual(DEFAULT_SETTINGS);
  });
});

const gap = (from: number, to: number | null, state: GapRow["state"] = "closed", id = 1): GapRow =>
  ({ id, webhook_id: "w1", from_at: iso(from), to_at: to === null ? null : iso(to), state, job_id: null, note: null, tries: 0, failed_at: null });

describe("planReplay", () => {
  it("requests the closed gap once it is old enough, in whole minutes", () => {
    const p = planReplay({ flavour: "v2", gaps: [gap(NOW - 3 * H + 30_000, NOW - 2 * H + 30_000)], jobOpen: false, nowMs: NOW });
    expect(p).toEqual({ kind: "request", gapId: 1, from: new Date(NOW - 3 * H), to: new Date(NOW - 2 * H + M), clipped: false });
  });
  it("waits while the window end is under 10 minutes old or the start under 31", () => {
    expect(planReplay({ flavour: "v2", gaps: [gap(NOW - H, NOW - 5 * M)], jobOpen: false, nowMs: NOW })).toMatchObject({ kind: "wait" });
    expect(planReplay({ flavour: "v2", gaps: [gap(NOW - 20 * M, NOW - 15 * M)], jobOpen: false, nowMs: NOW })).toMatchObject({ kind: "wait" });
  });
  it("waits while a replay job is open (one per webhook)", () => {
    expect(planReplay({ flavour: "v2", gaps: [gap(NOW - 3 * H, NOW - 2 * H)], jobOpen: true, nowMs: NOW })).toMatchObject({ kind: "wait", reason: expect.stringContaining("open") });
  });
  it("does nothing for an open gap (webhook still down) or no gap", () => {
    expect(planReplay({ flavour: "v2", gaps: [gap(NOW - 3 * H, null, "open")], jobOpen: false, nowMs: NOW })).toEqual({ kind: "none" });
    expect(planReplay({ flavour: "v2", gaps: [], jobOpen: false, nowMs: NOW })).toEqual({ kind: "none" });
  });
  it("skips on premium (no Replay) and when older than the lookback; clips a partly old gap", () => {
    expect(planReplay({ flavour: "v1.1-premium", gaps: [gap(NOW - 3 * H, NOW - 2 * H)], jobOpen: false, nowMs: NOW })).toMatchObject({ kind: "skip" });
    expect(planReplay({ flavour: "v2", gaps: [gap(NOW - 30 * H, NOW - 25 * H)], jobOpen: false, nowMs: NOW })).toMatchObject({ kind: "skip" });
    const p = planReplay({ flavour: "v2", gaps: [gap(NOW - 30 * H, NOW - 2 * H)], jobOpen: false, nowMs: NOW });
    expect(p).toMatchObject({ kind: "request", clipped: true });
    if (p.kind === "request") expect(NOW - p.from.getTime()).toBeLessThan(24 * H);
    expect(planReplay({ flavour: "v1.1-enterprise", gaps: [gap(NOW - 30 * H, NOW - 2 * H)], jobOpen: false, nowMs: NOW })).toMatchObject({ kind: "request", clipped: false });
  });
});

describe("replayWindowProblem (admin replay)", () => {
  it("accepts a window X would accept and names each rule X would break", () => {
    expect(replayWindowProblem("v2", new Date(NOW - 2 * H), new Date(NOW - H), NOW)).toBeNull();
    expect(replayWindowProblem("v2", new Date(NOW - H), new Date(NOW - 2 * H), NOW)).toMatch(/before/);
    expect(replayWindowProblem("v2", new Date(NOW - H), new Date(NOW - 5 * M), NOW)).toMatch(/10 minutes/);
    expect(replayWindowProblem("v2", new Date(NOW - 20 * M), new Date(NOW - 11 * M), NOW)).toMatch(/31 minutes/);
    expect(replayWindowProblem("v2", new Date(NOW - 25 * H), new Date(NOW - H), NOW)).toMatch(/lookback/);
    expect(replayWindowProblem("v1.1-premium", new Date(NOW - 2 * H), new Date(NOW - H), NOW)).toMatch(/no Replay/);
  });
});

describe("shouldAlert", () => {
  it("alerts the first time and again only after the repeat interval", () => {
    expect(shouldAlert(null, NOW, DEFAULT_SETTINGS)).toBe(true);
    expect(shouldAlert(NOW - H, NOW, DEFAULT_SETTINGS)).toBe(false);
    expect(shouldAlert(NOW - DEFAULT_SETTINGS.alertRepeatMs, NOW, DEFAULT_SETTINGS)).toBe(true);
  });
});
