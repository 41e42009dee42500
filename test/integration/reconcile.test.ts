/**
 * Subscription reconciliation (src/cron/reconcile.ts) through the real Registry Durable Object,
 * real KV and real sealed tokens, via the admin route and the cron's per-app run
 * (revalidateAll). X is the in-memory XApiClient fake (admin-fake-x.ts): neither X nor the
 * emulator can run inside workerd. The real client against the emulator is test/e2e/reconcile.test.ts.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appContext, sealKey } from "../../src/control/context.ts";
import { createAdminRouter } from "../../src/admin/router.ts";
import { parseConfig } from "../../src/config.ts";
import { revalidateAll } from "../../src/cron/scheduled.ts";
import { crcLastKey } from "../../src/state/kv-mirror.ts";
import { registryFor, type Registry } from "../../src/state/registry.ts";
import { ensureRegistrySchema } from "../../src/state/registry-schema.ts";
import { sealToken } from "../../src/state/token-seal.ts";
import { FakeX, xError } from "./admin-fake-x.ts";

const H = 3_600_000;
const M = 60_000;
const ALICE = { id: "1001", token: "1001-alice-token", secret: "alice-secret" };
const BOB = { id: "1002", token: "1002-bob-token", secret: "bob-secret" };

type Outcome = {
  status: string; at_x: number; ours: number; resubscribed: string[]; failed: { user_id: string; reason: string }[];
  removed: string[]; unknown: string[]; deferred: string[]; alerted: boolean; next_due_at: string | null; checked_at: string;
};

async function setup(vars: Record<string, string> = {}) {
  const name = `rec${Math.floor(Math.random() * 1e9)}`;
  const upper = name.toUpperCase();
  const src: Record<string, unknown> = { ...env, APPS: JSON.stringify([{ name, flavour: "v2" }]), [`X_CONSUMER_SECRET_${upper}`]: "s", [`X_BEARER_TOKEN_${upper}`]: "b", ...vars };
  const appEnv = src as unknown as Env;
  const config = parseConfig(src);
  const fake = new FakeX();
  const clock = { now: Date.parse("2026-03-10T12:00:00.000Z") };
  const deps = { makeXClient: () => fake, now: () => clock.now };
  const ctx = appContext(appEnv, config, config.apps.get(name)!, deps);
  const registry = registryFor(env, name);
  const iso = () => new Date(clock.now).toISOString();
  fake.webhooks.push({ id: "w1", url: `https://edge.example/webhooks/${name}`, valid: true, created_at: new Date(clock.now - 48 * H).toISOString() });
  await registry.recordWebhook(fake.webhooks[0]!, iso());
  const key = await sealKey(config);
  /** Subscribed at X and in the Registry with a sealed token (as POST /subscriptions with a token pair does). */
  const subscribe = async (u: typeof ALICE) => {
    fake.users.set(u.token, { userId: u.id, screenName: "", secret: u.secret });
    fake.subs.add(u.id);
    await registry.upsertSubscription({ user_id: u.id, screen_name: null, by: "admin", sealed: await sealToken(key, { app: name, userId: u.id }, u) }, iso());
  };
  const admin = createAdminRouter(deps);
  const reconcileNow = async (): Promise<{ status: number; body: Outcome }> => {
    const res = await admin.fetch(new Request(`https://edge.example/admin/apps/${name}/subscriptions/reconcile`, {
      method: "POST", headers: { authorization: "Bearer test-admin-token" },
    }), appEnv);
    const r = res as Response;
    return { status: r.status, body: (await r.json()) as Outcome };
  };
  /** The cron's per-app run (revalidation, then reconciliation), with a fresh CRC so revalidation only lists. */
  const cronRun = async () => {
    await env.STATE_KV.put(crcLastKey(name), JSON.stringify({ at: new Date(clock.now - M).toISOString() }));
    return revalidateAll(appEnv, deps);
  };
  const row = async (id: string) => (await registry.listSubscriptions(true)).find((s) => s.user_id === id);
  const listCalls = () => fake.calls.filter((c) => c === "listSubscriptions").length;
  return { name, fake, clock, ctx, registry, subscribe, reconcileNow, cronRun, row, listCalls, admin, appEnv };
}

