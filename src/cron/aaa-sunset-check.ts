/**
 * The cron run's AAA end-of-life warning: for each app on an AAA flavour, read its Registry
 * (how many users it holds AAA subscriptions for, when it last warned), let the pure policy
 * decide (aaa-sunset-policy.ts) and raise one `aaa_end_of_life` alert. Apps on `xaa` cost
 * nothing. One app's failure does not stop the others; the run reports it at the end.
 */
import type { AppConfig, Config } from "../config.ts";
import { getConfig } from "../config.ts";
import { registryFor } from "../state/registry.ts";
import { raiseAlert } from "./alert.ts";
import { aaaSunsetCause, aaaSunsetMessage, decideAaaSunset, isAaaFlavour, type AaaSunsetSkip } from "./aaa-sunset-policy.ts";
import { settingsFrom } from "./revalidate-policy.ts";

/** Registry meta key: when the warning was last raised (ISO), the throttle's state. */
export const AAA_SUNSET_ALERT_META = "alert:aaa_end_of_life";

export interface AaaSunsetOutcome {
  app: string;
  alerted: boolean;
  reason: AaaSunsetSkip | null;
  aaa_subscriptions: number;
}

export interface AaaSunsetDeps {
  now: () => number;
  /** The alert POST; tests inject a recorder. */
  fetcher?: typeof fetch;
}

async function checkApp(env: Env, config: Config, app: AppConfig, deps: AaaSunsetDeps): Promise<AaaSunsetOutcome> {
  const nowMs = deps.now();
  const registry = registryFor(env, app.name);
  const [health, lastAlertAt] = await Promise.all([registry.health(nowMs), registry.getMeta(AAA_SUNSET_ALERT_META)]);
  const count = health.subscription_count;
  const d = decideAaaSunset({ flavour: app.flavour, aaaSubscriptions: count, lastAlertAt, nowMs, alertRepeatMs: settingsFrom(config).alertRepeatMs });
  if (!d.alert) return { app: app.name, alerted: false, reason: d.reason, aaa_subscriptions: count };
  const at = new Date(nowMs).toISOString();
  await raiseAlert(
    {
      app: app.name,
      problem: "aaa_end_of_life",
      message: aaaSunsetMessage(app.name, app.flavour, count, d),
      cause: aaaSunsetCause(app.name),
      ...(health.webhook === null ? {} : { webhook_id: health.webhook.id, webhook_url: health.webhook.url }),
      at,
    },
    config.alertUrl,
    deps.fetcher,
  );
  await registry.setMeta(AAA_SUNSET_ALERT_META, at);
  return { app: app.name, alerted: true, reason: null, aaa_subscriptions: count };
}

export async function checkAaaSunset(env: Env, deps: AaaSunsetDeps = { now: () => Date.now() }): Promise<AaaSunsetOutcome[]> {
  const config = getConfig(env);
  const outcomes: AaaSunsetOutcome[] = [];
  const failures: unknown[] = [];
  for (const app of config.apps.values()) {
    if (!isAaaFlavour(app.flavour)) continue;
    try {
      outcomes.push(await checkApp(env, config, app, deps));
    } catch (err) {
      failures.push(err);
      console.error(JSON.stringify({ msg: "AAA end-of-life check failed", app: app.name, error: err instanceof Error ? `${err.name}: ${err.message}` : "unknown" }));
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `AAA end-of-life check failed for ${failures.length} app(s)`);
  return outcomes;
}
