/**
 * The Registry's Sign in with X SQL, as plain functions over its SqlStorage (registry.ts calls
 * them inside the Durable Object, so each call is atomic): pending sign-ins (`oauth_requests`),
 * invites held by a sign-in in progress (`invite_claims`) and invites used up (`invites_used`).
 *
 * Why claims (issue 10): an invite used up only at the callback still started flows, minting an
 * X request token and a pending row each time, for as long as the invite lived. Now /start claims
 * the invite atomically before it spends anything; a claim is held by one flow (`claim_id`, the
 * hash of that browser's cookie nonce), released when the flow fails before completion, turned
 * into a use when it completes, and lapses on its own when the flow is abandoned.
 */
import { str, type OAuthRequestRow } from "./registry-schema.ts";

export function putOAuthRequest(sql: SqlStorage, row: OAuthRequestRow, nowMs: number): void {
  sql.exec("DELETE FROM oauth_requests WHERE expires_at_ms <= ?", nowMs);
  sql.exec("INSERT OR REPLACE INTO oauth_requests (oauth_token, sealed_secret, browser_hash, invite_id, expires_at_ms) VALUES (?, ?, ?, ?, ?)",
    row.oauth_token, row.sealed_secret, row.browser_hash, row.invite_id, row.expires_at_ms);
}

/** Why a pending sign-in was not handed out. */
export type OAuthTakeRefusal = "missing" | "other_browser";

/**
 * Single use, bound to the browser: the row is deleted as it is read, but only when
 * `browserHash` is the one it was started with. Another browser (or none) spends nothing.
 * Expired rows read as missing.
 */
export function takeOAuthRequest(sql: SqlStorage, oauthToken: string, browserHash: string, nowMs: number): OAuthRequestRow | OAuthTakeRefusal {
  const found = sql.exec("SELECT browser_hash, expires_at_ms FROM oauth_requests WHERE oauth_token = ?", oauthToken).toArray()[0];
  if (!found || Number(found.expires_at_ms) <= nowMs) return "missing";
  if (!sameText(String(found.browser_hash), browserHash)) return "other_browser";
  const r = sql.exec("DELETE FROM oauth_requests WHERE oauth_token = ? RETURNING *", oauthToken).toArray()[0];
  if (!r) return "missing";
  return { oauth_token: String(r.oauth_token), sealed_secret: String(r.sealed_secret), browser_hash: String(r.browser_hash), invite_id: str(r.invite_id), expires_at_ms: Number(r.expires_at_ms) };
}

/** Constant-time comparison of two hashes (hex text). */
export function sameText(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.byteLength === y.byteLength && crypto.subtle.timingSafeEqual(x, y);
}

/**
 * Claim an invite for one sign-in flow until `holdUntilMs`. False when the invite is used up or
 * another flow holds it. Lapsed claims are pruned first, so an abandoned flow frees its invite.
 */
export function claimInvite(sql: SqlStorage, inviteId: string, claimId: string, holdUntilMs: number, nowMs: number): boolean {
  sql.exec("DELETE FROM invite_claims WHERE expires_at_ms <= ?", nowMs);
  sql.exec("DELETE FROM invites_used WHERE expires_at_ms <= ?", nowMs);
  if (sql.exec("SELECT 1 FROM invites_used WHERE invite_id = ?", inviteId).toArray().length > 0) return false;
  return sql.exec("INSERT OR IGNORE INTO invite_claims (invite_id, claim_id, expires_at_ms) VALUES (?, ?, ?)", inviteId, claimId, holdUntilMs).rowsWritten > 0;
}

/** Give the invite back (the flow failed before completion). Only the claiming flow can. */
export function releaseInvite(sql: SqlStorage, inviteId: string, claimId: string): boolean {
  return sql.exec("DELETE FROM invite_claims WHERE invite_id = ? AND claim_id = ?", inviteId, claimId).rowsWritten > 0;
}

/**
 * The flow completed: the invite is used up (kept until `usedUntilMs`, after the invite itself
 * has expired) and its claim dropped. False when it was already used.
 */
export function completeInvite(sql: SqlStorage, inviteId: string, usedUntilMs: number, nowMs: number): boolean {
  sql.exec("DELETE FROM invite_claims WHERE invite_id = ?", inviteId);
  return sql.exec("INSERT OR IGNORE INTO invites_used (invite_id, used_at, expires_at_ms) VALUES (?, ?, ?)", inviteId, new Date(nowMs).toISOString(), usedUntilMs).rowsWritten > 0;
}
