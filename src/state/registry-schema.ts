/**
 * The Registry Durable Object's SQLite schema and the row shapes its RPC methods return.
 * One Registry per app (name = app name). Documented table by table in docs/storage.md.
 * Times are ISO 8601 strings (UTC) unless the column name ends in `_ms` (epoch milliseconds).
 */

export const REGISTRY_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    valid INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    last_crc_at TEXT,
    last_crc_ip TEXT,
    last_recheck_at TEXT,
    last_recheck_result TEXT,
    last_recheck_error TEXT,
    invalid_since TEXT,
    last_ok_at TEXT,
    updated_at TEXT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS subscriptions (
    user_id TEXT PRIMARY KEY,
    screen_name TEXT,
    subscribed_at TEXT NOT NULL,
    subscribed_by TEXT NOT NULL,
    status TEXT NOT NULL,
    status_at TEXT NOT NULL,
    status_reason TEXT,
    resubscribed_at TEXT,
    resubscribe_count INTEGER NOT NULL DEFAULT 0
  )`,
  `CREATE TABLE IF NOT EXISTS user_tokens (
    user_id TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    stored_at TEXT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS replay_jobs (
    job_id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL,
    from_date TEXT NOT NULL,
    to_date TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    state TEXT NOT NULL,
    state_description TEXT,
    closed_at TEXT
  )`,
  `CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id TEXT NOT NULL,
    from_at TEXT NOT NULL,
    to_at TEXT,
    state TEXT NOT NULL,
    job_id TEXT,
    note TEXT,
    tries INTEGER NOT NULL DEFAULT 0,
    failed_at TEXT
  )`,
  `CREATE TABLE IF NOT EXISTS oauth_requests (
    oauth_token TEXT PRIMARY KEY,
    sealed_secret TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    invite_id TEXT,
    expires_at_ms INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS invites_used (
    invite_id TEXT PRIMARY KEY,
    used_at TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS invite_claims (
    invite_id TEXT PRIMARY KEY,
    claim_id TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  )`,
];

/**
 * Columns added to `gaps` after the first release, with their definitions: a DO created before
 * them has the table without them (CREATE TABLE IF NOT EXISTS does not change it), so
 * ensureRegistrySchema adds each one missing. Append only.
 */
const GAP_COLUMNS_ADDED: readonly (readonly [name: string, definition: string])[] = [
  ["tries", "INTEGER NOT NULL DEFAULT 0"],
  ["failed_at", "TEXT"],
];

/**
 * Columns added to `subscriptions` by subscription reconciliation (src/cron/reconcile.ts); same
 * rule as GAP_COLUMNS_ADDED. No backfill: an older row was never re-subscribed.
 */
const SUBSCRIPTION_COLUMNS_ADDED: readonly (readonly [name: string, definition: string])[] = [
  ["resubscribed_at", "TEXT"],
  ["resubscribe_count", "INTEGER NOT NULL DEFAULT 0"],
];

/**
 * Create the tables, and bring an existing object's `gaps` and `subscriptions` tables up to date (run by the
 * Registry's constructor, so every object migrates itself on first use after a deploy).
 * Idempotent. Backfill for rows older than the columns: a gap that was linked to a job had
 * one try; a failed gap failed when its job closed.
 */
export function ensureRegistrySchema(sql: SqlStorage): void {
  for (const stmt of REGISTRY_SCHEMA) sql.exec(stmt);
  const have = new Set(sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('gaps')").toArray().map((c) => c.name));
  const missing = GAP_COLUMNS_ADDED.filter(([name]) => !have.has(name));
  for (const [name, definition] of missing) sql.exec(`ALTER TABLE gaps ADD COLUMN ${name} ${definition}`);
  if (missing.some(([name]) => name === "tries")) sql.exec("UPDATE gaps SET tries = 1 WHERE job_id IS NOT NULL");
  if (missing.some(([name]) => name === "failed_at")) {
    sql.exec("UPDATE gaps SET failed_at = (SELECT closed_at FROM replay_jobs WHERE replay_jobs.job_id = gaps.job_id) WHERE state = 'failed'");
  }
  const haveSubs = new Set(sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('subscriptions')").toArray().map((c) => c.name));
  for (const [name, definition] of SUBSCRIPTION_COLUMNS_ADDED) {
    if (!haveSubs.has(name)) sql.exec(`ALTER TABLE subscriptions ADD COLUMN ${name} ${definition}`);
  }
}

export interface WebhookRow {
  id: string;
  url: string;
  valid: boolean;
  created_at: string;
  /** Last CRC X sent us (from the hot path's `crc:last:<app>` KV record). */
  last_crc_at: string | null;
  last_crc_ip: string | null;
  last_recheck_at: string | null;
  /** "ok" or "failed". */
  last_recheck_result: string | null;
  /** Kind and fix of the failure, never a secret. */
  last_recheck_error: string | null;
  invalid_since: string | null;
  /** Last time X or a re-check said the webhook was valid. */
  last_ok_at: string | null;
  updated_at: string;
}

/**
 * `dropped_at_x`: reconciliation found X no longer lists the user and no stored token to
 * re-subscribe with; it becomes active again when X lists the user again or the user signs in.
 */
export type SubscriptionStatus = "active" | "removed" | "revoked" | "dropped_at_x";

export interface SubscriptionRow {
  user_id: string;
  screen_name: string | null;
  subscribed_at: string;
  /** "admin", "oauth", "x" (seen in X's list, not made here), or "cli". */
  subscribed_by: string;
  status: SubscriptionStatus;
  status_at: string;
  status_reason: string | null;
  /** Whether a sealed user token is stored for this user. */
  has_token: boolean;
  /** Last time reconciliation re-subscribed the user after X dropped them; null if never. */
  resubscribed_at: string | null;
  /** How many times reconciliation re-subscribed the user. */
  resubscribe_count: number;
}

/** "open" until X's `replay_job_status` event closes it as "Complete" or "Incomplete". */
export type ReplayJobState = "open" | "Complete" | "Incomplete";

export interface ReplayJobRow {
  job_id: string;
  webhook_id: string;
  from_date: string;
  to_date: string;
  requested_at: string;
  requested_by: string;
  state: ReplayJobState;
  state_description: string | null;
  closed_at: string | null;
  /**
   * The delivery gaps this job was linked to (ascending ids): the gap revalidation requested it
   * for, and every `closed` gap of the webhook lying entirely inside [from_date, to_date]. They
   * move to `done` / `failed` when the job closes. Not a column: read from `gaps.job_id`.
   */
  gap_ids: number[];
}

/** What `createReplayJob` is given: the row without what the Registry itself fills in. */
export type NewReplayJob = Omit<ReplayJobRow, "state" | "state_description" | "closed_at" | "gap_ids">;

/**
 * A period the webhook was invalid or unreachable: events X could not deliver. "open" while
 * still down, "closed" once valid again (waiting to be replayed), "requested" once a Replay
 * job covers it (revalidation's own, or a manual one whose window contains the whole gap),
 * then "done" / "failed" when X reports that job Complete / Incomplete; "skipped" when it
 * cannot be replayed (flavour without Replay, too old, X refused the dates, webhook deleted).
 * Revalidation picks "closed" gaps, and "failed" ones again after a back-off while they have
 * tries left and are inside X's lookback (revalidate-policy.ts); a failed gap out of tries or
 * out of the lookback becomes "given_up" (alerted once). done, skipped, given_up are final.
 */
export type GapState = "open" | "closed" | "requested" | "done" | "failed" | "skipped" | "given_up";

export interface GapRow {
  id: number;
  webhook_id: string;
  from_at: string;
  to_at: string | null;
  state: GapState;
  job_id: string | null;
  note: string | null;
  /** How many Replay jobs were linked to this gap (each is one try; bounded by MAX_REPLAY_TRIES). */
  tries: number;
  /** When X last reported a job of this gap Incomplete (back-off is counted from it); null if never. */
  failed_at: string | null;
}

export interface OAuthRequestRow {
  oauth_token: string;
  sealed_secret: string;
  browser_hash: string;
  invite_id: string | null;
  expires_at_ms: number;
}

/** What GET /admin/apps shows for one app. */
export interface RegistryHealth {
  webhook: WebhookRow | null;
  subscription_count: number;
  open_replay_job: ReplayJobRow | null;
  open_gap: GapRow | null;
  /** The last revalidation outcome as JSON text (RPC cannot carry `unknown`). */
  last_revalidation_json: string | null;
  /** The last subscription reconciliation outcome as JSON text; null before the first. */
  last_reconcile_json: string | null;
}

// ---- row mappers (SQLite values to the shapes above) ----------------------------------------

type SqlRow = Record<string, SqlStorageValue>;

export function str(v: SqlStorageValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

export function toWebhook(r: SqlRow): WebhookRow {
  return {
    id: String(r.id), url: String(r.url), valid: Number(r.valid) === 1, created_at: String(r.created_at),
    last_crc_at: str(r.last_crc_at), last_crc_ip: str(r.last_crc_ip), last_recheck_at: str(r.last_recheck_at),
    last_recheck_result: str(r.last_recheck_result), last_recheck_error: str(r.last_recheck_error),
    invalid_since: str(r.invalid_since), last_ok_at: str(r.last_ok_at), updated_at: String(r.updated_at),
  };
}

export function toSubscription(r: SqlRow): SubscriptionRow {
  return {
    user_id: String(r.user_id), screen_name: str(r.screen_name), subscribed_at: String(r.subscribed_at),
    subscribed_by: String(r.subscribed_by), status: String(r.status) as SubscriptionRow["status"],
    status_at: String(r.status_at), status_reason: str(r.status_reason), has_token: Number(r.has_token) === 1,
    resubscribed_at: str(r.resubscribed_at), resubscribe_count: Number(r.resubscribe_count ?? 0),
  };
}

/** `gapIds`: the ids of the gaps whose `job_id` is this job's. */
export function toReplayJob(r: SqlRow, gapIds: number[]): ReplayJobRow {
  return {
    job_id: String(r.job_id), webhook_id: String(r.webhook_id), from_date: String(r.from_date), to_date: String(r.to_date),
    requested_at: String(r.requested_at), requested_by: String(r.requested_by), state: String(r.state) as ReplayJobState,
    state_description: str(r.state_description), closed_at: str(r.closed_at), gap_ids: gapIds,
  };
}

export function toGap(r: SqlRow): GapRow {
  return {
    id: Number(r.id), webhook_id: String(r.webhook_id), from_at: String(r.from_at), to_at: str(r.to_at),
    state: String(r.state) as GapState, job_id: str(r.job_id), note: str(r.note),
    tries: Number(r.tries ?? 0), failed_at: str(r.failed_at),
  };
}
