/**
 * Who is calling: OAuth 1.0a user context (consumer + access token), OAuth consumer-only or
 * request-token context (the 3-legged flow), or an app-only bearer token. Failures throw X's
 * errors: 401 code 32 for a bad signature, unknown consumer key or token, or a replayed nonce;
 * 401 code 135 for a timestamp outside the window; 401 code 89 for an unknown bearer token;
 * 400 code 215 when there are no credentials at all. A Bearer token that is no app's may be an
 * OAuth 2.0 user access token (live, not expired on the virtual clock, grant not revoked).
 */
import type { AppDef, EmulatorConfig } from "./config.ts";
import { err } from "./errors.ts";
import { formPairs, hmacSha1, parseOAuthHeader, signatureBaseString, signaturesEqual, type ParamPair } from "./oauth1.ts";
import { isFormBody, type Req } from "./http.ts";
import { grantKey, type EmulatorState, type RequestTokenRecord } from "./state.ts";

export type Principal =
  | { kind: "user"; app: AppDef; userId: string; readOnly: boolean }
  | { kind: "app"; app: AppDef }
  | { kind: "oauth2"; app: AppDef; userId: string; scopes: string[] }
  | { kind: "consumer"; app: AppDef; oauth: Record<string, string> }
  | { kind: "request-token"; app: AppDef; token: string; record: RequestTokenRecord; oauth: Record<string, string> };

export interface AuthOptions {
  /** Accept an oauth_token that is a request token (POST oauth/access_token). */
  requestToken?: boolean;
  /** Virtual now (ms): OAuth 2.0 user tokens past their expiry are refused. Default: real time. */
  now?: number;
}

export function authenticate(req: Req, state: EmulatorState, config: EmulatorConfig, options: AuthOptions = {}): Principal {
  const header = headerValue(req.headers.authorization);
  if (header !== undefined && /^\s*Bearer\s/i.test(header)) {
    const token = header.replace(/^\s*Bearer\s+/i, "").trim();
    let decoded = token;
    try {
      decoded = decodeURIComponent(token);
    } catch {
      // not percent-encoded: compare as given
    }
    const app = state.appByBearer(token) ?? state.appByBearer(decoded);
    if (app) return { kind: "app", app };
    // An OAuth 2.0 user access token travels as a Bearer token too.
    const t = state.oauth2Tokens.get(token);
    const owner = t === undefined ? undefined : state.apps.get(t.appName);
    const now = options.now ?? Date.now();
    if (!t || !owner || t.kind !== "access" || (t.expiresAt !== null && now >= t.expiresAt) || !state.grants.has(grantKey(t.appName, t.userId))) {
      throw err.badBearer();
    }
    return { kind: "oauth2", app: owner, userId: t.userId, scopes: t.scopes };
  }
  const queryPairs = formPairs(req.rawQuery);
  const formBody = isFormBody(req) ? formPairs(req.body.toString("utf8")) : [];
  let oauth: Record<string, string> | null = parseOAuthHeader(header);
  if (header !== undefined && oauth === null) throw err.auth();
  if (oauth === null) {
    // OAuth parameters may also travel in the query or form body (RFC 5849 3.5.2, 3.5.3).
    const inline = [...queryPairs, ...formBody].filter(([k]) => k.startsWith("oauth_"));
    if (inline.length === 0) throw err.authMissing();
    oauth = Object.fromEntries(inline);
  }
  const sig = oauth.oauth_signature;
  const consumerKey = oauth.oauth_consumer_key;
  if (sig === undefined || consumerKey === undefined) throw err.auth();
  if ((oauth.oauth_signature_method ?? "").toUpperCase() !== "HMAC-SHA1") throw err.auth();
  if (oauth.oauth_version !== undefined && oauth.oauth_version !== "1.0") throw err.auth();
  const app = state.appByConsumerKey(consumerKey);
  if (!app) throw err.auth();

  const window = config.auth.timestampWindowSec;
  const ts = Number(oauth.oauth_timestamp);
  // Real time, not virtual: clients sign with their own clock, which advance() does not move.
  if (window > 0) {
    if (!/^\d+$/.test(oauth.oauth_timestamp ?? "") || Math.abs(Date.now() / 1000 - ts) > window) throw err.timestamp();
  }
  const nonce = oauth.oauth_nonce;
  if (nonce === undefined || nonce === "") throw err.auth();

  let tokenSecret = "";
  let principal: Principal;
  const token = oauth.oauth_token;
  if (token !== undefined && token !== "") {
    const access = state.tokens.get(token);
    const request = options.requestToken ? state.requestTokens.get(token) : undefined;
    if (access && (access.appName === null || access.appName === app.name)) {
      tokenSecret = access.secret;
      principal = { kind: "user", app, userId: access.userId, readOnly: access.readOnly };
    } else if (request && request.appName === app.name) {
      tokenSecret = request.secret;
      principal = { kind: "request-token", app, token, record: request, oauth };
    } else {
      throw err.auth();
    }
  } else {
    principal = { kind: "consumer", app, oauth };
  }

  const pairs: ParamPair[] = [
    ...queryPairs.filter(([k]) => k !== "oauth_signature"),
    ...formBody.filter(([k]) => k !== "oauth_signature"),
  ];
  if (header !== undefined) {
    for (const [k, v] of Object.entries(oauth)) if (k !== "oauth_signature" && k !== "realm") pairs.push([k, v]);
  }
  let baseString: string;
  try {
    baseString = signatureBaseString(req.method, req.origin + req.path, pairs);
  } catch {
    throw err.auth(); // a Host header that makes no URL: not a server error
  }
  const expected = hmacSha1(baseString, app.consumerSecret, tokenSecret);
  if (!signaturesEqual(expected, sig)) throw err.auth();

  const nonceKey = `${consumerKey}\n${token ?? ""}\n${oauth.oauth_timestamp ?? ""}\n${nonce}`;
  const nowReal = Date.now();
  for (const [k, exp] of state.nonces) if (exp < nowReal) state.nonces.delete(k);
  if (state.nonces.has(nonceKey)) throw err.auth();
  state.nonces.set(nonceKey, nowReal + Math.max(window, 300) * 2000);
  return principal;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
