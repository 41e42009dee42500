/**
 * The CLI's `status` header (bin/account-activity-edge.ts `lastDeliveryLines`): one line per app
 * with when it last received a delivery from X and whether the silence alert is on. Pure; it
 * lives with the node-side tests because the CLI is Node code (its imports do not typecheck in
 * the workers project).
 */
import { describe, expect, it } from "vitest";
import { lastDeliveryLines } from "../../bin/account-activity-edge.ts";

describe("CLI status: last delivery per app", () => {
  it("names each app's last delivery and silence threshold, for the list and for one app", () => {
    expect(lastDeliveryLines({ apps: [
      { app: "a", last_delivery_at: "2026-11-24T19:00:00.000Z", silence_alert_hours: 24 },
      { app: "b", last_delivery_at: null, silence_alert_hours: null },
    ] })).toBe("a: last delivery from X 2026-11-24T19:00:00.000Z (silence alert after 24 h)\nb: last delivery from X never recorded (silence alert off)");
    expect(lastDeliveryLines({ app: "c", last_delivery_at: "2026-11-24T18:00:00.000Z", silence_alert_hours: 6 }))
      .toBe("c: last delivery from X 2026-11-24T18:00:00.000Z (silence alert after 6 h)");
  });

  it("prints nothing extra for a body that is not app health", () => {
    expect(lastDeliveryLines({ error: { code: "x" } })).toBeNull();
    expect(lastDeliveryLines("not json")).toBeNull();
  });
});
