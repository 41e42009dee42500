/**
 * The forwarder within the platform's limits and at the least cost (issue 12): at most six POSTs
 * in flight per invocation with each timeout started when its POST is sent, the signing key
 * imported once per secret and isolate, and a forward gate that writes nothing and is not asked
 * again while its destination is healthy. Real gate (DeadLetters DO), stand-in destination.
 */
import { env } from "cloudflare:workers";
import { reset, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { FORWARD_GATE_INSTANCE, type ForwardDeps } from "../../src/pipeline/forward.ts";
import { ForwardGateStore } from "../../src/pipeline/forward-gate-store.ts";
import { OPEN_CONNECTION_LIMIT } from "../../src/pipeline/connection-slots.ts";
import { interceptStubs, queued, testEnv, type TestEnv } from "./pipeline-helpers.ts";
import { forwardMessage, runForward, sink, type Sink } from "./forward-helpers.ts";

const URL_ = "https://sink.example/limits";

beforeEach(async () => {
  await reset();
});

/** Count the gate's RPCs by method, through the real DeadLetters namespace. */
function countGate(t: TestEnv): Map<string, number> {
  const calls = new Map<string, number>();
  interceptStubs(t, "DEAD_LETTERS", (_name, method, real) =>
    method.startsWith("gate")
      ? (...args) => {
          calls.set(method, (calls.get(method) ?? 0) + 1);
          return real(...args);
        }
      : undefined,
  );
  return calls;
}

const gateRows = () =>
  runInDurableObject(env.DEAD_LETTERS.getByName(FORWARD_GATE_INSTANCE), async (_i, state) => {
    new ForwardGateStore(state.storage.sql);
    return state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM forward_gate`).one().n;
  });

describe("forwarding within the platform's limits", () => {
  it("keeps at most 6 POSTs in flight and starts each timeout when its POST is sent", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    let inFlight = 0;
    let maxInFlight = 0;
    /** Timers started but whose POST has not finished: never more than the POSTs in flight. */
    let timersRunning = 0;
    let maxTimers = 0;
    const waiting: (() => void)[] = [];
    const base = sink(() => new Response(null, { status: 204 }));
    const deps: ForwardDeps = {
      ...base.deps,
      timeoutSignal: () => {
        timersRunning++;
        maxTimers = Math.max(maxTimers, timersRunning);
        return new AbortController().signal;
      },
      fetch: async (req) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await req.text();
        // Hold each answer until the test lets the whole wave go: the slow destination.
        await new Promise<void>((resolve) => waiting.push(resolve));
        inFlight--;
        timersRunning--;
        return new Response(null, { status: 204 });
      },
    };
    const release = setInterval(() => waiting.splice(0).forEach((r) => r()), 1);
    try {
      const msgs = Array.from({ length: 25 }, (_, i) => queued(forwardMessage(i)));
      const result = await runForward(t, { ...base, deps }, msgs);
      expect(result.explicitAcks).toHaveLength(25);
    } finally {
      clearInterval(release);
    }
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(OPEN_CONNECTION_LIMIT);
    expect(maxTimers).toBeLessThanOrEqual(OPEN_CONNECTION_LIMIT);
  });

  it("imports the signing key once per secret and isolate, not once per envelope", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const spy = vi.spyOn(crypto.subtle, "importKey");
    try {
      const s: Sink = sink(() => new Response(null, { status: 204 }));
      await runForward(t, s, Array.from({ length: 25 }, (_, i) => queued(forwardMessage(100 + i))));
      await runForward(t, s, Array.from({ length: 25 }, (_, i) => queued(forwardMessage(200 + i))));
      expect(s.requests).toHaveLength(50);
      const signing = spy.mock.calls.filter((c) => (c[4] as readonly string[]).includes("sign"));
      expect(signing.length).toBeLessThanOrEqual(1);
    } finally {
      spy.mockRestore();
    }
  });

  it("a healthy destination costs the gate no writes, and with the isolate's cache no RPC after the first batch", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const calls = countGate(t);
    const base = sink(() => new Response(null, { status: 204 }));
    const deps: ForwardDeps = { ...base.deps, gateCache: new Map() };
    for (let b = 0; b < 3; b++) {
      await runForward(t, { ...base, deps }, Array.from({ length: 5 }, (_, i) => queued(forwardMessage(300 + b * 10 + i))));
    }
    expect(base.requests).toHaveLength(15);
    expect(calls.get("gateAdmit")).toBe(1);
    expect(calls.get("gateRecord") ?? 0).toBe(0);
    expect(await gateRows()).toBe(0);
  });

  it("a failure forgets the cached gate and is recorded, so the breaker still counts it", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const calls = countGate(t);
    let status = 204;
    const base = sink(() => new Response(null, { status }));
    const deps: ForwardDeps = { ...base.deps, gateCache: new Map() };
    await runForward(t, { ...base, deps }, [queued(forwardMessage(400))]);
    status = 500;
    await runForward(t, { ...base, deps }, [queued(forwardMessage(401))]);
    expect(calls.get("gateRecord")).toBe(1);
    expect(deps.gateCache!.has(URL_)).toBe(false);
    const inspected = await env.DEAD_LETTERS.getByName(FORWARD_GATE_INSTANCE).gateInspect(URL_);
    expect(inspected.failures).toBe(1);
    // The next batch asks the gate again.
    status = 204;
    await runForward(t, { ...base, deps }, [queued(forwardMessage(402))]);
    expect(calls.get("gateAdmit")).toBe(2);
  });
});
