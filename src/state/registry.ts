/**
 * Registry: one Durable Object per app (name = app name) holding the control plane's state in
 * SQLite: webhooks and their CRC / re-check history, subscriptions, sealed user tokens, replay
 * jobs and the delivery gaps they cover, pending Sign in with X requests, used invites, and
 * the persisted X rate-limit tracker. Schema: registry-schema.ts, docs/storage.md.
 *
 * It is the single writer for an app's state and it alone writes the KV mirror (kv-mirror.ts).
 * It never sees the token key: it stores sealed strings only. This file is the RPC surface
 * and the mirror (the XAA half, which also creates the tables, is the base class in
 * registry-xaa.ts); the SQL is plain functions over SqlStorage in registry-webhooks.ts (webhooks,
 * CRC and re-check history), registry-replay.ts (gaps, replay jobs) and registry-subscriptions.ts
 * (subscriptions, tokens).
 */
import {
  type GapRow,
  type GapState,
  type NewReplayJob,
  type OAuthRequestRow,
  type RegistryHealth,
  type ReplayJobRow,
  type SubscriptionRow,
  type WebhookRow,
  str,
} from "./registry-schema.ts";
import * as replay from "./registry-replay.ts";
import * as oauth from "./registry-oauth.ts";
import type { OAuthTakeRefusal } from "./registry-oauth.ts";
import * as subs from "./registry-subscriptions.ts";
import * as hooks from "./registry-webhooks.ts";
import type { WebhookObservation } from "./registry-webhooks.ts";
import {
  digestOf,
  mirrorDecision,
  statusKey,
  statusSnapshot,
  subscriptionsKey,
  subscriptionsSnapshot,
  type MirrorRecord,
} from "./kv-mirror.ts";
import { LAST_DELIVERY_META, mergeLastDelivery, type LastDelivery } from "../pipeline/last-delivery.ts";
import { RegistryXaa } from "./registry-xaa.ts";
import { SIGNATURE_FAILURES_META, mergeSignatureFailures, parseSignatureFailures, type SignatureFailureBatch, type SignatureFailureStats } from "./signature-failures.ts";

export { REPLAY_JOB_ASSUMED_OVER_MS } from "./registry-replay.ts";
export { REVOKE_CLOCK_TOLERANCE_MS } from "./registry-subscriptions.ts";
export type { ReconcileChanges } from "./registry-subscriptions.ts";
export type { WebhookObservation } from "./registry-webhooks.ts";

/** Meta key of the last subscription reconciliation outcome (JSON; src/cron/reconcile.ts). */
export const LAST_RECONCILE_META = "last_reconcile";

/** The stub for an app's Registry. */
export function registryFor(env: Env, app: string): DurableObjectStub<Registry> {
  return env.REGISTRY.getByName(app);
}

