/**
 * Holding back without using queue attempts: messages the forward gate does not admit (circuit
 * open, or over FORWARD_RATE_LIMIT) are re-sent to FORWARD as delayed copies carrying
 * `held_since`, and the original acked, until FORWARD_MAX_HOLD_HOURS is exceeded.
 *
 * Real forwarding gate (DeadLetters DO) and real Miniflare message batches; the destination is a
 * stand-in `fetch` (forward-helpers.ts), and FORWARD is the recording wrapper from
 * pipeline-helpers.ts (not passed through: the real aae-forward consumer would otherwise run the
 * copies in the background), further wrapped by `recordSendDelays` to see each copy's delay.
 */
import { env } from "cloudflare:workers";
import { reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { FORWARD_GATE_INSTANCE } from "../../src/pipeline/forward.ts";
import type { DeadLetterMessage, ForwardMessage } from "../../src/pipeline/messages.ts";
import { BASE_COOL_DOWN_MS, FAILURE_THRESHOLD } from "../../src/pipeline/circuit-breaker.ts";
import { FORWARD_MAX_ATTEMPTS } from "../../src/pipeline/forward-policy.ts";
import { DEFAULT_FORWARD_MAX_HOLD_HOURS } from "../../src/config.ts";
import { queued, recordingQueue, testEnv, type TestEnv } from "./pipeline-helpers.ts";
import { forwardMessage, recordSendDelays, runForward, sink, type Sink } from "./forward-helpers.ts";

const URL_ = "https://sink.example/hook";
const HOUR_MS = 3_600_000;
const gate = () => env.DEAD_LETTERS.getByName(FORWARD_GATE_INSTANCE);

/** Trip the breaker with FAILURE_THRESHOLD failed requests; the circuit then stays open ~30 s. */
async function openCircuit(t: TestEnv): Promise<void> {
  const failing = sink(() => new Response(null, { status: 503 }));
  await runForward(t, failing, Array.from({ length: FAILURE_THRESHOLD }, (_, i) => queued(forwardMessage(100 + i))));
  expect((await gate().gateInspect(URL_)).phase).toBe("open");
}

const letters = (t: TestEnv) => t.deadLetter.sent.map((x) => x.body as DeadLetterMessage);

beforeEach(async () => {
  await reset();
});

describe("forwarder: holding back without queue attempts", () => {
  it("with the circuit open, acks each held message after sending a delayed copy with held_since", async () => {
    const base = testEnv({ FORWARD_URL: URL_ });
    // Here FORWARD passes through to the real Miniflare queue, so its checks (content type, size,
    // per-message delay) apply to the copies; the copies' ~30 s delay outlasts this test file.
    const forward = recordingQueue(env.FORWARD, true);
    const t: TestEnv = { ...base, forward, env: { ...base.env, FORWARD: forward } as Env };
    await openCircuit(t);
    const now = Date.now();
    const s = sink(() => new Response(null, { status: 200 }), now);
    const sends = recordSendDelays(t);
    // Fresh, and on its last queue attempt: before holds were free the latter was dead-lettered.
    const fresh = queued(forwardMessage(1));
    const last = queued(forwardMessage(2), FORWARD_MAX_ATTEMPTS);
    const result = await runForward(t, s, [fresh, last]);

    expect(s.requests).toEqual([]);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual([fresh.id, last.id].sort());
    expect(t.deadLetter.sent).toEqual([]);
    const heldSince = new Date(now).toISOString();
    expect(sends.map((m) => m.body)).toEqual([
      { ...fresh.body, held_since: heldSince },
      { ...last.body, held_since: heldSince },
    ]);
    for (const m of sends) {
      // The publisher's content type for ForwardMessage (publish.ts).
      expect(m.contentType).toBe("v8");
      // The rest of the cool-down (about 30 s), plus the spread (random 0.5: 2.5 s).
      expect(m.delaySeconds).toBeGreaterThanOrEqual(BASE_COOL_DOWN_MS / 1000 - 5);
      expect(m.delaySeconds).toBeLessThanOrEqual(BASE_COOL_DOWN_MS / 1000 + 5);
    }
  });

  it("keeps the first held_since when a copy is held again", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    await openCircuit(t);
    const now = Date.now();
    const since = new Date(now - 5 * HOUR_MS).toISOString();
    const sends = recordSendDelays(t);
    const q = queued<ForwardMessage>({ ...forwardMessage(1), held_since: since });
    const result = await runForward(t, sink(() => new Response("ok"), now), [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(sends.map((m) => m.body)).toEqual([q.body]);
  });

  it("dead-letters a message held longer than the maximum, with the reason, and sends no copy", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    await openCircuit(t);
    const now = Date.now();
    const sends = recordSendDelays(t);
    const since = new Date(now - (DEFAULT_FORWARD_MAX_HOLD_HOURS + 1) * HOUR_MS).toISOString();
    const expired = queued<ForwardMessage>({ ...forwardMessage(1), held_since: since });
    const within = queued<ForwardMessage>({ ...forwardMessage(2), held_since: new Date(now - (DEFAULT_FORWARD_MAX_HOLD_HOURS - 1) * HOUR_MS).toISOString() });
    const result = await runForward(t, sink(() => new Response("ok"), now), [expired, within]);

    expect(result.explicitAcks.sort()).toEqual([expired.id, within.id].sort());
    expect(sends.map((m) => m.body)).toEqual([within.body]);
    expect(letters(t)).toHaveLength(1);
    expect(letters(t)[0]!.reason).toBe(
      `destination unavailable for more than ${DEFAULT_FORWARD_MAX_HOLD_HOURS} h (circuit open); held since ${since}`,
    );
    // Stored without held_since, so a redrive starts a new hold instead of expiring at once.
    expect(letters(t)[0]!.original).toEqual(forwardMessage(1));
  });

  it("takes the maximum hold from FORWARD_MAX_HOLD_HOURS", async () => {
    const t = testEnv({ FORWARD_URL: URL_, FORWARD_MAX_HOLD_HOURS: "2" });
    await openCircuit(t);
    const now = Date.now();
    const q = queued<ForwardMessage>({ ...forwardMessage(1), held_since: new Date(now - 3 * HOUR_MS).toISOString() });
    const result = await runForward(t, sink(() => new Response("ok"), now), [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(letters(t)[0]!.reason).toMatch(/^destination unavailable for more than 2 h \(circuit open\)/);
  });

  it("sends a long-held message once the gate admits it, however long it waited", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const now = Date.now();
    const s = sink(() => new Response(null, { status: 204 }), now);
    const q = queued<ForwardMessage>({ ...forwardMessage(1), held_since: new Date(now - 200 * HOUR_MS).toISOString() });
    const result = await runForward(t, s, [q]);
    expect(s.requests.map((r) => r.body)).toEqual([q.body.json]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(t.deadLetter.sent).toEqual([]);
  });

  it("retries (and does not ack) a held message whose copy could not be sent", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    await openCircuit(t);
    t.forward.failNext = 1;
    const q = queued(forwardMessage(1));
    const result = await runForward(t, sink(() => new Response("ok")), [q]);
    expect(t.forward.calls).toBe(1);
    expect(t.forward.sent).toEqual([]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: q.id }]);
    expect(result.delays.get(q.id)).toBeGreaterThanOrEqual(BASE_COOL_DOWN_MS / 1000 - 5);
    expect(t.deadLetter.sent).toEqual([]);
  });

  it("holds a rate-limited backlog through 25 rounds without dead-lettering it", async () => {
    // Burst = rate = 1: the filler ahead of the target gets the one token there can be, or none
    // (then both are held), however fast the rounds run: the target is held every round.
    const t = testEnv({ FORWARD_URL: URL_, FORWARD_RATE_LIMIT: "1" });
    const now = Date.now();
    const s: Sink = sink(() => new Response(null, { status: 200 }), now);
    const sends = recordSendDelays(t);
    let target = queued(forwardMessage(1), FORWARD_MAX_ATTEMPTS);
    const rounds = 25;
    for (let round = 0; round < rounds; round++) {
      const filler = queued(forwardMessage(1000 + round));
      const result = await runForward(t, s, [filler, target]);
      expect(result.explicitAcks.sort()).toEqual([filler.id, target.id].sort());
      const copies = sends.filter((m) => (m.body as ForwardMessage).id === target.body.id);
      expect(copies).toHaveLength(round + 1);
      // The copy comes back as a new message: the platform counts attempts from 1 again.
      target = queued(copies.at(-1)!.body as ForwardMessage);
    }
    expect(s.requests.map((r) => r.body)).not.toContain(forwardMessage(1).json);
    expect(t.deadLetter.sent).toEqual([]);
    expect(target.body).toEqual({ ...forwardMessage(1), held_since: new Date(now).toISOString() });
  });

  it("dead-letters a held spilled envelope whose body has expired, naming the hold", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const since = new Date(Date.now() - 10 * HOUR_MS).toISOString();
    const q = queued<ForwardMessage>({ v: 1, id: "big", app: "default", spill: "env:big", held_since: since });
    const result = await runForward(t, sink(() => new Response("ok")), [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(letters(t)[0]!.reason).toBe(`spilled envelope env:big not found (expired; held since ${since})`);
  });
});
