/**
 * The XAA control-plane core (src/control/) through the real Registry Durable Object and real
 * sealed OAuth 2.0 grants: subscribe by profile (public types with the bearer, private with the
 * user's token, types the consent does not cover reported), idempotence, duplicates adopted from
 * X's list, the tier cap, refresh and "consent needed again", unsubscribe, reconciliation, and
 * `oauth.revoke` from the ingest seam to X. X is the in-memory FakeXaaX (xaa-fake-x.ts) behind
 * the real XAA and OAuth 2.0 clients; the emulator over HTTP is the e2e suite's job.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.ts";
import { appContext, withXaa } from "../../src/control/context.ts";
import { consentCoverage, storeOAuth2Grant, userAccessToken } from "../../src/control/oauth2-tokens.ts";
import { reconcileXaa } from "../../src/control/xaa-reconcile.ts";
import { profileNamed } from "../../src/control/xaa-profiles.ts";
import { purgeRevoked, subscribeUser, unsubscribeUser } from "../../src/control/xaa-subscriptions.ts";
import type { Envelope } from "../../src/events/envelope.ts";
import { applyControlEvents } from "../../src/state/control-events.ts";
import { registryFor } from "../../src/state/registry.ts";
import type { XaaSubscriptionRow } from "../../src/state/registry-xaa-schema.ts";
import { FakeXaaX } from "./xaa-fake-x.ts";

const ALICE = "2244994945";
const HOOK = "1976325569252868099";
const PROFILES = {
  standard: { event_types: ["post.create", "like.create", "dm.sent"], direction: "inbound", tag: "std" },
  public: { event_types: ["post.create", "post.delete", "profile.update.bio"] },
};

async function setup(tier?: string) {
  const name = `xaa${Math.floor(Math.random() * 1e9)}`;
  const upper = name.toUpperCase();
  const app: Record<string, unknown> = { name, flavour: "xaa", xaa_profiles: PROFILES };
  if (tier !== undefined) app.xaa_tier = tier;
  const src: Record<string, unknown> = {
    ...env, APPS: JSON.stringify([app]), [`X_CONSUMER_SECRET_${upper}`]: "s", [`X_BEARER_TOKEN_${upper}`]: "app-bearer",
    [`X_OAUTH2_CLIENT_ID_${upper}`]: "client-id",
  };
  const config = parseConfig(src);
  const x = new FakeXaaX("app-bearer");
  const clock = { now: Date.parse("2026-12-04T12:00:00.000Z") };
  const deps = { makeXClient: () => { throw new Error("AAA client not used here"); }, now: () => clock.now, xFetch: x.fetch };
  const ctx = appContext(src as unknown as Env, config, config.apps.get(name)!, deps);
  const registry = registryFor(env, name);
  await registry.recordWebhook({ id: HOOK, url: `https://edge.example/webhooks/${name}`, valid: true, created_at: "2026-12-01T00:00:00.000Z" }, new Date(clock.now).toISOString());
  /** The user signed in with OAuth 2.0 and granted `scopes` (what the OAuth callback stores). */
  const signIn = async (userId: string, scopes: string[], expiresInMs = 7_200_000) => {
    const t = x.grant(userId, scopes);
    await storeOAuth2Grant(ctx, { id: userId, username: `user${userId}` }, { accessToken: t.access, refreshToken: t.refresh, expiresAtMs: clock.now + expiresInMs, scopes });
    return t;
  };
  const subscribe = async (profile: string, userId = ALICE) => withXaa(ctx, async (c) => subscribeUser(ctx, c, userId, await profileNamed(ctx, profile), "admin"));
  const creates = () => x.calls.filter((c) => c === "POST /2/activity/subscriptions").length;
  return { name, x, clock, ctx, registry, signIn, subscribe, creates };
}

