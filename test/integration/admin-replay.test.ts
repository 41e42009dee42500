/**
 * POST /admin/apps/:app/replay and the delivery gaps it covers, through the admin router built
 * with the in-memory XApiClient fake (admin-fake-x.ts: neither X nor the emulator runs inside
 * workerd) against a real Registry Durable Object. The 400 / 409 rules are in admin.test.ts.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createAdminRouter } from "../../src/admin/router.ts";
import { registryFor } from "../../src/state/registry.ts";
import type { WebhookRow } from "../../src/state/registry-schema.ts";
import { FakeX } from "./admin-fake-x.ts";

const AUTH = { authorization: "Bearer test-admin-token" };
const BASE = "https://edge.example";
const H = 3_600_000;
const M = 60_000;
const NOW = Date.parse("2026-03-10T18:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

describe("manual Replay covers the delivery gaps inside its window", () => {
  let fake: FakeX;
  let testEnv: Env;
  let app: string;
  const send = (path: string, init: RequestInit = {}) =>
    createAdminRouter({ makeXClient: () => fake, now: () => NOW }).fetch(new Request(`${BASE}${path}`, { ...init, headers: AUTH }), testEnv, createExecutionContext());

  beforeEach(() => {
    fake = new FakeX();
    app = `replay${Math.floor(Math.random() * 1e9)}`;
    testEnv = {
      ...env,
      APPS: JSON.stringify([{ name: app, flavour: "v2" }]),
      [`X_CONSUMER_SECRET_${app.toUpperCase()}`]: "s",
      [`X_BEARER_TOKEN_${app.toUpperCase()}`]: "b",
    } as Env;
  });

  /** Register the webhook, then record it down from `okAt` until `upAt`: one closed gap. */
  async function downBetween(w: WebhookRow, okAtMs: number, upAtMs: number): Promise<number> {
    const registry = registryFor(testEnv, app);
    await registry.recordWebhook({ ...w, valid: true }, iso(okAtMs));
    await registry.recordWebhook({ ...w, valid: false }, iso(okAtMs + M));
    await registry.recordWebhook({ ...w, valid: true }, iso(upAtMs));
    return (await registry.gaps()).at(-1)!.id;
  }

  it("answers with covered_gaps: the closed gaps entirely inside, not one reaching past the end", async () => {
    expect((await send(`/admin/apps/${app}/webhooks`, { method: "POST" })).status).toBe(201);
    const registry = registryFor(testEnv, app);
    const w = (await registry.currentWebhook())!;
    const inside = await downBetween(w, NOW - 5 * H, NOW - 4 * H);
    const pastEnd = await downBetween(w, NOW - 90 * M, NOW - 30 * M);

    const res = await send(`/admin/apps/${app}/replay`, { method: "POST", body: JSON.stringify({ from: iso(NOW - 6 * H), to: iso(NOW - H) }) });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { job: { job_id: string; gap_ids: number[] }; covered_gaps: number[] };
    expect(body.covered_gaps).toEqual([inside]);
    expect(body.job.gap_ids).toEqual([inside]);
    const gaps = new Map((await registry.gaps()).map((g) => [g.id, g]));
    expect(gaps.get(inside)).toMatchObject({ state: "requested", job_id: body.job.job_id });
    expect(gaps.get(pastEnd)).toMatchObject({ state: "closed", job_id: null });

    // The job listing shows the link too.
    const list = (await (await send(`/admin/apps/${app}/replay/${body.job.job_id}`)).json()) as { job: { gap_ids: number[] } };
    expect(list.job.gap_ids).toEqual([inside]);
  });

  it("answers covered_gaps: [] when no gap lies inside the window", async () => {
    await send(`/admin/apps/${app}/webhooks`, { method: "POST" });
    const registry = registryFor(testEnv, app);
    const gap = await downBetween((await registry.currentWebhook())!, NOW - 5 * H, NOW - 4 * H);
    const res = await send(`/admin/apps/${app}/replay`, { method: "POST", body: JSON.stringify({ from: iso(NOW - 3 * H), to: iso(NOW - H) }) });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ covered_gaps: [] });
    expect((await registry.gaps()).find((g) => g.id === gap)).toMatchObject({ state: "closed" });
  });
});
