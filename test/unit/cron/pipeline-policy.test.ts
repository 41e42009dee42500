/**
 * The pipeline alert decisions (src/cron/pipeline-policy.ts): the backlog alert fires past the
 * threshold on aae-ingest/aae-forward only, leaves aae-forward out while its circuit is not
 * closed, is throttled and off at 0; the destination-down alert fires once the outage is longer
 * than the threshold, names the host only, is throttled within one outage but not across two.
 */
import { describe, expect, it } from "vitest";
import { decideBacklogAlert, decideForwardDownAlert, IDLE_HALF_OPEN_MS, type BacklogInput, type ForwardDownInput } from "../../../src/cron/pipeline-policy.ts";
import { DEFAULT_SETTINGS } from "../../../src/cron/revalidate-policy.ts";
import { ConfigError, DEFAULT_PIPELINE_LAG_ALERT_MINUTES, parseConfig } from "../../../src/config.ts";

const M = 60_000;
const H = 60 * M;
const NOW = Date.parse("2026-11-24T20:00:00.000Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function backlog(over: Partial<BacklogInput> = {}): BacklogInput {
  return {
    thresholdMinutes: 30,
    queues: [
      { queue: "aae-ingest", count: 0, oldestAt: null },
      { queue: "aae-forward", count: 0, oldestAt: null },
    ],
    forwardPhase: "closed",
    lastAlertAt: null,
    nowMs: NOW,
    alertRepeatMs: DEFAULT_SETTINGS.alertRepeatMs,
    ...over,
  };
}

describe("decideBacklogAlert", () => {
  it("alerts when aae-ingest's oldest message is older than the threshold, naming queue, count and age", () => {
    const d = decideBacklogAlert(backlog({ queues: [{ queue: "aae-ingest", count: 42, oldestAt: ago(31 * M) }] }));
    expect(d.alert).toBe(true);
    const message = d.alert ? d.message : "";
    expect(message).toContain("aae-ingest: 42 messages waiting, the oldest 31 min old");
    expect(message).toContain("threshold 30 min");
    expect(message).toContain("account-activity-edge dead-letters list");
  });

  it("does not alert at or under the threshold, nor on an empty queue, nor on aae-events / aae-dead-letter", () => {
    expect(decideBacklogAlert(backlog({ queues: [{ queue: "aae-ingest", count: 5, oldestAt: ago(30 * M) }] }))).toEqual({ alert: false, reason: "keeping_up" });
    expect(decideBacklogAlert(backlog({ queues: [{ queue: "aae-ingest", count: 0, oldestAt: ago(5 * H) }] }))).toEqual({ alert: false, reason: "keeping_up" });
    const others = [{ queue: "aae-events", count: 9, oldestAt: ago(5 * H) }, { queue: "aae-dead-letter", count: 9, oldestAt: ago(5 * H) }];
    expect(decideBacklogAlert(backlog({ queues: others }))).toEqual({ alert: false, reason: "keeping_up" });
  });

  it("leaves aae-forward out while its circuit is open or half-open, not while closed", () => {
    const queues = [{ queue: "aae-forward", count: 3, oldestAt: ago(2 * H) }];
    expect(decideBacklogAlert(backlog({ queues, forwardPhase: "open" }))).toEqual({ alert: false, reason: "keeping_up" });
    expect(decideBacklogAlert(backlog({ queues, forwardPhase: "half-open" }))).toEqual({ alert: false, reason: "keeping_up" });
    const closed = decideBacklogAlert(backlog({ queues, forwardPhase: "closed" }));
    expect(closed.alert && closed.message).toContain("aae-forward: 3 messages waiting, the oldest 2 h 0 min old");
  });

  it("is throttled to one alert per alertRepeatMs, and off at 0", () => {
    const queues = [{ queue: "aae-ingest", count: 1, oldestAt: ago(H) }];
    const recent = ago(DEFAULT_SETTINGS.alertRepeatMs - M);
    expect(decideBacklogAlert(backlog({ queues, lastAlertAt: recent }))).toEqual({
      alert: false,
      reason: "throttled",
      nextAlertAt: new Date(Date.parse(recent) + DEFAULT_SETTINGS.alertRepeatMs).toISOString(),
    });
    expect(decideBacklogAlert(backlog({ queues, lastAlertAt: ago(DEFAULT_SETTINGS.alertRepeatMs) })).alert).toBe(true);
    expect(decideBacklogAlert(backlog({ queues, thresholdMinutes: 0 }))).toEqual({ alert: false, reason: "off" });
  });
});

function down(over: Partial<ForwardDownInput> = {}, gate: Partial<NonNullable<ForwardDownInput["gate"]>> = {}): ForwardDownInput {
  return {
    thresholdMinutes: 30,
    gate: { host: "hooks.example.test", phase: "open", openSince: NOW - 45 * M, openUntil: NOW + 5 * M, probeUntil: 0, ...gate },
    maxHoldHours: 96,
    lastAlertAt: null,
    nowMs: NOW,
    alertRepeatMs: DEFAULT_SETTINGS.alertRepeatMs,
    ...over,
  };
}

