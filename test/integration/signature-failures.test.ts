/**
 * Refused signatures made visible (webhook/signature-failures.ts), inside workerd against the
 * real Registry Durable Object: one log line per refusal naming the app and the reason (never a
 * secret), counts merged into the Registry at most once a minute per isolate and app (a flood of
 * forged requests is not a write each), shown by GET /admin/apps/:app; revalidation never calls
 * the webhook healthy while the receiver refuses X's requests, alerts `signature_failures` once
 * they persist (throttled), and a failed re-check names the consumer secret as the likely cause.
 * X is the in-memory fake (admin-fake-x.ts): X and the emulator cannot run inside workerd.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { appContext } from "../../src/admin/context.ts";
import { createAdminRouter } from "../../src/admin/router.ts";
import { parseConfig } from "../../src/config.ts";
import { revalidateApp } from "../../src/cron/revalidate.ts";
import { DEFAULT_SETTINGS } from "../../src/cron/revalidate-policy.ts";
import { SIGNATURE_ALERT_MESSAGE } from "../../src/cron/signature-policy.ts";
import { registryFor } from "../../src/state/registry.ts";
import { isolateTally } from "../../src/webhook/signature-failures.ts";
import { sign } from "../../src/webhook/signature.ts";
import { FakeX, xError } from "./admin-fake-x.ts";

const BASE = "https://receiver.example";
const SIG = "x-twitter-webhooks-signature";
const M = 60_000;
const SECRET = "the-right-secret";

afterEach(() => vi.restoreAllMocks());

/** A fresh app (its own Registry and isolate tally entry) and an env that serves it. */
function freshApp() {
  const name = `sig${Math.floor(Math.random() * 1e9)}`;
  const upper = name.toUpperCase();
  const e = { ...env, APPS: JSON.stringify([{ name }]), [`X_CONSUMER_SECRET_${upper}`]: SECRET, [`X_BEARER_TOKEN_${upper}`]: "b" } as Env;
  return { name, e, registry: registryFor(env, name) };
}

async function call(request: Request, e: Env): Promise<Response> {
  const ctx = createExecutionContext();
  // Cast: a test-made Request has no edge `cf` properties; the handler does not read them.
  const res = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function forged(app: string, e: Env, secret = "not-the-app-secret"): Promise<Response> {
  const body = '{"for_user_id":"1","favorite_events":[]}';
  return call(new Request(`${BASE}/webhooks/${app}`, { method: "POST", headers: { [SIG]: await sign(secret, body), "cf-connecting-ip": "203.0.113.9" }, body }), e);
}

/** console.warn captured: the refusal lines are expected here, and asserted, not printed. */
function captureWarnings(): () => Record<string, unknown>[] {
  const spy = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  return () => spy.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>);
}

describe("a refused delivery or CRC", () => {
  it("logs one line naming the app and the reason, never the secret or the signature", async () => {
    const { name, e } = freshApp();
    const lines = captureWarnings();
    const res = await forged(name, e);
    expect(res.status).toBe(401);
    const crcQuery = "crc_token=abcdefghijklmnopqrstuvwx";
    const crc = await call(new Request(`${BASE}/webhooks/${name}?${crcQuery}`, { headers: { [SIG]: "sha256=nope" } }), e);
    expect(crc.status).toBe(401);
    expect(lines()).toEqual([
      expect.objectContaining({ msg: "webhook signature refused", app: name, request: "delivery", reason: "mismatch", ip: "203.0.113.9" }),
      expect.objectContaining({ msg: "webhook signature refused", app: name, request: "crc", reason: "malformed" }),
    ]);
    const text = JSON.stringify(lines());
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("sha256=");
  });

  it("is counted in the app's Registry off the response path, and a flood writes once a minute, not per request", async () => {
    const { name, e, registry } = freshApp();
    captureWarnings();
    await forged(name, e);
    const first = await registry.signatureFailures();
    expect(first).toMatchObject({ total: 1, by_reason: { delivery_mismatch: 1 }, streak_count: 1 });
    for (let i = 0; i < 40; i++) await forged(name, e);
    // Within the minute: no further Registry write; the isolate holds the 40.
    expect(await registry.signatureFailures()).toEqual(first);
    expect(isolateTally.pending(name)).toMatchObject({ count: 40, by_reason: { delivery_mismatch: 40 } });
  });

  it("a delivery signed with the right secret is not counted", async () => {
    const { name, e, registry } = freshApp();
    const warn = vi.spyOn(console, "warn");
    expect((await forged(name, e, SECRET)).status).toBe(200);
    expect(warn).not.toHaveBeenCalled();
    expect(await registry.signatureFailures()).toBeNull();
  });

  it("shows in GET /admin/apps/:app as signature_failures, refusing now", async () => {
    const { name, e } = freshApp();
    captureWarnings();
    await forged(name, e);
    const ctx = createExecutionContext();
    const res = await createAdminRouter().fetch(new Request(`${BASE}/admin/apps/${name}`, { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } }), e, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { signature_failures: unknown };
    expect(body.signature_failures).toMatchObject({ total: 1, by_reason: { delivery_mismatch: 1 }, refusing_now: true });
  });
});

