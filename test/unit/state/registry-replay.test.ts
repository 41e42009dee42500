/** The covering rule of a Replay job's window over delivery gaps (pure part of registry-replay.ts). */
import { describe, expect, it } from "vitest";
import { coveredGapIds } from "../../../src/state/registry-replay.ts";
import type { GapRow } from "../../../src/state/registry-schema.ts";

const gap = (id: number, from: string, to: string | null, state: GapRow["state"] = "closed", webhook = "w1"): GapRow =>
  ({ id, webhook_id: webhook, from_at: `2026-03-10T${from}:00.000Z`, to_at: to === null ? null : `2026-03-10T${to}:00.000Z`, state, job_id: null, note: null, tries: 0, failed_at: null });
const FROM = "2026-03-10T09:00:00.000Z";
const TO = "2026-03-10T12:00:00.000Z";

describe("coveredGapIds", () => {
  it("covers a closed gap inside the window, bounds included", () => {
    expect(coveredGapIds([gap(1, "10:00", "10:30"), gap(2, "09:00", "12:00")], "w1", FROM, TO)).toEqual([1, 2]);
  });

  it("leaves out a gap reaching past either end of the window", () => {
    expect(coveredGapIds([gap(1, "08:59", "10:00"), gap(2, "11:00", "12:01")], "w1", FROM, TO)).toEqual([]);
  });

  it("covers a failed gap inside the window too (a new job is one more try for it)", () => {
    expect(coveredGapIds([gap(1, "10:00", "10:30", "failed"), gap(2, "08:00", "10:30", "failed")], "w1", FROM, TO)).toEqual([1]);
  });

  it("leaves out open gaps, final or requested gaps, and other webhooks' gaps", () => {
    const gaps = [gap(1, "10:00", null, "open"), gap(2, "10:00", "10:10", "requested"), gap(3, "10:00", "10:10", "skipped"),
      gap(4, "10:00", "10:10", "done"), gap(5, "10:00", "10:10", "given_up"), gap(6, "10:00", "10:10", "closed", "w2")];
    expect(coveredGapIds(gaps, "w1", FROM, TO)).toEqual([]);
  });

  it("compares instants, not text (a window given with an offset)", () => {
    // 09:00Z to 10:29Z: ends a minute before the gap does (as text it would look covering).
    expect(coveredGapIds([gap(1, "10:00", "10:30")], "w1", "2026-03-10T10:00:00+01:00", "2026-03-10T11:29:00+01:00")).toEqual([]);
    // 10:00Z to 10:30Z: exactly the gap (as text it would look outside).
    expect(coveredGapIds([gap(1, "10:00", "10:30")], "w1", "2026-03-10T11:00:00+01:00", "2026-03-10T11:30:00+01:00")).toEqual([1]);
  });

  it("covers nothing for an unreadable window", () => {
    expect(coveredGapIds([gap(1, "10:00", "10:30")], "w1", "nope", TO)).toEqual([]);
  });
});
