/**
 * Subscription reconciliation of one app: what the cron run (after revalidation) and
 * POST /admin/apps/:app/subscriptions/reconcile both run. Lists X's subscriptions for the app's
 * current webhook, compares them with the Registry, re-subscribes users X dropped with their
 * stored token, removes the ones whose token X rejects (as a revoke does), marks the ones with
 * no token `dropped_at_x`, records users X lists that we do not know (never unsubscribes them),
 * raises one throttled `subscriptions_drifted` alert, and records the outcome in the Registry.
 * Decisions are in reconcile-policy.ts (pure); this file only orchestrates.
 *
 * Rate limits: the list endpoint has its own window (50 / 15 min on v1.1), separate from the
 * webhook endpoints revalidation needs, and the persisted tracker refuses a call it knows
 * would 429; a transient error stops the run with nothing recorded for the remaining users,
 * and the next run comes `retryAfterMs` later instead of a whole interval.
 */
import { openStoredToken, withX, type AppContext } from "../control/context.ts";
import { LAST_RECONCILE_META } from "../state/registry.ts";
import { TokenSealError } from "../state/token-seal.ts";
import { XApiError } from "../x-api/errors.ts";
import type { XApiClient } from "../x-api/types.ts";
import { raiseAlert } from "./alert.ts";
import {
  classifySubscribeFailure,
  decideReconcileRun,
  driftAlertDue,
  driftAlertMessage,
  nextDueAt,
  planReconcile,
  settleRejections,
  type ReconcileSettings,
  type Rejection,
} from "./reconcile-policy.ts";

export interface ReconcileOutcome {
  app: string;
  /**
   * "ok": compared and acted on everything; "stopped": a transient X error stopped it (what was
   * done is recorded, the rest is retried at `next_due_at`); "error": X's list could not be read;
   * not run: "off" (cron disabled), "not_due", "skipped" (no credentials, webhook missing or invalid).
   */
  status: "ok" | "stopped" | "error" | "off" | "not_due" | "skipped";
  detail: string | null;
  checked_at: string;
  webhook_id: string | null;
  at_x: number;
  ours: number;
  resubscribed: string[];
  failed: { user_id: string; reason: string }[];
  removed: string[];
  unknown: string[];
  /** Dropped at X, not tried this run (stopped early or over the per-run cap): tried next run. */
  deferred: string[];
  alerted: boolean;
  next_due_at: string | null;
}

const ALERT_META = "alert:subscriptions_drifted";

function describe(err: XApiError): string {
  return `${err.kind}${err.code === null ? "" : ` (X code ${err.code})`}: ${err.xMessage}`;
}

/** The last recorded outcome, or null. Stored by this module only, so it is trusted JSON. */
export async function lastReconcile(ctx: AppContext): Promise<ReconcileOutcome | null> {
  const raw = await ctx.registry.getMeta(LAST_RECONCILE_META);
  return raw === null ? null : (JSON.parse(raw) as ReconcileOutcome);
}

/**
 * Reconcile one app. `force` (the admin call) runs whatever the interval or the off switch say;
 * the cron passes none. Only runs that called X are recorded as the last outcome.
 */
