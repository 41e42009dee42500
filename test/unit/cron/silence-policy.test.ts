/**
 * The silence alert decision (src/cron/silence-policy.ts), the last-delivery bookkeeping it reads
 * (src/pipeline/last-delivery.ts: merge newest-wins, one write per app per minute, a failed write
 * never throws) and the SILENCE_ALERT_HOURS setting (src/config.ts).
 */
import { describe, expect, it, vi } from "vitest";
import { ConfigError, parseConfig } from "../../../src/config.ts";
import { silenceThreshold } from "../../../src/cron/silence-check.ts";
import { decideSilence, describeDuration, silenceAlertCause, silenceAlertMessage, type SilenceInput } from "../../../src/cron/silence-policy.ts";
import {
  BatchDeliveries,
  LAST_DELIVERY_WRITE_INTERVAL_MS,
  LastDeliveryRecorder,
  mergeLastDelivery,
  newestCreatedAt,
  type LastDelivery,
} from "../../../src/pipeline/last-delivery.ts";

const H = 3_600_000;
const NOW = Date.parse("2026-11-24T20:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

/** Enabled at 24 h, one subscriber since 10 days ago, valid webhook, last delivery 30 h ago, never alerted. */
function input(over: Partial<SilenceInput> = {}): SilenceInput {
  return {
    thresholdHours: 24,
    activeSubscriptions: 1,
    earliestSubscribedAt: iso(NOW - 240 * H),
    webhookValid: true,
    lastDeliveryAt: iso(NOW - 30 * H),
    lastAlertAt: null,
    nowMs: NOW,
    alertRepeatMs: 6 * H,
    ...over,
  };
}

describe("decideSilence", () => {
  it("alerts when silent past the threshold with subscribers and a valid webhook, counting from the last delivery", () => {
    expect(decideSilence(input())).toEqual({ alert: true, silentSince: iso(NOW - 30 * H), silentForMs: 30 * H });
  });

  it("stays quiet inside the threshold (and exactly at it)", () => {
    expect(decideSilence(input({ lastDeliveryAt: iso(NOW - 23 * H) }))).toMatchObject({ alert: false, reason: "receiving" });
    expect(decideSilence(input({ lastDeliveryAt: iso(NOW - 24 * H) }))).toMatchObject({ alert: false, reason: "receiving" });
  });

  it("is off when no threshold is set", () => {
    expect(decideSilence(input({ thresholdHours: null }))).toMatchObject({ alert: false, reason: "off" });
  });

  it("says nothing without subscribers, without a webhook, or with an invalid one (revalidation alerts on those)", () => {
    expect(decideSilence(input({ activeSubscriptions: 0, earliestSubscribedAt: null }))).toMatchObject({ alert: false, reason: "no_subscribers" });
    expect(decideSilence(input({ webhookValid: null }))).toMatchObject({ alert: false, reason: "no_webhook" });
    expect(decideSilence(input({ webhookValid: false }))).toMatchObject({ alert: false, reason: "webhook_invalid" });
  });

  it("with no delivery ever, counts from the earliest subscription", () => {
    expect(decideSilence(input({ lastDeliveryAt: null, earliestSubscribedAt: iso(NOW - 25 * H) }))).toEqual({ alert: true, silentSince: iso(NOW - 25 * H), silentForMs: 25 * H });
    expect(decideSilence(input({ lastDeliveryAt: null, earliestSubscribedAt: iso(NOW - 2 * H) }))).toMatchObject({ alert: false, reason: "receiving" });
  });

  it("counts from a subscription made after the last delivery (the user has not been silent before subscribing)", () => {
    const d = decideSilence(input({ lastDeliveryAt: iso(NOW - 100 * H), earliestSubscribedAt: iso(NOW - 3 * H) }));
    expect(d).toMatchObject({ alert: false, reason: "receiving", silentSince: iso(NOW - 3 * H) });
  });

  it("throttles a repeat inside the repeat window of an alert raised during this silence, then repeats", () => {
    const alerted = iso(NOW - 2 * H);
    expect(decideSilence(input({ lastAlertAt: alerted }))).toEqual({
      alert: false, reason: "throttled", silentSince: iso(NOW - 30 * H), nextAlertAt: iso(NOW + 4 * H),
    });
    expect(decideSilence(input({ lastAlertAt: iso(NOW - 6 * H) }))).toMatchObject({ alert: true });
  });

  it("an alert from an earlier silence (before the last delivery) does not throttle a new one", () => {
    // Alerted 27 h ago, a delivery came 26 h ago, silent since: a new silence past 24 h.
    const d = decideSilence(input({ lastAlertAt: iso(NOW - 27 * H), lastDeliveryAt: iso(NOW - 26 * H), alertRepeatMs: 48 * H }));
    expect(d).toEqual({ alert: true, silentSince: iso(NOW - 26 * H), silentForMs: 26 * H });
  });

  it("ignores unparseable times rather than alerting on them", () => {
    expect(decideSilence(input({ lastDeliveryAt: "garbage", earliestSubscribedAt: "also garbage" }))).toMatchObject({ alert: false, reason: "receiving" });
  });
});

describe("silence alert text", () => {
  it("names the app, the last delivery, the silence and the threshold, and what to check", () => {
    const msg = silenceAlertMessage("acme", "2026-11-23T14:00:00.000Z", { silentSince: "2026-11-23T14:00:00.000Z", silentForMs: 30 * H }, 24);
    expect(msg).toBe("App acme has received no delivery from X since 2026-11-23T14:00:00.000Z: silent for 1 d 6 h, over the 24 h threshold (SILENCE_ALERT_HOURS), although users are subscribed and the webhook is valid.");
    expect(silenceAlertMessage("acme", null, { silentSince: "2026-11-23T14:00:00.000Z", silentForMs: 25 * H }, 24)).toMatch(/^No delivery has ever been recorded for app acme \(users subscribed since 2026-11-23T14:00:00.000Z\)/);
    const cause = silenceAlertCause("acme");
    expect(cause).toContain("subscriptions list --app acme");
    expect(cause).toContain("/admin/dead-letters");
    expect(cause).toContain("status");
  });

  it("describes durations", () => {
    expect([describeDuration(45 * 60_000), describeDuration(5 * H), describeDuration(48 * H), describeDuration(76 * H), describeDuration(70 * 60_000)]).toEqual(["45 min", "5 h", "2 d", "3 d 4 h", "1 h 10 min"]);
  });
});

describe("SILENCE_ALERT_HOURS and APPS silence_alert_hours", () => {
  const base = { X_CONSUMER_SECRET: "s" };
  it("is off unless set; accepts 1..720", () => {
    expect(parseConfig(base).silenceAlertHours).toBeNull();
    expect(parseConfig({ ...base, SILENCE_ALERT_HOURS: "" }).silenceAlertHours).toBeNull();
    expect(parseConfig({ ...base, SILENCE_ALERT_HOURS: "1" }).silenceAlertHours).toBe(1);
    expect(parseConfig({ ...base, SILENCE_ALERT_HOURS: "720" }).silenceAlertHours).toBe(720);
  });

  it.each(["0", "721", "1.5", "-3", "a day"])("rejects %s with a ConfigError naming the var", (v) => {
    expect(() => parseConfig({ ...base, SILENCE_ALERT_HOURS: v })).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, SILENCE_ALERT_HOURS: v })).toThrow(/SILENCE_ALERT_HOURS/);
  });

  it("an app's own silence_alert_hours overrides the deployment's; null turns it off for that app", () => {
    const src = {
      SILENCE_ALERT_HOURS: "24",
      APPS: JSON.stringify([{ name: "a" }, { name: "b", silence_alert_hours: 6 }, { name: "c", silence_alert_hours: null }]),
      X_CONSUMER_SECRET_A: "s", X_CONSUMER_SECRET_B: "s", X_CONSUMER_SECRET_C: "s",
    };
    const config = parseConfig(src);
    expect(["a", "b", "c"].map((n) => silenceThreshold(config, config.apps.get(n)!))).toEqual([24, 6, null]);
    const bad = { ...src, APPS: JSON.stringify([{ name: "a", silence_alert_hours: 0 }]) };
    expect(() => parseConfig(bad)).toThrow(/APPS\[0\]\.silence_alert_hours/);
  });
});

