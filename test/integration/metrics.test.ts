/**
 * The dashboard's telemetry end to end inside workerd: real consumer batches (ingest, forward,
 * dead letter) record into the real Metrics Durable Object, once per batch, and GET /admin/metrics
 * and GET /admin/tail read it back through the Worker.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { handleQueue } from "../../src/pipeline/queue.ts";
import { handleForwardBatch } from "../../src/pipeline/forward.ts";
import type { DeadLetterMessage } from "../../src/pipeline/messages.ts";
import { ingestMessage, queued, testEnv, type TestEnv } from "./pipeline-helpers.ts";
import type { MetricsView } from "../../src/admin/metrics-view.ts";
import { BatchMetrics, flushBatchMetrics } from "../../src/pipeline/batch-metrics.ts";

const FIXTURES = import.meta.glob<string>("../fixtures/payloads/*.json", { query: "?raw", import: "default", eager: true });
const fixture = (name: string): string => {
  const hit = Object.entries(FIXTURES).find(([p]) => p.endsWith("/" + name));
  if (hit === undefined) throw new Error(`fixture ${name} missing`);
  return hit[1];
};
const AUTH = { authorization: "Bearer test-admin-token" };
const get = (path: string) => exports.default.fetch(new Request(`https://edge.example${path}`, { headers: AUTH }));
const sum = (xs: readonly number[] | undefined) => (xs ?? []).reduce((a, b) => a + b, 0);

/** The env with METRICS counted: how many times a consumer reached for the Metrics object. */
function countingMetrics(t: TestEnv): { env: Env; calls: () => number } {
  let calls = 0;
  const metrics = { getByName: (name: string) => { calls++; return env.METRICS.getByName(name); } };
  return { env: { ...t.env, METRICS: metrics } as unknown as Env, calls: () => calls };
}

async function ingest(e: Env, texts: readonly string[], receivedAt: string) {
  const batch = createMessageBatch("aae-ingest", texts.map((text) => queued(ingestMessage(text, { received_at: receivedAt }))));
  const ctx = createExecutionContext();
  await handleQueue(batch, e, ctx);
  return getQueueResult(batch, ctx);
}

beforeEach(async () => {
  await reset();
});