/** XAA subscriptions, profiles and OAuth 2.0 grants: RegistryXaa (registry-xaa.ts), inherited. */
export class Registry extends RegistryXaa {
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
      last_reconcile_json: this.getMeta(LAST_RECONCILE_META),
    };
  }

  listWebhooks(): WebhookRow[] {
    return hooks.listWebhooks(this.sql);
  }

  currentWebhook(): WebhookRow | null {
    return this.listWebhooks()[0] ?? null;
  }

  /**
   * Record what X says about a webhook. A valid webhook ends any open gap; a newly invalid one
   * opens a gap starting at the last moment it was known good (events after it may be lost).
   */
  async recordWebhook(w: WebhookObservation, nowIso: string): Promise<WebhookRow> {
    hooks.applyValidity(this.sql, w, w.valid, nowIso);
    await this.mirror();
    return hooks.webhook(this.sql, w.id)!;
  }

  /** Replace our list with X's: rows X no longer has are removed. */
  async syncWebhooks(list: readonly WebhookObservation[], nowIso: string): Promise<WebhookRow[]> {
    hooks.syncWebhooks(this.sql, list, nowIso);
    await this.mirror();
    return this.listWebhooks();
  }

  async removeWebhook(id: string): Promise<boolean> {
    const removed = hooks.removeWebhook(this.sql, id);
    await this.mirror();
    return removed;
  }

  async recordCrcSeen(id: string, atIso: string, ip: string | null): Promise<void> {
    hooks.recordCrcSeen(this.sql, id, atIso, ip);
    await this.mirror();
  }

  /** Outcome of a PUT re-check. `error` is the XApiError kind and fix, never a secret. */
  async recordRecheck(id: string, ok: boolean, error: string | null, nowIso: string): Promise<WebhookRow | null> {
    const row = hooks.recordRecheck(this.sql, id, ok, error, nowIso);
    if (row !== null) await this.mirror();
    return row;
  }

  // ---- gaps (SQL in registry-replay.ts) -----------------------------------------------------

  gaps(): GapRow[] {
    return replay.listGaps(this.sql);
  }

  updateGap(id: number, state: GapState, jobId: string | null, note: string | null): void {
    replay.setGap(this.sql, id, state, jobId, note);
  }

  // ---- subscriptions and tokens (SQL in registry-subscriptions.ts) -------------------------

  listSubscriptions(includeInactive = false): SubscriptionRow[] {
    return subs.listSubscriptions(this.sql, includeInactive);
  }

  /** Record an active subscription; `sealed` (a token-seal blob) replaces any stored token. */
  async upsertSubscription(s: subs.SubscriptionInput, nowIso: string): Promise<SubscriptionRow> {
    subs.upsertSubscription(this.sql, s, nowIso);
    await this.mirror();
    return this.listSubscriptions(true).find((r) => r.user_id === s.user_id)!;
  }

  async storeToken(userId: string, sealed: string, nowIso: string): Promise<void> {
    subs.storeToken(this.sql, userId, sealed, nowIso);
  }

  getSealedToken(userId: string): string | null {
    return subs.getSealedToken(this.sql, userId);
  }

  /** A page of stored sealed tokens (for re-sealing after a key rotation). */
  listSealedTokens(afterUserId: string | null, limit: number): subs.SealedTokenRow[] {
    return subs.listSealedTokens(this.sql, afterUserId, limit);
  }

  /** Compare-and-set re-seals (one transaction); returns the user ids whose blob was replaced. */
  replaceSealedTokens(reseals: readonly subs.TokenReseal[]): string[] {
    return this.ctx.storage.transactionSync(() => subs.replaceSealedTokens(this.sql, reseals));
  }

  /** Mark removed (kept for history) and drop the stored token. Idempotent. */
  async removeSubscription(userId: string, reason: string, nowIso: string): Promise<boolean> {
    const removed = subs.removeSubscription(this.sql, userId, reason, nowIso);
    await this.mirror();
    return removed;
  }

  /**
   * X's `user_event` revoke: the user withdrew the app's access, X dropped the subscription.
   * Removes the subscription and the token, unless they were made after the revoke (a
   * redelivered old revoke must not undo a newer sign-in). Idempotent.
   */
  async applyRevoke(userId: string, revokedAtIso: string | null, nowIso: string): Promise<boolean> {
    const revoked = subs.applyRevoke(this.sql, userId, revokedAtIso, nowIso);
    await this.mirror();
    return revoked;
  }

  /**
   * Record what a subscription reconciliation found and did (registry-subscriptions.ts
   * applyReconcile), in one transaction, then mirror once.
   */
  async applyReconcile(changes: subs.ReconcileChanges, nowIso: string): Promise<SubscriptionRow[]> {
    this.ctx.storage.transactionSync(() => subs.applyReconcile(this.sql, changes, nowIso));
    await this.mirror();
    return this.listSubscriptions(true);
  }

  // ---- replay jobs (SQL in registry-replay.ts) ----------------------------------------------

  /**
   * Record a job X accepted, in one transaction with its gaps: `gapId` (revalidation's gap, or
   * null) and every closed gap of the job's webhook lying entirely inside its window become
   * `requested` with the job's id, so revalidation cannot request a second Replay for them.
   * The returned row's `gap_ids` lists them.
   */
  async createReplayJob(job: NewReplayJob, gapId: number | null): Promise<ReplayJobRow> {
    const row = this.ctx.storage.transactionSync(() => replay.insertReplayJob(this.sql, job, gapId));
    await this.mirror();
    return row;
  }

  listReplayJobs(): ReplayJobRow[] {
    return replay.listReplayJobs(this.sql);
  }

  /** The job X is (as far as we know) still running, which blocks another request. */
  openReplayJob(nowMs: number): ReplayJobRow | null {
    return replay.openReplayJob(this.sql, nowMs);
  }

  /**
   * From X's `replay_job_status`: closes the job and moves its gaps to done / failed, in one
   * transaction. Idempotent: a closed job stays as first closed.
   */
  async closeReplayJob(jobId: string, state: "Complete" | "Incomplete", description: string | null, nowIso: string): Promise<boolean> {
    const closed = this.ctx.storage.transactionSync(() => replay.closeReplayJob(this.sql, jobId, state, description, nowIso));
    if (closed) await this.mirror();
    return closed;
  }

  // ---- Sign in with X ---------------------------------------------------------------------

  putOAuthRequest(row: OAuthRequestRow, nowMs: number): void {
    oauth.putOAuthRequest(this.sql, row, nowMs);
  }

  /** Single use and bound to the browser that started it (registry-oauth.ts). */
  takeOAuthRequest(oauthToken: string, browserHash: string, nowMs: number): OAuthRequestRow | OAuthTakeRefusal {
    return oauth.takeOAuthRequest(this.sql, oauthToken, browserHash, nowMs);
  }

  /** Hold an invite for one sign-in flow; false when used up or held by another flow. */
  claimInvite(inviteId: string, claimId: string, holdUntilMs: number, nowMs: number): boolean {
    return oauth.claimInvite(this.sql, inviteId, claimId, holdUntilMs, nowMs);
  }

  /** The flow that claimed the invite failed before completing: give it back. */
  releaseInvite(inviteId: string, claimId: string): boolean {
    return oauth.releaseInvite(this.sql, inviteId, claimId);
  }

  /** The flow completed: the invite is used up. */
  completeInvite(inviteId: string, usedUntilMs: number, nowMs: number): boolean {
    return oauth.completeInvite(this.sql, inviteId, usedUntilMs, nowMs);
  }

  // ---- meta (rate limits, last revalidation) ---------------------------------------------

  getMeta(key: string): string | null {
    const r = this.sql.exec("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return r ? String(r.value) : null;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  /**
   * The ingest consumer's "last delivery" telemetry (pipeline/last-delivery.ts), merged newest-wins
   * in the object (one atomic step) so a late or retried batch never moves it back.
   */
  recordLastDelivery(value: LastDelivery): LastDelivery {
    const merged = mergeLastDelivery(this.lastDelivery(), value) ?? value;
    this.setMeta(LAST_DELIVERY_META, JSON.stringify(merged));
    return merged;
  }

  /** Refused webhook signatures (webhook/signature-failures.ts): merge one isolate's batch, atomically. */
  recordSignatureFailures(batch: SignatureFailureBatch): SignatureFailureStats {
    const merged = mergeSignatureFailures(this.signatureFailures(), batch);
    this.setMeta(SIGNATURE_FAILURES_META, JSON.stringify(merged));
    return merged;
  }

  signatureFailures(): SignatureFailureStats | null {
    return parseSignatureFailures(this.getMeta(SIGNATURE_FAILURES_META));
  }

  lastDelivery(): LastDelivery | null {
    const raw = this.getMeta(LAST_DELIVERY_META);
    if (raw === null) return null;
    const v = JSON.parse(raw) as Partial<LastDelivery>;
    return typeof v.at === "string" ? { at: v.at, event_created_at: typeof v.event_created_at === "string" ? v.event_created_at : null } : null;
  }

  // ---- KV mirror --------------------------------------------------------------------------

  /** Set by a deferred write for when the key may be written again: flush what changed. */
  override async alarm(): Promise<void> {
    await this.mirror(true);
  }

  private activeCount(): number {
    return subs.activeCount(this.sql);
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

