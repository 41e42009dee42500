/**
 * Sign in with X: /oauth/:app/start and /callback with the real Registry and KV, and the
 * in-memory XApiClient fake (admin-fake-x.ts) in place of X, which cannot run inside workerd.
 * The full browser flow against the emulator is in test/e2e.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createAdminRouter } from "../../src/admin/router.ts";
import { createOAuthRouter, cookieName } from "../../src/oauth/routes.ts";
import { registryFor } from "../../src/state/registry.ts";
import { openToken, deriveSealKey } from "../../src/state/token-seal.ts";
import { FakeX } from "./admin-fake-x.ts";

const BASE = "https://edge.example";
let fake: FakeX;
let testEnv: Env;
let app: string;

const deps = () => ({ makeXClient: () => fake, now: () => Date.now() });
const oauth = (path: string, headers: Record<string, string> = {}) =>
  createOAuthRouter(deps()).fetch(new Request(`${BASE}${path}`, { headers }), testEnv, createExecutionContext());

async function invite(): Promise<string> {
  const res = await createAdminRouter(deps()).fetch(
    new Request(`${BASE}/admin/apps/${app}/invites`, { method: "POST", headers: { authorization: "Bearer test-admin-token" } }), testEnv, createExecutionContext());
  return new URL(((await res.json()) as { url: string }).url).searchParams.get("invite")!;
}

/** Start a sign-in; returns the cookie pair and X's callback query for the fake user. */
async function started(query: string, headers: Record<string, string> = {}): Promise<{ cookie: string; callback: string }> {
  const res = await oauth(`/oauth/${app}/start${query}`, headers);
  expect(res.status).toBe(302);
  const setCookie = res.headers.get("set-cookie")!;
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Lax/);
  expect(setCookie).toMatch(/Secure/);
  const token = new URL(res.headers.get("location")!).searchParams.get("oauth_token")!;
  const rt = fake.requestTokens.get(token)!;
  expect(rt.callback).toBe(`${BASE}/oauth/${app}/callback`);
  return { cookie: setCookie.split(";")[0]!, callback: `/oauth/${app}/callback?oauth_token=${token}&oauth_verifier=${rt.verifier}` };
}

beforeEach(() => {
  fake = new FakeX();
  fake.webhooks.push({ id: "w1", url: `${BASE}/webhooks/x`, valid: true, created_at: new Date().toISOString() });
  app = `oa${Math.floor(Math.random() * 1e9)}`;
  testEnv = { ...env, APPS: JSON.stringify([{ name: app }]), [`X_CONSUMER_SECRET_${app.toUpperCase()}`]: "cs", [`X_CONSUMER_KEY_${app.toUpperCase()}`]: "ck" } as Env;
});

