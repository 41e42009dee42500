/**
 * OAuth 2.0 user context: PKCE S256 (RFC 7636's own vector), the authorize URL, the token calls'
 * requests (form body, client authentication, PKCE verifier) and their answers, refresh (token
 * rotation; a refused refresh is "consent needed again"), and the scopes per event type.
 */
import { describe, expect, it } from "vitest";
import { authorizeUrl, codeChallengeS256, defaultAuthorizeUrl, isCodeVerifier, newCodeVerifier, newState } from "../../../src/oauth/pkce.ts";
import { XApiError } from "../../../src/x-api/errors.ts";
import { createOAuth2Client, needsRefresh, REFRESH_AHEAD_MS } from "../../../src/x-api/oauth2.ts";
import { canonicalEventType, isPrivateEventType, requiredScope, scopesFor, typesNotCovered, type XaaEventType } from "../../../src/x-api/xaa-event-types.ts";
import { fakeX, makeApp, type Canned } from "../x-api/fake-x.ts";

const BASE = "http://127.0.0.1:8788";
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

function oauthApp(secret: boolean) {
  const app = makeApp("xaa");
  app.credentials.oauth2ClientId = "client-id-acme";
  if (secret) app.credentials.oauth2ClientSecret = "client-SECRET-acme";
  return app;
}

function client(reply: Canned, secret = true) {
  const x = fakeX(reply);
  return { c: createOAuth2Client(oauthApp(secret), { baseUrl: BASE, fetch: x.fetch, now: () => NOW }), requests: x.requests };
}

async function rejection(p: Promise<unknown>): Promise<XApiError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(XApiError);
  return err as XApiError;
}

