import { describe, expect, it } from "vitest";
import { decideHold, HOLD_SPREAD_SECONDS } from "../../../src/pipeline/forward-policy.ts";
import { isDeadLetterMessage, isForwardMessage, isIsoTimestamp } from "../../../src/pipeline/message-guards.ts";
import { MAX_QUEUE_DELAY_SECONDS } from "../../../src/pipeline/retry.ts";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe("decideHold", () => {
  it("starts the hold clock now on a first hold", () => {
    expect(decideHold(undefined, NOW, 30_000, 0, 96, "circuit open")).toEqual({
      action: "hold",
      heldSince: "2026-11-24T12:00:00.000Z",
      delaySeconds: 30,
    });
  });

  it("keeps an earlier held_since while within the maximum", () => {
    const since = ago(96 * HOUR);
    expect(decideHold(since, NOW, 1000, 0, 96, "rate limited")).toMatchObject({ action: "hold", heldSince: since });
  });

  it("dead-letters once held longer than the maximum, naming the limit, the cause and the start", () => {
    const since = ago(96 * HOUR + 1);
    expect(decideHold(since, NOW, 1000, 0, 96, "circuit open")).toEqual({
      action: "dead-letter",
      reason: `destination unavailable for more than 96 h (circuit open); held since ${since}`,
    });
    expect(decideHold(ago(3 * HOUR), NOW, 1000, 0, 2, "rate limited")).toMatchObject({
      action: "dead-letter",
      reason: expect.stringContaining("more than 2 h (rate limited)"),
    });
  });

  it("adds up to HOLD_SPREAD_SECONDS of spread to the gate's wait", () => {
    const delays = [0, 0.5, 0.999].map((r) => decideHold(undefined, NOW, 60_000, r, 96, "circuit open"));
    expect(delays.map((d) => d.action === "hold" && d.delaySeconds)).toEqual([60, 60 + Math.ceil(HOLD_SPREAD_SECONDS / 2), 60 + HOLD_SPREAD_SECONDS]);
  });

  it("waits at least a second and at most the queue's 12 h delay limit", () => {
    const short = decideHold(undefined, NOW, 0, 0, 96, "rate limited");
    const long = decideHold(undefined, NOW, 20 * HOUR, 0.5, 96, "circuit open");
    expect(short.action === "hold" && short.delaySeconds).toBe(1);
    expect(long.action === "hold" && long.delaySeconds).toBe(MAX_QUEUE_DELAY_SECONDS);
  });

  it("restarts the clock for an unparseable held_since instead of expiring the message", () => {
    expect(decideHold("not a date", NOW, 1000, 0, 1, "circuit open")).toMatchObject({
      action: "hold",
      heldSince: new Date(NOW).toISOString(),
    });
  });
});

describe("ForwardMessage guard with held_since", () => {
  const base = { v: 1, id: "e1", app: "default", json: "{}" };

  it("accepts messages without held_since (older deploys) and with a valid one", () => {
    expect(isForwardMessage(base)).toBe(true);
    expect(isForwardMessage({ ...base, held_since: "2026-11-24T12:00:00.000Z" })).toBe(true);
    expect(isForwardMessage({ v: 1, id: "e1", app: "default", spill: "env:e1", held_since: "2026-11-24T12:00:00Z" })).toBe(true);
  });

  it("rejects a malformed held_since", () => {
    for (const bad of [42, null, "", "yesterday", "2026-11-24", "2026-11-24T12:00:00+02:00", "2026-13-45T12:00:00Z", "2026-11-24T12:00:00.000Z "]) {
      expect(isForwardMessage({ ...base, held_since: bad })).toBe(false);
    }
  });

  it("applies to a dead letter's forward original too", () => {
    const letter = { v: 1, from: "forward", reason: "r", at: "2026-11-24T12:00:00.000Z" };
    expect(isDeadLetterMessage({ ...letter, original: { ...base, held_since: "2026-11-24T12:00:00.000Z" } })).toBe(true);
    expect(isDeadLetterMessage({ ...letter, original: { ...base, held_since: "soon" } })).toBe(false);
  });

  it("isIsoTimestamp accepts toISOString output", () => {
    expect(isIsoTimestamp(new Date(NOW).toISOString())).toBe(true);
  });
});