describe("metrics recorded by the consumers", () => {
  it("counts published events by type with their latency, in one Metrics call for the whole batch", async () => {
    const c = countingMetrics(testEnv());
    const receivedAt = new Date(Date.now() - 3000).toISOString();
    const texts = [fixture("favorite_events.json"), fixture("direct_message_events.json"), fixture("follow_events.follow.json")];
    const result = await ingest(c.env, texts, receivedAt);
    expect(result.explicitAcks).toHaveLength(3);
    expect(c.calls()).toBe(1);
    // X sends the like again: acked, not published, so not counted.
    expect((await ingest(c.env, [texts[0]!], receivedAt)).explicitAcks).toHaveLength(1);

    const m = (await (await get("/admin/metrics?hours=1")).json()) as MetricsView;
    expect(m.times).toHaveLength(60);
    // The duplicate like was published once, so it is counted once.
    expect(sum(m.events["favorite_events"])).toBe(1);
    expect(sum(m.events["direct_message_events"])).toBe(1);
    expect(sum(m.events["follow_events"])).toBe(1);
    expect(m.totals.events).toEqual({ favorite_events: 1, direct_message_events: 1, follow_events: 1 });
    expect(m.latency.publish.total.count).toBe(3);
    // About 3 s from receipt to publish: the bucket's upper bound is within 25% above.
    expect(m.latency.publish.total.p50_ms).toBeGreaterThanOrEqual(3000);
    expect(m.latency.publish.total.p50_ms).toBeLessThan(60_000);
  });

  it("records forward outcomes and the receive-to-forward latency of delivered ones", async () => {
    const t = testEnv({ FORWARD_URL: "https://sink.example/events" });
    const c = countingMetrics(t);
    const receivedAt = new Date(Date.now() - 5000).toISOString();
    const msg = (n: number) => queued({ v: 1, id: `e${n}`, app: "default", json: `{"id":"e${n}","app":"default","received_at":"${receivedAt}","event":{}}` });
    let n = 0;
    const deps = { now: () => Date.now(), random: () => 0.5, fetch: async () => new Response(null, { status: ++n === 1 ? 500 : 200 }) };
    const batch = createMessageBatch("aae-forward", [msg(1), msg(2), msg(3)]);
    const ctx = createExecutionContext();
    await handleForwardBatch(batch, c.env, deps);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toHaveLength(1);
    expect(c.calls()).toBe(1);

    const m = (await (await get("/admin/metrics?hours=1&app=default")).json()) as MetricsView;
    expect(m.totals.forward).toEqual({ delivered: 2, retried: 1 });
    expect(sum(m.forward["held"])).toBe(0);
    expect(m.latency.forward.total.count).toBe(2);
    expect(m.latency.forward.total.p99_ms).toBeGreaterThanOrEqual(5000);
  });

  it("counts dead letters by app and origin", async () => {
    const c = countingMetrics(testEnv());
    const dead: DeadLetterMessage = { v: 1, from: "ingest", reason: "poison payload", at: new Date().toISOString(), original: ingestMessage("{") };
    const batch = createMessageBatch<unknown>("aae-dead-letter", [queued<unknown>(dead), queued<unknown>({ not: "a known shape" })]);
    const ctx = createExecutionContext();
    await handleQueue(batch, c.env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(2);
    expect(c.calls()).toBe(1);
    const all = (await (await get("/admin/metrics?hours=2")).json()) as MetricsView;
    expect(all.totals.dead_letters).toEqual({ ingest: 1, unknown: 1 });
    const one = (await (await get("/admin/metrics?hours=2&app=default")).json()) as MetricsView;
    expect(one.totals.dead_letters).toEqual({ ingest: 1 });
  });

  it("with METRICS_FLUSH_SECONDS, an isolate gathers batches and sends them in one call once the interval has passed", async () => {
    const c = countingMetrics(testEnv({ METRICS_FLUSH_SECONDS: "30" }));
    const receivedAt = new Date(Date.now() - 1000).toISOString();
    // Settle the isolate's buffer first (earlier tests run with 0 and sent at "now").
    await flushBatchMetrics(c.env, new BatchMetrics(), Date.now() + 31_000);
    const before = c.calls();
    await ingest(c.env, [fixture("favorite_events.json")], receivedAt);
    await ingest(c.env, [fixture("direct_message_events.json")], receivedAt);
    await ingest(c.env, [fixture("follow_events.follow.json")], receivedAt);
    // Three batches inside 30 s: not a call each (held in the isolate, not sent).
    expect(c.calls() - before).toBe(0);
    await flushBatchMetrics(c.env, new BatchMetrics(), Date.now() + 62_000);
    expect(c.calls() - before).toBe(1);
    const m = (await (await get("/admin/metrics?hours=1")).json()) as MetricsView;
    expect(m.totals.events).toEqual({ favorite_events: 1, direct_message_events: 1, follow_events: 1 });
  });

  it("makes no Metrics call for a batch that recorded nothing", async () => {
    const c = countingMetrics(testEnv());
    const batch = createMessageBatch("aae-forward", []);
    await handleForwardBatch(batch, c.env);
    expect(c.calls()).toBe(0);
  });
});

describe("GET /admin/tail", () => {
  it("lists the newest envelopes first with a summary, DM text hidden unless asked, 64-bit ids intact", async () => {
    const t = testEnv();
    const receivedAt = new Date().toISOString();
    const tweet = fixture("tweet_create_events.longform.docs.json").replace('"id": 1924465506158879000', '"id": 1924465506158878979');
    await ingest(t.env, [tweet], receivedAt);
    await ingest(t.env, [fixture("direct_message_events.json")], receivedAt);

    const res = await get("/admin/tail?limit=10");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/"id":1924465506158878979[,}]/);
    const tail = JSON.parse(text) as { dm_text: string; entries: { type: string; summary: string; envelope: { event: unknown } }[] };
    expect(tail.dm_text).toBe("hidden");
    expect(tail.entries.map((e) => e.type)).toEqual(["direct_message_events", "tweet_create_events"]);
    const dmText = (JSON.parse(fixture("direct_message_events.json")) as { direct_message_events: { message_create: { message_data: { text: string } } }[] })
      .direct_message_events[0]!.message_create.message_data.text;
    expect(JSON.stringify(tail.entries[0])).not.toContain(dmText);
    expect(JSON.stringify(tail.entries[0]!.envelope)).toContain("DM text hidden");
    expect(tail.entries[0]!.summary).toContain("text hidden");

    const shown = (await (await get("/admin/tail?limit=10&dm_text=show&type=direct_message_events")).json()) as typeof tail;
    expect(shown.entries).toHaveLength(1);
    expect(JSON.stringify(shown.entries[0]!.envelope)).toContain(dmText);
  });

  it("filters by app and refuses bad queries with a 400, and needs the admin token", async () => {
    expect((await get("/admin/tail?app=nope")).status).toBe(400);
    expect((await get("/admin/tail?limit=abc")).status).toBe(400);
    expect((await get("/admin/metrics?hours=999")).status).toBe(400);
    expect((await get("/admin/tail?app=default")).status).toBe(200);
    expect((await exports.default.fetch(new Request("https://edge.example/admin/tail"))).status).toBe(401);
  });
});