describe("Sign in with X", () => {
  it("refuses to start without an invite or the admin token (default policy)", async () => {
    expect((await oauth(`/oauth/${app}/start`)).status).toBe(403);
    expect((await oauth(`/oauth/${app}/start?invite=forged.value`)).status).toBe(403);
    expect(fake.calls).not.toContain("requestToken");
  });

  it("with an invite: stores the sealed token and subscribes the user in one visit", async () => {
    const { cookie, callback } = await started(`?invite=${encodeURIComponent(await invite())}`);
    const res = await oauth(callback, { cookie });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("@XDevelopers");
    expect(fake.subs.has("2244994945")).toBe(true);
    const registry = registryFor(testEnv, app);
    expect(await registry.listSubscriptions()).toMatchObject([{ user_id: "2244994945", screen_name: "XDevelopers", subscribed_by: "oauth", has_token: true }]);
    const sealed = (await registry.getSealedToken("2244994945"))!;
    const opened = await openToken(await deriveSealKey(env.TOKEN_ENCRYPTION_KEY), { app, userId: "2244994945" }, sealed);
    expect(opened.token).toMatch(/^2244994945-/);
  });

  it("answers 400 to a replayed callback", async () => {
    const { cookie, callback } = await started("", { authorization: "Bearer test-admin-token" });
    expect((await oauth(callback, { cookie })).status).toBe(200);
    const again = await oauth(callback, { cookie });
    expect(again.status).toBe(400);
    expect(fake.calls.filter((c) => c === "accessToken")).toHaveLength(1);
  });

  it("answers 400 when the callback comes without the starting browser's cookie or with another's", async () => {
    const a = await started("", { authorization: "Bearer test-admin-token" });
    const b = await started("", { authorization: "Bearer test-admin-token" });
    expect((await oauth(a.callback)).status).toBe(400);
    expect((await oauth(a.callback, { cookie: `${cookieName(app)}=forged.cookie` })).status).toBe(400);
    expect((await oauth(a.callback, { cookie: b.cookie })).status).toBe(400);
    expect(fake.calls).not.toContain("accessToken");
  });

  it("lets an invite be used once: a second start is refused while the first runs and after it completed", async () => {
    const token = await invite();
    const first = await started(`?invite=${encodeURIComponent(token)}`);
    const during = await oauth(`/oauth/${app}/start?invite=${encodeURIComponent(token)}`);
    expect(during.status).toBe(403);
    // An end user's page, not the admin API's JSON.
    expect(during.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await during.text()).toContain("This invite was already used");
    expect((await oauth(first.callback, { cookie: first.cookie })).status).toBe(200);
    const after = await oauth(`/oauth/${app}/start?invite=${encodeURIComponent(token)}`);
    expect(after.status).toBe(403);
    expect(fake.calls.filter((c) => c === "requestToken")).toHaveLength(1);
  });

  it("400s a callback with missing parameters, through the Worker", async () => {
    const res = await exports.default.fetch(new Request(`${BASE}/oauth/default/callback`));
    expect(res.status).toBe(400);
    expect((await exports.default.fetch(new Request(`${BASE}/oauth/nope/start`))).status).toBe(404);
  });
});

describe("Sign in with X across a TOKEN_ENCRYPTION_KEY rotation", () => {
  const OLD = env.TOKEN_ENCRYPTION_KEY;
  const NEW = "bmV3LXRva2VuLWVuY3J5cHRpb24ta2V5LTMyLWJ5dGVzIQ==";
  const rotate = (previous: string | undefined): void => {
    testEnv = { ...testEnv, TOKEN_ENCRYPTION_KEY: NEW, ...(previous === undefined ? {} : { TOKEN_ENCRYPTION_KEY_PREVIOUS: previous }) } as Env;
  };

  it("an invite issued and a sign-in started before the rotation still complete with the old key as previous", async () => {
    const token = await invite();
    const another = await invite();
    const { cookie, callback } = await started(`?invite=${encodeURIComponent(token)}`);
    rotate(OLD);
    const res = await oauth(callback, { cookie });
    expect(res.status).toBe(200);
    expect(fake.subs.has("2244994945")).toBe(true);
    // The user's token is sealed with the new key.
    const sealed = (await registryFor(testEnv, app).getSealedToken("2244994945"))!;
    expect((await openToken(await deriveSealKey(NEW), { app, userId: "2244994945" }, sealed)).token).toMatch(/^2244994945-/);
    // Another invite from before the rotation still starts a sign-in.
    expect((await oauth(`/oauth/${app}/start?invite=${encodeURIComponent(another)}`)).status).toBe(302);
  });

  it("without the previous key, the old invite and the old sign-in are refused with a clear 4xx, not a 500", async () => {
    const token = await invite();
    const { cookie, callback } = await started("", { authorization: "Bearer test-admin-token" });
    rotate(undefined);
    expect((await oauth(`/oauth/${app}/start?invite=${encodeURIComponent(token)}`)).status).toBe(403);
    const res = await oauth(callback, { cookie });
    expect(res.status).toBe(400);
    expect(fake.subs.has("2244994945")).toBe(false);
  });
});
