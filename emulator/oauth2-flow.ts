/**
 * OAuth 2.0 Authorization Code with PKCE, as X runs it:
 * GET /i/oauth2/authorize (also /2/oauth2/authorize, the OpenAPI's URL) checks client_id,
 * redirect_uri (exactly one of the app's callback URLs), scope, state and code_challenge
 * (S256 or plain), "shows the consent screen" (auto-approved for the chosen user; the control API
 * or `?deny=1` can refuse, giving `error=access_denied`), and redirects with `code` and `state`.
 * POST /2/oauth2/token exchanges the code (code_verifier checked) or a refresh token (rotated:
 * the old one dies), authenticating confidential clients with Basic auth and public ones by
 * `client_id`. POST /2/oauth2/revoke revokes a token. Errors are OAuth's `{error, error_description}`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { AppDef } from "./config.ts";
import type { Core } from "./core.ts";
import { formPairs } from "./oauth1.ts";
import { issueTokens, OAUTH2_SCOPES, opaqueToken, recordGrant } from "./oauth2-store.ts";
import { json, type Reply, type Req, type Router } from "./http.ts";

/** OAuth's error body; X adds an `errors` list carrying the same description. */
function oauthError(status: number, error: string, description: string): Reply {
  return json(status, { error, error_description: description, errors: [{ message: description }] });
}

function page(status: number, text: string): Reply {
  return { status, body: text, contentType: "text/plain; charset=utf-8" };
}

function redirect(url: URL): Reply {
  return { status: 302, headers: { location: url.toString() } };
}

/** The user the emulator's browser is signed in as: ?user_id / ?screen_name, else the first user who owns no app. */
function chosenUser(core: Core, req: Req): string | undefined {
  const id = req.query.get("user_id");
  if (id !== null) return core.state.users.has(id) ? id : undefined;
  const name = req.query.get("screen_name");
  if (name !== null) return [...core.state.users.values()].find((u) => u.screenName === name)?.id;
  const owners = new Set([...core.state.apps.values()].map((a) => a.ownerUserId));
  const users = [...core.state.users.values()];
  return (users.find((u) => !owners.has(u.id)) ?? users[0])?.id;
}