describe("last delivery bookkeeping", () => {
  it("merges newest-wins per field and notes the newest per app in a batch", () => {
    expect(mergeLastDelivery({ at: "2026-01-02T00:00:00.000Z", event_created_at: null }, { at: "2026-01-01T00:00:00.000Z", event_created_at: "2025-12-31T00:00:00.000Z" }))
      .toEqual({ at: "2026-01-02T00:00:00.000Z", event_created_at: "2025-12-31T00:00:00.000Z" });
    expect(newestCreatedAt([{ created_at: null }, { created_at: "2026-01-02T00:00:00.000Z" }, { created_at: "2026-01-01T00:00:00.000Z" }])).toBe("2026-01-02T00:00:00.000Z");
    const seen = new BatchDeliveries();
    seen.note("a", "2026-01-01T00:00:02.000Z");
    seen.note("a", "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:00.500Z");
    seen.note("b", "not a time");
    expect(Object.fromEntries(seen.byApp)).toEqual({ a: { at: "2026-01-01T00:00:02.000Z", event_created_at: "2026-01-01T00:00:00.500Z" } });
  });

  it("writes each app at most once per interval, keeping the newest pending value for the next write", async () => {
    const clock = { now: NOW };
    const rec = new LastDeliveryRecorder(() => clock.now);
    const writes: [string, LastDelivery][] = [];
    const write = async (app: string, v: LastDelivery) => { writes.push([app, v]); };
    const batch = (app: string, at: string) => { const s = new BatchDeliveries(); s.note(app, at); return s; };

    await rec.record(batch("a", "2026-11-24T19:59:00.000Z"), write);
    await rec.record(batch("a", "2026-11-24T19:59:30.000Z"), write);
    await rec.record(batch("b", "2026-11-24T19:59:40.000Z"), write);
    expect(writes.map(([app, v]) => [app, v.at])).toEqual([["a", "2026-11-24T19:59:00.000Z"], ["b", "2026-11-24T19:59:40.000Z"]]);

    // A minute later an unrelated batch flushes a's pending (newer) value.
    clock.now += LAST_DELIVERY_WRITE_INTERVAL_MS;
    await rec.record(new BatchDeliveries(), write);
    expect(writes.map(([app, v]) => [app, v.at])).toEqual([["a", "2026-11-24T19:59:00.000Z"], ["b", "2026-11-24T19:59:40.000Z"], ["a", "2026-11-24T19:59:30.000Z"]]);
  });

  it("never throws on a failed write; keeps the value and tries again after the interval only", async () => {
    const clock = { now: NOW };
    const rec = new LastDeliveryRecorder(() => clock.now);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    let calls = 0;
    const failing = async () => { calls++; throw new Error("registry down"); };
    const s = new BatchDeliveries();
    s.note("a", "2026-11-24T19:59:00.000Z");
    await expect(rec.record(s, failing)).resolves.toBeUndefined();
    await rec.record(new BatchDeliveries(), failing);
    expect(calls).toBe(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain("last delivery not recorded");
    clock.now += LAST_DELIVERY_WRITE_INTERVAL_MS;
    const ok: LastDelivery[] = [];
    await rec.record(new BatchDeliveries(), async (_app, v) => { ok.push(v); });
    expect(ok).toEqual([{ at: "2026-11-24T19:59:00.000Z", event_created_at: null }]);
    warn.mockRestore();
  });
});
