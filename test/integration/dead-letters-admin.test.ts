/**
 * The per-app view of the dead letters over /admin: `?app=` and /admin/apps/:app/dead-letters,
 * the counts by app and origin, and the 400 for an app that is not configured. The admin router
 * runs with a two-app configuration against the real DeadLetters Durable Object; letters are
 * stored through the real aae-dead-letter consumer.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createAdminRouter } from "../../src/admin/router.ts";
import { UNKNOWN_APP } from "../../src/pipeline/dead-letter.ts";
import type { DeadLetterMessage, ForwardMessage } from "../../src/pipeline/messages.ts";
import { handleQueue } from "../../src/pipeline/queue.ts";
import { ingestMessage, queued } from "./pipeline-helpers.ts";

const AUTH = { authorization: "Bearer test-admin-token" };
const twoApps = { ...env, APPS: JSON.stringify([{ name: "default" }, { name: "shop" }]), X_CONSUMER_SECRET_SHOP: "shop-secret" } as Env;
const router = createAdminRouter();

interface Page {
  entries: { id: string; app: string; from: string }[];
  cursor: string | null;
  counts: { total: number; by_app: Record<string, number>; by_from: Record<string, number> };
}

async function call(path: string): Promise<Response> {
  return router.fetch(new Request(`https://edge.example${path}`, { headers: AUTH }), twoApps, createExecutionContext());
}

const forward = (app: string, id: string): DeadLetterMessage => ({
  v: 1, from: "forward", reason: "HTTP 410", at: "2026-11-24T12:00:00.000Z", original: { v: 1, id, app, json: "{}" } satisfies ForwardMessage,
});
const ingest = (app: string): DeadLetterMessage => ({
  v: 1, from: "ingest", reason: "poison payload", at: "2026-11-24T12:00:00.000Z", original: ingestMessage("{", { app }),
});

/** Through the real consumer: default 2 forward + 1 ingest, shop 1 forward, one of unknown shape. */
async function seed(): Promise<void> {
  const bodies = [forward("default", "e1"), ingest("default"), forward("shop", "e2"), forward("default", "e3"), { junk: true }];
  const batch = createMessageBatch("aae-dead-letter", bodies.map((b) => queued(b)));
  const ctx = createExecutionContext();
  await handleQueue(batch, env, ctx);
  expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(bodies.length);
}

beforeEach(async () => {
  await reset();
});

describe("dead letters per app over /admin", () => {
  it("lists everything with counts by app and by origin", async () => {
    await seed();
    const res = await call("/admin/dead-letters?limit=2");
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page;
    expect(page.entries.map((e) => e.app)).toEqual(["default", "default"]);
    // Counts cover every page, not just this one.
    expect(page.counts).toEqual({
      total: 5,
      by_app: { default: 3, shop: 1, [UNKNOWN_APP]: 1 },
      by_from: { forward: 3, ingest: 1, unknown: 1 },
    });
  });

  it("filters by ?app=, pages within the app, and counts only the app's letters", async () => {
    await seed();
    const first = (await (await call("/admin/dead-letters?app=default&limit=2")).json()) as Page;
    expect(first.entries.map((e) => e.app)).toEqual(["default", "default"]);
    expect(first.counts).toEqual({ total: 3, by_app: { default: 3 }, by_from: { forward: 2, ingest: 1 } });
    const second = (await (await call(`/admin/dead-letters?app=default&limit=2&cursor=${first.cursor}`)).json()) as Page;
    expect(second.entries.map((e) => e.app)).toEqual(["default"]);
    expect(second.cursor).toBeNull();
    const shop = (await (await call("/admin/dead-letters?app=shop")).json()) as Page;
    expect(shop.entries).toHaveLength(1);
    expect(shop.counts.total).toBe(1);
    const both = (await (await call("/admin/dead-letters?app=default&from=ingest")).json()) as Page;
    expect(both.entries.map((e) => [e.app, e.from])).toEqual([["default", "ingest"]]);
  });

  it("shows the letters of unknown shape under the _unknown app", async () => {
    await seed();
    const page = (await (await call(`/admin/dead-letters?app=${UNKNOWN_APP}`)).json()) as Page;
    expect(page.entries.map((e) => [e.app, e.from])).toEqual([[UNKNOWN_APP, "unknown"]]);
  });

  it("400s an app that is not configured, naming the configured ones", async () => {
    for (const bad of ["nope", "", "DEFAULT", "x".repeat(300)]) {
      const res = await call(`/admin/dead-letters?app=${bad}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("bad_request");
      expect(body.error.message).toContain("default, shop");
    }
    expect((await call("/admin/dead-letters?app=default&app=shop")).status).toBe(400);
  });

  it("serves the same listing at /admin/apps/:app/dead-letters, and 404s an unknown app there", async () => {
    await seed();
    const res = await call("/admin/apps/shop/dead-letters");
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page;
    expect(page.entries.map((e) => e.app)).toEqual(["shop"]);
    expect(page.counts).toEqual({ total: 1, by_app: { shop: 1 }, by_from: { forward: 1 } });
    expect(await (await call("/admin/apps/default/dead-letters?from=ingest")).json()).toMatchObject({ entries: [{ app: "default", from: "ingest" }] });
    expect((await call("/admin/apps/nope/dead-letters")).status).toBe(404);
    expect((await call("/admin/apps/shop/dead-letters?app=default")).status).toBe(400);
  });
});
