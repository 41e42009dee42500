/**
 * The CLI's human output (bin/print.ts, bin/views.ts): aligned tables, dates absolute and
 * relative, the status table with refused signatures, "nothing changed" detection. Pure; it lives
 * with the node-side tests because the CLI is Node code (its imports do not typecheck in the
 * workers project).
 */
import { describe, expect, it } from "vitest";
import { humanOutput, statusView } from "../../bin/account-activity-edge.ts";
import { changedNothing, formatTime, relativeTime, render, table } from "../../bin/print.ts";

const NOW = Date.parse("2026-12-04T16:30:00.000Z");

describe("dates", () => {
  it("absolute (UTC, to the second) and relative, past and future", () => {
    expect(formatTime("2026-12-04T16:27:00.000Z", NOW)).toBe("2026-12-04 16:27:00Z (3 min ago)");
    expect(formatTime("2026-12-04T18:30:00.000Z", NOW)).toBe("2026-12-04 18:30:00Z (in 2 h)");
    expect(formatTime("2026-11-30T16:30:00Z", NOW)).toBe("2026-11-30 16:30:00Z (4 d ago)");
    expect(relativeTime(NOW - 2000, NOW)).toBe("just now");
    expect(formatTime("1600000000000000002", NOW)).toBeNull(); // an id is not a time
    expect(formatTime("not a date", NOW)).toBeNull();
  });
});

describe("render", () => {
  it("an array of objects is an aligned table, never 0:/1: keys", () => {
    const out = render({ subscriptions: [{ user_id: "1600000000000000002", state: "active", created_at: "2026-12-04T16:00:00.000Z" }, { user_id: "7", state: "dropped_at_x", created_at: null }] }, NOW);
    expect(out).toBe([
      "subscriptions:",
      "  user_id              state         created_at",
      "  1600000000000000002  active        2026-12-04 16:00:00Z (30 min ago)",
      "  7                    dropped_at_x  -",
    ].join("\n"));
    expect(out).not.toMatch(/^\s*0:/m);
  });

  it("an object is aligned key/value lines, nested objects indented sections, booleans yes/no", () => {
    expect(render({ id: "w1", valid: true, registry: { last_crc_at: "2026-12-04T16:29:00.000Z", invalid_since: null } }, NOW)).toBe([
      "id     w1",
      "valid  yes",
      "",
      "registry:",
      "  last_crc_at    2026-12-04 16:29:00Z (1 min ago)",
      "  invalid_since  -",
    ].join("\n"));
    expect(table([], NOW)).toBe("(none)");
  });
});

describe("status", () => {
  it("one row per app, and says when the receiver is refusing X's signatures", () => {
    const out = statusView({ apps: [
      { app: "default", flavour: "v2", webhook: { valid: true }, last_crc_from_x: "2026-12-04T16:00:00.000Z", last_delivery_at: null, subscription_count: 2, silence_alert_hours: null,
        signature_failures: { total: 12, streak_count: 12, last_at: "2026-12-04T16:29:00.000Z", refusing_now: true }, last_revalidation: { status: "refused", detail: null } },
      { app: "legacy", flavour: "v1.1-premium", webhook: null, last_crc_from_x: null, last_delivery_at: null, subscription_count: 0, silence_alert_hours: 6, signature_failures: null, last_revalidation: null },
    ] }, NOW)!;
    const [header, first, second] = out.split("\n");
    expect(header).toMatch(/^app\s+flavour\s+webhook\s+last CRC from X\s+last delivery\s+users\s+refused signatures\s+revalidation$/);
    expect(first).toMatch(/^default\s+v2\s+valid\s+2026-12-04 16:00:00Z \(30 min ago\)\s+never\s+2\s+12 \(REFUSING NOW\)\s+refused$/);
    expect(second).toMatch(/^legacy\s+v1\.1-premium\s+none\s+never\s+never\s+0\s+0\s+not run$/);
    // Columns line up: every row's "users" cell starts where the header's does.
    const col = header!.indexOf("users");
    expect(first!.slice(col, col + 3)).toBe("2  ");
    expect(second!.slice(col, col + 3)).toBe("0  ");
    expect(out).toContain("default: the receiver is refusing X's signatures (12 since the streak began, last 2026-12-04 16:29:00Z (1 min ago)): the consumer secret here probably differs from the app's.");
    expect(out).toContain("legacy: silence alert after 6 h");
    expect(statusView({ error: { code: "x" } }, NOW)).toBeNull();
  });

  it("pipeline prints its summary only, not the summary and then the dump", () => {
    const out = humanOutput("pipeline", { queues: [{ queue: "aae-ingest", backlog_count: 0, backlog_bytes: 0 }], forward_destinations: [], dead_letters: { total: 0 } }, NOW);
    expect(out).toBe("aae-ingest: 0 waiting (0 bytes)\nforward: off (no FORWARD_URL or forward_url)\ndead letters: 0");
  });
});

describe("nothing changed", () => {
  it("is detected from removed/deleted/changed false, with the API's note", () => {
    expect(changedNothing({ user_id: "7", removed: false, note: "This user was not subscribed." })).toBe("This user was not subscribed.");
    expect(changedNothing({ deleted: false })).toBe("nothing changed (deleted: false)");
    expect(changedNothing({ removed: true })).toBeNull();
    expect(changedNothing("text")).toBeNull();
  });
});
