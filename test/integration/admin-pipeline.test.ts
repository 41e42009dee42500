/**
 * GET /admin/pipeline (src/admin/pipeline.ts) through the Worker, against the real local queues,
 * the real DeadLetters store and the real forward gate.
 *
 * The real-queue test reads aae-ingest's backlog right after sending to it: the local consumer
 * takes messages only after its 1 s batch window (max_batch_timeout), so they are normally still
 * waiting when the request is served (it sends again if a slow run let the consumer win). Delayed messages cannot be used
 * to avoid that window: Miniflare does not count them in the backlog.
 *
 * A metrics() failure cannot be produced by Miniflare, so one binding is replaced by a stand-in
 * that throws (the rest of the env stays real).
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import type { PipelineStatus } from "../../src/admin/pipeline.ts";
import { FAILURE_THRESHOLD } from "../../src/pipeline/circuit-breaker.ts";
import { FORWARD_GATE_INSTANCE } from "../../src/pipeline/forward.ts";
import { ingestMessage } from "./pipeline-helpers.ts";

const BASE = "https://edge.example";
const AUTH = { authorization: "Bearer test-admin-token" };

async function getPipeline(over: Record<string, unknown> | null = null): Promise<Response> {
  const req = new Request(`${BASE}/admin/pipeline`, { headers: AUTH });
  if (over === null) return exports.default.fetch(req);
  const ctx = createExecutionContext();
  const res = await worker.fetch(req as Request<unknown, IncomingRequestCfProperties>, { ...env, ...over } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("GET /admin/pipeline", () => {
  it("needs the admin token", async () => {
    expect((await exports.default.fetch(new Request(`${BASE}/admin/pipeline`))).status).toBe(401);
  });

  it("shows every queue; messages sent to aae-ingest show in its backlog with their age before they are consumed", async () => {
    // Real deliveries (so the consumer that takes them 1 s later publishes them, and stores no
    // dead letter another test could count). Should a slow machine let the consumer take them
    // before the read, send again: the assertion is about what the queue reports, not timing.
    const probe = () => ({ body: ingestMessage(JSON.stringify({ for_user_id: "2244994945", tweet_create_events: [{ id_str: String(1_900_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e9))), text: "probe" }] })), contentType: "v8" as const });
    let body: PipelineStatus | null = null;
    for (let i = 0; i < 5; i++) {
      await env.INGEST.sendBatch([probe(), probe(), probe()]);
      const res = await getPipeline();
      expect(res.status).toBe(200);
      body = await res.json<PipelineStatus>();
      const q = body.queues[0]!;
      if (!("error" in q) && q.backlog_count >= 3) break;
    }
    if (body === null) throw new Error("unreachable");
    expect(body.queues.map((q) => q.queue)).toEqual(["aae-ingest", "aae-events", "aae-forward", "aae-dead-letter"]);
    const ingest = body.queues[0]!;
    expect(ingest).toMatchObject({ binding: "INGEST" });
    if ("error" in ingest) throw new Error("aae-ingest metrics unavailable");
    expect(ingest.backlog_count).toBeGreaterThanOrEqual(3);
    expect(ingest.backlog_bytes).toBeGreaterThan(0);
    expect(Date.parse(ingest.oldest_message_at!)).toBeLessThanOrEqual(Date.parse(body.at));
    expect(ingest.oldest_age_seconds).toBeGreaterThanOrEqual(0);
    // No FORWARD_URL in the test config: nothing forwarded, no circuit to show.
    expect(body.forward).toBeNull();
    expect(body.forward_destinations).toEqual([]);
    expect(body.dead_letters).toEqual({ total: expect.any(Number) });
  });

  it("counts the stored dead letters", async () => {
    const before = (await (await getPipeline()).json<PipelineStatus>()).dead_letters as { total: number };
    await env.DEAD_LETTERS.getByName("dead-letters").storeRaw(`pipe-${Math.random()}`, "unknown", "test", new Date().toISOString(), { x: 1 });
    const after = (await (await getPipeline()).json<PipelineStatus>()).dead_letters as { total: number };
    expect(after.total).toBe(before.total + 1);
  });

  it("a queue whose metrics() throws reads as unavailable (no internal message), the others still answer", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = { metrics: () => Promise.reject(new Error("internal: queue shard 7 at 10.0.0.3 unreachable")) };
    const res = await getPipeline({ FORWARD: broken });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("10.0.0.3");
    const body = JSON.parse(text) as PipelineStatus;
    expect(body.queues.find((q) => q.queue === "aae-forward")).toEqual({ queue: "aae-forward", binding: "FORWARD", error: "unavailable" });
    expect(body.queues.find((q) => q.queue === "aae-ingest")).toHaveProperty("backlog_count");
    err.mockRestore();
  });

  it("with INGEST_QUEUES=3 every ingest queue is shown after aae-ingest, each with its own backlog or error", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const oldest = new Date(Date.now() - 90_000);
    // Stand-ins for the two extra producer bindings (a test env binds one ingest queue); the rest stays real.
    const second = { send: async () => {}, metrics: async () => ({ backlogCount: 7, backlogBytes: 7000, oldestMessageTimestamp: oldest }) };
    const third = { send: async () => {}, metrics: () => Promise.reject(new Error("internal: shard 3 at 10.0.0.9")) };
    const res = await getPipeline({ INGEST_QUEUES: "3", INGEST_2: second, INGEST_3: third });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("10.0.0.9");
    const body = JSON.parse(text) as PipelineStatus;
    expect(body.queues.map((q) => q.queue)).toEqual(["aae-ingest", "aae-ingest-2", "aae-ingest-3", "aae-events", "aae-forward", "aae-dead-letter"]);
    expect(body.queues[1]).toMatchObject({ queue: "aae-ingest-2", binding: "INGEST_2", backlog_count: 7, backlog_bytes: 7000, oldest_message_at: oldest.toISOString() });
    expect(body.queues[2]).toEqual({ queue: "aae-ingest-3", binding: "INGEST_3", error: "unavailable" });
    expect(body.queues[0]).toHaveProperty("backlog_count");
    err.mockRestore();
  });

  it("with FORWARD_URL set: the destination's host only, and the circuit as the gate holds it", async () => {
    // A path and query with a token in them: neither may appear anywhere in the answer.
    const url = `https://hooks-${Math.floor(Math.random() * 1e9)}.example.test:8443/in/SECRET-PATH-TOKEN?key=SECRET-QUERY`;
    const closed = await (await getPipeline({ FORWARD_URL: url })).text();
    expect(closed).not.toContain("SECRET");
    const host = new URL(url).host;
    expect((JSON.parse(closed) as PipelineStatus).forward).toEqual({
      destination_host: host, apps: ["default"], phase: "closed", open_until: null, open_since: null, cool_down_ms: 30_000, failures: 0,
    });

    await env.DEAD_LETTERS.getByName(FORWARD_GATE_INSTANCE).gateRecord(url, Array<boolean>(FAILURE_THRESHOLD).fill(false));
    const open = await (await getPipeline({ FORWARD_URL: url })).text();
    expect(open).not.toContain("SECRET");
    const fwd = (JSON.parse(open) as PipelineStatus).forward;
    expect(fwd).toMatchObject({ destination_host: host, phase: "open", failures: FAILURE_THRESHOLD, cool_down_ms: 30_000 });
    if (fwd === null || "error" in fwd) throw new Error("forward status missing");
    expect(Date.parse(fwd.open_until!) - Date.parse(fwd.open_since!)).toBe(30_000);
  });

  it("one entry per destination with its apps, hosts only: an app's own forward_url, the shared FORWARD_URL, and an app turned off", async () => {
    const id = Math.floor(Math.random() * 1e9);
    const shared = `https://shared-${id}.example.test/in/SECRET-PATH-TOKEN`;
    const own = `https://acme-${id}.example.test/hook?token=SECRET-QUERY`;
    const apps = JSON.stringify([
      { name: "default" },
      { name: "acme", forward_url: own },
      { name: "quiet", forward_url: null },
      { name: "other" },
    ]);
    const over = { APPS: apps, X_CONSUMER_SECRET_ACME: "a", X_CONSUMER_SECRET_QUIET: "q", X_CONSUMER_SECRET_OTHER: "o", FORWARD_URL: shared };
    await env.DEAD_LETTERS.getByName(FORWARD_GATE_INSTANCE).gateRecord(own, Array<boolean>(FAILURE_THRESHOLD).fill(false));
    const text = await (await getPipeline(over)).text();
    expect(text).not.toContain("SECRET");
    const body = JSON.parse(text) as PipelineStatus;
    expect(body.forward_destinations).toEqual([
      expect.objectContaining({ destination_host: new URL(shared).host, apps: ["default", "other"], phase: "closed" }),
      expect.objectContaining({ destination_host: new URL(own).host, apps: ["acme"], phase: "open", failures: FAILURE_THRESHOLD }),
    ]);
    expect(body.forward).toEqual(body.forward_destinations[0]);
  });
});