describe("subscribe a user by profile", () => {
  it("one subscription per type: public with the bearer, private with the user's token; uncovered types reported; ids recorded", async () => {
    const t = await setup();
    await t.signIn(ALICE, ["tweet.read", "users.read", "offline.access", "like.read"]);
    const out = await t.subscribe("standard");
    expect(out.types.map((r) => [r.event_type, r.status])).toStrictEqual([["post.create", "created"], ["like.create", "created"], ["dm.sent", "not_covered"]]);
    expect(out.not_covered).toStrictEqual(["dm.sent"]);
    expect(out.consent).toBe("ok");
    expect(out.revoke_subscription).toBe("created");
    const atX = [...t.x.subs.values()];
    expect(atX.map((s) => [s.event_type, s.filter, s.tag ?? null, s.webhook_id])).toStrictEqual([
      ["oauth.revoke", {}, null, HOOK],
      ["post.create", { user_id: ALICE }, "std", HOOK],
      ["like.create", { user_id: ALICE, direction: "inbound" }, "std", HOOK],
    ]);
    const rows = await t.registry.listXaaSubscriptions(ALICE);
    expect(rows.map((r) => [r.event_type, r.direction, r.profile, r.status]).sort()).toStrictEqual([["like.create", "inbound", "standard", "active"], ["post.create", null, "standard", "active"]]);
    expect(new Set(rows.map((r) => r.subscription_id))).toStrictEqual(new Set(atX.filter((s) => s.filter.user_id === ALICE).map((s) => s.subscription_id)));
    expect(out.counts).toMatchObject({ total: 3, cap: 1500, tier: "self-serve", remaining: 1497, users: 1, by_type: { "like.create": 1, "oauth.revoke": 1, "post.create": 1 } });
  });

  it("a user without an OAuth 2.0 grant gets the public types; every private one is reported as not covered", async () => {
    const t = await setup();
    const out = await t.subscribe("standard");
    expect(out.consent).toBe("none");
    expect(out.types.map((r) => r.status)).toStrictEqual(["created", "not_covered", "not_covered"]);
    expect(out.not_covered).toStrictEqual(["like.create", "dm.sent"]);
  });

  it("subscribing again creates nothing (recorded types are existing)", async () => {
    const t = await setup();
    await t.subscribe("public");
    const before = t.creates();
    const again = await t.subscribe("public");
    expect(again.types.map((r) => r.status)).toStrictEqual(["existing", "existing", "existing"]);
    expect(again.revoke_subscription).toBe("existing");
    expect(t.creates()).toBe(before);
    expect(t.x.subs.size).toBe(4);
  });

  it("a subscription X already has (DuplicateSubscriptionFailed) is found in X's list and recorded, not failed", async () => {
    const t = await setup();
    const made = t.x.addAtX({ event_type: "post.delete", filter: { user_id: ALICE }, webhook_id: HOOK });
    const out = await t.subscribe("public");
    expect(out.types.find((r) => r.event_type === "post.delete")).toStrictEqual({ event_type: "post.delete", status: "existing", subscription_id: made.subscription_id });
    expect((await t.registry.listXaaSubscriptions(ALICE)).map((r) => r.subscription_id)).toContain(made.subscription_id);
  });

  it("the tier cap is counted: types past it are refused before X is asked", async () => {
    const t = await setup("self-serve");
    const filler: XaaSubscriptionRow[] = Array.from({ length: 1497 }, (_, i) => ({
      subscription_id: String(9_000_000 + i), user_id: String(5_000 + i), event_type: "post.create", direction: null, tag: null, webhook_id: HOOK,
      profile: null, created_by: "admin", status: "active", status_at: "2026-12-01T00:00:00.000Z", created_at: "2026-12-01T00:00:00.000Z",
    }));
    await t.registry.recordXaaSubscriptions(filler);
    const out = await t.subscribe("public");
    // 1497 + the app's oauth.revoke = 1498: two more fit.
    expect(out.types.map((r) => r.status)).toStrictEqual(["created", "created", "over_cap"]);
    const over = out.types[2]!;
    expect(over.status === "over_cap" && over.error.kind).toBe("subscription_limit");
    expect(out.counts).toMatchObject({ total: 1500, cap: 1500, remaining: 0 });
  });

  it("X's rate limit stops the run: the rest are not tried, nothing is recorded for them", async () => {
    const t = await setup();
    await t.subscribe("public"); // the oauth.revoke subscription exists first
    await unsubscribeUser(t.ctx, await withXaa(t.ctx, async (c) => c), ALICE);
    t.x.rateLimitNext = 1;
    const out = await t.subscribe("public");
    expect(out.types.map((r) => r.status)).toStrictEqual(["failed", "not_tried", "not_tried"]);
    expect(out.types[0]!.status === "failed" && out.types[0]!.error.kind).toBe("rate_limited");
    expect(await t.registry.listXaaSubscriptions(ALICE)).toStrictEqual([]);
  });
});

