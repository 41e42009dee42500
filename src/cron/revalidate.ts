/**
 * Revalidation of one app's webhook: what the cron trigger and POST /admin/apps/:app/revalidate
 * both run. Reads X's view (list), records it, triggers a CRC re-check (PUT) when the webhook is
 * invalid or X's CRCs stopped arriving, alerts on failure, and requests a Replay for a period
 * the webhook was down once X allows it, retrying one whose Replay ended Incomplete a bounded
 * number of times and alerting once when it gives up on it. Decisions are in revalidate-policy.ts (pure); this file
 * only orchestrates. Idempotent: the Registry records every step, re-checks are spaced, one
 * Replay job at a time, the rate-limit tracker is persisted and refuses early.
 */
import type { AppContext } from "../control/context.ts";
import { withX } from "../control/context.ts";
import { readCrcLast } from "../state/kv-mirror.ts";
import type { GapRow, WebhookRow } from "../state/registry-schema.ts";
import { XApiError } from "../x-api/errors.ts";
import { raiseAlert, type Alert } from "./alert.ts";
import { diagnoseCrcFailure, refusalsSeen } from "./signature-check.ts";
import { SIGNATURE_ALERT_MESSAGE, describeRefusals, refusalState } from "./signature-policy.ts";
import { secretName } from "../config.ts";
import type { SignatureFailureStats } from "../state/signature-failures.ts";
import { MAX_REPLAY_TRIES, decideRecheck, gapsToGiveUp, planReplay, shouldAlert, type RevalidationSettings, type ReplayPlan } from "./revalidate-policy.ts";

export interface RevalidationOutcome {
  app: string;
  at: string;
  /** `refused`: X lists the webhook valid, but the receiver is refusing X's signatures (never "ok" then). */
  status: "ok" | "rechecked" | "invalid" | "refused" | "skipped" | "no_webhook" | "error";
  detail: string | null;
  webhook: { id: string; url: string; valid: boolean; last_crc_at: string | null } | null;
  recheck: { reason: string; ok: boolean; error: string | null } | null;
  replay: { action: ReplayPlan["kind"]; detail: string | null; job_id: string | null };
  alerts: string[];
  /** The receiver's record of refused signatures for the app (webhook/signature-failures.ts), or null. */
  signature_failures: SignatureFailureStats | null;
}

const LAST_META = "last_revalidation";

/** X errors that say nothing about the webhook itself: record nothing, try next run. */
function transient(err: XApiError): boolean {
  return err.kind === "rate_limited" || err.kind === "network" || err.kind === "missing_credential" || err.status >= 500;
}

function describe(err: unknown): string {
  return err instanceof XApiError ? `${err.kind}${err.code === null ? "" : ` (X code ${err.code})`}: ${err.xMessage}` : "internal error";
}

