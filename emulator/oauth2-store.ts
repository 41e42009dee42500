/**
 * OAuth 2.0 bookkeeping over the state: grants (what a user consented to share with an app),
 * access and refresh tokens (access tokens expire on the virtual clock; refresh tokens rotate),
 * and revoking a user's grant (every token of that app and user dies with it).
 */
import { randomBytes } from "node:crypto";
import type { AppDef } from "./config.ts";
import type { Core } from "./core.ts";
import { grantKey, type OAuth2Grant, type OAuth2Token } from "./state.ts";

/** Every scope X's OpenAPI lists for OAuth2UserToken. */
export const OAUTH2_SCOPES = [
  "block.read", "block.write", "bookmark.read", "bookmark.write", "broadcast.read", "broadcast.write",
  "dm.read", "dm.write", "follows.read", "follows.write", "like.read", "like.write", "list.read",
  "list.write", "media.write", "mute.read", "mute.write", "offline.access", "space.read",
  "timeline.read", "tweet.moderate.write", "tweet.read", "tweet.write", "users.read",
] as const;

export function opaqueToken(): string {
  return randomBytes(30).toString("base64url");
}

export function grantOf(core: Core, appName: string, userId: string): OAuth2Grant | undefined {
  return core.state.grants.get(grantKey(appName, userId));
}

/** Record consent (scopes add up over successive authorizations, as on X). */
export function recordGrant(core: Core, appName: string, userId: string, scopes: string[]): OAuth2Grant {
  const key = grantKey(appName, userId);
  const g = core.state.grants.get(key) ?? { appName, userId, scopes: new Set<string>(), grantedAt: core.clock.now() };
  for (const s of scopes) g.scopes.add(s);
  core.state.grants.set(key, g);
  return g;
}

export interface IssuedTokens {
  token_type: "bearer";
  expires_in: number;
  access_token: string;
  scope: string;
  refresh_token?: string;
}

/** Mint an access token (and a refresh token when offline.access was granted). */
export function issueTokens(core: Core, app: AppDef, userId: string, scopes: string[]): IssuedTokens {
  const now = core.clock.now();
  const ttl = core.config.oauth2.accessTokenTtlMs;
  const access = opaqueToken();
  core.state.oauth2Tokens.set(access, { kind: "access", appName: app.name, userId, scopes, expiresAt: now + ttl });
  const out: IssuedTokens = { token_type: "bearer", expires_in: Math.round(ttl / 1000), access_token: access, scope: scopes.join(" ") };
  if (scopes.includes("offline.access")) {
    const refresh = opaqueToken();
    core.state.oauth2Tokens.set(refresh, { kind: "refresh", appName: app.name, userId, scopes, expiresAt: null });
    out.refresh_token = refresh;
  }
  return out;
}

/** A live access token, or undefined (unknown, expired, or a refresh token). */
export function liveAccessToken(core: Core, token: string): OAuth2Token | undefined {
  const t = core.state.oauth2Tokens.get(token);
  if (!t || t.kind !== "access") return undefined;
  if (t.expiresAt !== null && core.clock.now() >= t.expiresAt) return undefined;
  if (!grantOf(core, t.appName, t.userId)) return undefined;
  return t;
}

/** Drop the grant and every token of (app, user). Returns whether there was a grant. */
export function revokeGrant(core: Core, appName: string, userId: string): boolean {
  const had = core.state.grants.delete(grantKey(appName, userId));
  for (const [k, t] of core.state.oauth2Tokens) if (t.appName === appName && t.userId === userId) core.state.oauth2Tokens.delete(k);
  return had;
}
