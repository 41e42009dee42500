/**
 * The cron trigger (wrangler.toml `[triggers] crons`): revalidate every configured app's
 * webhook, one after another (each app has its own Registry and rate limits), then one
 * deployment-wide check for new dead letters (dead-letter-check.ts). One app's unexpected
 * failure does not stop the others or the dead-letter check; it is logged, and the run is
 * reported as failed at the end so the Workers dashboard shows it.
 */
import { appContext, defaultDeps, type ControlDeps } from "../control/context.ts";
import { getConfig } from "../config.ts";
import { checkAaaSunset, type AaaSunsetOutcome } from "./aaa-sunset-check.ts";
import { checkDeadLetters, type DeadLetterCheckOutcome } from "./dead-letter-check.ts";
import { checkPipeline, type PipelineCheckOutcome } from "./pipeline-check.ts";
import { revalidateApp, type RevalidationOutcome } from "./revalidate.ts";
import { reconcileAfterRevalidation } from "./reconcile.ts";
import { runXaaPass } from "./reconcile-xaa.ts";
import { reconcileSettingsFrom } from "./reconcile-policy.ts";
import { settingsFrom } from "./revalidate-policy.ts";
import { checkSilence, type SilenceCheckOutcome } from "./silence-check.ts";

export async function revalidateAll(env: Env, deps: ControlDeps = defaultDeps): Promise<RevalidationOutcome[]> {
  const config = getConfig(env);
  const settings = settingsFrom(config);
  const outcomes: RevalidationOutcome[] = [];
  const failures: unknown[] = [];
  for (const app of config.apps.values()) {
    try {
      const ctx = appContext(env, config, app, deps);
      const outcome = await revalidateApp(ctx, settings);
      outcomes.push(outcome);
      // After revalidation, only with a valid webhook: reconciliation never starves it (reconcile.ts).
      // XAA apps: grant refresh, revoked users' subscriptions, XAA reconciliation (reconcile-xaa.ts).
      if (app.flavour === "xaa" && app.xaa !== undefined) {
        const xaa = await runXaaPass(ctx, config);
        console.log(JSON.stringify({ msg: "xaa pass", app: app.name, refreshed: xaa.refresh.refreshed.length, consent_needed: xaa.refresh.consent_needed, revoked_deleted: xaa.revoked.deleted.length, reconcile: xaa.reconcile === null ? null : { recreated: xaa.reconcile.recreated.length, lost: xaa.reconcile.lost.length, only_at_x: xaa.reconcile.only_at_x.length, error: xaa.reconcile.error?.kind ?? null } }));
      } else {
        await reconcileAfterRevalidation(ctx, outcome, reconcileSettingsFrom(config));
      }
    } catch (err) {
      failures.push(err);
      console.error(JSON.stringify({ msg: "revalidation failed", app: app.name, error: err instanceof Error ? `${err.name}: ${err.message}` : "unknown" }));
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `revalidation failed for ${failures.length} app(s)`);
  return outcomes;
}

export async function runScheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  let outcomes: RevalidationOutcome[] = [];
  let failure: unknown = null;
  try {
    outcomes = await revalidateAll(env);
  } catch (err) {
    failure = err;
  }
  let deadLetters: DeadLetterCheckOutcome | null = null;
  try {
    deadLetters = await checkDeadLetters(env);
  } catch (err) {
    failure ??= err;
    console.error(JSON.stringify({ msg: "dead-letter check failed", error: err instanceof Error ? `${err.name}: ${err.message}` : "unknown" }));
  }
  // Apps silent for longer than SILENCE_ALERT_HOURS (off by default); it logs its own failures.
  let silence: SilenceCheckOutcome[] = [];
  try {
    silence = await checkSilence(env);
  } catch (err) {
    failure ??= err;
  }
  // Queue backlogs and the forward destination's circuit (PIPELINE_LAG_ALERT_MINUTES; 0 = off).
  let pipeline: PipelineCheckOutcome | null = null;
  try {
    pipeline = await checkPipeline(env);
  } catch (err) {
    failure ??= err;
    console.error(JSON.stringify({ msg: "pipeline check failed", error: err instanceof Error ? `${err.name}: ${err.message}` : "unknown" }));
  }
  // Apps still on AAA, from 30 days before X switches it off (aaa-sunset-policy.ts).
  let aaaSunset: AaaSunsetOutcome[] = [];
  try {
    aaaSunset = await checkAaaSunset(env);
  } catch (err) {
    failure ??= err;
  }
  console.log(JSON.stringify({
    msg: "scheduled revalidation done",
    cron: controller.cron,
    ok: failure === null,
    apps: outcomes.map((o) => ({ app: o.app, status: o.status })),
    dead_letters: deadLetters,
    silence,
    pipeline,
    aaa_end_of_life: aaaSunset,
  }));
  if (failure !== null) throw failure;
}