describe("PKCE", () => {
  it("S256 matches RFC 7636 appendix B", async () => {
    expect(await codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });

  it("fresh verifiers are valid, 43 characters and never repeat; state is random too", () => {
    const vs = new Set(Array.from({ length: 50 }, () => newCodeVerifier()));
    expect(vs.size).toBe(50);
    for (const v of vs) {
      expect(isCodeVerifier(v)).toBe(true);
      expect(v).toHaveLength(43);
    }
    expect(newState()).not.toBe(newState());
  });

  it("a verifier outside RFC 7636's alphabet or length is refused", async () => {
    await expect(codeChallengeS256("too-short")).rejects.toThrow(TypeError);
    await expect(codeChallengeS256("a".repeat(42) + "!")).rejects.toThrow(TypeError);
    await expect(codeChallengeS256("a".repeat(129))).rejects.toThrow(TypeError);
  });

  it("the authorize URL carries X's parameters, S256 and space-separated scopes", () => {
    const u = new URL(authorizeUrl({ authorizeUrl: "https://x.com/i/oauth2/authorize", clientId: "cid", redirectUri: "https://edge.example/oauth/acme/callback2", scopes: ["tweet.read", "users.read", "like.read"], state: "st", codeChallenge: "ch" }));
    expect(u.origin + u.pathname).toBe("https://x.com/i/oauth2/authorize");
    expect(Object.fromEntries(u.searchParams)).toStrictEqual({ response_type: "code", client_id: "cid", redirect_uri: "https://edge.example/oauth/acme/callback2", scope: "tweet.read users.read like.read", state: "st", code_challenge: "ch", code_challenge_method: "S256" });
  });

  it("X's authorize page is on x.com for api.x.com, on the emulator itself otherwise", () => {
    expect(defaultAuthorizeUrl("https://api.x.com")).toBe("https://x.com/i/oauth2/authorize");
    expect(defaultAuthorizeUrl("http://127.0.0.1:8788/")).toBe("http://127.0.0.1:8788/i/oauth2/authorize");
  });
});

describe("token endpoint", () => {
  const GRANT = { token_type: "bearer", expires_in: 7200, access_token: "AT-1", scope: "tweet.read users.read like.read offline.access", refresh_token: "RT-1" };

  it("exchangeCode: form body with the PKCE verifier, Basic auth for a confidential client", async () => {
    const { c, requests } = client({ status: 200, body: GRANT });
    const grant = await c.exchangeCode({ code: "code-1", codeVerifier: "v".repeat(43), redirectUri: "https://edge.example/oauth/acme/callback2" });
    const r = requests[0]!;
    expect([r.method, r.url.pathname, r.contentType]).toStrictEqual(["POST", "/2/oauth2/token", "application/x-www-form-urlencoded"]);
    expect(r.authorization).toBe(`Basic ${btoa("client-id-acme:client-SECRET-acme")}`);
    expect(Object.fromEntries(new URLSearchParams(r.body))).toStrictEqual({ grant_type: "authorization_code", code: "code-1", redirect_uri: "https://edge.example/oauth/acme/callback2", code_verifier: "v".repeat(43), client_id: "client-id-acme" });
    expect(grant).toStrictEqual({ accessToken: "AT-1", refreshToken: "RT-1", expiresAtMs: NOW + 7_200_000, scopes: ["tweet.read", "users.read", "like.read", "offline.access"] });
  });

  it("a public client (no client secret) sends no Authorization header, client_id in the form", async () => {
    const { c, requests } = client({ status: 200, body: GRANT }, false);
    await c.exchangeCode({ code: "c", codeVerifier: "v".repeat(43), redirectUri: "https://e/cb" });
    expect(requests[0]!.authorization).toBeNull();
    expect(new URLSearchParams(requests[0]!.body).get("client_id")).toBe("client-id-acme");
  });

  it("without a client id the missing secret is named and nothing is sent", async () => {
    const x = fakeX({ status: 200, body: GRANT });
    const err = await rejection(createOAuth2Client(makeApp("xaa"), { baseUrl: BASE, fetch: x.fetch }).refresh("RT"));
    expect([err.kind, err.secret]).toStrictEqual(["missing_credential", "X_OAUTH2_CLIENT_ID_ACME"]);
    expect(x.requests).toHaveLength(0);
  });

  it("refresh: grant_type refresh_token; X's rotated refresh token replaces the old one", async () => {
    const { c, requests } = client({ status: 200, body: { ...GRANT, access_token: "AT-2", refresh_token: "RT-2" } });
    const grant = await c.refresh("RT-1");
    expect(Object.fromEntries(new URLSearchParams(requests[0]!.body))).toStrictEqual({ grant_type: "refresh_token", refresh_token: "RT-1", client_id: "client-id-acme" });
    expect([grant.accessToken, grant.refreshToken]).toStrictEqual(["AT-2", "RT-2"]);
  });

  it("refresh: an answer without a new refresh token keeps the old one", async () => {
    const { refresh_token: _dropped, ...noRefresh } = GRANT;
    const grant = await client({ status: 200, body: noRefresh }).c.refresh("RT-1");
    expect(grant.refreshToken).toBe("RT-1");
  });

  it("a refused refresh (invalid_grant, invalid_request) is consent_required, with X's words", async () => {
    for (const error of ["invalid_grant", "invalid_request"]) {
      const err = await rejection(client({ status: 400, body: { error, error_description: "Value passed for the token was invalid." } }).c.refresh("RT-gone"));
      expect(err.kind).toBe("consent_required");
      expect(err.reason).toBe(error);
      expect(err.xMessage).toContain("Value passed for the token was invalid.");
    }
  });

  it("a bad client is auth_failed; a code exchange refused is not mistaken for a lost consent", async () => {
    expect((await rejection(client({ status: 401, body: { error: "invalid_client" } }).c.refresh("RT"))).kind).toBe("auth_failed");
    expect((await rejection(client({ status: 400, body: { error: "invalid_grant" } }).c.exchangeCode({ code: "c", codeVerifier: "v".repeat(43), redirectUri: "https://e/cb" }))).kind).toBe("invalid_request");
  });

  it("an answer without access_token is unexpected", async () => {
    expect((await rejection(client({ status: 200, body: { token_type: "bearer" } }).c.refresh("RT"))).kind).toBe("unexpected");
  });

  it("revoke posts the token and its hint; me reads the user id with the user's token", async () => {
    const r1 = client({ status: 200, body: { revoked: true } });
    expect(await r1.c.revoke("RT-1", "refresh_token")).toBe(true);
    expect(Object.fromEntries(new URLSearchParams(r1.requests[0]!.body))).toStrictEqual({ token: "RT-1", token_type_hint: "refresh_token", client_id: "client-id-acme" });
    expect(r1.requests[0]!.url.pathname).toBe("/2/oauth2/revoke");
    const r2 = client({ status: 200, body: { data: { id: "2244994945", name: "X Dev", username: "XDevelopers" } } });
    expect(await r2.c.me("AT-1")).toStrictEqual({ id: "2244994945", username: "XDevelopers" });
    expect([r2.requests[0]!.method, r2.requests[0]!.url.pathname, r2.requests[0]!.authorization]).toStrictEqual(["GET", "/2/users/me", "Bearer AT-1"]);
    expect((await rejection(client({ status: 200, body: { data: { id: "../1" } } }).c.me("AT"))).kind).toBe("unexpected");
  });

  it("needsRefresh: refreshed ahead of expiry, not long before", () => {
    expect(needsRefresh(NOW + REFRESH_AHEAD_MS + 1, NOW)).toBe(false);
    expect(needsRefresh(NOW + REFRESH_AHEAD_MS, NOW)).toBe(true);
    expect(needsRefresh(NOW - 1, NOW)).toBe(true);
  });
});

describe("scopes per event type", () => {
  it("each private family needs its scope; public types need none", () => {
    const expected: [XaaEventType, string | null][] = [
      ["like.create", "like.read"], ["dm.sent", "dm.read"], ["dm.received", "dm.read"], ["dm.read", "dm.read"], ["dm.indicate_typing", "dm.read"],
      ["chat.received", "dm.read"], ["chat.sent", "dm.read"], ["post.mention.create", "tweet.read"], ["post.reply.create", "tweet.read"],
      ["post.quote.create", "tweet.read"], ["post.repost.create", "tweet.read"], ["mute.mute", "mute.read"], ["mute.unmute", "mute.read"],
      ["block.block", "block.read"], ["block.unblock", "block.read"], ["broadcast.chat", "broadcast.read"],
      ["post.create", null], ["post.delete", null], ["profile.update.bio", null], ["broadcast.start", null], ["broadcast.end", null], ["follow.follow", null],
    ];
    for (const [type, scope] of expected) {
      expect(requiredScope(type), type).toBe(scope);
      expect(isPrivateEventType(type), type).toBe(scope !== null);
    }
  });

  it("scopesFor always asks offline.access, users.read and tweet.read, then each needed scope once", () => {
    expect(scopesFor(["post.create"])).toStrictEqual(["tweet.read", "users.read", "offline.access"]);
    expect(scopesFor(["like.create", "dm.sent", "dm.received", "block.block"])).toStrictEqual(["tweet.read", "users.read", "offline.access", "like.read", "dm.read", "block.read"]);
  });

  it("typesNotCovered names the private types the granted scopes leave out", () => {
    expect(typesNotCovered(["post.create", "like.create", "dm.sent", "mute.mute"], ["tweet.read", "users.read", "like.read"])).toStrictEqual(["dm.sent", "mute.mute"]);
  });

  it("the deprecated alias resolves; unknown types and prototype names do not", () => {
    expect(canonicalEventType("chat.conversation_join")).toBe("chat.conversation.join");
    expect(canonicalEventType("like.create")).toBe("like.create");
    expect(canonicalEventType("like.destroy")).toBeNull();
    expect(canonicalEventType("__proto__")).toBeNull();
    expect(canonicalEventType("constructor")).toBeNull();
  });
});
