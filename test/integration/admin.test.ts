/**
 * The admin API. Auth, bad input and unknown apps go through the Worker's own fetch handler.
 * Routes that call X use the same admin router built with an in-memory XApiClient fake
 * (admin-fake-x.ts), because neither X nor the emulator can run inside workerd; real Registry
 * Durable Objects and KV are used throughout. The real client against the emulator is e2e.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createAdminRouter } from "../../src/admin/router.ts";
import { UNAUTHORIZED_MESSAGE } from "../../src/admin/auth.ts";
import { registryFor } from "../../src/state/registry.ts";
import { FakeX, xError } from "./admin-fake-x.ts";

const AUTH = { authorization: "Bearer test-admin-token" };
const BASE = "https://edge.example";

function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string> | undefined) } }));
}

describe("admin auth through the Worker", () => {
  it("answers 401 with one message for a missing or wrong token, and never echoes it", async () => {
    const bodies: string[] = [];
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: "Basic dGVzdC1hZG1pbi10b2tlbg==" }]) {
      const res = await exports.default.fetch(new Request(`${BASE}/admin/apps`, { headers }));
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).toContain(UNAUTHORIZED_MESSAGE);
      expect(text).not.toContain("test-admin-token");
      bodies.push(text);
    }
    expect(new Set(bodies).size).toBe(1);
  });

  it("checks auth before routing: unknown admin paths are 401 without a token", async () => {
    expect((await exports.default.fetch(new Request(`${BASE}/admin/nope`))).status).toBe(401);
    expect((await call("/admin/nope")).status).toBe(404);
  });

  it("is disabled (401 for everyone) when ADMIN_TOKEN is unset", async () => {
    const disabled = { ...env, ADMIN_TOKEN: "" } as Env;
    const res = await createAdminRouter().fetch(new Request(`${BASE}/admin/apps`, { headers: { authorization: "Bearer " } }), disabled, createExecutionContext());
    expect(res.status).toBe(401);
  });

  it("lets the right token in", async () => {
    const res = await call("/admin/apps");
    expect(res.status).toBe(200);
    const body = await res.json<{ apps: { app: string }[] }>();
    expect(body.apps.map((a) => a.app)).toEqual(["default"]);
  });
});

describe("admin input errors through the Worker", () => {
  it("404s an unknown app, naming the configured ones", async () => {
    const res = await call("/admin/apps/nope/webhooks");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "unknown_app", message: expect.stringContaining("default") } });
  });

  it("400s bad JSON, a non-object body and missing fields, saying what is wrong", async () => {
    const post = (path: string, body: string) => call(path, { method: "POST", body, headers: { "content-type": "application/json" } });
    let res = await post("/admin/apps/default/subscriptions", "{not json");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringMatching(/not valid JSON/) } });
    res = await post("/admin/apps/default/subscriptions", "[1]");
    expect(res.status).toBe(400);
    res = await post("/admin/apps/default/subscriptions", "{}");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining("user_id") } });
    res = await post("/admin/apps/default/subscriptions", JSON.stringify({ user_id: 12 }));
    expect(res.status).toBe(400);
    res = await post("/admin/apps/default/subscriptions", JSON.stringify({ user_id: "12", token: "t" }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining("secret") } });
  });

  it("400s bad replay dates before calling X", async () => {
    const post = (body: unknown) => call("/admin/apps/default/replay", { method: "POST", body: JSON.stringify(body) });
    let res = await post({ from: "yesterday", to: "2026-01-01T00:00Z" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining('"from"') } });
    res = await post({ from: "2026-01-01T00:00Z" });
    expect(res.status).toBe(400);
    const now = Date.now();
    res = await post({ from: new Date(now - 2 * 3600_000).toISOString(), to: new Date(now - 60_000).toISOString() });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining("10 minutes") } });
  });

  it("lists dead letters by origin, including ones of unknown origin", async () => {
    const store = env.DEAD_LETTERS.getByName("dead-letters");
    await store.storeRaw("raw-1", "unknown", "not one of our message shapes", new Date().toISOString(), { odd: true });
    const res = await call("/admin/dead-letters?from=unknown");
    expect(res.status).toBe(200);
    const page = (await res.json()) as { entries: { id: string; from: string }[] };
    expect(page.entries.map((e) => [e.id, e.from])).toEqual([["raw-1", "unknown"]]);
    expect((await call("/admin/dead-letters?from=elsewhere")).status).toBe(400);
  });

  it("serves a spilled envelope byte for byte, and only envelope keys", async () => {
    const text = '{"id":"tweet_create_events:1:2","event":{"id":1924465506158878979}}';
    const spool = env.SPOOL.getByName("default");
    await spool.putSpill("env:tweet_create_events:1:2", new TextEncoder().encode(text).buffer as ArrayBuffer);
    await spool.putSpill("ingest:raw-delivery", new TextEncoder().encode("{}").buffer as ArrayBuffer);
    const res = await call("/admin/apps/default/spill?key=" + encodeURIComponent("env:tweet_create_events:1:2"));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(text);
    expect((await call("/admin/apps/default/spill?key=ingest:raw-delivery")).status).toBe(404);
    expect((await call("/admin/apps/default/spill?key=env:missing")).status).toBe(404);
    expect((await call("/admin/apps/default/spill")).status).toBe(400);
    expect((await exports.default.fetch(new Request(`${BASE}/admin/apps/default/spill?key=env:tweet_create_events:1:2`))).status).toBe(401);
  });

  it("400s a bad dead-letter id list", async () => {
    const res = await call("/admin/dead-letters/redrive", { method: "POST", body: JSON.stringify({ ids: [] }) });
    expect(res.status).toBe(400);
  });
});

describe("admin routes that call X (fake X client)", () => {
  const APP = "acme";
  let fake: FakeX;
  let testEnv: Env;
  let admin: ReturnType<typeof createAdminRouter>;
  const send = (path: string, init: RequestInit = {}) =>
    admin.fetch(new Request(`${BASE}${path}`, { ...init, headers: AUTH }), testEnv, createExecutionContext());

  beforeEach(() => {
    fake = new FakeX();
    // A second app with management credentials; each test uses a fresh app name's Registry.
    const name = `${APP}${Math.floor(Math.random() * 1e9)}`;
    testEnv = {
      ...env,
      APPS: JSON.stringify([{ name, flavour: "v2" }]),
      [`X_CONSUMER_SECRET_${name.toUpperCase()}`]: "acme-consumer-secret",
      [`X_BEARER_TOKEN_${name.toUpperCase()}`]: "acme-bearer",
    } as Env;
    admin = createAdminRouter({ makeXClient: () => fake, now: () => Date.now() });
    appName = name;
  });
  let appName = APP;

  it("registers the webhook at this origin by default and records it", async () => {
    const res = await send(`/admin/apps/${appName}/webhooks`, { method: "POST" });
    expect(res.status).toBe(201);
    expect(fake.webhooks[0]!.url).toBe(`${BASE}/webhooks/${appName}`);
    expect(await registryFor(testEnv, appName).currentWebhook()).toMatchObject({ id: fake.webhooks[0]!.id, valid: true });
  });

  it("adds a subscription with a token pair, stores it sealed, and flags list differences", async () => {
    await send(`/admin/apps/${appName}/webhooks`, { method: "POST" });
    fake.users.set("42-tok", { userId: "42", screenName: "u42", secret: "sec" });
    let res = await send(`/admin/apps/${appName}/subscriptions`, { method: "POST", body: JSON.stringify({ user_id: "42", token: "42-tok", secret: "sec" }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ token_stored: true, subscription: { user_id: "42", status: "active" } });
    const sealed = await registryFor(testEnv, appName).getSealedToken("42");
    expect(sealed).not.toBeNull();
    expect(sealed).not.toContain("42-tok");
    expect(sealed).not.toContain("sec");

    // Stored token reused: unsubscribe on X's side only, then re-add without a token.
    fake.subs.clear();
    fake.subs.add("77");
    res = await send(`/admin/apps/${appName}/subscriptions`);
    expect(await res.json()).toMatchObject({ differences: { only_on_x: ["77"], only_in_registry: ["42"] }, in_sync: false });
    res = await send(`/admin/apps/${appName}/subscriptions`, { method: "POST", body: JSON.stringify({ user_id: "42" }) });
    expect(res.status).toBe(201);
    expect(fake.subs.has("42")).toBe(true);

    res = await send(`/admin/apps/${appName}/subscriptions/count`);
    expect(await res.json()).toMatchObject({ x: 2, registry: 1 });
    res = await send(`/admin/apps/${appName}/subscriptions/42`);
    expect(await res.json()).toMatchObject({ x_subscribed: true, checked_with: "user_token" });
    res = await send(`/admin/apps/${appName}/subscriptions/42`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await registryFor(testEnv, appName).listSubscriptions()).toEqual([]);
    expect(await registryFor(testEnv, appName).getSealedToken("42")).toBeNull();
  });

  it("400s a subscription without a token when none is stored", async () => {
    await send(`/admin/apps/${appName}/webhooks`, { method: "POST" });
    const res = await send(`/admin/apps/${appName}/subscriptions`, { method: "POST", body: JSON.stringify({ user_id: "5" }) });
    expect(res.status).toBe(400);
    expect(fake.calls).not.toContain("subscribe");
  });

  it("requests a replay job, then refuses a second while it is open (409) without asking X", async () => {
    await send(`/admin/apps/${appName}/webhooks`, { method: "POST" });
    const now = Date.now();
    const body = JSON.stringify({ from: new Date(now - 3 * 3600_000).toISOString(), to: new Date(now - 3600_000).toISOString() });
    let res = await send(`/admin/apps/${appName}/replay`, { method: "POST", body });
    expect(res.status).toBe(202);
    const { job } = (await res.json()) as { job: { job_id: string; state: string } };
    expect(job.state).toBe("open");
    res = await send(`/admin/apps/${appName}/replay`, { method: "POST", body });
    expect(res.status).toBe(409);
    expect(fake.calls.filter((c) => c === "requestReplay")).toHaveLength(1);
    res = await send(`/admin/apps/${appName}/replay`);
    expect(await res.json()).toMatchObject({ open_job: { job_id: job.job_id } });
  });

  it("maps X's errors onto a mirroring status with kind, X code and fix", async () => {
    fake.failNext.set("listWebhooks", xError("webhook_not_found", 404, 34, "Sorry, that page does not exist."));
    let res = await send(`/admin/apps/${appName}/webhooks`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "webhook_not_found", x_code: 34, message: "Sorry, that page does not exist.", fix: expect.stringContaining("webhook") } });
    fake.failNext.set("listWebhooks", xError("auth_failed", 401, 32));
    res = await send(`/admin/apps/${appName}/webhooks`);
    expect(res.status).toBe(502);
    fake.failNext.set("listWebhooks", xError("rate_limited", 429, 88));
    res = await send(`/admin/apps/${appName}/webhooks`);
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ error: { code: "rate_limited", x_code: 88 } });
  });

  it("records a failed CRC re-check before answering with X's error", async () => {
    await send(`/admin/apps/${appName}/webhooks`, { method: "POST" });
    const id = fake.webhooks[0]!.id;
    fake.failNext.set("recheckWebhook", xError("crc_non_200", 400, 214, "Webhook URL does not meet the requirements. Non-200 response code during CRC GET request (i.e. 404, 500, etc)."));
    const res = await send(`/admin/apps/${appName}/webhooks/${id}`, { method: "PUT" });
    expect(res.status).toBe(400);
    expect(await registryFor(testEnv, appName).currentWebhook()).toMatchObject({ valid: false, last_recheck_result: "failed" });
  });

  it("issues an invite link for Sign in with X", async () => {
    const res = await send(`/admin/apps/${appName}/invites`, { method: "POST", body: JSON.stringify({ ttl_seconds: 3600 }) });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { url: string };
    expect(body.url).toMatch(new RegExp(`^${BASE}/oauth/${appName}/start\\?invite=`));
  });
});
