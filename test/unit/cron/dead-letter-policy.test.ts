/**
 * The dead-letter alert decision (src/cron/dead-letter-policy.ts): alert at once on the first
 * new letters, then at most once per alertRepeatMs with what accumulated, never on nothing new;
 * and the message names counts and apps, never a letter's content.
 */
import { describe, expect, it } from "vitest";
import { deadLetterAlertMessage, decideDeadLetterAlert } from "../../../src/cron/dead-letter-policy.ts";
import { DEFAULT_SETTINGS } from "../../../src/cron/revalidate-policy.ts";
import type { DeadLetterAlertMarker, NewDeadLetters } from "../../../src/state/dead-letters-schema.ts";

const H = 3_600_000;
const NOW = Date.parse("2026-11-24T20:00:00.000Z");
const NEVER: DeadLetterAlertMarker = { seq: 0, alerted_at: null, checked_at: null };

function fresh(by_from: Record<string, number>, by_app: Record<string, number>, first_at = "2026-11-24T19:55:00.000Z"): NewDeadLetters {
  const total = Object.values(by_from).reduce((a, b) => a + b, 0);
  return { total, by_from, by_app, max_seq: total, first_at: total === 0 ? null : first_at };
}
const NONE = fresh({}, {});

describe("decideDeadLetterAlert", () => {
  it("does not alert when nothing new arrived, alerted before or not", () => {
    expect(decideDeadLetterAlert(NONE, NEVER, NOW, DEFAULT_SETTINGS)).toEqual({ alert: false, reason: "none_new" });
    const recent = { seq: 9, alerted_at: new Date(NOW - 10 * H).toISOString(), checked_at: null };
    expect(decideDeadLetterAlert(NONE, recent, NOW, DEFAULT_SETTINGS)).toEqual({ alert: false, reason: "none_new" });
  });

  it("alerts at once on the first new letters, since the first one's time", () => {
    const d = decideDeadLetterAlert(fresh({ forward: 5, ingest: 2 }, { default: 7 }), NEVER, NOW, DEFAULT_SETTINGS);
    expect(d).toEqual({
      alert: true,
      since: "2026-11-24T19:55:00.000Z",
      message: "7 new dead letters since 2026-11-24T19:55:00.000Z (forward: 5, ingest: 2; apps: default 7). List: GET /admin/dead-letters",
    });
  });

  it("holds further letters inside the repeat window, naming when it can alert again", () => {
    const alertedAt = NOW - H;
    const marker = { seq: 7, alerted_at: new Date(alertedAt).toISOString(), checked_at: null };
    const d = decideDeadLetterAlert(fresh({ forward: 1 }, { default: 1 }), marker, NOW, DEFAULT_SETTINGS);
    expect(d).toEqual({ alert: false, reason: "throttled", nextAlertAt: new Date(alertedAt + DEFAULT_SETTINGS.alertRepeatMs).toISOString() });
  });

  it("alerts again once the window has passed, with everything since the last alert", () => {
    const alertedAt = new Date(NOW - DEFAULT_SETTINGS.alertRepeatMs).toISOString();
    const d = decideDeadLetterAlert(fresh({ forward: 3 }, { default: 2, shop: 1 }), { seq: 7, alerted_at: alertedAt, checked_at: null }, NOW, DEFAULT_SETTINGS);
    expect(d).toMatchObject({ alert: true, since: alertedAt });
    expect(d.alert && d.message).toBe(`3 new dead letters since ${alertedAt} (forward: 3; apps: default 2, shop 1). List: GET /admin/dead-letters`);
  });

  it("follows the configured repeat interval", () => {
    const marker = { seq: 1, alerted_at: new Date(NOW - 2 * H).toISOString(), checked_at: null };
    const one = fresh({ ingest: 1 }, { default: 1 });
    expect(decideDeadLetterAlert(one, marker, NOW, { ...DEFAULT_SETTINGS, alertRepeatMs: H }).alert).toBe(true);
    expect(decideDeadLetterAlert(one, marker, NOW, { ...DEFAULT_SETTINGS, alertRepeatMs: 3 * H }).alert).toBe(false);
  });

  it("treats an unreadable marker time as never alerted", () => {
    const d = decideDeadLetterAlert(fresh({ ingest: 1 }, { default: 1 }), { seq: 1, alerted_at: "garbage", checked_at: null }, NOW, DEFAULT_SETTINGS);
    expect(d.alert).toBe(true);
  });
});

describe("deadLetterAlertMessage", () => {
  it("says one letter in the singular, largest counts first, and bounds the apps named", () => {
    expect(deadLetterAlertMessage(fresh({ ingest: 1 }, { shop: 1 }), null)).toBe("1 new dead letter (ingest: 1; apps: shop 1). List: GET /admin/dead-letters");
    const apps = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`app${i}`, i + 1]));
    const msg = deadLetterAlertMessage(fresh({ forward: 36 }, apps), null);
    expect(msg).toContain("apps: app7 8, app6 7, app5 6, app4 5, app3 4, +3 more)");
  });
});
