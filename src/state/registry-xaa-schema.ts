/**
 * The Registry's XAA tables (one Registry per app): the app's XAA subscriptions as recorded here,
 * its subscription profiles made through the admin API, users' OAuth 2.0 grants (sealed), and
 * pending OAuth 2.0 sign-ins. Documented in docs/storage.md. Times as in registry-schema.ts.
 */

export const REGISTRY_XAA_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS xaa_subscriptions (
    subscription_id TEXT PRIMARY KEY,
    user_id TEXT,
    event_type TEXT NOT NULL,
    direction TEXT,
    tag TEXT,
    webhook_id TEXT,
    profile TEXT,
    created_by TEXT NOT NULL,
    status TEXT NOT NULL,
    status_at TEXT NOT NULL,
    created_at TEXT NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS xaa_subscriptions_user ON xaa_subscriptions (user_id)",
  `CREATE TABLE IF NOT EXISTS xaa_profiles (
    name TEXT PRIMARY KEY,
    spec_json TEXT NOT NULL,
    updated_at TEXT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS oauth2_tokens (
    user_id TEXT PRIMARY KEY,
    username TEXT,
    sealed TEXT NOT NULL,
    scopes TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    has_refresh INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    stored_at TEXT NOT NULL,
    refreshed_at TEXT
  )`,
  `CREATE TABLE IF NOT EXISTS oauth2_requests (
    state TEXT PRIMARY KEY,
    sealed_verifier TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    invite_id TEXT,
    profile TEXT,
    expires_at_ms INTEGER NOT NULL
  )`,
];

/**
 * - `active`: X has it (as far as we know).
 * - `lost_at_x`: reconciliation found X no longer lists it and could not re-create it (the reason
 *   says why: no consent, a refused token, X's error).
 * - `only_at_x`: X lists it but nothing here made it (seen by reconciliation; `created_by` "x").
 * - `revoked`: the user revoked the app (`oauth.revoke`); still at X until the control plane's
 *   next pass deletes it there and forgets the row.
 */
export type XaaSubscriptionStatus = "active" | "lost_at_x" | "only_at_x" | "revoked";

export interface XaaSubscriptionRow {
  subscription_id: string;
  /** Null for an app-level subscription (`oauth.revoke`, empty filter). */
  user_id: string | null;
  event_type: string;
  direction: "inbound" | "outbound" | null;
  tag: string | null;
  webhook_id: string | null;
  /** The profile it was made for; null when made another way. */
  profile: string | null;
  /** "profile", "admin", "reconcile" (re-created), "x" (found at X only), "cli". */
  created_by: string;
  status: XaaSubscriptionStatus;
  status_at: string;
  created_at: string;
}

export interface XaaProfileRow {
  name: string;
  /** The profile as JSON (`XaaProfile` in src/control/profiles.ts). */
  spec_json: string;
  updated_at: string;
}

/**
 * `consent_needed`: X refused the refresh token (the user revoked the app, or it expired unused):
 * nothing private can be subscribed or re-created for this user until they sign in again.
 */
export type OAuth2TokenStatus = "active" | "consent_needed";

export interface OAuth2TokenRow {
  user_id: string;
  username: string | null;
  /** token-seal of {access token, refresh token} under the scope `oauth2:<user_id>`. */
  sealed: string;
  /** Granted scopes, space-separated, as X reported them. */
  scopes: string;
  expires_at_ms: number;
  has_refresh: boolean;
  status: OAuth2TokenStatus;
  status_reason: string | null;
  stored_at: string;
  refreshed_at: string | null;
}

export interface OAuth2RequestRow {
  /** The OAuth 2.0 `state`: the key. */
  state: string;
  /** token-seal of the PKCE verifier under `oauth2-request:<state>`. */
  sealed_verifier: string;
  browser_hash: string;
  invite_id: string | null;
  profile: string | null;
  expires_at_ms: number;
}

export interface XaaCounts {
  /** Every XAA subscription X holds for the app as far as we know (all but lost_at_x): what counts against the cap. */
  total: number;
  active: number;
  lost_at_x: number;
  only_at_x: number;
  revoked: number;
  /** Active, only_at_x and revoked subscriptions per event type. */
  by_type: Record<string, number>;
  /** Users with at least one subscription. */
  users: number;
}

type SqlRow = Record<string, SqlStorageValue>;

function str(v: SqlStorageValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

export function toXaaSubscription(r: SqlRow): XaaSubscriptionRow {
  const d = str(r.direction);
  return {
    subscription_id: String(r.subscription_id), user_id: str(r.user_id), event_type: String(r.event_type),
    direction: d === "inbound" || d === "outbound" ? d : null, tag: str(r.tag), webhook_id: str(r.webhook_id),
    profile: str(r.profile), created_by: String(r.created_by), status: String(r.status) as XaaSubscriptionStatus,
    status_at: String(r.status_at), created_at: String(r.created_at),
  };
}

export function toOAuth2Token(r: SqlRow): OAuth2TokenRow {
  return {
    user_id: String(r.user_id), username: str(r.username), sealed: String(r.sealed), scopes: String(r.scopes),
    expires_at_ms: Number(r.expires_at_ms), has_refresh: Number(r.has_refresh) === 1,
    status: String(r.status) as OAuth2TokenStatus, status_reason: str(r.status_reason),
    stored_at: String(r.stored_at), refreshed_at: str(r.refreshed_at),
  };
}
