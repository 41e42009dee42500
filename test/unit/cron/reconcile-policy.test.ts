/**
 * Subscription reconciliation rules (src/cron/reconcile-policy.ts), as pure functions, and the
 * SUBSCRIPTION_RECONCILE_HOURS setting that feeds them.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_SUBSCRIPTION_RECONCILE_HOURS, parseConfig } from "../../../src/config.ts";
import {
  DEFAULT_RECONCILE_SETTINGS,
  classifySubscribeFailure,
  decideReconcileRun,
  driftAlertDue,
  driftAlertMessage,
  nextDueAt,
  planReconcile,
  reconcileSettingsFrom,
  settleRejections,
} from "../../../src/cron/reconcile-policy.ts";
import type { SubscriptionRow } from "../../../src/state/registry-schema.ts";
import { X_API_ERROR_KINDS } from "../../../src/x-api/errors.ts";

const H = 3_600_000;
const NOW = Date.parse("2026-03-10T12:00:00.000Z");
const S = DEFAULT_RECONCILE_SETTINGS;

function row(user_id: string, status: SubscriptionRow["status"], has_token: boolean): SubscriptionRow {
  return {
    user_id, screen_name: null, subscribed_at: "2026-01-01T00:00:00.000Z", subscribed_by: "admin", status,
    status_at: "2026-01-01T00:00:00.000Z", status_reason: null, has_token, resubscribed_at: null, resubscribe_count: 0,
  };
}

describe("SUBSCRIPTION_RECONCILE_HOURS", () => {
  const BASE = { X_CONSUMER_SECRET: "cs" };
  it("defaults to 6 hours when unset or blank, and 0 turns the cron's run off", () => {
    expect(DEFAULT_SUBSCRIPTION_RECONCILE_HOURS).toBe(6);
    expect(parseConfig(BASE).subscriptionReconcileHours).toBe(6);
    expect(parseConfig({ ...BASE, SUBSCRIPTION_RECONCILE_HOURS: " " }).subscriptionReconcileHours).toBe(6);
    expect(reconcileSettingsFrom(parseConfig({ ...BASE, SUBSCRIPTION_RECONCILE_HOURS: "12" })).intervalMs).toBe(12 * H);
    const off = reconcileSettingsFrom(parseConfig({ ...BASE, SUBSCRIPTION_RECONCILE_HOURS: "0" }));
    expect(decideReconcileRun(null, NOW, off)).toEqual({ run: false, reason: "off" });
  });

  it.each(["-1", "1.5", "six", "169"])("refuses %j naming the setting", (value) => {
    let caught: unknown;
    try {
      parseConfig({ ...BASE, SUBSCRIPTION_RECONCILE_HOURS: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).setting).toBe("SUBSCRIPTION_RECONCILE_HOURS");
  });
});

describe("decideReconcileRun / nextDueAt", () => {
  it("runs the first time, then not before the next due time, then again", () => {
    expect(decideReconcileRun(null, NOW, S)).toEqual({ run: true });
    const due = nextDueAt(NOW, true, S);
    expect(Date.parse(due) - NOW).toBe(6 * H);
    expect(decideReconcileRun(due, NOW + 6 * H - 1, S)).toEqual({ run: false, reason: "not_due", nextDueAt: due });
    expect(decideReconcileRun(due, NOW + 6 * H, S)).toEqual({ run: true });
  });

  it("an unreadable stamp does not block runs forever", () => {
    expect(decideReconcileRun("garbage", NOW, S)).toEqual({ run: true });
  });

  it("after a run stopped early, retries soon, or at X's reset time if later", () => {
    expect(Date.parse(nextDueAt(NOW, false, S)) - NOW).toBe(S.retryAfterMs);
    const reset = new Date(NOW + 40 * 60_000);
    expect(nextDueAt(NOW, false, S, reset)).toBe(reset.toISOString());
    expect(nextDueAt(NOW, false, S, new Date(NOW + 1000))).toBe(new Date(NOW + S.retryAfterMs).toISOString());
  });
});

describe("planReconcile", () => {
  it("sorts users into re-subscribe (token), no token, unknown at X; in-sync users need nothing", () => {
    const rows = [row("1", "active", true), row("2", "active", true), row("3", "active", false), row("4", "removed", false), row("5", "dropped_at_x", false)];
    const plan = planReconcile(rows, ["1", "4", "5", "9", "9"]);
    expect(plan).toEqual({ atX: 4, ours: 3, resubscribe: ["2"], noToken: ["3"], unknown: ["4", "5", "9"] });
  });

  it("does not retry a dropped_at_x user X still does not list (already alerted)", () => {
    const plan = planReconcile([row("5", "dropped_at_x", true)], []);
    expect(plan).toEqual({ atX: 0, ours: 0, resubscribe: [], noToken: [], unknown: [] });
  });

  it("finds nothing to do when both sides agree", () => {
    const plan = planReconcile([row("1", "active", true), row("2", "revoked", false)], ["1"]);
    expect(plan.resubscribe.length + plan.noToken.length + plan.unknown.length).toBe(0);
  });
});

describe("classifySubscribeFailure", () => {
  it("reads a rejected token as revoked, transient and app-wide errors as stop, the rest as failed", () => {
    expect(classifySubscribeFailure({ kind: "auth_failed", status: 401 })).toBe("token_rejected");
    expect(classifySubscribeFailure({ kind: "user_not_permitted", status: 403 })).toBe("token_rejected");
    for (const kind of ["rate_limited", "network", "missing_credential", "webhook_not_found", "app_cannot_write"] as const) {
      expect(classifySubscribeFailure({ kind, status: kind === "network" ? 0 : 400 })).toBe("stop");
    }
    expect(classifySubscribeFailure({ kind: "unexpected", status: 503 })).toBe("stop");
    expect(classifySubscribeFailure({ kind: "unexpected", status: 400 })).toBe("failed");
  });

  it("classifies every kind X's client can produce (no kind falls through unhandled)", () => {
    for (const kind of X_API_ERROR_KINDS) expect(["token_rejected", "stop", "failed"]).toContain(classifySubscribeFailure({ kind, status: 400 }));
  });
});

describe("settleRejections", () => {
  const r = (id: string) => ({ user_id: id, reason: "X rejected the stored token" });
  it("removes a rejected token's subscription", () => {
    expect(settleRejections([r("1")], 0)).toEqual({ remove: [r("1")], failed: [] });
    expect(settleRejections([r("1"), r("2")], 1)).toEqual({ remove: [r("1"), r("2")], failed: [] });
  });

  it("removes nothing when every token tried was rejected (likely the app's own credentials)", () => {
    const out = settleRejections([r("1"), r("2")], 0);
    expect(out.remove).toEqual([]);
    expect(out.failed.map((f) => f.user_id)).toEqual(["1", "2"]);
    expect(out.failed[0]!.reason).toMatch(/consumer key/);
  });
});

describe("drift alert", () => {
  const none = { resubscribed: [], failed: [], removed: [], unknown: [], deferred: [] };
  it("says nothing when X dropped nobody, even with unknown users", () => {
    expect(driftAlertMessage("acme", { ...none, unknown: ["7"] })).toBeNull();
  });

  it("counts each outcome and names user ids, bounded", () => {
    const many = Array.from({ length: 25 }, (_, i) => String(100 + i));
    const msg = driftAlertMessage("acme", { ...none, resubscribed: ["1"], failed: [{ user_id: "2" }], removed: ["3"], unknown: many })!;
    expect(msg).toContain("X dropped 3 subscriptions of app acme");
    expect(msg).toContain("re-subscribed 1 (1)");
    expect(msg).toContain("failed 1 (2)");
    expect(msg).toContain("removed 1 (token rejected: 3)");
    expect(msg).toContain("Unknown at X (subscribed elsewhere, recorded): 25");
    expect(msg).toContain("+5 more");
    expect(msg).not.toContain("124");
  });

  it("is throttled like the other alerts", () => {
    expect(driftAlertDue(null, NOW, S)).toBe(true);
    expect(driftAlertDue(new Date(NOW - S.alertRepeatMs + 1).toISOString(), NOW, S)).toBe(false);
    expect(driftAlertDue(new Date(NOW - S.alertRepeatMs).toISOString(), NOW, S)).toBe(true);
  });
});