describe("decideForwardDownAlert", () => {
  it("alerts once the circuit has been open longer than the threshold: host, since when, the hold deadline", () => {
    const d = decideForwardDownAlert(down());
    expect(d.alert).toBe(true);
    const message = d.alert ? d.message : "";
    expect(message).toContain("hooks.example.test has been failing since 2026-11-24T19:15:00.000Z (45 min; circuit open)");
    expect(message).toContain("FORWARD_MAX_HOLD_HOURS (96 h");
    expect(message).toContain(new Date(NOW - 45 * M + 96 * H).toISOString());
  });

  it("does not alert within the threshold, when closed, unconfigured or off", () => {
    expect(decideForwardDownAlert(down({}, { openSince: NOW - 30 * M }))).toEqual({ alert: false, reason: "not_long_enough" });
    expect(decideForwardDownAlert(down({}, { phase: "closed", openSince: 0, openUntil: 0 }))).toEqual({ alert: false, reason: "closed" });
    expect(decideForwardDownAlert(down({ gate: null }))).toEqual({ alert: false, reason: "not_configured" });
    expect(decideForwardDownAlert(down({ thresholdMinutes: 0 }))).toEqual({ alert: false, reason: "off" });
  });

  it("half-open counts while a probe is due or in flight, not once no traffic came for a whole cool-down", () => {
    expect(decideForwardDownAlert(down({}, { phase: "half-open", openUntil: NOW - M })).alert).toBe(true);
    expect(decideForwardDownAlert(down({}, { phase: "half-open", openUntil: NOW - IDLE_HALF_OPEN_MS - M, probeUntil: NOW + M })).alert).toBe(true);
    expect(decideForwardDownAlert(down({}, { phase: "half-open", openUntil: NOW - IDLE_HALF_OPEN_MS - M }))).toEqual({ alert: false, reason: "idle" });
  });

  it("is throttled within one outage, but a new outage (begun after the last alert) alerts at once", () => {
    const lastAlertAt = ago(40 * M);
    expect(decideForwardDownAlert(down({ lastAlertAt }))).toMatchObject({ alert: false, reason: "throttled" });
    expect(decideForwardDownAlert(down({ lastAlertAt: ago(45 * M + DEFAULT_SETTINGS.alertRepeatMs) }, { openSince: NOW - 45 * M - DEFAULT_SETTINGS.alertRepeatMs - H })).alert).toBe(true);
    // The previous alert was about an earlier outage (before this one opened 45 min ago).
    expect(decideForwardDownAlert(down({ lastAlertAt: ago(2 * H) })).alert).toBe(true);
  });
});

describe("PIPELINE_LAG_ALERT_MINUTES (src/config.ts)", () => {
  const BASE = { X_CONSUMER_SECRET: "cs-default" } as const;
  function problem(v: string): string {
    try {
      parseConfig({ ...BASE, PIPELINE_LAG_ALERT_MINUTES: v });
    } catch (err) {
      if (err instanceof ConfigError) return `${err.setting}: ${err.message}`;
      throw err;
    }
    return "accepted";
  }

  it("defaults to 30, blank included; 0 (off) and 1440 are accepted", () => {
    expect(parseConfig(BASE).pipelineLagAlertMinutes).toBe(DEFAULT_PIPELINE_LAG_ALERT_MINUTES);
    expect(DEFAULT_PIPELINE_LAG_ALERT_MINUTES).toBe(30);
    expect(parseConfig({ ...BASE, PIPELINE_LAG_ALERT_MINUTES: " " }).pipelineLagAlertMinutes).toBe(30);
    expect(parseConfig({ ...BASE, PIPELINE_LAG_ALERT_MINUTES: "0" }).pipelineLagAlertMinutes).toBe(0);
    expect(parseConfig({ ...BASE, PIPELINE_LAG_ALERT_MINUTES: "1440" }).pipelineLagAlertMinutes).toBe(1440);
  });

  it("refuses values out of 0..1440 or not whole, naming the setting", () => {
    for (const v of ["1441", "-1", "2.5", "soon"]) expect(problem(v)).toMatch(/^PIPELINE_LAG_ALERT_MINUTES: config: PIPELINE_LAG_ALERT_MINUTES: /);
  });
});

describe("combinedForwardPhase (several destinations)", () => {
  it("any open circuit wins, then half-open; closed only when every read gate is closed; null when none was read", async () => {
    const { combinedForwardPhase } = await import("../../../src/cron/pipeline-policy.ts");
    expect(combinedForwardPhase(["closed", "open", "half-open"])).toBe("open");
    expect(combinedForwardPhase(["closed", "half-open", null])).toBe("half-open");
    expect(combinedForwardPhase(["closed", null])).toBe("closed");
    expect(combinedForwardPhase([null])).toBeNull();
    expect(combinedForwardPhase([])).toBeNull();
  });
});
