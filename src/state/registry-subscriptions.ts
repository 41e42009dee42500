/**
 * Subscriptions and sealed user tokens: the Registry's SQL for them, as plain functions over the
 * object's SqlStorage. registry.ts keeps the RPC surface (and the KV mirror) and calls these.
 * Tokens are stored as token-seal blobs only; this code never sees the token key.
 */
import { toSubscription, type SubscriptionRow } from "./registry-schema.ts";

/** How far past a revoke's stated time it still applies (X's whole-second stamps, clock skew). */
export const REVOKE_CLOCK_TOLERANCE_MS = 60_000;

export interface SubscriptionInput {
  user_id: string;
  screen_name: string | null;
  by: string;
  /** A token-seal blob replacing any stored token, or null to keep the stored one. */
  sealed: string | null;
}

export function listSubscriptions(sql: SqlStorage, includeInactive: boolean): SubscriptionRow[] {
  const q = `SELECT s.*, t.user_id IS NOT NULL AS has_token FROM subscriptions s LEFT JOIN user_tokens t ON t.user_id = s.user_id
    ${includeInactive ? "" : "WHERE s.status = 'active'"} ORDER BY s.user_id`;
  return sql.exec(q).toArray().map(toSubscription);
}

export function activeCount(sql: SqlStorage): number {
  return Number(sql.exec("SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'active'").one().n);
}

/** Record an active subscription (an active one keeps its original time and author). */
export function upsertSubscription(sql: SqlStorage, s: SubscriptionInput, nowIso: string): void {
  sql.exec(
    `INSERT INTO subscriptions (user_id, screen_name, subscribed_at, subscribed_by, status, status_at) VALUES (?, ?, ?, ?, 'active', ?)
     ON CONFLICT(user_id) DO UPDATE SET screen_name = COALESCE(excluded.screen_name, screen_name),
       subscribed_at = CASE WHEN status = 'active' THEN subscribed_at ELSE excluded.subscribed_at END,
       subscribed_by = CASE WHEN status = 'active' THEN subscribed_by ELSE excluded.subscribed_by END,
       status = 'active', status_at = excluded.status_at, status_reason = NULL`,
    s.user_id, s.screen_name, nowIso, s.by, nowIso,
  );
  if (s.sealed !== null) storeToken(sql, s.user_id, s.sealed, nowIso);
}

export function storeToken(sql: SqlStorage, userId: string, sealed: string, nowIso: string): void {
  sql.exec("INSERT OR REPLACE INTO user_tokens (user_id, sealed, stored_at) VALUES (?, ?, ?)", userId, sealed, nowIso);
}

export function getSealedToken(sql: SqlStorage, userId: string): string | null {
  const r = sql.exec("SELECT sealed FROM user_tokens WHERE user_id = ?", userId).toArray()[0];
  return r ? String(r.sealed) : null;
}

/** A stored sealed token, as listed for a re-seal. */
export interface SealedTokenRow {
  user_id: string;
  sealed: string;
}

/** Up to `limit` stored tokens with user id after `afterUserId` (null: from the start), by user id. */
export function listSealedTokens(sql: SqlStorage, afterUserId: string | null, limit: number): SealedTokenRow[] {
  return sql.exec("SELECT user_id, sealed FROM user_tokens WHERE user_id > ? ORDER BY user_id LIMIT ?", afterUserId ?? "", limit)
    .toArray().map((r) => ({ user_id: String(r.user_id), sealed: String(r.sealed) }));
}

/** One re-seal: the user's blob as read (`expected`) and its replacement. */
export interface TokenReseal {
  user_id: string;
  expected: string;
  sealed: string;
}

/**
 * Compare-and-set for re-seals: replace each user's blob only if it still is `expected`, so a
 * token stored in between (a new sign-in) is never overwritten; returns the user ids replaced.
 * `stored_at` is kept: a re-seal is the same token, and a revoke compares `stored_at` with its time.
 */
