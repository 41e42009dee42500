import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, rawRequest, registerV2, startFakeWebhook, userNamed } from "./helpers.ts";
import { authorize, authorizeUrl, bearerCall, CALLBACK, formCall, oauth2Login, pkce, type Tokens } from "./xaa-helpers.ts";

type Json = Record<string, unknown>;

describe("OAuth 2.0 Authorization Code with PKCE", () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({
      clock: { scale: 0 },
      apps: [
        { name: "strict", flavour: "xaa", callbackUrls: ["https://example.com/cb"] },
        { name: "mobile", flavour: "xaa", clientType: "public" },
      ],
    });
  });
  afterEach(() => emu.reset());
  afterAll(() => emu.stop());
  const app = (): ReturnType<typeof appNamed> => appNamed(emu, "default");
  const alice = (): ReturnType<typeof userNamed> => userNamed(emu, "alice");
  const basic = (): { id: string; secret: string } => ({ id: app().clientId, secret: app().clientSecret });
  const exchange = (code: string, verifier: string, extra: Record<string, string> = {}): ReturnType<typeof formCall> =>
    formCall(emu, "/2/oauth2/token", { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: verifier, ...extra }, basic());

  it("S256: authorize redirects with code and state; the token endpoint checks code_verifier and answers X's token response", async () => {
    const p = pkce();
    const a = await authorize(authorizeUrl(emu, app(), { scopes: ["tweet.read", "users.read", "offline.access"], state: "xyz", challenge: p.challenge, extra: { user_id: alice().id } }));
    expect(a.status).toBe(302);
    expect(a.location.startsWith(`${CALLBACK}?`)).toBe(true);
    expect(a.params.get("state")).toBe("xyz");
    const code = a.params.get("code")!;
    const wrong = await exchange(code, pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.json).toEqual({ error: "invalid_request", error_description: "Value passed for the code verifier did not match the code challenge.", errors: [{ message: "Value passed for the code verifier did not match the code challenge." }] });
    // A code is single use: the failed attempt consumed it, as on X.
    const a2 = await authorize(authorizeUrl(emu, app(), { scopes: ["tweet.read", "users.read", "offline.access"], state: "xyz", challenge: p.challenge, extra: { user_id: alice().id } }));
    const ok = await exchange(a2.params.get("code")!, p.verifier);
    expect(ok.status).toBe(200);
    const t = ok.json as Tokens;
    expect(t).toMatchObject({ token_type: "bearer", expires_in: 7200, scope: "tweet.read users.read offline.access" });
    expect(t.access_token.length).toBeGreaterThan(20);
    expect(typeof t.refresh_token).toBe("string");
    expect((await exchange(a2.params.get("code")!, p.verifier)).status).toBe(400);
  });

  it("plain code_challenge_method works; a public client authenticates with client_id and no secret, a confidential one must use Basic", async () => {
    const mobile = appNamed(emu, "mobile");
    const a = await authorize(authorizeUrl(emu, mobile, { scopes: ["tweet.read"], state: "s", challenge: "plain-verifier-0123456789012345678901234567", method: "plain" }));
    const r = await formCall(emu, "/2/oauth2/token", { grant_type: "authorization_code", code: a.params.get("code")!, redirect_uri: CALLBACK, code_verifier: "plain-verifier-0123456789012345678901234567", client_id: mobile.clientId });
    expect(r.status).toBe(200);
    expect((r.json as Tokens).refresh_token).toBeUndefined(); // no offline.access, no refresh token
    const p = pkce();
    const b = await authorize(authorizeUrl(emu, app(), { scopes: ["tweet.read"], state: "s", challenge: p.challenge }));
    const noSecret = await formCall(emu, "/2/oauth2/token", { grant_type: "authorization_code", code: b.params.get("code")!, redirect_uri: CALLBACK, code_verifier: p.verifier, client_id: app().clientId });
    expect(noSecret.status).toBe(401);
    expect(noSecret.json).toMatchObject({ error: "unauthorized_client" });
    const badSecret = await formCall(emu, "/2/oauth2/token", { grant_type: "authorization_code", code: "x", redirect_uri: CALLBACK, code_verifier: "v" }, { id: app().clientId, secret: "wrong" });
    expect(badSecret.status).toBe(401);
  });

  it("redirect_uri must match a registered callback exactly (no redirect then); other faults redirect with error and state", async () => {
    const strict = appNamed(emu, "strict");
    const p = pkce();
    const bad = await rawRequest(authorizeUrl(emu, strict, { scopes: ["tweet.read"], state: "s", challenge: p.challenge, redirect: "https://evil.example/cb" }), "GET", {});
    expect(bad.status).toBe(400);
    expect(bad.headers.location).toBeUndefined();
    const good = await authorize(authorizeUrl(emu, strict, { scopes: ["tweet.read"], state: "s", challenge: p.challenge, redirect: "https://example.com/cb" }));
    expect(good.location.startsWith("https://example.com/cb?")).toBe(true);
    const noChallenge = await authorize(authorizeUrl(emu, app(), { scopes: ["tweet.read"], state: "s9", challenge: "" }));
    expect([noChallenge.params.get("error"), noChallenge.params.get("state")]).toEqual(["invalid_request", "s9"]);
    const badScope = await authorize(authorizeUrl(emu, app(), { scopes: ["tweet.read", "root.everything"], state: "s", challenge: p.challenge }));
    expect(badScope.params.get("error")).toBe("invalid_scope");
    const noState = await authorize(authorizeUrl(emu, app(), { scopes: ["tweet.read"], state: "", challenge: p.challenge }));
    expect(noState.params.get("error")).toBe("invalid_request");
    const unknownClient = await rawRequest(`${emu.url}/i/oauth2/authorize?client_id=nobody&redirect_uri=${encodeURIComponent(CALLBACK)}`, "GET", {});
    expect(unknownClient.status).toBe(400);
  });

  it("a user who denies (query knob or control endpoint) sends error=access_denied; consent can grant a subset of scopes", async () => {
    const p = pkce();
    const denied = await authorize(authorizeUrl(emu, app(), { scopes: ["tweet.read"], state: "d", challenge: p.challenge, extra: { deny: "1" } }));
    expect([denied.params.get("error"), denied.params.get("state"), denied.params.get("code")]).toEqual(["access_denied", "d", null]);
    const set = await rawRequest(`${emu.url}/_emulator/oauth2/consent`, "POST", { "content-type": "application/json" }, JSON.stringify({ user_id: alice().id, decision: "deny" }));
    expect(set.status).toBe(200);
    const viaControl = await authorize(authorizeUrl(emu, app(), { scopes: ["tweet.read"], state: "d", challenge: p.challenge, extra: { user_id: alice().id } }));
    expect(viaControl.params.get("error")).toBe("access_denied");
    await rawRequest(`${emu.url}/_emulator/oauth2/consent`, "POST", { "content-type": "application/json" }, JSON.stringify({ user_id: alice().id, decision: "approve", scopes: ["tweet.read"] }));
    const t = await oauth2Login(emu, app(), alice(), ["tweet.read", "dm.read"]);
    expect(t.scope).toBe("tweet.read");
    const grants = await rawRequest(`${emu.url}/_emulator/oauth2/grants?app=default`, "GET", {});
    expect(grants.json).toEqual([{ app: "default", user_id: alice().id, scopes: ["tweet.read"], granted_at: expect.any(String) as string, live_tokens: 1 }]);
  });

  it("access tokens expire after about 2 hours of virtual time; refresh rotates (the old refresh token is refused)", async () => {
    const t = await oauth2Login(emu, app(), alice(), ["tweet.read", "offline.access"]);
    const list = (token: string): Promise<number> => bearerCall(emu, token, "GET", "/2/activity/subscriptions").then((r) => r.status);
    expect(await list(t.access_token)).toBe(200);
    await emu.advance(7200_000);
    expect(await list(t.access_token)).toBe(401);
    const r1 = await formCall(emu, "/2/oauth2/token", { grant_type: "refresh_token", refresh_token: t.refresh_token! }, basic());
    expect(r1.status).toBe(200);
    const t1 = r1.json as Tokens;
    expect(t1.refresh_token).not.toBe(t.refresh_token);
    expect(await list(t1.access_token)).toBe(200);
    const reuse = await formCall(emu, "/2/oauth2/token", { grant_type: "refresh_token", refresh_token: t.refresh_token! }, basic());
    expect(reuse.status).toBe(400);
    expect(reuse.json).toMatchObject({ error: "invalid_request" });
    expect((await formCall(emu, "/2/oauth2/token", { grant_type: "password" }, basic())).json).toMatchObject({ error: "unsupported_grant_type" });
  });

  it("grantOAuth2() and POST /_emulator/oauth2/grants give consent without the browser dance", async () => {
    const t = emu.grantOAuth2("default", alice().id, ["like.read", "offline.access"]);
    expect(t).toMatchObject({ token_type: "bearer", expires_in: 7200, scope: "like.read offline.access" });
    expect((await bearerCall(emu, t.access_token, "POST", "/2/activity/subscriptions", { event_type: "like.create", filter: { user_id: alice().id } })).status).toBe(200);
    const r = await rawRequest(`${emu.url}/_emulator/oauth2/grants`, "POST", { "content-type": "application/json" }, JSON.stringify({ app: "default", user_id: userNamed(emu, "bob").id, scopes: ["dm.read"] }));
    expect(r.json).toMatchObject({ scope: "dm.read" });
    expect((r.json as Json).refresh_token).toBeUndefined();
    const bad = await rawRequest(`${emu.url}/_emulator/oauth2/grants`, "POST", { "content-type": "application/json" }, JSON.stringify({ app: "default", user_id: alice().id, scopes: ["root"] }));
    expect(bad.status).toBe(400);
  });

  it("POST /2/oauth2/revoke kills a token", async () => {
    const t = await oauth2Login(emu, app(), alice(), ["tweet.read"]);
    const r = await formCall(emu, "/2/oauth2/revoke", { token: t.access_token, token_type_hint: "access_token" }, basic());
    expect(r.json).toEqual({ revoked: true });
    expect((await bearerCall(emu, t.access_token, "GET", "/2/activity/subscriptions")).status).toBe(401);
  });

  it("an OAuth 2.0 user token also subscribes through AAA v2 (X since 2026-01-15), never through v1.1", async () => {
    const t = await oauth2Login(emu, app(), alice(), ["dm.read", "dm.write", "tweet.read", "users.read"]);
    const hook = await startFakeWebhook(app().consumerSecret);
    try {
      const id = await registerV2(emu, hook.url);
      const sub = await bearerCall(emu, t.access_token, "POST", `/2/account_activity/webhooks/${id}/subscriptions/all`);
      expect(sub.json).toEqual({ data: { subscribed: true } });
      expect(emu.state.webhooks.get(id)!.subscriptions.has(alice().id)).toBe(true);
    } finally {
      await hook.close();
    }
    const v11 = await bearerCall(emu, t.access_token, "GET", "/1.1/account_activity/webhooks.json");
    expect(v11.status).toBe(401);
    expect((v11.json as { errors: Json[] }).errors[0]).toMatchObject({ code: 89 });
  });
});
