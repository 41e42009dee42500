/**
 * The ingest consumer's "last delivery" telemetry (src/pipeline/last-delivery.ts) through the
 * Worker's real queue handler (`handleQueue`) with real Registry, Dedup and Spool Durable
 * Objects: it records each app's newest `received_at` in the app's Registry, at most once a
 * minute per app (the recorder's clock is injected), never changes an ack when the write fails,
 * and GET /admin/apps/:app shows it.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { normaliseDelivery } from "../../src/events/normalise.ts";
import { handleQueue } from "../../src/pipeline/queue.ts";
import { LAST_DELIVERY_WRITE_INTERVAL_MS, lastDeliveryRecorder, newestCreatedAt } from "../../src/pipeline/last-delivery.ts";
import type { IngestMessage } from "../../src/pipeline/messages.ts";
import { registryFor } from "../../src/state/registry.ts";
import { ingestMessage, queued, testEnv, type TestEnv } from "./pipeline-helpers.ts";

const FIXTURES = import.meta.glob<string>("../fixtures/payloads/*.json", { query: "?raw", import: "default", eager: true });
const fixture = (name: string): string => {
  const hit = Object.entries(FIXTURES).find(([path]) => path.endsWith(`/${name}`));
  if (hit === undefined) throw new Error(`fixture ${name} missing`);
  return hit[1];
};
const FAVORITE = fixture("favorite_events.json");
const FOLLOW = fixture("follow_events.follow.json");

const TWO_APPS = {
  APPS: JSON.stringify([{ name: "alpha" }, { name: "beta" }]),
  X_CONSUMER_SECRET_ALPHA: "s-alpha",
  X_CONSUMER_SECRET_BETA: "s-beta",
};

const clock = { now: Date.parse("2026-11-24T20:00:00.000Z") };

async function runIngest(t: TestEnv, messages: ReturnType<typeof queued<IngestMessage>>[]) {
  const batch = createMessageBatch("aae-ingest", messages);
  const ctx = createExecutionContext();
  await handleQueue(batch, t.env, ctx);
  return getQueueResult(batch, ctx);
}

beforeEach(async () => {
  await reset();
  clock.now = Date.parse("2026-11-24T20:00:00.000Z");
  lastDeliveryRecorder.reset(() => clock.now);
});

describe("last delivery per app, recorded by the ingest consumer", () => {
  it("records each app's newest received_at and newest event time in its Registry", async () => {
    const t = testEnv(TWO_APPS);
    const a1 = ingestMessage(FAVORITE, { app: "alpha", received_at: "2026-11-24T19:58:00.000Z" });
    const a2 = ingestMessage(FOLLOW, { app: "alpha", received_at: "2026-11-24T19:59:00.000Z" });
    const b1 = ingestMessage(FOLLOW, { app: "beta", received_at: "2026-11-24T19:57:00.000Z" });
    const result = await runIngest(t, [queued(a2), queued(a1), queued(b1)]);
    expect(result.explicitAcks).toHaveLength(3);

    const created = (m: IngestMessage, text: string) => newestCreatedAt(normaliseDelivery(text, { app: m.app, received_at: m.received_at, delivery_id: m.delivery_id }));
    const alphaCreated = [created(a1, FAVORITE), created(a2, FOLLOW)].filter((x) => x !== null).sort().at(-1) ?? null;
    expect(alphaCreated).not.toBeNull();
    expect(await registryFor(env, "alpha").lastDelivery()).toEqual({ at: "2026-11-24T19:59:00.000Z", event_created_at: alphaCreated });
    expect(await registryFor(env, "beta").lastDelivery()).toEqual({ at: "2026-11-24T19:57:00.000Z", event_created_at: created(b1, FOLLOW) });
  });

  it("writes an app at most once a minute, then the newest value seen meanwhile (never an older one)", async () => {
    const t = testEnv(TWO_APPS);
    const registry = registryFor(env, "alpha");
    await runIngest(t, [queued(ingestMessage(FAVORITE, { app: "alpha", received_at: "2026-11-24T19:50:00.000Z" }))]);
    expect((await registry.lastDelivery())?.at).toBe("2026-11-24T19:50:00.000Z");

    // Within the minute: not written (the Registry still holds the first time).
    clock.now += LAST_DELIVERY_WRITE_INTERVAL_MS - 1;
    await runIngest(t, [queued(ingestMessage(FOLLOW, { app: "alpha", received_at: "2026-11-24T19:55:00.000Z" }))]);
    expect((await registry.lastDelivery())?.at).toBe("2026-11-24T19:50:00.000Z");

    // A minute on, a batch carrying an older (retried) delivery: the newer pending time is written.
    clock.now += 1;
    await runIngest(t, [queued(ingestMessage(FOLLOW, { app: "alpha", received_at: "2026-11-24T19:40:00.000Z", delivery_id: crypto.randomUUID() }))]);
    expect((await registry.lastDelivery())?.at).toBe("2026-11-24T19:55:00.000Z");
  });

  it("a failing telemetry write changes no ack or retry and is only logged", async () => {
    const warn = vi.spyOn(console, "warn");
    const good = testEnv(TWO_APPS);
    // Made to fail on demand (a real Durable Object cannot be): only the telemetry RPC throws;
    // the favorite/follow events used here reach no other Registry method.
    const failingRegistry = {
      getByName: () => ({ recordLastDelivery: async () => { throw new Error("registry unavailable (test)"); } }),
    } as unknown as Env["REGISTRY"];
    const bad: TestEnv = { ...good, env: { ...good.env, REGISTRY: failingRegistry } as Env };
    const messages = () => [
      queued(ingestMessage(FAVORITE, { app: "alpha" })),
      queued(ingestMessage("{not json", { app: "alpha" })), // poison: dead-lettered, then acked
      queued(ingestMessage(FOLLOW, { app: "beta" })),
    ];

    const failing = await runIngest(bad, messages());
    expect(failing.explicitAcks).toHaveLength(3);
    expect(failing.retryMessages).toEqual([]);
    expect(failing.retryBatch.retry).toBe(false);
    expect(warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("last delivery not recorded"))).toHaveLength(2);
    expect(await registryFor(env, "alpha").lastDelivery()).toBeNull();

    // The same batch with a working Registry decides the same way.
    await reset();
    lastDeliveryRecorder.reset(() => clock.now);
    const working = await runIngest(good, messages());
    expect(working.explicitAcks).toHaveLength(3);
    expect(working.retryMessages).toEqual([]);
    expect((await registryFor(env, "alpha").lastDelivery())?.at).toBe("2026-11-24T12:00:00.000Z");
    warn.mockRestore();
  });

  it("GET /admin/apps/:app shows last_delivery_at (null before any delivery)", async () => {
    const get = async () => {
      const res = await exports.default.fetch(new Request("https://edge.example/admin/apps/default", { headers: { authorization: "Bearer test-admin-token" } }));
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    expect(await get()).toMatchObject({ app: "default", last_delivery_at: null, last_event_created_at: null, silence_alert_hours: null });
    const m = ingestMessage(FAVORITE, { received_at: "2026-11-24T19:30:00.000Z" });
    await runIngest(testEnv(), [queued(m)]);
    const created = newestCreatedAt(normaliseDelivery(FAVORITE, { app: "default", received_at: m.received_at, delivery_id: m.delivery_id }));
    expect(await get()).toMatchObject({ last_delivery_at: "2026-11-24T19:30:00.000Z", last_event_created_at: created });
  });
});