function redirectAllowed(app: AppDef, uri: string): boolean {
  if (app.callbackUrls.length > 0) return app.callbackUrls.includes(uri);
  try {
    const u = new URL(uri);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

export function s256(verifier: string): string {
  return createHash("sha256").update(verifier, "ascii").digest("base64url");
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function authorize(core: Core, req: Req): Reply {
  const q = req.query;
  const app = core.state.appByClientId(q.get("client_id") ?? "");
  if (!app) return page(400, "Something went wrong: this app's client_id is not valid.");
  const redirectUri = q.get("redirect_uri") ?? "";
  if (!redirectAllowed(app, redirectUri)) return page(400, "Something went wrong: redirect_uri does not match a callback URL of this app.");
  const back = new URL(redirectUri);
  const state = q.get("state");
  const fail = (error: string, description: string): Reply => {
    back.searchParams.set("error", error);
    back.searchParams.set("error_description", description);
    if (state !== null) back.searchParams.set("state", state);
    return redirect(back);
  };
  if (q.get("response_type") !== "code") return fail("unsupported_response_type", "response_type must be code");
  if (state === null || state === "" || state.length > 500) return fail("invalid_request", "state is required (up to 500 characters)");
  const scopes = (q.get("scope") ?? "").split(/[ +]/).filter((s) => s !== "");
  if (scopes.length === 0) return fail("invalid_scope", "scope is required");
  const unknown = scopes.find((s) => !(OAUTH2_SCOPES as readonly string[]).includes(s));
  if (unknown !== undefined) return fail("invalid_scope", `unknown scope ${unknown.slice(0, 50)}`);
  const challenge = q.get("code_challenge") ?? "";
  // twitter-api-v2 sends "s256": X takes the method case-insensitively.
  const rawMethod = (q.get("code_challenge_method") ?? "plain").toLowerCase();
  const method = rawMethod === "s256" ? "S256" : rawMethod === "plain" ? "plain" : null;
  if (challenge === "" || method === null) return fail("invalid_request", "code_challenge and code_challenge_method (S256 or plain) are required");
  const userId = chosenUser(core, req);
  if (userId === undefined) return page(400, "Unknown user: configure it with POST /_emulator/users.");
  const choice = core.state.consent.get(userId);
  if (q.get("deny") !== null || choice?.decision === "deny") return fail("access_denied", "The user denied access to the app.");
  const granted = choice?.scopes ? scopes.filter((s) => choice.scopes?.includes(s)) : scopes;
  const code = opaqueToken();
  core.state.oauth2Codes.set(code, { appName: app.name, userId, scopes: granted, redirectUri, challenge, method, expiresAt: core.clock.now() + core.config.oauth2.codeTtlMs });
  back.searchParams.set("state", state);
  back.searchParams.set("code", code);
  return redirect(back);
}

/**
 * Client authentication at the token endpoint: Basic for confidential clients (or client_id with
 * client_secret in the body, as twitter-api-v2 also sends them), client_id alone for public ones.
 */
function client(core: Core, req: Req, form: Map<string, string>): AppDef | Reply {
  const header = req.headers.authorization;
  const basic = typeof header === "string" && /^Basic\s+/i.test(header) ? Buffer.from(header.replace(/^Basic\s+/i, ""), "base64").toString("utf8") : null;
  if (basic !== null) {
    const colon = basic.indexOf(":");
    const id = safeDecode(basic.slice(0, Math.max(colon, 0)));
    const secret = safeDecode(basic.slice(colon + 1));
    const app = core.state.appByClientId(id);
    if (colon < 0 || !app || !equal(app.clientSecret, secret)) return oauthError(401, "unauthorized_client", "Missing valid authorization header");
    return app;
  }
  const app = core.state.appByClientId(form.get("client_id") ?? "");
  if (!app) return oauthError(401, "unauthorized_client", "Missing valid authorization header");
  const secret = form.get("client_secret");
  if (app.clientType === "confidential" && (secret === undefined || !equal(app.clientSecret, secret))) {
    return oauthError(401, "unauthorized_client", "Missing valid authorization header");
  }
  return app;
}

/** RFC 6749 2.3.1 form-encodes the Basic credentials; a bad escape is a failed login, not a 500. */
function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function readForm(req: Req): Map<string, string> {
  return new Map(formPairs(req.body.toString("utf8")).map(([k, v]) => [k, v] as [string, string]));
}

function token(core: Core, req: Req): Reply {
  const form = readForm(req);
  const app = client(core, req, form);
  if (!("name" in app)) return app;
  const grantType = form.get("grant_type");
  if (grantType === "authorization_code") {
    const code = core.state.oauth2Codes.get(form.get("code") ?? "");
    if (!code || code.appName !== app.name || core.clock.now() >= code.expiresAt) return oauthError(400, "invalid_request", "Value passed for the authorization code was invalid.");
    core.state.oauth2Codes.delete(form.get("code") ?? "");
    if (form.get("redirect_uri") !== code.redirectUri) return oauthError(400, "invalid_request", "Value passed for the redirect uri did not match the uri of the authorization code.");
    const verifier = form.get("code_verifier") ?? "";
    const expected = code.method === "S256" ? s256(verifier) : verifier;
    if (verifier === "" || !equal(expected, code.challenge)) return oauthError(400, "invalid_request", "Value passed for the code verifier did not match the code challenge.");
    recordGrant(core, app.name, code.userId, code.scopes);
    return json(200, issueTokens(core, app, code.userId, code.scopes));
  }
  if (grantType === "refresh_token") {
    const value = form.get("refresh_token") ?? "";
    const t = core.state.oauth2Tokens.get(value);
    if (!t || t.kind !== "refresh" || t.appName !== app.name) return oauthError(400, "invalid_request", "Value passed for the token was invalid.");
    core.state.oauth2Tokens.delete(value); // rotation: a refresh token works once
    return json(200, issueTokens(core, app, t.userId, t.scopes));
  }
  return oauthError(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token");
}

function revoke(core: Core, req: Req): Reply {
  const form = readForm(req);
  const app = client(core, req, form);
  if (!("name" in app)) return app;
  const value = form.get("token") ?? "";
  const t = core.state.oauth2Tokens.get(value);
  if (t && t.appName === app.name) core.state.oauth2Tokens.delete(value);
  return json(200, { revoked: true });
}

export function addOAuth2Routes(router: Router, core: Core): void {
  router
    .add("GET", "/i/oauth2/authorize", (req) => authorize(core, req))
    .add("GET", "/2/oauth2/authorize", (req) => authorize(core, req))
    .add("POST", "/2/oauth2/token", (req) => token(core, req))
    .add("POST", "/2/oauth2/revoke", (req) => revoke(core, req));
}