export function replaceSealedTokens(sql: SqlStorage, reseals: readonly TokenReseal[]): string[] {
  return reseals
    .filter((r) => sql.exec("UPDATE user_tokens SET sealed = ? WHERE user_id = ? AND sealed = ?", r.sealed, r.user_id, r.expected).rowsWritten > 0)
    .map((r) => r.user_id);
}

/** Mark removed (kept for history) and drop the stored token. Returns whether it was active. */
export function removeSubscription(sql: SqlStorage, userId: string, reason: string, nowIso: string): boolean {
  const n = sql.exec("UPDATE subscriptions SET status = 'removed', status_at = ?, status_reason = ? WHERE user_id = ? AND status = 'active'", nowIso, reason, userId).rowsWritten;
  sql.exec("DELETE FROM user_tokens WHERE user_id = ?", userId);
  return n > 0;
}

/**
 * X's `user_event` revoke: removes the subscription and the token unless they were made after
 * the revoke. Returns whether an active subscription was revoked.
 */
export function applyRevoke(sql: SqlStorage, userId: string, revokedAtIso: string | null, nowIso: string): boolean {
  // X stamps revokes to the whole second, on its own clock: a revoke applies to subscriptions
  // made up to REVOKE_CLOCK_TOLERANCE_MS after its stated time, so one in the same second as a
  // sign-in (or seen through clock skew) still removes it; an old redelivered revoke does not
  // undo a later sign-in.
  const cutoff = revokedAtIso === null
    ? nowIso
    : new Date(Date.parse(revokedAtIso) + REVOKE_CLOCK_TOLERANCE_MS).toISOString();
  const n = sql.exec(
    "UPDATE subscriptions SET status = 'revoked', status_at = ?, status_reason = 'user_event revoke' WHERE user_id = ? AND status = 'active' AND subscribed_at <= ?",
    nowIso, userId, cutoff,
  ).rowsWritten;
  sql.exec("DELETE FROM user_tokens WHERE user_id = ? AND stored_at <= ?", userId, cutoff);
  return n > 0;
}

/** What a subscription reconciliation (src/cron/reconcile.ts) found and did, to record at once. */
export interface ReconcileChanges {
  /** Re-subscribed at X with their stored token: stay (or become again) active, stamped. */
  resubscribed: readonly string[];
  /** Missing at X with no token to re-subscribe with (or none that opens): `dropped_at_x`. */
  dropped: readonly string[];
  /** X rejected the stored token: removed and the token deleted, as a revoke does. */
  removed: readonly { user_id: string; reason: string }[];
  /** Listed by X: a `dropped_at_x` row becomes active again; a user we do not have (or removed) is recorded, source "x", no token. */
  seenAtX: readonly string[];
}

/** Apply a reconciliation's changes. Each step is idempotent, so a repeated call changes nothing more. */
export function applyReconcile(sql: SqlStorage, c: ReconcileChanges, nowIso: string): void {
  for (const id of c.resubscribed) {
    sql.exec(
      `UPDATE subscriptions SET resubscribed_at = ?, resubscribe_count = resubscribe_count + 1,
         status = 'active', status_at = CASE WHEN status = 'active' THEN status_at ELSE ? END,
         status_reason = CASE WHEN status = 'active' THEN status_reason ELSE 're-subscribed after X dropped it' END
       WHERE user_id = ? AND status IN ('active', 'dropped_at_x')`,
      nowIso, nowIso, id,
    );
  }
  for (const id of c.dropped) {
    sql.exec(
      "UPDATE subscriptions SET status = 'dropped_at_x', status_at = ?, status_reason = 'X no longer lists it; no usable stored token to re-subscribe' WHERE user_id = ? AND status = 'active'",
      nowIso, id,
    );
  }
  for (const r of c.removed) removeSubscription(sql, r.user_id, r.reason, nowIso);
  for (const id of c.seenAtX) {
    const restored = sql.exec(
      "UPDATE subscriptions SET status = 'active', status_at = ?, status_reason = 'listed by X again' WHERE user_id = ? AND status = 'dropped_at_x'",
      nowIso, id,
    ).rowsWritten;
    if (restored === 0) upsertSubscription(sql, { user_id: id, screen_name: null, by: "x", sealed: null }, nowIso);
  }
}
