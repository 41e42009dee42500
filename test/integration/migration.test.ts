/**
 * `migrateApp` (the core behind POST /admin/apps/:app/migration and `account-activity-edge
 * migrate`) through the real Registry Durable Object, sealed OAuth 2.0 grants and the real XAA
 * and OAuth 2.0 clients over the in-memory XAA X (xaa-fake-x.ts), with the AAA side on the
 * in-memory FakeX. The emulator over HTTP is the e2e suite's job.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.ts";
import { appContext } from "../../src/control/context.ts";
import { lastMigrationReport, migrateApp } from "../../src/control/migration.ts";
import { AAA_EQUIVALENT_TYPES } from "../../src/control/migration-plan.ts";
import { storeOAuth2Grant } from "../../src/control/oauth2-tokens.ts";
import { registryFor } from "../../src/state/registry.ts";
import { FakeX, xError } from "./admin-fake-x.ts";
import { FakeXaaX } from "./xaa-fake-x.ts";

const HOOK = "1976325569252868099";
const FULL = ["tweet.read", "users.read", "offline.access", "like.read", "dm.read", "mute.read", "block.read"];

async function setup(opts: { migrating?: boolean } = {}) {
  const name = `mig${Math.floor(Math.random() * 1e9)}`;
  const upper = name.toUpperCase();
  const src: Record<string, unknown> = {
    ...env,
    APPS: JSON.stringify([{ name, flavour: "v2", ...(opts.migrating === false ? {} : { migrating: true }) }]),
    [`X_CONSUMER_SECRET_${upper}`]: "s", [`X_BEARER_TOKEN_${upper}`]: "app-bearer", [`X_OAUTH2_CLIENT_ID_${upper}`]: "client-id",
  };
  const config = parseConfig(src);
  const aaa = new FakeX();
  const xaa = new FakeXaaX("app-bearer");
  const clock = { now: Date.parse("2026-12-04T12:00:00.000Z") };
  const ctx = appContext(src as unknown as Env, config, config.apps.get(name)!, { makeXClient: () => aaa, now: () => clock.now, xFetch: xaa.fetch });
  const registry = registryFor(env, name);
  await registry.recordWebhook({ id: HOOK, url: `https://edge.example/webhooks/${name}`, valid: true, created_at: "2026-12-01T00:00:00.000Z" }, new Date(clock.now).toISOString());
  const subscribeAaa = async (userId: string) => {
    aaa.subs.add(userId);
    await registry.upsertSubscription({ user_id: userId, screen_name: null, by: "test", sealed: null }, new Date(clock.now).toISOString());
  };
  const signIn = async (userId: string, scopes: string[]) => {
    const t = xaa.grant(userId, scopes);
    await storeOAuth2Grant(ctx, { id: userId, username: `user${userId}` }, { accessToken: t.access, refreshToken: t.refresh, expiresAtMs: clock.now + 7_200_000, scopes });
  };
  const xaaTypes = (userId: string | null) => [...xaa.subs.values()].filter((s) => (s.filter.user_id ?? null) === userId).map((s) => s.event_type).sort();
  return { name, ctx, aaa, xaa, registry, subscribeAaa, signIn, xaaTypes };
}

describe("migrate an app from AAA to XAA", () => {
  it("dry run: the plan, nothing sent to X", async () => {
    const t = await setup();
    await t.subscribeAaa("101");
    await t.signIn("101", FULL);
    await t.subscribeAaa("202");
    const r = await migrateApp(t.ctx, { dryRun: true, confirmBy: "subscription_list" });
    expect(r.plan).toMatchObject({ users: 2, move: 1, partial: 1 });
    expect(r.actions.length).toBeGreaterThan(0);
    expect(t.xaa.subs.size).toBe(0);
    expect(t.aaa.calls.filter((c) => c === "unsubscribe")).toEqual([]);
    expect(await lastMigrationReport(t.ctx)).toBeNull();
  });

  it("moves a consented user completely and a user without OAuth 2.0 partly; the consent finishes it", async () => {
    const t = await setup();
    await t.subscribeAaa("101");
    await t.signIn("101", FULL);
    await t.subscribeAaa("202");

    const first = await migrateApp(t.ctx, { dryRun: false, confirmBy: "subscription_list" });
    expect(first.stopped).toBeNull();
    expect(t.xaaTypes("101")).toEqual([...AAA_EQUIVALENT_TYPES].sort());
    expect(t.xaaTypes("202")).toEqual(["follow.follow", "follow.unfollow", "post.create", "post.delete"]);
    expect(t.xaaTypes(null)).toEqual(["oauth.revoke"]);
    expect([...t.aaa.subs]).toEqual(["202"]);
    expect(first.state).toBe("in_progress");
    expect(first.waiting_for_consent).toEqual([expect.objectContaining({ user_id: "202", scopes: ["block.read", "dm.read", "like.read", "mute.read", "tweet.read"] })]);
    // Each XAA subscription is recorded in the Registry.
    expect((await t.registry.listXaaSubscriptions("101")).length).toBe(17);
    expect((await lastMigrationReport(t.ctx))?.state).toBe("in_progress");

    // A run now changes nothing at X.
    const before = t.xaa.calls.filter((c) => c.startsWith("POST")).length;
    await migrateApp(t.ctx, { dryRun: false, confirmBy: "subscription_list" });
    expect(t.xaa.calls.filter((c) => c.startsWith("POST")).length).toBe(before);

    await t.signIn("202", FULL);
    const done = await migrateApp(t.ctx, { dryRun: false, confirmBy: "subscription_list" });
    expect(done.state).toBe("complete");
    expect(t.aaa.subs.size).toBe(0);
    expect(t.xaaTypes("202")).toEqual([...AAA_EQUIVALENT_TYPES].sort());
    expect(done.notes.join(" ")).toContain('flavour to "xaa"');
  });

  it("with only public types asked for, moves a user without OAuth 2.0 entirely; unknown types are refused", async () => {
    const t = await setup();
    await t.subscribeAaa("202");
    const types = ["post.create", "post.delete"];
    const r = await migrateApp(t.ctx, { dryRun: false, confirmBy: "subscription_list", types });
    expect(r.state).toBe("complete");
    expect(t.xaaTypes("202")).toEqual(types);
    expect(t.aaa.subs.size).toBe(0);
    await expect(migrateApp(t.ctx, { dryRun: true, confirmBy: "subscription_list", types: ["post.nope"] })).rejects.toMatchObject({ status: 400 });
    await expect(migrateApp(t.ctx, { dryRun: true, confirmBy: "subscription_list", types: ["oauth.revoke"] })).rejects.toMatchObject({ status: 400 });
  });

  it("after X has retired AAA (its AAA endpoints answer 410): moves the Registry's AAA users to XAA and forgets their AAA rows", async () => {
    const t = await setup();
    await t.subscribeAaa("101");
    await t.signIn("101", FULL);
    const retired = async (): Promise<never> => {
      throw xError("aaa_retired", 410, null);
    };
    t.aaa.listSubscriptions = retired;
    t.aaa.unsubscribe = retired;
    const r = await migrateApp(t.ctx, { dryRun: false, confirmBy: "subscription_list" });
    expect(r.state).toBe("complete");
    expect(t.xaaTypes("101")).toEqual([...AAA_EQUIVALENT_TYPES].sort());
    expect(await t.registry.listSubscriptions(false)).toEqual([]);
    expect((await migrateApp(t.ctx, { dryRun: false, confirmBy: "subscription_list" })).actions).toEqual([]);
  });

  it("is blocked until the app is migrating, and does nothing", async () => {
    const t = await setup({ migrating: false });
    await t.subscribeAaa("101");
    const r = await migrateApp(t.ctx, { dryRun: false, confirmBy: "subscription_list" });
    expect(r.state).toBe("blocked");
    expect(r.blockers[0]).toContain('"migrating": true');
    expect(t.xaa.subs.size).toBe(0);
  });

  it("stops at X's failure with a report and resumes on the next run", async () => {
    const t = await setup();
    await t.subscribeAaa("101");
    await t.signIn("101", FULL);
    t.aaa.failNext.set("unsubscribe", xError("rate_limited", 429, 88));
    const first = await migrateApp(t.ctx, { dryRun: false, confirmBy: "subscription_list" });
    expect(first.stopped?.during).toMatchObject({ kind: "remove_aaa", user_id: "101" });
    expect(t.aaa.subs.has("101")).toBe(true);
    const second = await migrateApp(t.ctx, { dryRun: false, confirmBy: "subscription_list" });
    expect(second.state).toBe("complete");
    expect(second.actions).toEqual([{ kind: "remove_aaa", user_id: "101", result: "removed" }]);
  });
});
