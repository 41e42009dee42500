/**
 * Users' OAuth 2.0 grants for an XAA app: stored sealed (token-seal, TOKEN_ENCRYPTION_KEY; a
 * grant sealed with TOKEN_ENCRYPTION_KEY_PREVIOUS still opens and is re-sealed with the current
 * key at its next refresh), refreshed before they expire (by the cron and on use), and put in
 * the `consent_needed` state when X refuses the refresh token: from then on nothing private can
 * be subscribed for the user until they sign in again, and every caller is told so.
 *
 * The seal's scope is `oauth2:<user_id>`, distinct from the OAuth 1.0a token's `<user_id>`, so
 * one kind of blob can never be opened as the other.
 */
import { TokenSealError, openWithKeys, sealToken } from "../state/token-seal.ts";
import { XApiError } from "../x-api/errors.ts";
import { needsRefresh, type OAuth2Grant } from "../x-api/oauth2.ts";
import { requiredScope, type XaaEventType } from "../x-api/xaa-event-types.ts";
import { sealKeys, type AppContext, type XaaClients } from "./context.ts";

export type UserAccess =
  | { kind: "ok"; accessToken: string; scopes: string[] }
  /** The user never signed in with OAuth 2.0 for this app (or was forgotten). */
  | { kind: "none" }
  /** X refused the refresh, or the grant expired without one: the user must consent again. */
  | { kind: "consent_needed"; reason: string }
  /** The stored grant opens with neither key (the key was changed without _PREVIOUS). */
  | { kind: "unopenable" };

const sealScope = (ctx: AppContext, userId: string) => ({ app: ctx.app.name, userId: `oauth2:${userId}` });

async function seal(ctx: AppContext, userId: string, grant: OAuth2Grant): Promise<string> {
  const keys = await sealKeys(ctx.config);
  return sealToken(keys.current, sealScope(ctx, userId), { token: grant.accessToken, secret: grant.refreshToken ?? "" });
}

/** Store a grant from a sign-in (replaces any earlier one; the user is `active` again). */
export async function storeOAuth2Grant(ctx: AppContext, user: { id: string; username: string }, grant: OAuth2Grant): Promise<void> {
  await ctx.registry.putOAuth2Token({
    user_id: user.id,
    username: user.username === "" ? null : user.username,
    sealed: await seal(ctx, user.id, grant),
    scopes: grant.scopes.join(" "),
    expires_at_ms: grant.expiresAtMs,
    has_refresh: grant.refreshToken !== null,
  }, new Date(ctx.deps.now()).toISOString());
}

/**
 * A usable access token for the user, refreshed first when it expires within REFRESH_AHEAD_MS.
 * A refresh X refuses marks the user `consent_needed`; a refresh that fails otherwise (X down,
 * rate limited) still returns the current token while it has not expired, else throws.
 */
export async function userAccessToken(ctx: AppContext, x: XaaClients, userId: string): Promise<UserAccess> {
  const row = await ctx.registry.getOAuth2Token(userId);
  if (row === null) return { kind: "none" };
  if (row.status === "consent_needed") return { kind: "consent_needed", reason: row.status_reason ?? "X refused the refresh token" };
  let opened;
  try {
    opened = await openWithKeys(await sealKeys(ctx.config), sealScope(ctx, userId), row.sealed);
  } catch (err) {
    if (err instanceof TokenSealError) return { kind: "unopenable" };
    throw err;
  }
  const nowMs = ctx.deps.now();
  const scopes = row.scopes.split(" ").filter((s) => s !== "");
  const current = { kind: "ok" as const, accessToken: opened.token.token, scopes };
  if (!needsRefresh(row.expires_at_ms, nowMs) && opened.sealedWith === "current") return current;
  const refreshToken = opened.token.secret;
  const nowIso = new Date(nowMs).toISOString();
  if (refreshToken === "") {
    if (row.expires_at_ms > nowMs) return current;
    const reason = "the access token expired and X granted no refresh token (offline.access): sign in again";
    await ctx.registry.markOAuth2ConsentNeeded(userId, row.sealed, reason, nowIso);
    return { kind: "consent_needed", reason };
  }
  if (!needsRefresh(row.expires_at_ms, nowMs)) {
    // Only the key changed: re-seal the same grant with the current key (compare-and-set).
    const sealed = await seal(ctx, userId, { accessToken: opened.token.token, refreshToken, expiresAtMs: row.expires_at_ms, scopes });
    await ctx.registry.replaceOAuth2Token(userId, row.sealed, { sealed, scopes: row.scopes, expires_at_ms: row.expires_at_ms, has_refresh: true }, nowIso);
    return current;
  }
  let grant: OAuth2Grant;
  try {
    grant = await x.oauth2.refresh(refreshToken);
  } catch (err) {
    if (err instanceof XApiError && err.kind === "consent_required") {
      const reason = `X refused the refresh token (${err.reason ?? "refused"}): the user must sign in again`;
      await ctx.registry.markOAuth2ConsentNeeded(userId, row.sealed, reason, nowIso);
      return { kind: "consent_needed", reason };
    }
    if (row.expires_at_ms > nowMs) return current;
    throw err;
  }
  // X narrows scopes only at consent; an answer without `scope` keeps what was granted.
  const granted = grant.scopes.length > 0 ? grant.scopes : scopes;
  const sealed = await seal(ctx, userId, { ...grant, scopes: granted });
  const written = await ctx.registry.replaceOAuth2Token(userId, row.sealed, { sealed, scopes: granted.join(" "), expires_at_ms: grant.expiresAtMs, has_refresh: grant.refreshToken !== null }, nowIso);
  if (!written) {
    // Another refresh (or a sign-in) won the race; X rotated the refresh token for it, so the
    // stored row is the truth: use it.
    return userAccessToken(ctx, x, userId);
  }
  return { kind: "ok", accessToken: grant.accessToken, scopes: granted };
}

