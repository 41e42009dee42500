/**
 * The cron's XAA pass (src/cron/reconcile-xaa.ts) for an XAA app, through the real Registry:
 * grants due within two cron runs are refreshed, revoked users' subscriptions are deleted at X,
 * and the XAA reconciliation runs every SUBSCRIPTION_RECONCILE_HOURS (a failed one is retried on
 * the next run). X is FakeXaaX behind the real clients.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.ts";
import { appContext, withXaa } from "../../src/control/context.ts";
import { storeOAuth2Grant } from "../../src/control/oauth2-tokens.ts";
import { profileNamed } from "../../src/control/xaa-profiles.ts";
import { subscribeUser } from "../../src/control/xaa-subscriptions.ts";
import { LAST_XAA_RECONCILE_META, runXaaPass, xaaReconcileDue } from "../../src/cron/reconcile-xaa.ts";
import { registryFor } from "../../src/state/registry.ts";
import { FakeXaaX } from "./xaa-fake-x.ts";

const H = 3_600_000;

async function setup() {
  const name = `xc${Math.floor(Math.random() * 1e9)}`;
  const upper = name.toUpperCase();
  const src: Record<string, unknown> = {
    ...env, APPS: JSON.stringify([{ name, flavour: "xaa", xaa_profiles: { likes: { event_types: ["like.create", "post.create"] } } }]),
    [`X_CONSUMER_SECRET_${upper}`]: "s", [`X_BEARER_TOKEN_${upper}`]: "app-bearer", [`X_OAUTH2_CLIENT_ID_${upper}`]: "cid", SUBSCRIPTION_RECONCILE_HOURS: "6",
  };
  const config = parseConfig(src);
  const x = new FakeXaaX("app-bearer");
  const clock = { now: Date.parse("2026-12-04T12:00:00.000Z") };
  const ctx = appContext(src as unknown as Env, config, config.apps.get(name)!, { makeXClient: () => { throw new Error("unused"); }, now: () => clock.now, xFetch: x.fetch });
  const registry = registryFor(env, name);
  await registry.recordWebhook({ id: "77", url: `https://edge.example/webhooks/${name}`, valid: true, created_at: "2026-12-01T00:00:00.000Z" }, new Date(clock.now).toISOString());
  return { x, clock, ctx, config, registry };
}

describe("the cron's XAA pass", () => {
  it("refreshes grants due within 20 minutes, leaves later ones; reconciles once per interval", async () => {
    const t = await setup();
    const soon = t.x.grant("1", ["tweet.read", "users.read", "offline.access", "like.read"]);
    const later = t.x.grant("2", ["tweet.read", "users.read", "offline.access", "like.read"]);
    await storeOAuth2Grant(t.ctx, { id: "1", username: "a" }, { accessToken: soon.access, refreshToken: soon.refresh, expiresAtMs: t.clock.now + 15 * 60_000, scopes: ["tweet.read", "users.read", "offline.access", "like.read"] });
    await storeOAuth2Grant(t.ctx, { id: "2", username: "b" }, { accessToken: later.access, refreshToken: later.refresh, expiresAtMs: t.clock.now + 90 * 60_000, scopes: ["tweet.read", "users.read", "offline.access", "like.read"] });
    const first = await runXaaPass(t.ctx, t.config);
    expect(first.refresh.refreshed).toStrictEqual(["1"]);
    expect((await t.registry.getOAuth2Token("1"))!.expires_at_ms).toBe(t.clock.now + 7_200_000);
    expect((await t.registry.getOAuth2Token("2"))!.expires_at_ms).toBe(t.clock.now + 90 * 60_000);
    expect(first.reconcile).not.toBeNull();
    expect(JSON.parse((await t.registry.getMeta(LAST_XAA_RECONCILE_META))!).at).toBe("2026-12-04T12:00:00.000Z");
    t.clock.now += H;
    expect((await runXaaPass(t.ctx, t.config)).reconcile).toBeNull();
    t.clock.now += 5 * H;
    expect((await runXaaPass(t.ctx, t.config)).reconcile).not.toBeNull();
  });

  it("after oauth.revoke the grant is gone and the next pass deletes the user's subscriptions at X", async () => {
    const t = await setup();
    const g = t.x.grant("1", ["tweet.read", "users.read", "offline.access", "like.read"]);
    await storeOAuth2Grant(t.ctx, { id: "1", username: "a" }, { accessToken: g.access, refreshToken: g.refresh, expiresAtMs: t.clock.now + 60_000, scopes: ["tweet.read", "users.read", "offline.access", "like.read"] });
    await withXaa(t.ctx, async (c) => subscribeUser(t.ctx, c, "1", await profileNamed(t.ctx, "likes"), "admin"));
    expect([...t.x.subs.values()].filter((s) => s.filter.user_id === "1")).toHaveLength(2);
    await t.registry.applyXaaRevoke("1", "2026-12-04T12:00:30.000Z", "2026-12-04T12:00:31.000Z");
    t.x.revokeUser("1");
    const out = await runXaaPass(t.ctx, t.config);
    expect(out.revoked.deleted).toHaveLength(2);
    expect([...t.x.subs.values()].filter((s) => s.filter.user_id === "1")).toStrictEqual([]);
    expect(await t.registry.getOAuth2Token("1")).toBeNull();
  });

  it("X's rate limit on the list leaves the reconciliation due for the next run", async () => {
    const t = await setup();
    t.x.rateLimitNext = 1;
    const out = await runXaaPass(t.ctx, t.config);
    expect(out.reconcile?.error?.kind).toBe("rate_limited");
    expect(await t.registry.getMeta(LAST_XAA_RECONCILE_META)).toBeNull();
  });

  it("xaaReconcileDue: never run, interval elapsed, off", () => {
    const now = Date.parse("2026-12-04T12:00:00.000Z");
    expect(xaaReconcileDue(null, now, 6)).toBe(true);
    expect(xaaReconcileDue("2026-12-04T06:00:00.000Z", now, 6)).toBe(true);
    expect(xaaReconcileDue("2026-12-04T06:00:01.000Z", now, 6)).toBe(false);
    expect(xaaReconcileDue(null, now, 0)).toBe(false);
  });
});
