/**
 * The AAA→XAA migration rehearsal, small (the recorded, larger run is `npm run
 * rehearse:migration`): a v2 AAA app with three users and a steady stream of activity before,
 * during and after `migrate`, then AAA retired on the emulator's clock. Every unique event
 * reaches the sink exactly once, and no AAA subscription is left at the emulator.
 */
import { describe, expect, it } from "vitest";
import { runRehearsal } from "./rehearsal.ts";

describe("migration rehearsal against the emulator", () => {
  it("moves a v2 AAA app to XAA under a steady stream: 0 lost, 0 duplicated, no AAA subscription left", async () => {
    const r = await runRehearsal({ before: 12, during: 12, after: 12, drainTimeoutMs: 60_000 });
    expect(r.migrate_runs.at(-1)?.state).toBe("complete");
    expect(r.aaa_subscriptions_left).toBe(0);
    // Three users, post.create and post.delete each, plus the app's oauth.revoke.
    expect(r.xaa_subscriptions).toBe(3 * 2 + 1);
    expect(r.expected).toBe(r.generated);
    expect(r.lost).toBe(0);
    expect(r.duplicates).toBe(0);
    expect(r.unique_received).toBe(r.expected);
    // X delivered events through both APIs during the overlap, and each still arrived once.
    expect(r.delivered_through_both).toBeGreaterThanOrEqual(12);
    // Both APIs' envelopes were published: AAA before the move, XAA after it.
    expect(r.by_format.aaa).toBeGreaterThan(0);
    expect(r.by_format.xaa).toBeGreaterThan(0);
  }, 180_000);
});