export interface RefreshOutcome {
  refreshed: string[];
  consent_needed: string[];
  failed: { user_id: string; reason: string }[];
}

/** The cron's pass: refresh every grant expiring within REFRESH_AHEAD_MS (at most `limit`). */
export async function refreshExpiringGrants(ctx: AppContext, x: XaaClients, aheadMs: number, limit: number): Promise<RefreshOutcome> {
  const out: RefreshOutcome = { refreshed: [], consent_needed: [], failed: [] };
  for (const userId of await ctx.registry.oauth2TokensExpiring(ctx.deps.now() + aheadMs, limit)) {
    try {
      const access = await userAccessToken(ctx, x, userId);
      if (access.kind === "ok") out.refreshed.push(userId);
      else if (access.kind === "consent_needed") out.consent_needed.push(userId);
      else out.failed.push({ user_id: userId, reason: access.kind === "unopenable" ? "stored grant opens with neither token key" : "no grant" });
    } catch (err) {
      out.failed.push({ user_id: userId, reason: err instanceof XApiError ? `${err.kind}: ${err.fix}` : "unexpected error" });
      if (err instanceof XApiError && (err.kind === "rate_limited" || err.kind === "network")) break;
    }
  }
  return out;
}

export interface ConsentCoverage {
  user_id: string;
  /** The grant's state; "none" when the user never signed in with OAuth 2.0. */
  state: "active" | "consent_needed" | "none";
  scopes: string[];
  /** Of the types asked about: those the consent covers (public types always are). */
  covered: XaaEventType[];
  /** Private types it does not cover (the user must sign in again, for these scopes). */
  not_covered: XaaEventType[];
  /** The scopes missing for `not_covered`. */
  missing_scopes: string[];
}

/**
 * Whether a user's stored consent covers `types`, from the Registry alone (no X call, no
 * refresh): for planning (the migration's "who can be moved, who must consent again"). A grant
 * in `consent_needed` covers no private type. `subscribeUser` re-checks for real when it runs.
 */
export async function consentCoverage(ctx: AppContext, userId: string, types: readonly XaaEventType[]): Promise<ConsentCoverage> {
  const row = await ctx.registry.getOAuth2Token(userId);
  const state = row === null ? "none" : row.status;
  const scopes = row === null ? [] : row.scopes.split(" ").filter((s) => s !== "");
  const usable = state === "active" ? new Set(scopes) : new Set<string>();
  const covered: XaaEventType[] = [];
  const notCovered: XaaEventType[] = [];
  const missing = new Set<string>();
  for (const t of types) {
    const scope = requiredScope(t);
    if (scope === null || usable.has(scope)) covered.push(t);
    else {
      notCovered.push(t);
      missing.add(scope);
    }
  }
  return { user_id: userId, state, scopes, covered, not_covered: notCovered, missing_scopes: [...missing] };
}
