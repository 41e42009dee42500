/**
 * The Registry's XAA half: RPC methods over the tables in registry-xaa-schema.ts. `Registry`
 * (registry.ts) extends this class, so one Durable Object per app still holds all of the app's
 * control-plane state and is its single writer; this file keeps registry.ts to its AAA job.
 *
 * Like the rest of the Registry it never sees the token key: OAuth 2.0 grants and PKCE verifiers
 * arrive sealed (src/state/token-seal.ts) and leave sealed.
 */
import { DurableObject } from "cloudflare:workers";
import { ensureRegistrySchema } from "./registry-schema.ts";
import { REVOKE_CLOCK_TOLERANCE_MS } from "./registry-subscriptions.ts";
import { sameText, type OAuthTakeRefusal } from "./registry-oauth.ts";
import {
  REGISTRY_XAA_SCHEMA,
  toOAuth2Token,
  toXaaSubscription,
  type OAuth2RequestRow,
  type OAuth2TokenRow,
  type XaaCounts,
  type XaaProfileRow,
  type XaaSubscriptionRow,
  type XaaSubscriptionStatus,
} from "./registry-xaa-schema.ts";

/** A grant as the control plane stores it (status and times are the Registry's). */
export type NewOAuth2Token = Pick<OAuth2TokenRow, "user_id" | "username" | "sealed" | "scopes" | "expires_at_ms" | "has_refresh">;

