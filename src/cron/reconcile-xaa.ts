/**
 * The cron's XAA pass for each XAA app (flavour "xaa"), after revalidation: refresh OAuth 2.0
 * grants that expire within two cron runs, delete at X the subscriptions of users who revoked
 * the app (`oauth.revoke`), and reconcile the recorded subscriptions with X's list every
 * SUBSCRIPTION_RECONCILE_HOURS (0: off), like the AAA reconciliation (reconcile.ts). All of it
 * is the control-plane core (src/control/); this file only decides when.
 *
 * The AAA "all activity" reconciliation does not run for XAA apps: their users are subscribed
 * per event type through /2/activity/subscriptions, which that list does not show.
 */
import type { Config } from "../config.ts";
import { withXaa, type AppContext } from "../control/context.ts";
import { refreshExpiringGrants, type RefreshOutcome } from "../control/oauth2-tokens.ts";
import { reconcileXaa, type XaaReconcileOutcome } from "../control/xaa-reconcile.ts";
import { purgeRevoked, type DeleteOutcome } from "../control/xaa-subscriptions.ts";
import { REFRESH_AHEAD_MS } from "../x-api/oauth2.ts";

/** Meta key of the last XAA reconciliation (JSON `XaaReconcileOutcome`). */
export const LAST_XAA_RECONCILE_META = "last_xaa_reconcile";
/** Grants refreshed per app and run at most (each is one token call). */
const MAX_REFRESH_PER_RUN = 200;

export interface XaaCronOutcome {
  app: string;
  refresh: RefreshOutcome;
  revoked: DeleteOutcome;
  reconcile: XaaReconcileOutcome | null;
}

/** Whether a reconciliation is due: never run, or the last one is SUBSCRIPTION_RECONCILE_HOURS old. */
export function xaaReconcileDue(lastAtIso: string | null, nowMs: number, hours: number): boolean {
  if (hours === 0) return false;
  if (lastAtIso === null) return true;
  const last = Date.parse(lastAtIso);
  return Number.isNaN(last) || nowMs - last >= hours * 3_600_000;
}

export async function runXaaPass(ctx: AppContext, config: Pick<Config, "subscriptionReconcileHours">, opts: { forceReconcile?: boolean } = {}): Promise<XaaCronOutcome> {
  const raw = await ctx.registry.getMeta(LAST_XAA_RECONCILE_META);
  const last = raw === null ? null : (JSON.parse(raw) as { at?: unknown }).at;
  const due = opts.forceReconcile === true || xaaReconcileDue(typeof last === "string" ? last : null, ctx.deps.now(), config.subscriptionReconcileHours);
  const outcome = await withXaa(ctx, async (x) => {
    const refresh = await refreshExpiringGrants(ctx, x, REFRESH_AHEAD_MS, MAX_REFRESH_PER_RUN);
    const revoked = await purgeRevoked(ctx, x);
    const reconcile = due && ctx.app.credentials.bearerToken ? await reconcileXaa(ctx, x) : null;
    return { app: ctx.app.name, refresh, revoked, reconcile };
  });
  // A reconciliation that could not read X's list is retried on the next run, not in N hours.
  if (outcome.reconcile !== null && outcome.reconcile.error === null) {
    await ctx.registry.setMeta(LAST_XAA_RECONCILE_META, JSON.stringify(outcome.reconcile));
  }
  return outcome;
}
