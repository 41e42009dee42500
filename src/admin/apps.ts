/**
 * GET /admin/apps and GET /admin/apps/:app: each app's health from its Registry plus the last
 * CRC X sent (the hot path's KV record), when it last received a delivery, and which management credentials are configured
 * (names only: never values).
 */
import type { AppConfig } from "../config.ts";
import { replaySupported } from "../cron/revalidate-policy.ts";
import { silenceThreshold } from "../cron/silence-check.ts";
import { refusalsSeen } from "../cron/signature-check.ts";
import { refusalState } from "../cron/signature-policy.ts";
import { readCrcLast } from "../state/kv-mirror.ts";
import type { AppContext } from "./context.ts";

export async function appHealth(ctx: AppContext): Promise<Record<string, unknown>> {
  const nowMs = ctx.deps.now();
  const [health, crc, delivery, refusals] = await Promise.all([
    ctx.registry.health(nowMs), readCrcLast(ctx.env.STATE_KV, ctx.app.name), ctx.registry.lastDelivery(), refusalsSeen(ctx),
  ]);
  const w = health.webhook;
  const lastCrc = crc?.at && (!w?.last_crc_at || crc.at > w.last_crc_at) ? crc.at : (w?.last_crc_at ?? null);
  return {
    app: ctx.app.name,
    flavour: ctx.app.flavour,
    credentials: credentialNames(ctx.app),
    replay_supported: replaySupported(ctx.app.flavour),
    webhook: w && {
      id: w.id,
      url: w.url,
      valid: w.valid,
      invalid_since: w.invalid_since,
      last_crc_at: lastCrc,
      last_recheck_at: w.last_recheck_at,
      last_recheck_result: w.last_recheck_result,
      last_recheck_error: w.last_recheck_error,
    },
    last_crc_from_x: lastCrc,
    // Recorded by the ingest consumer at most once a minute (pipeline/last-delivery.ts): may lag ~1 min.
    last_delivery_at: delivery?.at ?? null,
    last_event_created_at: delivery?.event_created_at ?? null,
    // X's requests this receiver refused (bad signature): totals by reason, the current streak, and
    // whether it is refusing now (no accepted delivery since). Written at most once a minute per
    // isolate (webhook/signature-failures.ts), so it may lag by about a minute.
    signature_failures: refusals === null ? null : { ...refusals, refusing_now: refusalState(refusals, delivery?.at ?? null, nowMs).refusing },
    silence_alert_hours: silenceThreshold(ctx.config, ctx.app),
    subscription_count: health.subscription_count,
    open_replay_job: health.open_replay_job,
    open_gap: health.open_gap,
    last_revalidation: health.last_revalidation_json === null ? null : (JSON.parse(health.last_revalidation_json) as unknown),
    last_reconcile: health.last_reconcile_json === null ? null : (JSON.parse(health.last_reconcile_json) as unknown),
  };
}

function credentialNames(app: AppConfig): Record<string, boolean> {
  const c = app.credentials;
  return {
    consumer_key: c.consumerKey !== undefined,
    access_token: c.accessToken !== undefined && c.accessTokenSecret !== undefined,
    bearer_token: c.bearerToken !== undefined,
  };
}
