/**
 * The cron run's silence check: for each app with the alert enabled (`SILENCE_ALERT_HOURS`, or
 * the app's own `silence_alert_hours`), read its Registry (subscriptions, webhook, the last
 * delivery the ingest consumer recorded, the last silence alert), let the pure policy decide
 * (silence-policy.ts) and raise one `deliveries_silent` alert. Apps with it off cost nothing (no
 * Registry call). One app's failure does not stop the others; the run reports it at the end.
 */
import type { AppConfig, Config } from "../config.ts";
import { getConfig } from "../config.ts";
import { registryFor } from "../state/registry.ts";
import { raiseAlert } from "./alert.ts";
import { settingsFrom } from "./revalidate-policy.ts";
import { decideSilence, silenceAlertCause, silenceAlertMessage, type SilenceSkip } from "./silence-policy.ts";

/** Registry meta key: when the silence alert was last raised (ISO), the throttle's state. */
export const SILENCE_ALERT_META = "alert:deliveries_silent";

export interface SilenceCheckOutcome {
  app: string;
  alerted: boolean;
  /** Why no alert; null when alerted. */
  reason: SilenceSkip | null;
  last_delivery_at: string | null;
  silent_since: string | null;
}

export interface SilenceCheckDeps {
  now: () => number;
  /** The alert POST; tests inject a recorder (no HTTP receiver can run inside workerd). */
  fetcher?: typeof fetch;
}

/** The app's threshold: its own setting when present (null = off for it), else the deployment's. */
export function silenceThreshold(config: Pick<Config, "silenceAlertHours">, app: Pick<AppConfig, "silenceAlertHours">): number | null {
  return app.silenceAlertHours === undefined ? config.silenceAlertHours : app.silenceAlertHours;
}

async function checkApp(env: Env, config: Config, app: AppConfig, threshold: number, deps: SilenceCheckDeps): Promise<SilenceCheckOutcome> {
  const nowMs = deps.now();
  const at = new Date(nowMs).toISOString();
  const registry = registryFor(env, app.name);
  const [health, subs, last, lastAlertAt] = await Promise.all([
    registry.health(nowMs), registry.listSubscriptions(), registry.lastDelivery(), registry.getMeta(SILENCE_ALERT_META),
  ]);
  const earliest = subs.map((s) => s.subscribed_at).sort()[0] ?? null;
  const lastDeliveryAt = last?.at ?? null;
  const d = decideSilence({
    thresholdHours: threshold,
    activeSubscriptions: health.subscription_count,
    earliestSubscribedAt: earliest,
    webhookValid: health.webhook === null ? null : health.webhook.valid,
    lastDeliveryAt,
    lastAlertAt,
    nowMs,
    alertRepeatMs: settingsFrom(config).alertRepeatMs,
  });
  const outcome = { app: app.name, last_delivery_at: lastDeliveryAt, silent_since: d.silentSince };
  if (!d.alert) return { ...outcome, alerted: false, reason: d.reason };
  const w = health.webhook!;
  await raiseAlert(
    {
      app: app.name,
      problem: "deliveries_silent",
      message: silenceAlertMessage(app.name, lastDeliveryAt, d, threshold),
      cause: silenceAlertCause(app.name),
      webhook_id: w.id,
      webhook_url: w.url,
      at,
    },
    config.alertUrl,
    deps.fetcher,
  );
  // After the alert: a failure in between alerts again next run rather than never.
  await registry.setMeta(SILENCE_ALERT_META, at);
  return { ...outcome, alerted: true, reason: null };
}

export async function checkSilence(env: Env, deps: SilenceCheckDeps = { now: () => Date.now() }): Promise<SilenceCheckOutcome[]> {
  const config = getConfig(env);
  const outcomes: SilenceCheckOutcome[] = [];
  const failures: unknown[] = [];
  for (const app of config.apps.values()) {
    const threshold = silenceThreshold(config, app);
    if (threshold === null) continue;
    try {
      outcomes.push(await checkApp(env, config, app, threshold, deps));
    } catch (err) {
      failures.push(err);
      console.error(JSON.stringify({ msg: "silence check failed", app: app.name, error: err instanceof Error ? `${err.name}: ${err.message}` : "unknown" }));
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `silence check failed for ${failures.length} app(s)`);
  return outcomes;
}