describe("the app-level oauth.revoke subscription", () => {
  it("X refusing the type costs one call a day, not one per subscribe", async () => {
    const t = await setup();
    t.x.refuseRevokeType = true;
    expect((await t.subscribe("public")).revoke_subscription).toBe("failed");
    expect((await t.subscribe("public", "42")).revoke_subscription).toBe("failed");
    expect(t.x.createdTypes.filter((c) => c === "oauth.revoke")).toHaveLength(1);
    t.clock.now += 24 * 3_600_000;
    t.x.refuseRevokeType = false;
    expect((await t.subscribe("public", "43")).revoke_subscription).toBe("created");
    expect(t.x.createdTypes.filter((c) => c === "oauth.revoke")).toHaveLength(2);
  });
});

describe("OAuth 2.0 grants: refresh before expiry, consent needed again", () => {
  it("consentCoverage plans from the Registry alone: covered, not covered and the missing scopes", async () => {
    const t = await setup();
    expect(await consentCoverage(t.ctx, ALICE, ["post.create", "like.create"])).toStrictEqual({ user_id: ALICE, state: "none", scopes: [], covered: ["post.create"], not_covered: ["like.create"], missing_scopes: ["like.read"] });
    await t.signIn(ALICE, ["tweet.read", "users.read", "offline.access", "like.read"]);
    const calls = t.x.calls.length;
    const c = await consentCoverage(t.ctx, ALICE, ["post.create", "like.create", "dm.sent", "dm.received", "post.mention.create"]);
    expect(c).toMatchObject({ state: "active", covered: ["post.create", "like.create", "post.mention.create"], not_covered: ["dm.sent", "dm.received"], missing_scopes: ["dm.read"] });
    expect(t.x.calls.length).toBe(calls);
  });

  it("a grant about to expire is refreshed on use; X's rotated refresh token is the one kept", async () => {
    const t = await setup();
    const first = await t.signIn(ALICE, ["tweet.read", "users.read", "offline.access", "like.read"], 5 * 60_000);
    const access = await withXaa(t.ctx, (c) => userAccessToken(t.ctx, c, ALICE));
    expect(access.kind).toBe("ok");
    expect(access.kind === "ok" && access.accessToken).not.toBe(first.access);
    expect(t.x.refresh.has(first.refresh)).toBe(false);
    const row = await t.registry.getOAuth2Token(ALICE);
    expect(row).toMatchObject({ status: "active", expires_at_ms: t.clock.now + 7_200_000, has_refresh: true });
    expect(row!.sealed).not.toContain("rt-");
    // The second use needs no refresh and returns the same token.
    const again = await withXaa(t.ctx, (c) => userAccessToken(t.ctx, c, ALICE));
    expect(again).toStrictEqual(access);
  });

  it("a refresh X refuses puts the user in consent_needed; their private types are then not covered", async () => {
    const t = await setup();
    await t.signIn(ALICE, ["tweet.read", "users.read", "offline.access", "like.read"], 60_000);
    t.x.revokeUser(ALICE);
    const access = await withXaa(t.ctx, (c) => userAccessToken(t.ctx, c, ALICE));
    expect(access.kind).toBe("consent_needed");
    expect((await t.registry.getOAuth2Token(ALICE))?.status).toBe("consent_needed");
    const out = await t.subscribe("standard");
    expect(out.consent).toBe("consent_needed");
    expect(out.not_covered).toStrictEqual(["like.create", "dm.sent"]);
    // Signing in again clears the state.
    await t.signIn(ALICE, ["tweet.read", "users.read", "offline.access", "like.read"]);
    expect((await t.registry.getOAuth2Token(ALICE))?.status).toBe("active");
  });
});