export async function revalidateApp(ctx: AppContext, settings: RevalidationSettings, opts: { force?: boolean } = {}): Promise<RevalidationOutcome> {
  const nowMs = ctx.deps.now();
  const at = new Date(nowMs).toISOString();
  const { app, registry } = ctx;
  const out: RevalidationOutcome = {
    app: app.name, at, status: "ok", detail: null, webhook: null, recheck: null, replay: { action: "none", detail: null, job_id: null }, alerts: [], signature_failures: null,
  };
  const c = app.credentials;
  if (!c.bearerToken && !(c.consumerKey && c.accessToken && c.accessTokenSecret)) {
    return { ...out, status: "skipped", detail: "no management credentials configured (X_BEARER_TOKEN or X_CONSUMER_KEY + X_ACCESS_TOKEN + X_ACCESS_TOKEN_SECRET)" };
  }
  if (!opts.force) {
    const lastRaw = await registry.getMeta(LAST_META);
    const last = lastRaw === null ? null : (JSON.parse(lastRaw) as RevalidationOutcome);
    if (last !== null && nowMs - Date.parse(last.at) < settings.minRunIntervalMs) return last;
  }

  /** `subject`: throttle per subject (e.g. one gap) instead of per problem. */
  const alert = async (problem: string, message: string, cause: string | null, w?: WebhookRow | null, subject?: string): Promise<void> => {
    const key = subject === undefined ? `alert:${problem}` : `alert:${problem}:${subject}`;
    const lastAt = await registry.getMeta(key);
    if (!shouldAlert(lastAt === null ? null : Date.parse(lastAt), nowMs, settings)) return;
    const a: Alert = { app: app.name, problem, message, cause, at };
    if (w) { a.webhook_id = w.id; a.webhook_url = w.url; }
    await raiseAlert(a, ctx.config.alertUrl);
    await registry.setMeta(key, at);
    out.alerts.push(problem);
  };

  /** Mark a failed gap given_up (final) and alert once for it, naming its window and X's last word. */
  const giveUp = async (gap: GapRow, reason: string, current: WebhookRow): Promise<void> => {
    const last = gap.note ?? "replay job Incomplete (X gave no description)";
    await registry.updateGap(gap.id, "given_up", gap.job_id, `gave up: ${reason}; last: ${last}`);
    await alert(
      "replay_gave_up",
      `Gave up replaying delivery gap ${gap.id} of app ${app.name} (webhook ${gap.webhook_id}, ${gap.from_at} to ${gap.to_at ?? "?"}): ${reason}. ` +
        `Events X sent in that window are missing downstream; replay it by hand (POST /admin/apps/${app.name}/replay) if it is still inside X's lookback.`,
      `X's last description: ${last}`,
      current.id === gap.webhook_id ? current : null,
      String(gap.id),
    );
  };

  try {
    // 1. X's view of the app's webhooks, recorded.
    let list;
    try {
      list = await withX(ctx, (x) => x.listWebhooks());
    } catch (err) {
      if (!(err instanceof XApiError)) throw err;
      out.status = "error";
      out.detail = `could not list webhooks: ${describe(err)}`;
      if (!transient(err)) await alert("list_failed", `Could not read the webhook status of app ${app.name} from X.`, err.fix);
      return out;
    }
    const before = await registry.currentWebhook();
    const rows = await registry.syncWebhooks(list, at);
    let webhook = (app.webhookUrl ? rows.find((r) => r.url === app.webhookUrl) : undefined) ?? rows[0] ?? null;
    if (webhook === null) {
      out.status = "no_webhook";
      out.detail = "X lists no webhook for this app: register one (POST /admin/apps/:app/webhooks)";
      if (before !== null) await alert("webhook_missing", `Webhook ${before.id} of app ${app.name} is no longer listed by X.`, "It was deleted (by another tool or X). Register it again.", before);
      return out;
    }

    // 2. The last CRC X sent, from the hot path's KV record.
    const crc = await readCrcLast(ctx.env.STATE_KV, app.name);
    if (crc !== null) await registry.recordCrcSeen(webhook.id, crc.at, crc.ip);
    const lastCrcAt = crc !== null && (webhook.last_crc_at === null || crc.at > webhook.last_crc_at) ? crc.at : webhook.last_crc_at;

    // 2b. What the receiver itself saw: X's requests refused (a wrong consumer secret) since the
    // last delivery it accepted. X's list can still say valid then; it must not be believed alone.
    const refusals = await refusalsSeen(ctx);
    out.signature_failures = refusals;
    const refusal = refusalState(refusals, (await registry.lastDelivery())?.at ?? null, nowMs);
    // A re-check that passed during this streak already showed the secret matches X's: the
    // refusals are not X's (forged requests), so they do not call for another re-check.
    let refusalsExplained = refusal.refusing && webhook.last_recheck_result === "ok" && webhook.last_recheck_at !== null && webhook.last_recheck_at >= refusals!.streak_started_at;

    // 3. Re-check when invalid, X's CRCs stopped, or the receiver is refusing X's signatures.
    const decision = decideRecheck({ valid: webhook.valid, createdAt: webhook.created_at, lastCrcAt, lastRecheckAt: webhook.last_recheck_at, nowMs, settings, refusing: refusal.refusing && !refusalsExplained });
    if (decision.recheck) {
      try {
        const r = await withX(ctx, (x) => x.recheckWebhook(webhook!.id));
        if (r.valid) await registry.recordCrcSeen(webhook.id, at, null);
        webhook = (await registry.recordRecheck(webhook.id, r.valid, r.valid ? null : "X answered valid: false", at)) ?? webhook;
        out.recheck = { reason: decision.reason, ok: r.valid, error: r.valid ? null : "X answered valid: false" };
        out.status = r.valid ? "rechecked" : "invalid";
        // X's CRC passed with this secret: the refused requests were not signed by X (forged).
        if (r.valid && refusal.refusing) {
          refusalsExplained = true;
          out.detail = `X's CRC passed with the current consumer secret, so it matches X's now; the refused requests came before it was corrected, or were not X's (${describeRefusals(refusals!)})`;
        }
      } catch (caught) {
        if (!(caught instanceof XApiError)) throw caught;
        const err = await diagnoseCrcFailure(ctx, caught, nowMs);
        out.recheck = { reason: decision.reason, ok: false, error: describe(err) };
        if (transient(err)) {
          // Says nothing about the webhook (rate limit, X down): nothing recorded, next run retries.
          out.detail = `re-check not done: ${describe(err)}`;
        } else {
          webhook = (await registry.recordRecheck(webhook.id, false, `${err.kind}: ${err.fix}`, at)) ?? webhook;
          out.status = "invalid";
          await alert("recheck_failed", `CRC re-check of the webhook of app ${app.name} failed (${decision.reason}).`, err.fix, webhook);
        }
      }
    } else if (decision.reason !== null) {
      out.detail = `re-check due (${decision.reason}) but the last one was recent; next after ${decision.deferredUntil ?? "now"}`;
    }
    if (!webhook.valid) {
      if (out.status === "ok") out.status = "invalid";
      await alert("webhook_invalid", `The webhook of app ${app.name} is invalid: X delivers no events until a re-check passes.`,
        webhook.last_recheck_error ?? "X marked it invalid after failed CRC checks: make sure /webhooks/<app> is deployed and answers the CRC GET.", webhook);
    }
    if (refusal.refusing && !refusalsExplained) {
      // Never "ok" while the receiver refuses what X sends, whatever X's list says.
      if (out.status === "ok" || out.status === "rechecked") out.status = webhook.valid ? "refused" : "invalid";
      const seen = describeRefusals(refusals!);
      out.detail = out.detail === null ? `the receiver is refusing X's signatures: ${seen}` : `${out.detail}; the receiver is refusing X's signatures: ${seen}`;
      if (refusal.persisting) {
        const secret = secretName("X_CONSUMER_SECRET", app.name);
        await alert("signature_failures", `${SIGNATURE_ALERT_MESSAGE} (app ${app.name}: ${seen}).`,
          `Set ${secret} to the app's consumer secret (API secret) from X's developer portal (during a rotation, the old one goes in ${secretName("X_CONSUMER_SECRET_PREVIOUS", app.name)}). If the secret is right, someone is sending forged requests to /webhooks/${app.name}.`,
          webhook);
      }
    }
    out.webhook = { id: webhook.id, url: webhook.url, valid: webhook.valid, last_crc_at: lastCrcAt };

    // 4. Replay of a period the webhook was down. A failed Replay is retried (bounded); one out
    // of tries or out of X's lookback is given up, with one alert per gap: its events are missing.
    let gaps = await registry.gaps();
    const giveUps = gapsToGiveUp(app.flavour, gaps, nowMs);
    for (const g of giveUps) await giveUp(gaps.find((x) => x.id === g.gapId)!, g.reason, webhook);
    if (giveUps.length > 0) gaps = await registry.gaps();
    const plan = planReplay({ flavour: app.flavour, gaps, jobOpen: (await registry.openReplayJob(nowMs)) !== null, nowMs });
    out.replay = { action: plan.kind, detail: plan.kind === "wait" || plan.kind === "skip" ? plan.reason : null, job_id: null };
    const retried = plan.kind === "request" ? gaps.find((g) => g.id === plan.gapId && g.state === "failed") : undefined;
    if (plan.kind === "skip") await registry.updateGap(plan.gapId, "skipped", null, plan.reason);
    if (plan.kind === "request") {
      try {
        const job = await withX(ctx, (x) => x.requestReplay(webhook!.id, plan.from, plan.to));
        await registry.createReplayJob({
          job_id: job.job_id, webhook_id: webhook.id, from_date: plan.from.toISOString(), to_date: plan.to.toISOString(), requested_at: at, requested_by: "revalidation",
        }, plan.gapId);
        out.replay.job_id = job.job_id;
        const details = [
          retried ? `retry ${retried.tries + 1} of ${MAX_REPLAY_TRIES} after ${retried.note ?? "an Incomplete replay job"}` : null,
          plan.clipped ? "window clipped to the Replay lookback" : null,
        ].filter((d) => d !== null);
        out.replay.detail = details.length > 0 ? details.join("; ") : null;
      } catch (err) {
        if (!(err instanceof XApiError)) throw err;
        out.replay = { action: "wait", detail: describe(err), job_id: null };
        if (err.kind === "replay_bad_dates" || err.kind === "unsupported") {
          await registry.updateGap(plan.gapId, "skipped", null, describe(err));
          await alert("replay_failed", `Replay of a delivery gap of app ${app.name} was refused; events in it are lost unless replayed by hand.`, err.fix, webhook);
        } else if (!transient(err) && err.kind !== "replay_in_progress") {
          await alert("replay_failed", `Replay request for app ${app.name} failed; it will be retried.`, err.fix, webhook);
        }
      }
    }
    return out;
  } finally {
    await registry.setMeta(LAST_META, JSON.stringify(out));
    console.log(JSON.stringify({ msg: "revalidation", ...out }));
  }
}
