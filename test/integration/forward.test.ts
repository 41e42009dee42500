/**
 * The aae-forward consumer with a real forwarding gate (DeadLetters DO, instance forward-gate),
 * against a stand-in destination (see forward-helpers.ts for why `fetch` is injected).
 */
import { env } from "cloudflare:workers";
import { reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { FORWARD_GATE_INSTANCE } from "../../src/pipeline/forward.ts";
import type { DeadLetterMessage, ForwardMessage } from "../../src/pipeline/messages.ts";
import { verifyStandardWebhook } from "../../src/pipeline/standard-webhooks.ts";
import { BASE_COOL_DOWN_MS, FAILURE_THRESHOLD } from "../../src/pipeline/circuit-breaker.ts";
import { FORWARD_MAX_ATTEMPTS } from "../../src/pipeline/forward-policy.ts";
import { queued, testEnv } from "./pipeline-helpers.ts";
import { forwardMessage, recordSendDelays, runForward, sink } from "./forward-helpers.ts";

const URL_ = "https://sink.example/hook";
const SECRET = env.FORWARD_SECRET;

const gate = () => env.DEAD_LETTERS.getByName(FORWARD_GATE_INSTANCE);

beforeEach(async () => {
  await reset();
});

describe("forwarder", () => {
  it("POSTs the envelope JSON byte for byte with Standard Webhooks headers, and acks a 2xx", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const now = Date.parse("2026-11-24T12:00:00Z");
    const s = sink(() => new Response(null, { status: 204 }), now);
    const m = forwardMessage(1);
    const q = queued(m);
    const result = await runForward(t, s, [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(s.requests).toHaveLength(1);
    const r = s.requests[0]!;
    expect(r.url).toBe(URL_);
    expect(r.method).toBe("POST");
    expect(r.body).toBe(m.json);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("webhook-id")).toBe(m.id);
    expect(r.headers.get("webhook-timestamp")).toBe(String(now / 1000));
    // Hand-computed: HMAC-SHA256 keyed with the base64-decoded secret over "id.ts.body".
    const key = await crypto.subtle.importKey(
      "raw",
      Uint8Array.from(atob(SECRET.slice("whsec_".length)), (c) => c.charCodeAt(0)),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${m.id}.${now / 1000}.${m.json}`)));
    expect(r.headers.get("webhook-signature")).toBe(`v1,${btoa(String.fromCharCode(...mac))}`);
    const verified = await verifyStandardWebhook(
      SECRET,
      { id: r.headers.get("webhook-id"), timestamp: r.headers.get("webhook-timestamp"), signature: r.headers.get("webhook-signature") },
      r.body,
      now / 1000,
    );
    expect(verified).toEqual({ ok: true });
  });

  it("dead-letters a 410 at once, with the status as the reason, and acks", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const s = sink(() => new Response("gone", { status: 410 }));
    const q = queued(forwardMessage(1));
    const result = await runForward(t, s, [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    const letters = t.deadLetter.sent.map((x) => x.body as DeadLetterMessage);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ v: 1, from: "forward", original: q.body });
    expect(letters[0]!.reason).toContain("HTTP 410");
  });

  it("retries a 429 after its Retry-After", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const s = sink(() => new Response(null, { status: 429, headers: { "retry-after": "120" } }));
    const q = queued(forwardMessage(1));
    const result = await runForward(t, s, [q]);
    expect(result.retryMessages).toEqual([{ msgId: q.id }]);
    expect(result.delays.get(q.id)).toBe(120);
    expect(t.deadLetter.sent).toEqual([]);
  });

  it("retries a 500 with backoff that grows with the attempts", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const s = sink(() => new Response(null, { status: 500 }));
    const first = queued(forwardMessage(1), 1);
    const fourth = queued(forwardMessage(2), 4);
    const result = await runForward(t, s, [first, fourth]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.delays.get(first.id)).toBe(8); // 10 s step, jitter 0.5: ceil(5 + 2.5)
    expect(result.delays.get(fourth.id)).toBe(60); // 80 s step: 40 + 20
  });

  it("treats a timeout and a network error as transient", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const s = sink((n) => {
      if (n === 1) throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
      throw new TypeError("Network connection lost.");
    });
    const a = queued(forwardMessage(1));
    const b = queued(forwardMessage(2));
    const result = await runForward(t, s, [a, b]);
    expect(new Set(result.retryMessages.map((r) => r.msgId))).toEqual(new Set([a.id, b.id]));
  });

  it("dead-letters after the last attempt fails", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const s = sink(() => new Response(null, { status: 503 }));
    const q = queued(forwardMessage(1), FORWARD_MAX_ATTEMPTS);
    const result = await runForward(t, s, [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect((t.deadLetter.sent[0]!.body as DeadLetterMessage).reason).toBe(`gave up after ${FORWARD_MAX_ATTEMPTS} attempts; last: HTTP 503`);
  });

  it("opens the circuit after consecutive failures: later messages are held without a request", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const s = sink(() => new Response(null, { status: 503 }));
    await runForward(t, s, Array.from({ length: FAILURE_THRESHOLD }, (_, i) => queued(forwardMessage(i))));
    expect(s.requests).toHaveLength(FAILURE_THRESHOLD);
    expect((await gate().gateInspect(URL_)).phase).toBe("open");

    const later = [queued(forwardMessage(10)), queued(forwardMessage(11))];
    const sends = recordSendDelays(t);
    const result = await runForward(t, s, later);
    expect(s.requests).toHaveLength(FAILURE_THRESHOLD);
    // Held, not retried: a delayed copy each (test/integration/forward-hold.test.ts has the rest).
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual(later.map((q) => q.id).sort());
    expect(sends.map((m) => (m.body as ForwardMessage).id).sort()).toEqual(later.map((q) => q.body.id).sort());
    for (const m of sends) {
      // The rest of the cool-down (about 30 s), plus at most 5 s of spread.
      expect(m.delaySeconds).toBeGreaterThanOrEqual(BASE_COOL_DOWN_MS / 1000 - 5);
      expect(m.delaySeconds).toBeLessThanOrEqual(BASE_COOL_DOWN_MS / 1000 + 5);
    }
  });

  it("forwards a spilled envelope from the Spool", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const text = JSON.stringify({ id: "big", event: { text: "y".repeat(200_000) } });
    await env.SPOOL.getByName("default").putSpill("env:big", new Uint8Array(new TextEncoder().encode(text)).buffer);
    const s = sink(() => new Response("ok"));
    const q = queued<ForwardMessage>({ v: 1, id: "big", app: "default", spill: "env:big" });
    const result = await runForward(t, s, [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(s.requests[0]!.body).toBe(text);
  });

  it("sends at most FORWARD_RATE_LIMIT requests per second and defers the rest", async () => {
    const t = testEnv({ FORWARD_URL: URL_, FORWARD_RATE_LIMIT: "2" });
    const s = sink(() => new Response(null, { status: 200 }));
    const msgs = Array.from({ length: 5 }, (_, i) => queued(forwardMessage(i)));
    const result = await runForward(t, s, msgs);
    expect(s.requests).toHaveLength(2);
    // Two delivered, three held: every original acked, the three held ones re-sent as copies.
    expect(result.explicitAcks).toHaveLength(5);
    expect(result.retryMessages).toEqual([]);
    expect(t.forward.sent.map((m) => (m.body as ForwardMessage).id)).toEqual(msgs.slice(2).map((q) => q.body.id));
  });

  it("dead-letters when forwarding is not configured", async () => {
    const t = testEnv();
    const s = sink(() => new Response(null, { status: 200 }));
    const q = queued(forwardMessage(1));
    const result = await runForward(t, s, [q]);
    expect(s.requests).toEqual([]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect((t.deadLetter.sent[0]!.body as DeadLetterMessage).reason).toContain("FORWARD_URL");
  });

  it("keeps a malformed message as an unknown dead letter instead of posting it", async () => {
    const t = testEnv({ FORWARD_URL: URL_ });
    const s = sink(() => new Response(null, { status: 200 }));
    const q = queued({ what: "is this" });
    const result = await runForward(t, s, [q]);
    expect(s.requests).toEqual([]);
    expect(result.explicitAcks).toEqual([q.id]);
    const stored = await env.DEAD_LETTERS.getByName("dead-letters").get(q.id);
    expect(stored).toMatchObject({ from: "unknown", reason: "malformed forward message", original: null });
  });
});
