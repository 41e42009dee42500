import { describe, expect, it } from "vitest";
import { CRC_RECORD_INTERVAL_MS, KeyThrottle } from "../../../src/webhook/crc-record.ts";

describe("KeyThrottle (one KV write per app per minute)", () => {
  it("lets the first call through and holds the next ones for the interval, per key", () => {
    const t = new KeyThrottle(CRC_RECORD_INTERVAL_MS);
    const t0 = 1_700_000_000_000;
    expect(t.take("a", t0)).toBe(true);
    expect(t.take("a", t0 + 1)).toBe(false);
    expect(t.take("a", t0 + CRC_RECORD_INTERVAL_MS - 1)).toBe(false);
    expect(t.take("b", t0 + 1)).toBe(true);
    expect(t.take("a", t0 + CRC_RECORD_INTERVAL_MS)).toBe(true);
    expect(t.take("a", t0 + CRC_RECORD_INTERVAL_MS + 1)).toBe(false);
  });

  it("the interval is at least KV's one write per second per key", () => {
    expect(CRC_RECORD_INTERVAL_MS).toBeGreaterThanOrEqual(1000);
  });
});
