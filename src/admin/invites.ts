/**
 * POST /admin/apps/:app/invites: a signed, expiring, single-use link a user opens to sign in
 * with X and subscribe (see src/oauth/ and docs/operations.md "Sign in with X").
 */
import type { Config } from "../config.ts";
import { HttpError } from "../http/errors.ts";
import { deriveOAuthMacKey, issueInvite } from "../oauth/signing.ts";
import { listProfiles, profileNamed } from "../control/xaa-profiles.ts";
import type { XaaProfile } from "../config-xaa.ts";
import type { AppContext } from "./context.ts";
import { badRequest, jsonBody } from "./http.ts";

export const DEFAULT_INVITE_TTL_SECONDS = 7 * 24 * 3600;
const MAX_INVITE_TTL_SECONDS = 30 * 24 * 3600;

const macKeys = new Map<string, Promise<CryptoKey>>();

/** The invite / cookie MAC key; 503 when TOKEN_ENCRYPTION_KEY is not set (nothing to store into). */
export function oauthMacKey(config: Config): Promise<CryptoKey> {
  const secret = config.tokenEncryptionKey;
  if (secret === null) throw new HttpError(503, "token_storage_disabled", "Sign in with X needs the TOKEN_ENCRYPTION_KEY secret.");
  return macKeyFor(secret);
}

/**
 * The keys an invite or sign-in cookie may be signed with: the current one and, while
 * TOKEN_ENCRYPTION_KEY is being rotated, TOKEN_ENCRYPTION_KEY_PREVIOUS (new values are always
 * signed with the current one).
 */
export async function oauthVerifyKeys(config: Config): Promise<CryptoKey[]> {
  const current = await oauthMacKey(config);
  const prev = config.tokenEncryptionKeyPrevious;
  return prev === null || prev === config.tokenEncryptionKey ? [current] : [current, await macKeyFor(prev)];
}

function macKeyFor(secret: string): Promise<CryptoKey> {
  let k = macKeys.get(secret);
  if (k === undefined) {
    k = deriveOAuthMacKey(secret);
    macKeys.set(secret, k);
  }
  return k;
}

export async function createInvite(ctx: AppContext, req: Request): Promise<Response> {
  const body = await jsonBody(req, true);
  const ttl = body.ttl_seconds ?? DEFAULT_INVITE_TTL_SECONDS;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 60 || ttl > MAX_INVITE_TTL_SECONDS) {
    throw badRequest(`"ttl_seconds" must be a whole number from 60 to ${MAX_INVITE_TTL_SECONDS}.`);
  }
  // XAA apps sign users in with OAuth 2.0, for a profile whose event types the invite names.
  // A migrating AAA app (APPS `migrating: true`) asks for OAuth 2.0 consent when the invite names
  // a profile; without one it is the OAuth 1.0a sign-in its AAA subscriptions use.
  const oauth2 = ctx.app.credentials.oauth2ClientId !== undefined;
  const xaa = oauth2 && (ctx.app.flavour === "xaa" || (ctx.app.migrating === true && body.profile !== undefined));
  const profile = xaa ? (await inviteProfile(ctx, body.profile)) : undefined;
  if (!xaa && body.profile !== undefined) throw badRequest(`"profile" is for apps signing users in with OAuth 2.0 (flavour "xaa", or "migrating": true, and X_OAUTH2_CLIENT_ID set).`);
  const { token, invite } = await issueInvite(await oauthMacKey(ctx.config), ctx.app.name, ctx.deps.now(), ttl * 1000, profile?.name);
  const url = `${new URL(req.url).origin}/${xaa ? "oauth2" : "oauth"}/${ctx.app.name}/start?invite=${encodeURIComponent(token)}`;
  const out: Record<string, unknown> = { invite: token, url, expires_at: new Date(invite.expiresAtMs).toISOString() };
  if (profile !== undefined) {
    out.profile = profile.name;
    out.event_types = profile.event_types;
  }
  return Response.json(out, { status: 201 });
}

/** The invite's profile: the one named, or the app's only one; 400 when it is ambiguous. */
async function inviteProfile(ctx: AppContext, raw: unknown): Promise<XaaProfile> {
  if (raw !== undefined) {
    if (typeof raw !== "string" || raw === "") throw badRequest(`"profile" must be the name of one of the app's XAA profiles.`);
    return profileNamed(ctx, raw);
  }
  const all = await listProfiles(ctx);
  if (all.length === 1) return all[0]!;
  throw badRequest(all.length === 0
    ? `App "${ctx.app.name}" has no XAA profile: add one (APPS xaa_profiles, or PUT /admin/apps/${ctx.app.name}/xaa/profiles/:name) so the invite can say which event types it asks for.`
    : `Name the profile the user is asked to share: "profile" is one of ${all.map((p) => p.name).join(", ")}.`);
}
