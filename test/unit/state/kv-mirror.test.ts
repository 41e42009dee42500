import { describe, expect, it } from "vitest";
import { KV_MIN_WRITE_INTERVAL_MS, mirrorDecision, subscriptionsSnapshot } from "../../../src/state/kv-mirror.ts";
import type { SubscriptionRow } from "../../../src/state/registry-schema.ts";

describe("mirrorDecision", () => {
  it("writes the first value", () => {
    expect(mirrorDecision(null, "d1", 5000)).toEqual({ kind: "write" });
  });
  it("skips an unchanged value however late", () => {
    expect(mirrorDecision({ digest: "d1", at_ms: 0 }, "d1", 10_000_000)).toEqual({ kind: "skip" });
  });
  it("writes a changed value once a second has passed", () => {
    expect(mirrorDecision({ digest: "d1", at_ms: 1000 }, "d2", 1000 + KV_MIN_WRITE_INTERVAL_MS)).toEqual({ kind: "write" });
  });
  it("defers a change made within a second of the last write, to the end of that second", () => {
    expect(mirrorDecision({ digest: "d1", at_ms: 1000 }, "d2", 1400)).toEqual({ kind: "defer", until_ms: 1000 + KV_MIN_WRITE_INTERVAL_MS });
  });
});

describe("subscriptionsSnapshot", () => {
  const row = (user_id: string, status: SubscriptionRow["status"]): SubscriptionRow => ({
    user_id, screen_name: null, subscribed_at: "2026-01-01T00:00:00.000Z", subscribed_by: "admin", status, status_at: "2026-01-01T00:00:00.000Z", status_reason: null, has_token: true, resubscribed_at: null, resubscribe_count: 0,
  });
  it("lists active subscriptions only, sorted, without token details", () => {
    const snap = subscriptionsSnapshot("acme", [row("9", "active"), row("10", "revoked"), row("1", "active")]);
    expect(snap.count).toBe(2);
    expect(snap.subscriptions.map((s) => s.user_id)).toEqual(["1", "9"]);
    expect(JSON.stringify(snap)).not.toContain("has_token");
  });
});
