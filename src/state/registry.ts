/**
 * Registry: one Durable Object per app (name = app name) holding the control plane's state in
 * SQLite: webhooks and their CRC / re-check history, subscriptions, sealed user tokens, replay
 * jobs and the delivery gaps they cover, pending Sign in with X requests, used invites, and
 * the persisted X rate-limit tracker. Schema: registry-schema.ts, docs/storage.md.
 *
 * It is the single writer for an app's state and it alone writes the KV mirror (kv-mirror.ts).
 * It never sees the token key: it stores sealed strings only.
 */
import { DurableObject } from "cloudflare:workers";
import {
  REGISTRY_SCHEMA,
  type GapRow,
  type GapState,
  type OAuthRequestRow,
  type RegistryHealth,
  type ReplayJobRow,
  type ReplayJobState,
  type SubscriptionRow,
  type WebhookRow,
  str,
  toReplayJob,
  toSubscription,
  toWebhook,
} from "./registry-schema.ts";
import {
  digestOf,
  mirrorDecision,
  statusKey,
  statusSnapshot,
  subscriptionsKey,
  subscriptionsSnapshot,
  type MirrorRecord,
} from "./kv-mirror.ts";

/**
 * A replay job with no `replay_job_status` after this long is no longer treated as blocking:
 * the status event may have been lost, and X itself answers 355 if one is really still running.
 */
export const REPLAY_JOB_ASSUMED_OVER_MS = 24 * 3600_000;

/** The stub for an app's Registry. */
export function registryFor(env: Env, app: string): DurableObjectStub<Registry> {
  return env.REGISTRY.getByName(app);
}

export interface WebhookObservation {
  id: string;
  url: string;
  valid: boolean;
  created_at: string;
}

/** How far past a revoke's stated time it still applies (X's whole-second stamps, clock skew). */
export const REVOKE_CLOCK_TOLERANCE_MS = 60_000;

