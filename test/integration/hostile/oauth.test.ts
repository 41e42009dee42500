/**
 * Hostile input on the Sign in with X surface (/oauth/:app/start and /callback), with the real
 * Registry and the in-memory FakeX (../admin-fake-x.ts). Extend this file when the flow changes.
 *
 * Issue 10, case 3: `?denied=<oauth_token>` from anyone spent the pending request before the
 * browser was checked, cancelling someone else's sign-in. Case 4: an invite was used up only at
 * the callback, so a used invite kept minting X request tokens and Registry rows. Case 6: the
 * pages had no CSP, nosniff or framing protection.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createAdminRouter } from "../../../src/admin/router.ts";
import { cookieName, createOAuthRouter } from "../../../src/oauth/routes.ts";
import { registryFor } from "../../../src/state/registry.ts";
import { FakeX, xError } from "../admin-fake-x.ts";

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

interface Started {
  cookie: string;
  token: string;
  callback: string;
}

async function start(query: string, headers: Record<string, string> = {}): Promise<Response> {
  return oauth(`/oauth/${app}/start${query}`, headers);
}

async function started(query: string, headers: Record<string, string> = {}): Promise<Started> {
  const res = await start(query, headers);
  expect(res.status).toBe(302);
  const token = new URL(res.headers.get("location")!).searchParams.get("oauth_token")!;
  const rt = fake.requestTokens.get(token)!;
  return { cookie: res.headers.get("set-cookie")!.split(";")[0]!, token, callback: `/oauth/${app}/callback?oauth_token=${token}&oauth_verifier=${rt.verifier}` };
}

const asAdmin = { authorization: "Bearer test-admin-token" };
const withInvite = (token: string) => `?invite=${encodeURIComponent(token)}`;

beforeEach(() => {
  fake = new FakeX();
  fake.webhooks.push({ id: "w1", url: `${BASE}/webhooks/x`, valid: true, created_at: new Date().toISOString() });
  app = `oh${Math.floor(Math.random() * 1e9)}`;
  testEnv = { ...env, APPS: JSON.stringify([{ name: app }]), [`X_CONSUMER_SECRET_${app.toUpperCase()}`]: "cs", [`X_CONSUMER_KEY_${app.toUpperCase()}`]: "ck" } as Env;
});

describe("the callback checks the browser before it spends anything", () => {
  it("?denied=<token> without the browser's cookie does not cancel the sign-in", async () => {
    const victim = await started("", asAdmin);
    const res = await oauth(`/oauth/${app}/callback?denied=${victim.token}`);
    expect(res.status).toBe(400);
    expect((await oauth(victim.callback, { cookie: victim.cookie })).status).toBe(200);
    expect(fake.subs.has("2244994945")).toBe(true);
  });

  it("?denied=<token> with the attacker's own valid cookie (their own sign-in) does not cancel it either", async () => {
    const victim = await started("", asAdmin);
    const attacker = await started("", asAdmin);
    const res = await oauth(`/oauth/${app}/callback?denied=${victim.token}`, { cookie: attacker.cookie });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("another browser");
    expect((await oauth(victim.callback, { cookie: victim.cookie })).status).toBe(200);
  });

  it("a full callback from another browser spends nothing: the right browser still completes", async () => {
    const victim = await started("", asAdmin);
    const attacker = await started("", asAdmin);
    expect((await oauth(victim.callback, { cookie: attacker.cookie })).status).toBe(400);
    expect((await oauth(victim.callback, { cookie: `${cookieName(app)}=forged.value` })).status).toBe(400);
    expect(fake.calls).not.toContain("accessToken");
    expect((await oauth(victim.callback, { cookie: victim.cookie })).status).toBe(200);
  });

  it("the starting browser's own ?denied= ends its sign-in (nothing subscribed)", async () => {
    const s = await started("", asAdmin);
    const res = await oauth(`/oauth/${app}/callback?denied=${s.token}`, { cookie: s.cookie });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("not granted");
    expect((await oauth(s.callback, { cookie: s.cookie })).status).toBe(400);
    expect(fake.calls).not.toContain("accessToken");
  });
});

describe("an invite is marked used when it starts a flow, released if the flow fails", () => {
  it("a used invite mints no request token and no Registry row", async () => {
    const token = await invite();
    const first = await started(withInvite(token));
    expect((await oauth(first.callback, { cookie: first.cookie })).status).toBe(200);
    const tokensBefore = fake.requestTokens.size;
    for (let i = 0; i < 3; i++) {
      const res = await start(withInvite(token));
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("This invite was already used");
    }
    expect(fake.requestTokens.size).toBe(tokensBefore);
    expect(fake.calls.filter((c) => c === "requestToken")).toHaveLength(1);
  });

  it("an invite in use by one browser cannot start a second flow", async () => {
    const token = await invite();
    await started(withInvite(token));
    expect((await start(withInvite(token))).status).toBe(403);
    expect(fake.calls.filter((c) => c === "requestToken")).toHaveLength(1);
  });

  it("released when X refuses the request token", async () => {
    const token = await invite();
    fake.failNext.set("requestToken", xError("auth_failed", 401, 32));
    expect((await start(withInvite(token))).status).toBeGreaterThanOrEqual(400);
    const again = await started(withInvite(token));
    expect((await oauth(again.callback, { cookie: again.cookie })).status).toBe(200);
  });

  it("released when the user denies on X", async () => {
    const token = await invite();
    const s = await started(withInvite(token));
    expect((await oauth(`/oauth/${app}/callback?denied=${s.token}`, { cookie: s.cookie })).status).toBe(400);
    const again = await started(withInvite(token));
    expect((await oauth(again.callback, { cookie: again.cookie })).status).toBe(200);
  });

  it("released when the access-token leg fails; used up once it succeeds", async () => {
    const token = await invite();
    const s = await started(withInvite(token));
    fake.failNext.set("accessToken", xError("auth_failed", 401, 32));
    expect((await oauth(s.callback, { cookie: s.cookie })).status).toBeGreaterThanOrEqual(400);
    const again = await started(withInvite(token));
    expect((await oauth(again.callback, { cookie: again.cookie })).status).toBe(200);
    expect((await start(withInvite(token))).status).toBe(403);
  });

  it("an attacker's ?denied= for an invite flow neither cancels it nor frees the invite for a second flow", async () => {
    const token = await invite();
    const s = await started(withInvite(token));
    expect((await oauth(`/oauth/${app}/callback?denied=${s.token}`)).status).toBe(400);
    expect((await start(withInvite(token))).status).toBe(403);
    expect((await oauth(s.callback, { cookie: s.cookie })).status).toBe(200);
    expect(await registryFor(testEnv, app).listSubscriptions()).toHaveLength(1);
  });
});

describe("OAuth responses carry the page security headers (issue 10, case 6)", () => {
  const expectPageHeaders = (res: Response) => {
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).not.toContain("script-src");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  };

  it("the success page, the redirect to X, refusals and 404s", async () => {
    const s = await started("", asAdmin);
    const page = await oauth(s.callback, { cookie: s.cookie });
    expect(page.headers.get("content-type")).toContain("text/html");
    expectPageHeaders(page);
    expectPageHeaders(await start("", asAdmin));
    expectPageHeaders(await start(""));
    expectPageHeaders(await oauth(`/oauth/${app}/callback`));
    expectPageHeaders(await oauth(`/oauth/${app}/nope`));
  });
});

describe("hostile callback and start queries never make a 500", () => {
  it.each([
    ["repeated oauth_token", "/callback?oauth_token=a&oauth_token=b&oauth_verifier=v"],
    ["10,000-character oauth_token", "/callback?oauth_token=" + "a".repeat(10_000) + "&oauth_verifier=v"],
    ["prototype names as token and verifier", "/callback?oauth_token=__proto__&oauth_verifier=constructor"],
    ["denied=__proto__", "/callback?denied=__proto__"],
    ["denied[]", "/callback?denied[]=x"],
    ["NUL token and verifier", "/callback?oauth_token=%00&oauth_verifier=%00"],
    ["invite=__proto__", "/start?invite=__proto__"],
    ["invite with too many parts", "/start?invite=a.b.c.d"],
    ["10,000-character invite", "/start?invite=" + "x".repeat(10_000)],
    ["repeated invite", "/start?invite=a&invite=b"],
  ])("%s", async (_label, path) => {
    const cookies = [{}, { cookie: `${cookieName(app)}=${"x".repeat(5000)}` }, { cookie: `${cookieName(app)}=a.b; ${cookieName(app)}=c` }];
    for (const headers of cookies) {
      const res = await oauth(`/oauth/${app}${path}`, headers);
      expect(res.status, path).toBeLessThan(500);
    }
  });
});
