import { describe, expect, it } from "vitest";
import { AAA_END_OF_LIFE, AAA_WARNING_DAYS, aaaSunsetCause, aaaSunsetMessage, decideAaaSunset, type AaaSunsetInput } from "../../../src/cron/aaa-sunset-policy.ts";

const DAY = 86_400_000;
const END = Date.parse(AAA_END_OF_LIFE);
const REPEAT = 6 * 3_600_000;
const input = (over: Partial<AaaSunsetInput>): AaaSunsetInput => ({ flavour: "v2", aaaSubscriptions: 3, lastAlertAt: null, nowMs: END - 10 * DAY, alertRepeatMs: REPEAT, ...over });

describe("decideAaaSunset", () => {
  it("names X's date: 2027-01-01, warned from 30 days before", () => {
    expect(AAA_END_OF_LIFE).toBe("2027-01-01T00:00:00.000Z");
    expect(AAA_WARNING_DAYS).toBe(30);
  });

  it("is quiet before the warning period and warns from its first moment", () => {
    expect(decideAaaSunset(input({ nowMs: END - 30 * DAY - 1 }))).toEqual({ alert: false, reason: "not_yet" });
    expect(decideAaaSunset(input({ nowMs: END - 30 * DAY }))).toEqual({ alert: true, ended: false, daysLeft: 30 });
  });

  it("warns every AAA flavour and never an xaa app", () => {
    for (const flavour of ["v1.1-enterprise", "v1.1-premium", "v2"] as const) expect(decideAaaSunset(input({ flavour })).alert).toBe(true);
    expect(decideAaaSunset(input({ flavour: "xaa" }))).toEqual({ alert: false, reason: "on_xaa" });
  });

  it("counts whole days left, rounding up, and says when it has ended", () => {
    expect(decideAaaSunset(input({ nowMs: END - DAY - 1 }))).toMatchObject({ daysLeft: 2 });
    expect(decideAaaSunset(input({ nowMs: END - 1 }))).toMatchObject({ daysLeft: 1, ended: false });
    expect(decideAaaSunset(input({ nowMs: END + DAY }))).toEqual({ alert: true, ended: true, daysLeft: 0 });
  });

  it("repeats no sooner than the alert throttle", () => {
    const now = END - 10 * DAY;
    expect(decideAaaSunset(input({ nowMs: now, lastAlertAt: new Date(now - REPEAT + 1).toISOString() }))).toEqual({ alert: false, reason: "throttled" });
    expect(decideAaaSunset(input({ nowMs: now, lastAlertAt: new Date(now - REPEAT).toISOString() })).alert).toBe(true);
    expect(decideAaaSunset(input({ nowMs: now, lastAlertAt: "garbage" })).alert).toBe(true);
  });
});

describe("the alert in words", () => {
  it("names the app, the flavour, the date, the days left and the users at stake", () => {
    const m = aaaSunsetMessage("support", "v2", 3, { daysLeft: 27, ended: false });
    expect(m).toBe(
      "App support is still on the Account Activity API (flavour v2), which X switches off on 2027-01-01, in 27 days: " +
        "after that nothing reaches its 3 subscribed users unless the app has moved to the X Activity API.",
    );
    expect(aaaSunsetMessage("a", "v1.1-premium", 1, { daysLeft: 1, ended: false })).toContain("in 1 day: after that nothing reaches its 1 subscribed user unless");
    expect(aaaSunsetMessage("a", "v2", 0, { daysLeft: 0, ended: true })).toContain("switched off on 2027-01-01");
    expect(aaaSunsetCause("support")).toContain("migrate --app support");
  });
});
