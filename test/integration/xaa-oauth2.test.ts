/**
 * Sign in with X over OAuth 2.0 (src/oauth/oauth2-routes.ts) for an XAA app, through the OAuth 2.0
 * and admin routers with the real Registry: an invite naming a profile, the consent start page
 * listing its event types, the PKCE redirect, X's consent (FakeXaaX checks the S256 challenge
 * against the verifier), the callback storing the sealed grant and subscribing the user by the
 * profile, and every refusal (replay, another browser, used invite, tampered challenge, denial).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAdminRouter } from "../../src/admin/router.ts";
import { createOAuth2Router } from "../../src/oauth/oauth2-routes.ts";
import { registryFor } from "../../src/state/registry.ts";
import { FakeXaaX } from "./xaa-fake-x.ts";

const ALICE = "2244994945";
const HOOK = "1976325569252868099";
const ADMIN = { authorization: "Bearer test-admin-token" };

async function setup() {
  const name = `sx${Math.floor(Math.random() * 1e9)}`;
  const upper = name.toUpperCase();
  const appEnv = {
    ...env,
    APPS: JSON.stringify([{ name, flavour: "xaa", xaa_profiles: { standard: { event_types: ["post.create", "like.create", "dm.sent"], tag: "std" }, posts: { event_types: ["post.create"] } } }]),
    [`X_CONSUMER_SECRET_${upper}`]: "s", [`X_BEARER_TOKEN_${upper}`]: "app-bearer", [`X_OAUTH2_CLIENT_ID_${upper}`]: "client-id-xaa",
  } as unknown as Env;
  const x = new FakeXaaX("app-bearer");
  const clock = { now: Date.parse("2026-12-04T12:00:00.000Z") };
  const deps = { makeXClient: () => { throw new Error("AAA client not used"); }, now: () => clock.now, xFetch: x.fetch };
  const oauth2 = createOAuth2Router(deps);
  const admin = createAdminRouter(deps);
  const registry = registryFor(env, name);
  await registry.recordWebhook({ id: HOOK, url: `https://edge.example/webhooks/${name}`, valid: true, created_at: "2026-12-01T00:00:00.000Z" }, new Date(clock.now).toISOString());
  const get = async (url: string, headers: Record<string, string> = {}) => (await oauth2.fetch(new Request(url, { headers }), appEnv)) as Response;
  const adminCall = async (method: string, path: string, body?: unknown) =>
    (await admin.fetch(new Request(`https://edge.example/admin/apps/${name}${path}`, { method, headers: { ...ADMIN, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }), appEnv)) as Response;
  const invite = async (profile?: string) => (await (await adminCall("POST", "/invites", profile === undefined ? {} : { profile })).json()) as { url: string; profile: string; event_types: string[] };
  /** start?go=1: the redirect to X and the cookie binding this browser. */
  const begin = async (url: string, headers: Record<string, string> = {}) => {
    const u = new URL(url);
    u.searchParams.set("go", "1");
    const res = await get(u.href, headers);
    expect(res.status).toBe(302);
    return { location: res.headers.get("location")!, cookie: (res.headers.get("set-cookie") ?? "").split(";")[0]! };
  };
  return { name, x, registry, get, adminCall, invite, begin };
}