describe("revalidation while the receiver refuses X's signatures", () => {
  function setup() {
    const { name, e, registry } = freshApp();
    const config = parseConfig(e as unknown as Record<string, unknown>);
    const fake = new FakeX();
    const clock = { now: Date.now() };
    const ctx = appContext(e, config, config.apps.get(name)!, { makeXClient: () => fake, now: () => clock.now });
    fake.webhooks.push({ id: "w1", url: `${BASE}/webhooks/${name}`, valid: true, created_at: new Date(clock.now - 48 * 60 * M).toISOString() });
    return { name, registry, fake, clock, ctx };
  }

  /** Refusals over `minutes` minutes ending now, as the hot path would have written them. */
  async function refusedFor(registry: ReturnType<typeof registryFor>, nowMs: number, minutes: number, count: number): Promise<void> {
    await registry.recordSignatureFailures({ count, by_reason: { delivery_mismatch: count }, first_at: new Date(nowMs - minutes * M).toISOString(), last_at: new Date(nowMs - M).toISOString() });
  }

  it("is never 'ok' though X lists the webhook valid: it re-checks, and the failed CRC names the consumer secret", async () => {
    const { registry, fake, clock, ctx, name } = setup();
    await refusedFor(registry, clock.now, 2, 2);
    fake.failNext.set("recheckWebhook", xError("crc_non_200", 400, 214, "Non-200 response code during CRC GET request (i.e. 404, 500, etc)."));
    const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const out = await revalidateApp(ctx, DEFAULT_SETTINGS, { force: true });
    expect(out.status).toBe("invalid");
    expect(out.recheck).toMatchObject({ reason: "signatures_refused", ok: false });
    expect((await registry.currentWebhook())?.last_recheck_error).toMatch(new RegExp(`consumer secret here probably differs.*X_CONSUMER_SECRET_${name.toUpperCase()}`));
    const alert = err.mock.calls.map((c) => String(c[0])).find((l) => l.includes('"problem":"recheck_failed"'));
    expect(JSON.parse(alert!).cause).toMatch(/receiver refused X's signed requests/);
    expect(JSON.parse(alert!).cause).not.toMatch(/server is down/);
  });

  it("when the re-check cannot run yet, reports 'refused', not 'ok'", async () => {
    const { registry, clock, ctx } = setup();
    await registry.syncWebhooks([{ id: "w1", url: "u", valid: true, created_at: new Date(clock.now - 48 * 60 * M).toISOString() }], new Date(clock.now).toISOString());
    await registry.recordRecheck("w1", false, null, new Date(clock.now - M).toISOString()); // a re-check a minute ago: the next waits
    await refusedFor(registry, clock.now, 2, 2);
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const out = await revalidateApp(ctx, DEFAULT_SETTINGS, { force: true });
    expect(out.status).toBe("refused");
    expect(out.detail).toMatch(/refusing X's signatures: 2 refused since/);
  });

  it("alerts signature_failures once they persist, then not again within the throttle", async () => {
    const { registry, fake, clock, ctx } = setup();
    await refusedFor(registry, clock.now, 12, 9);
    fake.failNext.set("recheckWebhook", xError("crc_failed", 400, 214));
    const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const out = await revalidateApp(ctx, DEFAULT_SETTINGS, { force: true });
    expect(out.alerts).toContain("signature_failures");
    const line = err.mock.calls.map((c) => String(c[0])).find((l) => l.includes('"problem":"signature_failures"'));
    expect(JSON.parse(line!).message).toContain(SIGNATURE_ALERT_MESSAGE);
    clock.now += 10 * M;
    await refusedFor(registry, clock.now, 1, 3);
    const again = await revalidateApp(ctx, DEFAULT_SETTINGS, { force: true });
    expect(again.alerts).not.toContain("signature_failures");
  });

  it("a few recent refusals do not alert yet (not persisting)", async () => {
    const { registry, fake, clock, ctx } = setup();
    await refusedFor(registry, clock.now, 2, 2);
    fake.recheckValid = false;
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const out = await revalidateApp(ctx, DEFAULT_SETTINGS, { force: true });
    expect(out.alerts).not.toContain("signature_failures");
  });

  it("once a delivery is accepted after the refusals, the webhook is healthy again", async () => {
    const { registry, clock, ctx } = setup();
    await refusedFor(registry, clock.now, 12, 9);
    await registry.recordLastDelivery({ at: new Date(clock.now).toISOString(), event_created_at: null });
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const out = await revalidateApp(ctx, DEFAULT_SETTINGS, { force: true });
    expect(["ok", "rechecked"]).toContain(out.status);
    expect(out.recheck?.reason).not.toBe("signatures_refused");
    expect(out.alerts).toEqual([]);
  });
});