export class RegistryXaa extends DurableObject<Env> {
  protected readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ensureRegistrySchema(this.sql);
    for (const stmt of REGISTRY_XAA_SCHEMA) this.sql.exec(stmt);
  }

  // ---- XAA subscriptions -------------------------------------------------------------------

  /** Insert or replace by subscription_id (X's id is the key: recording twice is harmless). */
  recordXaaSubscriptions(rows: readonly XaaSubscriptionRow[]): void {
    this.ctx.storage.transactionSync(() => {
      for (const r of rows) {
        this.sql.exec(
          `INSERT INTO xaa_subscriptions (subscription_id, user_id, event_type, direction, tag, webhook_id, profile, created_by, status, status_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (subscription_id) DO UPDATE SET user_id = excluded.user_id, event_type = excluded.event_type,
             direction = excluded.direction, tag = excluded.tag, webhook_id = excluded.webhook_id, profile = excluded.profile,
             status = excluded.status, status_at = excluded.status_at`,
          r.subscription_id, r.user_id, r.event_type, r.direction, r.tag, r.webhook_id, r.profile, r.created_by, r.status, r.status_at, r.created_at,
        );
      }
    });
  }

  /** Subscriptions in one state (the control plane's revoked purge). */
  xaaSubscriptionsWithStatus(status: XaaSubscriptionStatus, limit: number): XaaSubscriptionRow[] {
    return this.sql.exec("SELECT * FROM xaa_subscriptions WHERE status = ? ORDER BY status_at LIMIT ?", status, limit).toArray().map(toXaaSubscription);
  }

  /** The app's recorded subscriptions; one user's when `userId` is given (ordered by type). */
  listXaaSubscriptions(userId?: string): XaaSubscriptionRow[] {
    const rows = userId === undefined
      ? this.sql.exec("SELECT * FROM xaa_subscriptions ORDER BY user_id, event_type, subscription_id")
      : this.sql.exec("SELECT * FROM xaa_subscriptions WHERE user_id = ? ORDER BY event_type, subscription_id", userId);
    return rows.toArray().map(toXaaSubscription);
  }

  /**
   * A page of the users the app knows through XAA (a subscription or an OAuth 2.0 grant), by
   * user id after `after` (exclusive), with their subscriptions and grants (grants without the
   * sealed blob): what the admin API and the dashboard list, a page at a time.
   */
  xaaUsersPage(after: string, limit: number): { users: string[]; subscriptions: XaaSubscriptionRow[]; grants: Omit<OAuth2TokenRow, "sealed">[] } {
    const users = this.sql.exec<{ user_id: string }>(
      `SELECT user_id FROM (SELECT user_id FROM xaa_subscriptions WHERE user_id IS NOT NULL UNION SELECT user_id FROM oauth2_tokens)
       WHERE user_id > ? ORDER BY user_id LIMIT ?`,
      after, limit,
    ).toArray().map((r) => String(r.user_id));
    if (users.length === 0) return { users, subscriptions: [], grants: [] };
    const last = users[users.length - 1]!;
    const subscriptions = this.sql.exec("SELECT * FROM xaa_subscriptions WHERE user_id > ? AND user_id <= ? ORDER BY user_id, event_type, subscription_id", after, last).toArray().map(toXaaSubscription);
    const grants = this.sql.exec("SELECT * FROM oauth2_tokens WHERE user_id > ? AND user_id <= ? ORDER BY user_id", after, last).toArray().map((r) => {
      const { sealed: _sealed, ...rest } = toOAuth2Token(r);
      return rest;
    });
    return { users, subscriptions, grants };
  }

  /** The app-level subscriptions (no user: `oauth.revoke`). */
  xaaAppLevelSubscriptions(): XaaSubscriptionRow[] {
    return this.sql.exec("SELECT * FROM xaa_subscriptions WHERE user_id IS NULL ORDER BY event_type, subscription_id").toArray().map(toXaaSubscription);
  }

  /** Forget subscriptions (deleted at X, or X confirmed they are gone). Returns how many went. */
  removeXaaSubscriptions(ids: readonly string[]): number {
    let n = 0;
    this.ctx.storage.transactionSync(() => {
      for (const id of ids) n += this.sql.exec("DELETE FROM xaa_subscriptions WHERE subscription_id = ?", id).rowsWritten;
    });
    return n;
  }

  setXaaSubscriptionStatus(ids: readonly string[], status: XaaSubscriptionStatus, nowIso: string): void {
    this.ctx.storage.transactionSync(() => {
      for (const id of ids) this.sql.exec("UPDATE xaa_subscriptions SET status = ?, status_at = ? WHERE subscription_id = ?", status, nowIso, id);
    });
  }

  xaaCounts(): XaaCounts {
    const one = (q: string, ...b: SqlStorageValue[]): number => Number(this.sql.exec<{ n: number }>(q, ...b).one().n);
    const byType: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const r of this.sql.exec<{ event_type: string; n: number }>("SELECT event_type, COUNT(*) AS n FROM xaa_subscriptions WHERE status != 'lost_at_x' GROUP BY event_type ORDER BY event_type").toArray()) {
      byType[r.event_type] = Number(r.n);
    }
    return {
      total: one("SELECT COUNT(*) AS n FROM xaa_subscriptions WHERE status != 'lost_at_x'"),
      active: one("SELECT COUNT(*) AS n FROM xaa_subscriptions WHERE status = 'active'"),
      lost_at_x: one("SELECT COUNT(*) AS n FROM xaa_subscriptions WHERE status = 'lost_at_x'"),
      only_at_x: one("SELECT COUNT(*) AS n FROM xaa_subscriptions WHERE status = 'only_at_x'"),
      revoked: one("SELECT COUNT(*) AS n FROM xaa_subscriptions WHERE status = 'revoked'"),
      by_type: { ...byType },
      users: one("SELECT COUNT(DISTINCT user_id) AS n FROM xaa_subscriptions WHERE user_id IS NOT NULL AND status != 'lost_at_x'"),
    };
  }

  /**
   * X's `oauth.revoke` for a user: their OAuth 2.0 grant is deleted and their XAA subscriptions
   * are marked `revoked` (the control plane deletes those at X on its next pass and forgets them:
   * `purgeRevoked` in src/control/). Like the AAA revoke, it applies only to what was made up to
   * REVOKE_CLOCK_TOLERANCE_MS after the revoke's time, so an old redelivered revoke never undoes
   * a later sign-in. Idempotent.
   */
  applyXaaRevoke(userId: string, revokedAtIso: string | null, nowIso: string): { grant_removed: boolean; subscriptions_revoked: number } {
    const cutoff = revokedAtIso === null ? nowIso : new Date(Date.parse(revokedAtIso) + REVOKE_CLOCK_TOLERANCE_MS).toISOString();
    let grantRemoved = false;
    let revoked = 0;
    this.ctx.storage.transactionSync(() => {
      grantRemoved = this.sql.exec("DELETE FROM oauth2_tokens WHERE user_id = ? AND stored_at <= ?", userId, cutoff).rowsWritten > 0;
      revoked = this.sql.exec(
        "UPDATE xaa_subscriptions SET status = 'revoked', status_at = ? WHERE user_id = ? AND status != 'revoked' AND created_at <= ?",
        nowIso, userId, cutoff,
      ).rowsWritten;
    });
    return { grant_removed: grantRemoved, subscriptions_revoked: revoked };
  }

  // ---- profiles made through the admin API ---------------------------------------------------

  putXaaProfile(name: string, specJson: string, nowIso: string): void {
    this.sql.exec(
      "INSERT INTO xaa_profiles (name, spec_json, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET spec_json = excluded.spec_json, updated_at = excluded.updated_at",
      name, specJson, nowIso,
    );
  }

  listXaaProfiles(): XaaProfileRow[] {
    return this.sql.exec("SELECT * FROM xaa_profiles ORDER BY name").toArray().map((r) => ({ name: String(r.name), spec_json: String(r.spec_json), updated_at: String(r.updated_at) }));
  }

  deleteXaaProfile(name: string): boolean {
    return this.sql.exec("DELETE FROM xaa_profiles WHERE name = ?", name).rowsWritten > 0;
  }

  // ---- OAuth 2.0 grants ------------------------------------------------------------------------

  /** Store a fresh grant (a sign-in): the user is `active` again whatever they were. */
  putOAuth2Token(t: NewOAuth2Token, nowIso: string): void {
    this.sql.exec(
      `INSERT INTO oauth2_tokens (user_id, username, sealed, scopes, expires_at_ms, has_refresh, status, status_reason, stored_at, refreshed_at)
       VALUES (?, ?, ?, ?, ?, ?, 'active', NULL, ?, NULL)
       ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, sealed = excluded.sealed, scopes = excluded.scopes,
         expires_at_ms = excluded.expires_at_ms, has_refresh = excluded.has_refresh, status = 'active', status_reason = NULL,
         stored_at = excluded.stored_at, refreshed_at = NULL`,
      t.user_id, t.username, t.sealed, t.scopes, t.expires_at_ms, t.has_refresh ? 1 : 0, nowIso,
    );
  }

  getOAuth2Token(userId: string): OAuth2TokenRow | null {
    const r = this.sql.exec("SELECT * FROM oauth2_tokens WHERE user_id = ?", userId).toArray()[0];
    return r === undefined ? null : toOAuth2Token(r);
  }

  /**
   * A refreshed grant, compare-and-set: written only if the row still holds `expected` (X rotates
   * refresh tokens, so of two racing refreshes only the first may be kept; a sign-in in between
   * must not be overwritten either). Returns whether it was written.
   */
  replaceOAuth2Token(userId: string, expected: string, t: Pick<OAuth2TokenRow, "sealed" | "scopes" | "expires_at_ms" | "has_refresh">, nowIso: string): boolean {
    return this.sql.exec(
      "UPDATE oauth2_tokens SET sealed = ?, scopes = ?, expires_at_ms = ?, has_refresh = ?, refreshed_at = ? WHERE user_id = ? AND sealed = ?",
      t.sealed, t.scopes, t.expires_at_ms, t.has_refresh ? 1 : 0, nowIso, userId, expected,
    ).rowsWritten > 0;
  }

  /** X refused the refresh: the user must consent again (compare-and-set like a refresh). */
  markOAuth2ConsentNeeded(userId: string, expected: string, reason: string, nowIso: string): boolean {
    return this.sql.exec(
      "UPDATE oauth2_tokens SET status = 'consent_needed', status_reason = ?, refreshed_at = ? WHERE user_id = ? AND sealed = ?",
      reason, nowIso, userId, expected,
    ).rowsWritten > 0;
  }

  deleteOAuth2Token(userId: string): boolean {
    return this.sql.exec("DELETE FROM oauth2_tokens WHERE user_id = ?", userId).rowsWritten > 0;
  }

  /** Every stored grant without its sealed blob (for listings). */
  listOAuth2Tokens(): Omit<OAuth2TokenRow, "sealed">[] {
    return this.sql.exec("SELECT * FROM oauth2_tokens ORDER BY user_id").toArray().map((r) => {
      const { sealed: _sealed, ...rest } = toOAuth2Token(r);
      return rest;
    });
  }

  /** Active grants with a refresh token whose access token expires by `beforeMs` (the cron's refresh list). */
  oauth2TokensExpiring(beforeMs: number, limit: number): string[] {
    return this.sql.exec<{ user_id: string }>(
      "SELECT user_id FROM oauth2_tokens WHERE status = 'active' AND has_refresh = 1 AND expires_at_ms <= ? ORDER BY expires_at_ms LIMIT ?",
      beforeMs, limit,
    ).toArray().map((r) => String(r.user_id));
  }

  // ---- pending OAuth 2.0 sign-ins -------------------------------------------------------------

  putOAuth2Request(row: OAuth2RequestRow, nowMs: number): void {
    this.sql.exec("DELETE FROM oauth2_requests WHERE expires_at_ms <= ?", nowMs);
    this.sql.exec(
      "INSERT INTO oauth2_requests (state, sealed_verifier, browser_hash, invite_id, profile, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
      row.state, row.sealed_verifier, row.browser_hash, row.invite_id, row.profile, row.expires_at_ms,
    );
  }

  /**
   * Take (read and delete) a pending sign-in, but only for the browser that started it: another
   * browser (or none) spends nothing. A callback works once; an expired one reads as missing.
   */
  takeOAuth2Request(state: string, browserHash: string, nowMs: number): OAuth2RequestRow | OAuthTakeRefusal {
    const found = this.sql.exec("SELECT browser_hash, expires_at_ms FROM oauth2_requests WHERE state = ?", state).toArray()[0];
    if (found === undefined || Number(found.expires_at_ms) <= nowMs) return "missing";
    if (!sameText(String(found.browser_hash), browserHash)) return "other_browser";
    const r = this.sql.exec("DELETE FROM oauth2_requests WHERE state = ? RETURNING *", state).toArray()[0];
    if (r === undefined) return "missing";
    return {
      state: String(r.state), sealed_verifier: String(r.sealed_verifier), browser_hash: String(r.browser_hash),
      invite_id: r.invite_id === null ? null : String(r.invite_id), profile: r.profile === null ? null : String(r.profile),
      expires_at_ms: Number(r.expires_at_ms),
    };
  }
}
