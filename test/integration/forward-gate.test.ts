/**
 * The forwarding gate's token bucket (src/pipeline/forward-gate-store.ts), on the real SQLite
 * storage of a DeadLetters Durable Object, with the clock passed in so refills are exact.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ForwardGateStore } from "../../src/pipeline/forward-gate-store.ts";

const DEST = "https://example.test/events";

function withGate<T>(name: string, fn: (gate: ForwardGateStore) => T): Promise<T> {
  return runInDurableObject(env.DEAD_LETTERS.getByName(name), (_instance, state) => fn(new ForwardGateStore(state.storage.sql)));
}

describe("forward gate rate limit", () => {
  it("a rate below 1 per second still sends: one request each time a whole token has refilled", async () => {
    await withGate("gate-rate-half", (gate) => {
      const t0 = 1_800_000_000_000;
      // A fresh bucket is full: one request (burst at least 1), the rest wait.
      expect(gate.admit(DEST, 3, 0.5, t0).allowed).toBe(1);
      expect(gate.admit(DEST, 3, 0.5, t0 + 1000).allowed).toBe(0);
      // 0.5 per second: a whole token after 2 s.
      const later = gate.admit(DEST, 3, 0.5, t0 + 2000);
      expect(later.allowed).toBe(1);
      expect(later.retryAfterMs).toBeGreaterThan(0);
      // The bucket never holds more than one token at this rate, however long it sat idle.
      expect(gate.admit(DEST, 3, 0.5, t0 + 60_000).allowed).toBe(1);
    });
  });

  it("a rate of 5 per second admits a burst of 5, then refills at 5 per second", async () => {
    await withGate("gate-rate-five", (gate) => {
      const t0 = 1_800_000_000_000;
      expect(gate.admit(DEST, 10, 5, t0).allowed).toBe(5);
      expect(gate.admit(DEST, 10, 5, t0).allowed).toBe(0);
      expect(gate.admit(DEST, 10, 5, t0 + 400).allowed).toBe(2);
      expect(gate.admit(DEST, 10, 5, t0 + 10_000).allowed).toBe(5);
    });
  });
});
