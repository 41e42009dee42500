/**
 * Helpers for the XAA and OAuth 2.0 tests: JSON calls with a Bearer token (an app's, or a user's
 * OAuth 2.0 access token) the way X's SDKs send them, and the Authorization Code + PKCE dance
 * done over real HTTP against the emulator.
 */
import { createHash, randomBytes } from "node:crypto";
import type { AppDef, UserDef } from "../../emulator/config.ts";
import type { RunningEmulator } from "../../emulator/server.ts";
import { rawRequest, type CallResult } from "./helpers.ts";

export const CALLBACK = "http://127.0.0.1:9/oauth2/callback";

/** fetch-like JSON call with `Authorization: Bearer <token>`. */
export function bearerCall(emu: RunningEmulator, token: string, method: string, path: string, body?: unknown): Promise<CallResult> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return rawRequest(`${emu.url}${path}`, method, headers, body === undefined ? undefined : JSON.stringify(body));
}

export function formCall(emu: RunningEmulator, path: string, form: Record<string, string>, basic?: { id: string; secret: string }): Promise<CallResult> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString("base64")}`;
  return rawRequest(`${emu.url}${path}`, "POST", headers, new URLSearchParams(form).toString());
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function authorizeUrl(emu: RunningEmulator, app: AppDef, p: { scopes: string[]; state: string; challenge: string; method?: string; redirect?: string; extra?: Record<string, string> }): string {
  const q = new URLSearchParams({
    response_type: "code",
    client_id: app.clientId,
    redirect_uri: p.redirect ?? CALLBACK,
    scope: p.scopes.join(" "),
    state: p.state,
    code_challenge: p.challenge,
    code_challenge_method: p.method ?? "S256",
    ...(p.extra ?? {}),
  });
  return `${emu.url}/i/oauth2/authorize?${q.toString()}`;
}

/** Follow the authorize step; returns the redirect's query parameters (code/state or error). */
export async function authorize(url: string): Promise<{ status: number; params: URLSearchParams; location: string }> {
  const r = await rawRequest(url, "GET", {});
  const location = String(r.headers.location ?? "");
  return { status: r.status, params: location ? new URL(location).searchParams : new URLSearchParams(), location };
}

export interface Tokens {
  token_type: string;
  expires_in: number;
  access_token: string;
  scope: string;
  refresh_token?: string;
}

/** The whole dance for `user` (confidential client, Basic auth): returns X's token response. */
export async function oauth2Login(emu: RunningEmulator, app: AppDef, user: UserDef, scopes: string[]): Promise<Tokens> {
  const p = pkce();
  const a = await authorize(authorizeUrl(emu, app, { scopes, state: "s1", challenge: p.challenge, extra: { user_id: user.id } }));
  const code = a.params.get("code");
  if (a.status !== 302 || code === null) throw new Error(`authorize failed: ${a.status} ${a.location}`);
  const r = await formCall(emu, "/2/oauth2/token", { grant_type: "authorization_code", code, redirect_uri: CALLBACK, code_verifier: p.verifier }, { id: app.clientId, secret: app.clientSecret });
  if (r.status !== 200) throw new Error(`token failed: ${r.status} ${r.text}`);
  return r.json as Tokens;
}