/** The structured alert lines `raiseAlert` logged for this problem. */
function alertLines(spy: { mock: { calls: unknown[][] } }, problem: string): Record<string, unknown>[] {
  return spy.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(`"problem":"${problem}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("reconcile on demand (POST /admin/apps/:app/subscriptions/reconcile)", () => {
  it("re-subscribes a user X dropped with the stored token, records it, alerts once with ids only", async () => {
    const t = await setup();
    const errors = vi.spyOn(console, "error");
    await t.subscribe(ALICE);
    await t.subscribe(BOB);
    t.fake.subs.delete(BOB.id); // X dropped bob

    const { status, body } = await t.reconcileNow();
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "ok", at_x: 1, ours: 2, resubscribed: [BOB.id], failed: [], removed: [], unknown: [], alerted: true });
    expect(t.fake.subs.has(BOB.id)).toBe(true);
    expect(await t.row(BOB.id)).toMatchObject({ status: "active", has_token: true, resubscribe_count: 1, resubscribed_at: body.checked_at });
    expect(await t.row(ALICE.id)).toMatchObject({ status: "active", resubscribe_count: 0, resubscribed_at: null });

    const alerts = alertLines(errors, "subscriptions_drifted");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message).toContain(`re-subscribed 1 (${BOB.id})`);
    expect(JSON.stringify(alerts[0])).not.toContain(BOB.token);
    expect(JSON.stringify(alerts[0])).not.toContain(BOB.secret);

    // The outcome is the app's last reconcile in GET /admin/apps/:app (the dashboard's source).
    const res = await t.admin.fetch(new Request(`https://edge.example/admin/apps/${t.name}`, { headers: { authorization: "Bearer test-admin-token" } }), t.appEnv);
    expect(((await (res as Response).json()) as { last_reconcile: Outcome }).last_reconcile).toMatchObject({ resubscribed: [BOB.id] });

    // In sync now: a second run changes nothing and does not alert again.
    t.clock.now += M;
    const again = await t.reconcileNow();
    expect(again.body).toMatchObject({ status: "ok", at_x: 2, resubscribed: [], alerted: false });
    expect(t.fake.calls.filter((c) => c === "subscribe")).toHaveLength(1);
    expect(alertLines(errors, "subscriptions_drifted")).toHaveLength(1);
  });

  it("removes the subscription and deletes the token when X rejects the stored token (revoked)", async () => {
    const t = await setup();
    await t.subscribe(ALICE);
    await t.subscribe(BOB);
    t.fake.subs.delete(BOB.id);
    t.fake.users.delete(BOB.token); // bob revoked the app: X no longer accepts his token

    const { body } = await t.reconcileNow();
    expect(body).toMatchObject({ status: "ok", resubscribed: [], removed: [BOB.id], failed: [] });
    expect(await t.row(BOB.id)).toMatchObject({ status: "removed", has_token: false, status_reason: expect.stringContaining("rejected") });
    expect(await t.registry.getSealedToken(BOB.id)).toBeNull();
    expect(await t.row(ALICE.id)).toMatchObject({ status: "active", has_token: true });
  });

  it("records users X lists that we do not know (source x, no token) and never unsubscribes them", async () => {
    const t = await setup();
    const errors = vi.spyOn(console, "error");
    await t.subscribe(ALICE);
    t.fake.subs.add("777");

    const { body } = await t.reconcileNow();
    expect(body).toMatchObject({ status: "ok", at_x: 2, ours: 1, unknown: ["777"], resubscribed: [], alerted: false });
    expect(await t.row("777")).toMatchObject({ status: "active", subscribed_by: "x", has_token: false });
    expect(t.fake.calls).not.toContain("unsubscribe");
    expect(t.fake.subs.has("777")).toBe(true);
    expect(alertLines(errors, "subscriptions_drifted")).toHaveLength(0);
    // Known now: the next run has nothing unknown.
    expect((await t.reconcileNow()).body).toMatchObject({ ours: 2, unknown: [] });
  });

  it("marks a dropped user without a token dropped_at_x and alerts; X listing them again restores them", async () => {
    const t = await setup();
    const errors = vi.spyOn(console, "error");
    await t.registry.upsertSubscription({ user_id: "555", screen_name: null, by: "admin", sealed: null }, new Date(t.clock.now).toISOString());

    const { body } = await t.reconcileNow();
    expect(body).toMatchObject({ status: "ok", at_x: 0, ours: 1, failed: [{ user_id: "555", reason: expect.stringContaining("no stored token") }], alerted: true });
    expect(await t.row("555")).toMatchObject({ status: "dropped_at_x", subscribed_by: "admin" });
    expect(alertLines(errors, "subscriptions_drifted")[0]!.message).toContain("failed 1 (555)");
    expect(t.fake.calls).not.toContain("subscribe");

    t.fake.subs.add("555"); // subscribed again elsewhere
    expect((await t.reconcileNow()).body).toMatchObject({ unknown: ["555"] });
    expect(await t.row("555")).toMatchObject({ status: "active", subscribed_by: "admin" });
  });

  it("changes nothing on a transient error, then retries on the next due run", async () => {
    const t = await setup();
    await t.subscribe(BOB);
    t.fake.subs.delete(BOB.id);
    t.fake.failNext.set("subscribe", xError("rate_limited", 429, 88));

    const { body } = await t.reconcileNow();
    expect(body).toMatchObject({ status: "stopped", resubscribed: [], removed: [], failed: [], deferred: [BOB.id] });
    expect(body.next_due_at).toBe(new Date(t.clock.now + 15 * M).toISOString());
    expect(await t.row(BOB.id)).toMatchObject({ status: "active", has_token: true, resubscribe_count: 0 });
    expect(t.fake.subs.has(BOB.id)).toBe(false);

    // The cron: not yet due one minute later (no X call), due at next_due_at, and it heals then.
    t.clock.now += M;
    await t.cronRun();
    expect(t.listCalls()).toBe(1);
    t.clock.now += 14 * M;
    await t.cronRun();
    expect(t.listCalls()).toBe(2);
    expect(t.fake.subs.has(BOB.id)).toBe(true);
    expect(await t.row(BOB.id)).toMatchObject({ status: "active", resubscribe_count: 1 });
  });

  it("answers 409 without calling X when the webhook is invalid", async () => {
    const t = await setup();
    await t.registry.recordWebhook({ ...t.fake.webhooks[0]!, valid: false }, new Date(t.clock.now).toISOString());
    const { status, body } = await t.reconcileNow();
    expect(status).toBe(409);
    expect(body).toMatchObject({ status: "skipped" });
    expect(t.listCalls()).toBe(0);
  });
});