export class Registry extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const stmt of REGISTRY_SCHEMA) this.sql.exec(stmt);
  }

  /** The app this object serves; set by the first call through `registryFor` (getByName). */
  private app(): string {
    const name = this.ctx.id.name ?? this.getMeta("app");
    if (!name) throw new Error("Registry used without a name (use registryFor(env, app))");
    if (this.ctx.id.name && this.getMeta("app") !== name) this.setMeta("app", name);
    return name;
  }

  // ---- webhooks ---------------------------------------------------------------------------

  health(nowMs: number): RegistryHealth {
    return {
      webhook: this.currentWebhook(),
      subscription_count: this.activeCount(),
      open_replay_job: this.openReplayJob(nowMs),
      open_gap: this.gaps().find((g) => g.state === "open") ?? null,
      last_revalidation_json: this.getMeta("last_revalidation"),
    };
  }

  listWebhooks(): WebhookRow[] {
    return this.sql.exec("SELECT * FROM webhooks ORDER BY created_at DESC").toArray().map(toWebhook);
  }

  currentWebhook(): WebhookRow | null {
    return this.listWebhooks()[0] ?? null;
  }

  /**
   * Record what X says about a webhook. A valid webhook ends any open gap; a newly invalid one
   * opens a gap starting at the last moment it was known good (events after it may be lost).
   */
  async recordWebhook(w: WebhookObservation, nowIso: string): Promise<WebhookRow> {
    this.applyValidity(w, w.valid, nowIso);
    await this.mirror();
    return this.webhook(w.id)!;
  }

  /** Replace our list with X's: rows X no longer has are removed. */
  async syncWebhooks(list: readonly WebhookObservation[], nowIso: string): Promise<WebhookRow[]> {
    const ids = new Set(list.map((w) => w.id));
    for (const row of this.listWebhooks()) if (!ids.has(row.id)) this.sql.exec("DELETE FROM webhooks WHERE id = ?", row.id);
    for (const w of list) this.applyValidity(w, w.valid, nowIso);
    await this.mirror();
    return this.listWebhooks();
  }

  async removeWebhook(id: string): Promise<boolean> {
    const n = this.sql.exec("DELETE FROM webhooks WHERE id = ?", id).rowsWritten;
    this.sql.exec("UPDATE gaps SET state = 'skipped', note = 'webhook deleted' WHERE webhook_id = ? AND state IN ('open','closed')", id);
    await this.mirror();
    return n > 0;
  }

  async recordCrcSeen(id: string, atIso: string, ip: string | null): Promise<void> {
    this.sql.exec("UPDATE webhooks SET last_crc_at = ?, last_crc_ip = ? WHERE id = ? AND (last_crc_at IS NULL OR last_crc_at < ?)", atIso, ip, id, atIso);
    await this.mirror();
  }

  /** Outcome of a PUT re-check. `error` is the XApiError kind and fix, never a secret. */
  async recordRecheck(id: string, ok: boolean, error: string | null, nowIso: string): Promise<WebhookRow | null> {
    const row = this.webhook(id);
    if (row === null) return null;
    this.sql.exec("UPDATE webhooks SET last_recheck_at = ?, last_recheck_result = ?, last_recheck_error = ? WHERE id = ?", nowIso, ok ? "ok" : "failed", error, id);
    this.applyValidity(row, ok, nowIso);
    await this.mirror();
    return this.webhook(id);
  }

  private webhook(id: string): WebhookRow | null {
    const r = this.sql.exec("SELECT * FROM webhooks WHERE id = ?", id).toArray()[0];
    return r ? toWebhook(r) : null;
  }

  private applyValidity(w: WebhookObservation, valid: boolean, nowIso: string): void {
    const prev = this.webhook(w.id);
    if (prev === null) {
      this.sql.exec(
        "INSERT INTO webhooks (id, url, valid, created_at, invalid_since, last_ok_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        w.id, w.url, valid ? 1 : 0, w.created_at, valid ? null : nowIso, valid ? nowIso : null, nowIso,
      );
    } else {
      this.sql.exec(
        "UPDATE webhooks SET url = ?, valid = ?, invalid_since = ?, last_ok_at = ?, updated_at = ? WHERE id = ?",
        w.url, valid ? 1 : 0, valid ? null : (prev.invalid_since ?? nowIso), valid ? nowIso : prev.last_ok_at, nowIso, w.id,
      );
    }
    const open = this.sql.exec("SELECT id FROM gaps WHERE webhook_id = ? AND state = 'open'", w.id).toArray()[0];
    if (valid && open) {
      this.sql.exec("UPDATE gaps SET state = 'closed', to_at = ? WHERE id = ?", nowIso, open.id);
    } else if (!valid && !open) {
      this.sql.exec("INSERT INTO gaps (webhook_id, from_at, state) VALUES (?, ?, 'open')", w.id, prev?.last_ok_at ?? nowIso);
    }
  }

  // ---- gaps -------------------------------------------------------------------------------

  gaps(): GapRow[] {
    return this.sql.exec("SELECT * FROM gaps ORDER BY id").toArray().map((r) => ({
      id: Number(r.id), webhook_id: String(r.webhook_id), from_at: String(r.from_at), to_at: str(r.to_at),
      state: String(r.state) as GapState, job_id: str(r.job_id), note: str(r.note),
    }));
  }

  updateGap(id: number, state: GapState, jobId: string | null, note: string | null): void {
    this.sql.exec("UPDATE gaps SET state = ?, job_id = ?, note = ? WHERE id = ?", state, jobId, note, id);
  }

  // ---- subscriptions and tokens -----------------------------------------------------------

  listSubscriptions(includeInactive = false): SubscriptionRow[] {
    const q = `SELECT s.*, t.user_id IS NOT NULL AS has_token FROM subscriptions s LEFT JOIN user_tokens t ON t.user_id = s.user_id
      ${includeInactive ? "" : "WHERE s.status = 'active'"} ORDER BY s.user_id`;
    return this.sql.exec(q).toArray().map(toSubscription);
  }

  /** Record an active subscription; `sealed` (a token-seal blob) replaces any stored token. */
  async upsertSubscription(s: { user_id: string; screen_name: string | null; by: string; sealed: string | null }, nowIso: string): Promise<SubscriptionRow> {
    this.sql.exec(
      `INSERT INTO subscriptions (user_id, screen_name, subscribed_at, subscribed_by, status, status_at) VALUES (?, ?, ?, ?, 'active', ?)
       ON CONFLICT(user_id) DO UPDATE SET screen_name = COALESCE(excluded.screen_name, screen_name),
         subscribed_at = CASE WHEN status = 'active' THEN subscribed_at ELSE excluded.subscribed_at END,
         subscribed_by = CASE WHEN status = 'active' THEN subscribed_by ELSE excluded.subscribed_by END,
         status = 'active', status_at = excluded.status_at, status_reason = NULL`,
      s.user_id, s.screen_name, nowIso, s.by, nowIso,
    );
    if (s.sealed !== null) {
      this.sql.exec("INSERT OR REPLACE INTO user_tokens (user_id, sealed, stored_at) VALUES (?, ?, ?)", s.user_id, s.sealed, nowIso);
    }
    await this.mirror();
    return this.listSubscriptions(true).find((r) => r.user_id === s.user_id)!;
  }

  async storeToken(userId: string, sealed: string, nowIso: string): Promise<void> {
    this.sql.exec("INSERT OR REPLACE INTO user_tokens (user_id, sealed, stored_at) VALUES (?, ?, ?)", userId, sealed, nowIso);
  }

  getSealedToken(userId: string): string | null {
    const r = this.sql.exec("SELECT sealed FROM user_tokens WHERE user_id = ?", userId).toArray()[0];
    return r ? String(r.sealed) : null;
  }

  /** Mark removed (kept for history) and drop the stored token. Idempotent. */
  async removeSubscription(userId: string, reason: string, nowIso: string): Promise<boolean> {
    const n = this.sql.exec("UPDATE subscriptions SET status = 'removed', status_at = ?, status_reason = ? WHERE user_id = ? AND status = 'active'", nowIso, reason, userId).rowsWritten;
    this.sql.exec("DELETE FROM user_tokens WHERE user_id = ?", userId);
    await this.mirror();
    return n > 0;
  }

  /**
   * X's `user_event` revoke: the user withdrew the app's access, X dropped the subscription.
   * Removes the subscription and the token, unless they were made after the revoke (a
   * redelivered old revoke must not undo a newer sign-in). Idempotent.
   */
  async applyRevoke(userId: string, revokedAtIso: string | null, nowIso: string): Promise<boolean> {
    // X stamps revokes to the whole second, on its own clock: a revoke applies to subscriptions
    // made up to REVOKE_CLOCK_TOLERANCE_MS after its stated time, so one in the same second as a
    // sign-in (or seen through clock skew) still removes it; an old redelivered revoke does not
    // undo a later sign-in.
    const cutoff = revokedAtIso === null
      ? nowIso
      : new Date(Date.parse(revokedAtIso) + REVOKE_CLOCK_TOLERANCE_MS).toISOString();
    const n = this.sql.exec(
      "UPDATE subscriptions SET status = 'revoked', status_at = ?, status_reason = 'user_event revoke' WHERE user_id = ? AND status = 'active' AND subscribed_at <= ?",
      nowIso, userId, cutoff,
    ).rowsWritten;
    this.sql.exec("DELETE FROM user_tokens WHERE user_id = ? AND stored_at <= ?", userId, cutoff);
    await this.mirror();
    return n > 0;
  }

  // ---- replay jobs ------------------------------------------------------------------------

  async createReplayJob(job: Omit<ReplayJobRow, "state" | "state_description" | "closed_at">, gapId: number | null): Promise<ReplayJobRow> {
    this.sql.exec(
      "INSERT OR IGNORE INTO replay_jobs (job_id, webhook_id, from_date, to_date, requested_at, requested_by, state) VALUES (?, ?, ?, ?, ?, ?, 'open')",
      job.job_id, job.webhook_id, job.from_date, job.to_date, job.requested_at, job.requested_by,
    );
    if (gapId !== null) this.updateGap(gapId, "requested", job.job_id, null);
    await this.mirror();
    return this.listReplayJobs().find((j) => j.job_id === job.job_id)!;
  }

  listReplayJobs(): ReplayJobRow[] {
    return this.sql.exec("SELECT * FROM replay_jobs ORDER BY requested_at DESC").toArray().map(toReplayJob);
  }

  /** The job X is (as far as we know) still running, which blocks another request. */
  openReplayJob(nowMs: number): ReplayJobRow | null {
    const since = new Date(nowMs - REPLAY_JOB_ASSUMED_OVER_MS).toISOString();
    const r = this.sql.exec("SELECT * FROM replay_jobs WHERE state = 'open' AND requested_at > ? ORDER BY requested_at DESC", since).toArray()[0];
    return r ? toReplayJob(r) : null;
  }

  /** From X's `replay_job_status`. Idempotent: a closed job stays as first closed. */
  async closeReplayJob(jobId: string, state: "Complete" | "Incomplete", description: string | null, nowIso: string): Promise<boolean> {
    const n = this.sql.exec("UPDATE replay_jobs SET state = ?, state_description = ?, closed_at = ? WHERE job_id = ? AND state = 'open'", state, description, nowIso, jobId).rowsWritten;
    if (n > 0) await this.mirror();
    return n > 0;
  }

  // ---- Sign in with X ---------------------------------------------------------------------

  putOAuthRequest(row: OAuthRequestRow, nowMs: number): void {
    this.sql.exec("DELETE FROM oauth_requests WHERE expires_at_ms <= ?", nowMs);
    this.sql.exec("INSERT OR REPLACE INTO oauth_requests (oauth_token, sealed_secret, browser_hash, invite_id, expires_at_ms) VALUES (?, ?, ?, ?, ?)",
      row.oauth_token, row.sealed_secret, row.browser_hash, row.invite_id, row.expires_at_ms);
  }

  /** Single use: the row is deleted as it is read; expired rows read as missing. */
  takeOAuthRequest(oauthToken: string, nowMs: number): OAuthRequestRow | null {
    const r = this.sql.exec("DELETE FROM oauth_requests WHERE oauth_token = ? RETURNING *", oauthToken).toArray()[0];
    if (!r || Number(r.expires_at_ms) <= nowMs) return null;
    return { oauth_token: String(r.oauth_token), sealed_secret: String(r.sealed_secret), browser_hash: String(r.browser_hash), invite_id: str(r.invite_id), expires_at_ms: Number(r.expires_at_ms) };
  }

  /** Whether an invite may still be used; marks it used. Single use per invite id. */
  consumeInvite(inviteId: string, expiresAtMs: number, nowMs: number): boolean {
    this.sql.exec("DELETE FROM invites_used WHERE expires_at_ms <= ?", nowMs);
    const n = this.sql.exec("INSERT OR IGNORE INTO invites_used (invite_id, used_at, expires_at_ms) VALUES (?, ?, ?)", inviteId, new Date(nowMs).toISOString(), expiresAtMs).rowsWritten;
    return n > 0;
  }

  // ---- meta (rate limits, last revalidation) ---------------------------------------------

  getMeta(key: string): string | null {
    const r = this.sql.exec("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return r ? String(r.value) : null;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  // ---- KV mirror --------------------------------------------------------------------------

  /** Set by a deferred write for when the key may be written again: flush what changed. */
  override async alarm(): Promise<void> {
    await this.mirror(true);
  }

  private activeCount(): number {
    return Number(this.sql.exec("SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'active'").one().n);
  }

  /**
   * Write each mirror key whose content changed; defer to the alarm if written < 1 s ago.
   * `fromAlarm`: the alarm was set for the end of that second, so the spacing already holds.
   */
  private async mirror(fromAlarm = false): Promise<void> {
    const app = this.app();
    const nowMs = Date.now();
    const values: [string, unknown][] = [
      [statusKey(app), statusSnapshot(app, this.currentWebhook(), this.activeCount(), this.openReplayJob(nowMs))],
      [subscriptionsKey(app), subscriptionsSnapshot(app, this.listSubscriptions())],
    ];
    for (const [key, value] of values) {
      const json = JSON.stringify(value);
      const digest = await digestOf(json);
      const lastRaw = this.getMeta(`mirror:${key}`);
      const last = lastRaw === null ? null : (JSON.parse(lastRaw) as MirrorRecord);
      const d = mirrorDecision(last, digest, nowMs);
      if (d.kind === "skip") continue;
      if (d.kind === "defer" && !fromAlarm) {
        const at = await this.ctx.storage.getAlarm();
        if (at === null || at > d.until_ms) await this.ctx.storage.setAlarm(d.until_ms);
        continue;
      }
      await this.env.STATE_KV.put(key, json);
      this.setMeta(`mirror:${key}`, JSON.stringify({ digest, at_ms: nowMs } satisfies MirrorRecord));
    }
  }
}

