/**
 * POST /admin/apps/:app/invites: a signed, expiring, single-use link a user opens to sign in
 * with X and subscribe (see src/oauth/ and docs/operations.md "Sign in with X").
 */
import type { Config } from "../config.ts";
import { HttpError } from "../http/errors.ts";
import { deriveOAuthMacKey, issueInvite } from "../oauth/signing.ts";
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
  const { token, invite } = await issueInvite(await oauthMacKey(ctx.config), ctx.app.name, ctx.deps.now(), ttl * 1000);
  const url = `${new URL(req.url).origin}/oauth/${ctx.app.name}/start?invite=${encodeURIComponent(token)}`;
  return Response.json({ invite: token, url, expires_at: new Date(invite.expiresAtMs).toISOString() }, { status: 201 });
}