describe("reconcile in the cron run", () => {
  it("runs after revalidation at most once per SUBSCRIPTION_RECONCILE_HOURS", async () => {
    const t = await setup({ SUBSCRIPTION_RECONCILE_HOURS: "6" });
    await t.subscribe(BOB);
    t.fake.subs.delete(BOB.id);
    await t.cronRun();
    expect(t.fake.calls.slice(0, 2)).toEqual(["listWebhooks", "listSubscriptions"]);
    expect(t.fake.subs.has(BOB.id)).toBe(true);

    t.fake.subs.delete(BOB.id); // dropped again
    t.clock.now += 5 * H;
    await t.cronRun();
    expect(t.listCalls()).toBe(1);
    expect(t.fake.subs.has(BOB.id)).toBe(false);

    t.clock.now += H;
    await t.cronRun();
    expect(t.listCalls()).toBe(2);
    expect(t.fake.subs.has(BOB.id)).toBe(true);
    expect(await t.row(BOB.id)).toMatchObject({ resubscribe_count: 2 });
  });

  it("does not run when it is off (0), while the on-demand call still works", async () => {
    const t = await setup({ SUBSCRIPTION_RECONCILE_HOURS: "0" });
    await t.subscribe(BOB);
    t.fake.subs.delete(BOB.id);
    await t.cronRun();
    t.clock.now += 7 * H;
    await t.cronRun();
    expect(t.listCalls()).toBe(0);
    expect((await t.reconcileNow()).body).toMatchObject({ status: "ok", resubscribed: [BOB.id] });
  });

  it("is skipped when revalidation finds the webhook invalid", async () => {
    const t = await setup();
    await t.subscribe(BOB);
    t.fake.subs.delete(BOB.id);
    t.fake.webhooks[0]!.valid = false;
    t.fake.recheckValid = false;
    await t.cronRun();
    expect(t.fake.calls).toContain("recheckWebhook");
    expect(t.listCalls()).toBe(0);
    expect(await t.registry.getMeta("last_reconcile")).toBeNull();
  });
});

describe("Registry schema", () => {
  it("adds resubscribed_at / resubscribe_count to a subscriptions table made before them, once, keeping the rows", async () => {
    const stub = registryFor(env, `rec-migrate-${crypto.randomUUID()}`);
    const columns = await runInDurableObject(stub, (_i: Registry, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE subscriptions");
      sql.exec("CREATE TABLE subscriptions (user_id TEXT PRIMARY KEY, screen_name TEXT, subscribed_at TEXT NOT NULL, subscribed_by TEXT NOT NULL, status TEXT NOT NULL, status_at TEXT NOT NULL, status_reason TEXT)");
      sql.exec("INSERT INTO subscriptions VALUES ('42', 'old', '2026-01-01T00:00:00.000Z', 'oauth', 'active', '2026-01-01T00:00:00.000Z', NULL)");
      ensureRegistrySchema(sql);
      ensureRegistrySchema(sql); // idempotent
      return sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('subscriptions')").toArray().map((c) => c.name);
    });
    expect(columns.filter((c) => c === "resubscribed_at" || c === "resubscribe_count")).toEqual(["resubscribed_at", "resubscribe_count"]);
    expect(await stub.listSubscriptions()).toMatchObject([{ user_id: "42", screen_name: "old", resubscribed_at: null, resubscribe_count: 0 }]);
    await stub.applyReconcile({ resubscribed: ["42"], dropped: [], removed: [], seenAtX: [] }, "2026-03-10T12:00:00.000Z");
    expect(await stub.listSubscriptions()).toMatchObject([{ user_id: "42", resubscribed_at: "2026-03-10T12:00:00.000Z", resubscribe_count: 1 }]);
  });
});