describe("unsubscribe, reconcile, revoke", () => {
  it("unsubscribe deletes the user's subscriptions at X and forgets them; one X no longer has counts as gone", async () => {
    const t = await setup();
    await t.subscribe("public");
    const [first] = await t.registry.listXaaSubscriptions(ALICE);
    t.x.subs.delete(first!.subscription_id);
    const out = await withXaa(t.ctx, (c) => unsubscribeUser(t.ctx, c, ALICE));
    expect(out.deleted).toHaveLength(3);
    expect(out.failed).toStrictEqual([]);
    expect(await t.registry.listXaaSubscriptions(ALICE)).toStrictEqual([]);
    expect([...t.x.subs.values()].map((s) => s.event_type)).toStrictEqual(["oauth.revoke"]);
    expect(out.counts.total).toBe(1);
  });

  it("reconcile re-creates what X lost, records what exists only at X, and marks a private one it cannot re-create", async () => {
    const t = await setup();
    await t.signIn(ALICE, ["tweet.read", "users.read", "offline.access", "like.read"]);
    await t.subscribe("standard");
    const rows = await t.registry.listXaaSubscriptions(ALICE);
    const post = rows.find((r) => r.event_type === "post.create")!;
    const like = rows.find((r) => r.event_type === "like.create")!;
    t.x.subs.delete(post.subscription_id);
    t.x.subs.delete(like.subscription_id);
    t.x.revokeUser(ALICE);
    await t.registry.replaceOAuth2Token(ALICE, (await t.registry.getOAuth2Token(ALICE))!.sealed, { sealed: (await t.registry.getOAuth2Token(ALICE))!.sealed, scopes: "tweet.read users.read offline.access like.read", expires_at_ms: t.clock.now - 1, has_refresh: true }, "2026-12-04T12:00:00.000Z");
    const stray = t.x.addAtX({ event_type: "follow.follow", filter: { user_id: "77" }, webhook_id: HOOK });
    const out = await withXaa(t.ctx, (c) => reconcileXaa(t.ctx, c));
    expect(out.complete).toBe(true);
    expect(out.recreated.map((r) => [r.old_id, r.event_type])).toStrictEqual([[post.subscription_id, "post.create"]]);
    expect(out.lost.map((l) => [l.subscription_id, l.event_type])).toStrictEqual([[like.subscription_id, "like.create"]]);
    expect(out.only_at_x).toStrictEqual([stray.subscription_id]);
    const after = await t.registry.listXaaSubscriptions();
    const newPost = after.find((r) => r.event_type === "post.create")!;
    expect(t.x.subs.get(newPost.subscription_id)?.tag).toBe("std");
    expect(newPost).toMatchObject({ status: "active", created_by: "reconcile", profile: "standard" });
    expect(after.find((r) => r.subscription_id === like.subscription_id)?.status).toBe("lost_at_x");
    expect(after.find((r) => r.subscription_id === stray.subscription_id)).toMatchObject({ status: "only_at_x", created_by: "x", user_id: "77" });
    // A second run changes nothing more.
    const second = await withXaa(t.ctx, (c) => reconcileXaa(t.ctx, c));
    expect([second.recreated, second.only_at_x, second.forgotten]).toStrictEqual([[], [], []]);
  });

  it("reconcile moves subscriptions to a re-registered webhook (PUT webhook_id, tag kept) and re-creates lost ones there", async () => {
    const t = await setup();
    await t.subscribe("public");
    const rows = await t.registry.listXaaSubscriptions(ALICE);
    const lost = rows[0]!;
    t.x.subs.delete(lost.subscription_id);
    t.clock.now += 60_000;
    await t.registry.recordWebhook({ id: "2000000000000000001", url: "https://edge.example/webhooks/new", valid: true, created_at: "2026-12-04T12:01:00.000Z" }, new Date(t.clock.now).toISOString());
    const out = await withXaa(t.ctx, (c) => reconcileXaa(t.ctx, c));
    expect(out.retargeted).toHaveLength(3); // two of Alice's and the app's oauth.revoke
    expect(out.recreated.map((r) => r.old_id)).toStrictEqual([lost.subscription_id]);
    expect([...t.x.subs.values()].every((s) => s.webhook_id === "2000000000000000001")).toBe(true);
    expect((await t.registry.listXaaSubscriptions()).every((r) => r.webhook_id === "2000000000000000001")).toBe(true);
    const again = await withXaa(t.ctx, (c) => reconcileXaa(t.ctx, c));
    expect([again.retargeted, again.recreated]).toStrictEqual([[], []]);
  });

  it("oauth.revoke through the ingest seam removes the grant, marks the subscriptions; the next pass deletes them at X", async () => {
    const t = await setup();
    await t.signIn(ALICE, ["tweet.read", "users.read", "offline.access", "like.read"]);
    await t.subscribe("standard");
    const envelope: Envelope = {
      id: "oauth.revoke::5934540941047412905", event_key: "oauth.revoke:5934540941047412905", app: t.name, type: "oauth.revoke", format: "xaa",
      activity: "oauth.revoke", object_key: `revoke:${ALICE}:29820954:2026-12-04T12:30:00.000Z`,
      for_user_id: null, created_at: "2026-12-04T12:30:00.000Z", received_at: "2026-12-04T12:30:01.000Z", delivery_id: "d1",
      event: { event_uuid: "5934540941047412905", filter: {}, event_type: "oauth.revoke", payload: { date_time: "2026-12-04T12:30:00+00:00", user_id: ALICE, app_id: "29820954" } },
    };
    await applyControlEvents(env, [envelope]);
    await applyControlEvents(env, [envelope]); // queues redeliver: idempotent
    expect(await t.registry.getOAuth2Token(ALICE)).toBeNull();
    expect((await t.registry.listXaaSubscriptions(ALICE)).map((r) => r.status)).toStrictEqual(["revoked", "revoked"]);
    expect((await t.registry.xaaCounts()).revoked).toBe(2);
    const purged = await withXaa(t.ctx, (c) => purgeRevoked(t.ctx, c));
    expect(purged.deleted).toHaveLength(2);
    expect(await t.registry.listXaaSubscriptions(ALICE)).toStrictEqual([]);
    expect([...t.x.subs.values()].filter((s) => s.filter.user_id === ALICE)).toStrictEqual([]);
  });

  it("an old oauth.revoke redelivered after a new sign-in does not remove the new grant", async () => {
    const t = await setup();
    t.clock.now = Date.parse("2026-12-04T13:00:00.000Z");
    await t.signIn(ALICE, ["tweet.read", "users.read", "offline.access"]);
    const envelope: Envelope = {
      id: "oauth.revoke::1", event_key: "oauth.revoke:1", app: t.name, type: "oauth.revoke", format: "xaa", activity: "oauth.revoke", object_key: `revoke:${ALICE}:1:2026-12-04T12:00:00.000Z`, for_user_id: null, created_at: null,
      received_at: "2026-12-04T13:00:01.000Z", delivery_id: "d2",
      event: { event_uuid: "1", filter: {}, event_type: "oauth.revoke", payload: { date_time: "2026-12-04T12:00:00+00:00", user_id: ALICE, app_id: "1" } },
    };
    await applyControlEvents(env, [envelope]);
    expect((await t.registry.getOAuth2Token(ALICE))?.status).toBe("active");
  });
});