describe("Sign in with X over OAuth 2.0 (XAA)", () => {
  it("invite → consent page with the event types → PKCE redirect → X → callback: grant stored sealed, user subscribed by the profile", async () => {
    const t = await setup();
    const inv = await t.invite("standard");
    expect(inv.url).toContain(`/oauth2/${t.name}/start?invite=`);
    expect(inv.event_types).toStrictEqual(["post.create", "like.create", "dm.sent"]);

    const page = await t.get(inv.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    const text = await page.text();
    for (const s of ["post.create</code> (public)", "like.create</code> (private: needs <code>like.read", "dm.sent</code> (private: needs <code>dm.read", "offline.access"]) expect(text).toContain(s);

    const { location, cookie } = await t.begin(inv.url);
    const auth = new URL(location);
    expect(auth.origin + auth.pathname).toBe("https://x.com/i/oauth2/authorize");
    expect(auth.searchParams.get("client_id")).toBe("client-id-xaa");
    expect(auth.searchParams.get("redirect_uri")).toBe(`https://edge.example/oauth2/${t.name}/callback`);
    expect(auth.searchParams.get("scope")).toBe("tweet.read users.read offline.access like.read dm.read");
    expect(auth.searchParams.get("code_challenge_method")).toBe("S256");
    expect(auth.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The user unticks dm.read on X's consent screen.
    const back = t.x.authorize(location, ALICE, ["dm.read"]);
    const done = await t.get(back, { cookie });
    expect(done.status).toBe(200);
    const result = await done.text();
    expect(result).toContain("<code>like.create</code>");
    expect(result).toContain("dm.sent</code>: not granted (dm.read)");

    const grant = await t.registry.getOAuth2Token(ALICE);
    expect(grant).toMatchObject({ status: "active", scopes: "tweet.read users.read offline.access like.read", has_refresh: true, username: `user${ALICE}` });
    expect(grant!.sealed).not.toContain("at-");
    const subs = await t.registry.listXaaSubscriptions(ALICE);
    expect(subs.map((s) => [s.event_type, s.created_by, s.profile]).sort()).toStrictEqual([["like.create", "oauth", "standard"], ["post.create", "oauth", "standard"]]);
    expect([...t.x.subs.values()].filter((s) => s.filter.user_id === ALICE).every((s) => s.tag === "std" && s.webhook_id === HOOK)).toBe(true);

    // The admin API shows the user per type with the consent state and counts against the cap.
    const view = (await (await t.adminCall("GET", `/xaa/users/${ALICE}`)).json()) as { consent: string; scopes: string[]; subscriptions: { event_type: string }[] };
    expect(view.consent).toBe("active");
    expect(view.subscriptions.map((s) => s.event_type).sort()).toStrictEqual(["like.create", "post.create"]);
    const overview = (await (await t.adminCall("GET", "/xaa")).json()) as { cap: number; counts: { total: number; by_type: Record<string, number> } };
    expect(overview.cap).toBe(1500);
    expect(overview.counts.total).toBe(3);
    expect(overview.counts.by_type["oauth.revoke"]).toBe(1);

    // The callback works once.
    const replay = await t.get(back, { cookie });
    expect(replay.status).toBe(400);
  });

  it("an invite is held from the start: a used or in-progress invite starts nothing; a denied flow gives it back", async () => {
    const t = await setup();
    const inv = await t.invite("posts");
    const go = (url: string) => { const u = new URL(url); u.searchParams.set("go", "1"); return u.href; };
    const first = await t.begin(inv.url);
    const held = await t.get(go(inv.url));
    expect(held.status).toBe(403);
    // End users get a page in words (src/oauth/pages.ts), not JSON.
    expect(await held.text()).toContain("This invite was already used");
    // Denied on X: the claim is released and the invite can start again.
    const state = new URL(first.location).searchParams.get("state")!;
    expect((await t.get(`https://edge.example/oauth2/${t.name}/callback?error=access_denied&state=${state}`, { cookie: first.cookie })).status).toBe(400);
    const again = await t.begin(inv.url);
    expect((await t.get(t.x.authorize(again.location, ALICE), { cookie: again.cookie })).status).toBe(200);
    const used = await t.get(go(inv.url));
    expect(used.status).toBe(403);
    expect(await used.text()).toContain("This invite was already used");
    expect(await t.registry.getOAuth2Token("42")).toBeNull();
  });

  it("without the browser's cookie, or with another browser's, the callback is refused and nothing is stored", async () => {
    const t = await setup();
    const mine = await t.begin((await t.invite("posts")).url);
    const other = await t.begin((await t.invite("posts")).url);
    const back = t.x.authorize(mine.location, ALICE);
    expect((await t.get(back)).status).toBe(400);
    const res = await t.get(back, { cookie: other.cookie });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<h1>Signing in did not finish</h1>");
    expect(await t.registry.getOAuth2Token(ALICE)).toBeNull();
    // Nothing was spent: the browser that started it still completes the sign-in.
    expect((await t.get(back, { cookie: mine.cookie })).status).toBe(200);
    expect(await t.registry.getOAuth2Token(ALICE)).not.toBeNull();
  });

  it("a code whose PKCE challenge does not match the verifier is refused by X: nothing stored, nothing subscribed", async () => {
    const t = await setup();
    const inv = await t.invite("posts");
    const { location, cookie } = await t.begin(inv.url);
    const tampered = new URL(location);
    tampered.searchParams.set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    const res = await t.get(t.x.authorize(tampered.href, ALICE), { cookie });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<h1>Signing in did not finish</h1>");
    expect(await t.registry.getOAuth2Token(ALICE)).toBeNull();
    expect(await t.registry.listXaaSubscriptions(ALICE)).toStrictEqual([]);
  });

  it("a user who denies on X gets a 400 and the pending sign-in is gone", async () => {
    const t = await setup();
    const inv = await t.invite("posts");
    const { location, cookie } = await t.begin(inv.url);
    const state = new URL(location).searchParams.get("state")!;
    const res = await t.get(`https://edge.example/oauth2/${t.name}/callback?error=access_denied&state=${state}`, { cookie });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("not granted");
    expect(await t.registry.takeOAuth2Request(state, "0".repeat(64), Date.now())).toBe("missing");
  });

  it("without an invite the start is refused; an invite with two profiles must name one", async () => {
    const t = await setup();
    expect((await t.get(`https://edge.example/oauth2/${t.name}/start`)).status).toBe(403);
    const res = await t.adminCall("POST", "/invites", {});
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("standard");
  });
});

describe("admin API for XAA profiles and users", () => {
  it("profiles: config ones are listed and protected; admin ones are validated, stored, usable, deletable", async () => {
    const t = await setup();
    const bad = await t.adminCall("PUT", "/xaa/profiles/mutes", { event_types: ["mute.mute"], direction: "inbound" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain("direction");
    expect((await t.adminCall("PUT", "/xaa/profiles/bad", { event_types: ["like.destroy"] })).status).toBe(400);
    expect((await t.adminCall("PUT", "/xaa/profiles/standard", { event_types: ["post.create"] })).status).toBe(409);
    expect((await t.adminCall("PUT", "/xaa/profiles/bios", { event_types: ["profile.update.bio", "post.delete"], tag: "bios" })).status).toBe(200);
    const list = (await (await t.adminCall("GET", "/xaa/profiles")).json()) as { profiles: { name: string; source: string }[] };
    expect(list.profiles.map((p) => [p.name, p.source])).toStrictEqual([["standard", "config"], ["posts", "config"], ["bios", "admin"]]);
    const sub = await t.adminCall("POST", `/xaa/users/${ALICE}`, { profile: "bios" });
    expect(sub.status).toBe(201);
    const out = (await sub.json()) as { types: { event_type: string; status: string }[] };
    expect(out.types.map((r) => r.status)).toStrictEqual(["created", "created"]);
    expect((await t.adminCall("DELETE", "/xaa/profiles/bios")).status).toBe(204);
    expect((await t.adminCall("POST", `/xaa/users/${ALICE}`, { profile: "bios" })).status).toBe(404);
  });

  it("unsubscribe per type; one subscription deleted by id; the users list follows", async () => {
    const t = await setup();
    await t.adminCall("POST", `/xaa/users/${ALICE}`, { profile: "standard" });
    await t.adminCall("POST", `/xaa/users/77`, { profile: "posts" });
    const partial = (await (await t.adminCall("DELETE", `/xaa/users/${ALICE}?types=post.create`)).json()) as { deleted: string[] };
    expect(partial.deleted).toHaveLength(1);
    const [bob] = await t.registry.listXaaSubscriptions("77");
    expect((await t.adminCall("DELETE", `/xaa/subscriptions/${bob!.subscription_id}`)).status).toBe(200);
    expect(t.x.subs.has(bob!.subscription_id)).toBe(false);
    expect((await t.adminCall("DELETE", "/xaa/subscriptions/123")).status).toBe(404);
    const users = (await (await t.adminCall("GET", "/xaa/users")).json()) as { users: unknown[]; app_level: { event_type: string }[]; next_after: string | null };
    expect(users.app_level.map((a) => a.event_type)).toStrictEqual(["oauth.revoke"]);
    // Both users' subscriptions are gone and neither has a grant: nobody is listed.
    expect(users.users).toStrictEqual([]);
    expect(users.next_after).toBeNull();
  });

  it("forget=true deletes every subscription and the OAuth 2.0 grant; it does not combine with types", async () => {
    const t = await setup();
    const { location, cookie } = await t.begin(`https://edge.example/oauth2/${t.name}/start?profile=standard`, ADMIN);
    expect((await t.get(t.x.authorize(location, ALICE), { cookie })).status).toBe(200);
    expect((await t.registry.listXaaSubscriptions(ALICE)).length).toBe(3);
    expect((await t.adminCall("DELETE", `/xaa/users/${ALICE}?forget=true&types=post.create`)).status).toBe(400);
    const out = (await (await t.adminCall("DELETE", `/xaa/users/${ALICE}?forget=true`)).json()) as { deleted: string[]; grant_removed: boolean };
    expect(out.deleted).toHaveLength(3);
    expect(out.grant_removed).toBe(true);
    expect(await t.registry.getOAuth2Token(ALICE)).toBeNull();
    expect((await t.adminCall("GET", `/xaa/users/${ALICE}`)).status).toBe(404);
  });

  it("users are listed a page at a time with next_after; a bad limit or cursor is a 400", async () => {
    const t = await setup();
    for (const id of ["101", "102", "103"]) await t.adminCall("POST", `/xaa/users/${id}`, { profile: "posts" });
    const first = (await (await t.adminCall("GET", "/xaa/users?limit=2")).json()) as { users: { user_id: string; subscriptions: { event_type: string }[] }[]; next_after: string | null };
    expect(first.users.map((u) => u.user_id)).toStrictEqual(["101", "102"]);
    expect(first.users[0]!.subscriptions.map((s) => s.event_type)).toStrictEqual(["post.create"]);
    expect(first.next_after).toBe("102");
    const second = (await (await t.adminCall("GET", "/xaa/users?limit=2&after=102")).json()) as { users: { user_id: string }[]; next_after: string | null; app_level?: unknown };
    expect(second.users.map((u) => u.user_id)).toStrictEqual(["103"]);
    expect(second.next_after).toBeNull();
    expect(second.app_level).toBeUndefined();
    expect((await t.adminCall("GET", "/xaa/users?limit=0")).status).toBe(400);
    expect((await t.adminCall("GET", "/xaa/users?limit=5000")).status).toBe(400);
    expect((await t.adminCall("GET", "/xaa/users?after=abc")).status).toBe(400);
  });

  it("XAA routes on an AAA app are a 400 naming the flavour; hostile ids are 400s, not 500s", async () => {
    const t = await setup();
    expect((await t.adminCall("POST", "/xaa/users/not-a-number", { profile: "posts" })).status).toBe(400);
    expect((await t.adminCall("POST", `/xaa/users/${ALICE}`, { profile: "__proto__" })).status).toBe(404);
    expect((await t.adminCall("DELETE", `/xaa/users/${ALICE}?types=`)).status).toBe(400);
    const admin = createAdminRouter();
    const res = (await admin.fetch(new Request("https://edge.example/admin/apps/default/xaa", { headers: ADMIN }), env)) as Response;
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_xaa_app");
  });
});
