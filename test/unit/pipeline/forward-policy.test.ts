import { describe, expect, it } from "vitest";
import { decideForwardOutcome, FORWARD_MAX_ATTEMPTS, isDestinationFailure } from "../../../src/pipeline/forward-policy.ts";
import { backoffSeconds, FORWARD_BACKOFF } from "../../../src/pipeline/retry.ts";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const response = (status: number, retryAfter: string | null = null) => ({ kind: "response" as const, status, retryAfter });

describe("decideForwardOutcome", () => {
  it("acks every 2xx", () => {
    for (const s of [200, 201, 202, 204, 299]) expect(decideForwardOutcome(response(s), 1, NOW, 0.5)).toEqual({ action: "ack" });
  });

  it("dead-letters the permanent refusals at once, naming the status", () => {
    for (const s of [400, 401, 403, 404, 410, 413]) {
      const d = decideForwardOutcome(response(s), 1, NOW, 0.5);
      expect(d.action).toBe("dead-letter");
      expect(d.action === "dead-letter" && d.reason).toContain(`HTTP ${s}`);
    }
  });

  it("retries 429 after Retry-After seconds", () => {
    expect(decideForwardOutcome(response(429, "42"), 3, NOW, 0.5)).toMatchObject({ action: "retry", delaySeconds: 42 });
  });

  it("retries 429 after a Retry-After HTTP date", () => {
    const d = decideForwardOutcome(response(429, "Tue, 24 Nov 2026 12:02:00 GMT"), 1, NOW, 0.5);
    expect(d).toMatchObject({ action: "retry", delaySeconds: 120 });
  });

  it("retries 429 without Retry-After on the backoff schedule", () => {
    expect(decideForwardOutcome(response(429), 4, NOW, 0.3)).toMatchObject({
      action: "retry",
      delaySeconds: backoffSeconds(4, FORWARD_BACKOFF, 0.3),
    });
  });

  it("retries 5xx, other 4xx, network errors and timeouts with exponential backoff", () => {
    const results = [response(500), response(503), response(408), response(302), { kind: "network" as const, detail: "reset" }, { kind: "timeout" as const }];
    for (const r of results) {
      const first = decideForwardOutcome(r, 1, NOW, 0.5);
      const later = decideForwardOutcome(r, 5, NOW, 0.5);
      expect(first).toMatchObject({ action: "retry", delaySeconds: backoffSeconds(1, FORWARD_BACKOFF, 0.5) });
      expect(later).toMatchObject({ action: "retry", delaySeconds: backoffSeconds(5, FORWARD_BACKOFF, 0.5) });
      expect(later.action === "retry" && first.action === "retry" && later.delaySeconds > first.delaySeconds).toBe(true);
    }
  });

  it("dead-letters a transient failure on the last attempt, with the last failure as reason", () => {
    const d = decideForwardOutcome(response(503), FORWARD_MAX_ATTEMPTS, NOW, 0.5);
    expect(d).toEqual({ action: "dead-letter", reason: `gave up after ${FORWARD_MAX_ATTEMPTS} attempts; last: HTTP 503` });
    expect(decideForwardOutcome(response(503), FORWARD_MAX_ATTEMPTS - 1, NOW, 0.5).action).toBe("retry");
  });
});

describe("isDestinationFailure", () => {
  it("counts 5xx, 429, 408, network and timeouts; not 2xx or permanent 4xx", () => {
    expect(isDestinationFailure(response(502))).toBe(true);
    expect(isDestinationFailure(response(429))).toBe(true);
    expect(isDestinationFailure({ kind: "timeout" })).toBe(true);
    expect(isDestinationFailure({ kind: "network", detail: "x" })).toBe(true);
    expect(isDestinationFailure(response(200))).toBe(false);
    expect(isDestinationFailure(response(410))).toBe(false);
  });
});