export async function reconcileApp(ctx: AppContext, settings: ReconcileSettings, opts: { force?: boolean } = {}): Promise<ReconcileOutcome> {
  const nowMs = ctx.deps.now();
  const at = new Date(nowMs).toISOString();
  const { app, registry } = ctx;
  const out: ReconcileOutcome = {
    app: app.name, status: "ok", detail: null, checked_at: at, webhook_id: null, at_x: 0, ours: 0,
    resubscribed: [], failed: [], removed: [], unknown: [], deferred: [], alerted: false, next_due_at: null,
  };
  if (!opts.force) {
    const last = await lastReconcile(ctx);
    const d = decideReconcileRun(last?.next_due_at ?? null, nowMs, settings);
    if (!d.run) return { ...out, status: d.reason, detail: d.reason === "off" ? "SUBSCRIPTION_RECONCILE_HOURS is 0" : null, next_due_at: d.nextDueAt ?? null };
  }
  if (!app.credentials.bearerToken) return { ...out, status: "skipped", detail: "no app-only bearer token (X_BEARER_TOKEN): X's subscription list needs it" };
  const webhook = await registry.currentWebhook();
  if (webhook === null || !webhook.valid) {
    return { ...out, status: "skipped", detail: webhook === null ? "no webhook recorded: register one first" : "the webhook is invalid: revalidation comes first" };
  }
  out.webhook_id = webhook.id;

  try {
    let atX: string[];
    try {
      atX = await withX(ctx, (x) => x.listSubscriptions(webhook.id));
    } catch (err) {
      if (!(err instanceof XApiError)) throw err;
      out.status = "error";
      out.detail = `could not list X's subscriptions: ${describe(err)}`;
      out.next_due_at = nextDueAt(nowMs, false, settings, err.retryAt);
      return out;
    }
    const plan = planReconcile(await registry.listSubscriptions(true), atX);
    out.at_x = plan.atX;
    out.ours = plan.ours;
    out.unknown = plan.unknown;
    for (const id of plan.noToken) out.failed.push({ user_id: id, reason: "no stored token to re-subscribe with (the user must sign in again)" });

    const tries = plan.resubscribe.slice(0, settings.maxResubscribesPerRun);
    out.deferred = plan.resubscribe.slice(settings.maxResubscribesPerRun);
    const rejected: Rejection[] = [];
    const noToken: string[] = [];
    // A holder, not a `let`: assigned inside the callback, which TS's narrowing does not follow.
    const halt: { err: XApiError | null } = { err: null };
    if (tries.length > 0) {
      await withX(ctx, async (x) => {
        for (const [i, userId] of tries.entries()) {
          const result = await resubscribe(ctx, x, webhook.id, userId);
          if (result.kind === "ok") out.resubscribed.push(userId);
          else if (result.kind === "no_token" || result.kind === "unopenable") {
            if (result.kind === "no_token") noToken.push(userId);
            out.failed.push({ user_id: userId, reason: result.reason });
          } else if (result.kind === "rejected") rejected.push({ user_id: userId, reason: `X rejected the stored token: ${describe(result.err)}` });
          else if (result.kind === "failed") out.failed.push({ user_id: userId, reason: describe(result.err) });
          else {
            halt.err = result.err;
            out.deferred = [...tries.slice(i), ...out.deferred];
            return;
          }
        }
      });
    }
    const settled = settleRejections(rejected, out.resubscribed.length);
    out.removed = settled.remove.map((r) => r.user_id);
    out.failed.push(...settled.failed);

    await registry.applyReconcile({
      resubscribed: out.resubscribed,
      dropped: [...plan.noToken, ...noToken],
      removed: settled.remove,
      seenAtX: out.unknown,
    }, at);

    const stopped = halt.err;
    if (stopped !== null) {
      out.status = "stopped";
      out.detail = `stopped on a transient X error, the rest is retried next run: ${describe(stopped)}`;
    } else if (out.deferred.length > 0) {
      out.detail = `${out.deferred.length} left for the next run (at most ${settings.maxResubscribesPerRun} re-subscribes per run)`;
    }
    out.next_due_at = nextDueAt(nowMs, stopped === null && out.deferred.length === 0, settings, stopped?.retryAt);

    const message = driftAlertMessage(app.name, out);
    if (message !== null) {
      const lastAt = await registry.getMeta(ALERT_META);
      if (driftAlertDue(lastAt, nowMs, settings)) {
        await raiseAlert({
          app: app.name, problem: "subscriptions_drifted", message, at, webhook_id: webhook.id, webhook_url: webhook.url,
          cause: "X stopped delivering these users' events without telling us (a clean-up at X, a permission change, or an unsubscribe by another tool). " +
            "Re-subscribed ones deliver again; failed and removed ones need the user to sign in again.",
        }, ctx.config.alertUrl);
        await registry.setMeta(ALERT_META, at);
        out.alerted = true;
      }
    }
    return out;
  } finally {
    if (out.status === "ok" || out.status === "stopped" || out.status === "error") {
      await registry.setMeta(LAST_RECONCILE_META, JSON.stringify(out));
      console.log(JSON.stringify({
        msg: "subscription reconciliation", app: out.app, status: out.status, detail: out.detail, at_x: out.at_x, ours: out.ours,
        resubscribed: out.resubscribed.length, failed: out.failed.length, removed: out.removed.length, unknown: out.unknown.length, deferred: out.deferred.length,
      }));
    }
  }
}

type ResubscribeResult =
  | { kind: "ok" }
  /** No token stored (deleted since the list was read): marked `dropped_at_x`. */
  | { kind: "no_token"; reason: string }
  /** A token is stored but cannot be opened now: failed, kept active, tried again next run. */
  | { kind: "unopenable"; reason: string }
  | { kind: "rejected" | "failed" | "stop"; err: XApiError };

/** Re-subscribe one user with the stored token (opened here, never logged or returned). */
async function resubscribe(ctx: AppContext, x: XApiClient, webhookId: string, userId: string): Promise<ResubscribeResult> {
  if (ctx.config.tokenEncryptionKey === null) {
    const stored = await ctx.registry.getSealedToken(userId);
    if (stored === null) return { kind: "no_token", reason: "no stored token to re-subscribe with (the user must sign in again)" };
    return { kind: "unopenable", reason: "TOKEN_ENCRYPTION_KEY is not set: the stored token cannot be opened" };
  }
  let token;
  try {
    // Opened with the current key or TOKEN_ENCRYPTION_KEY_PREVIOUS (then re-sealed with the current one).
    token = await openStoredToken(ctx, userId);
  } catch (err) {
    if (!(err instanceof TokenSealError)) throw err;
    return { kind: "unopenable", reason: "the stored token opens with neither TOKEN_ENCRYPTION_KEY nor TOKEN_ENCRYPTION_KEY_PREVIOUS: the user must sign in again (or set the key it was sealed with as TOKEN_ENCRYPTION_KEY_PREVIOUS)" };
  }
  if (token === null) return { kind: "no_token", reason: "no stored token to re-subscribe with (the user must sign in again)" };
  try {
    await x.subscribe(webhookId, token);
    return { kind: "ok" };
  } catch (err) {
    if (!(err instanceof XApiError)) throw err;
    const kind = classifySubscribeFailure(err);
    return { kind: kind === "token_rejected" ? "rejected" : kind, err };
  }
}

/**
 * The cron's step after revalidating an app: reconcile only when this run's revalidation saw a
 * valid webhook (a missing or invalid one is revalidation's job, and its X calls come first).
 * Returns null when skipped for that reason. An unexpected error is logged and rethrown, so the
 * cron run is reported failed.
 */
export async function reconcileAfterRevalidation(
  ctx: AppContext,
  revalidation: { webhook: { valid: boolean } | null },
  settings: ReconcileSettings,
): Promise<ReconcileOutcome | null> {
  if (revalidation.webhook?.valid !== true) return null;
  try {
    return await reconcileApp(ctx, settings);
  } catch (err) {
    console.error(JSON.stringify({ msg: "subscription reconciliation failed", app: ctx.app.name, error: err instanceof Error ? `${err.name}: ${err.message}` : "unknown" }));
    throw err;
  }
}
