/**
 * The cron's XAA pass for each XAA app (flavour "xaa"), after revalidation: the core's
 * `settleXaa` (src/control/xaa-settle.ts: grant refresh, revoked users' subscriptions deleted at
 * X) every run, with the XAA reconciliation every SUBSCRIPTION_RECONCILE_HOURS (0: off), like
 * the AAA reconciliation (reconcile.ts). This file only decides when.
 *
 * The AAA "all activity" reconciliation does not run for XAA apps: their users are subscribed
 * per event type through /2/activity/subscriptions, which that list does not show.
 */
import type { Config } from "../config.ts";
import type { AppContext } from "../control/context.ts";
import { settleXaa, type XaaSettleOutcome } from "../control/xaa-settle.ts";

/** Meta key of the last XAA reconciliation (JSON `XaaReconcileOutcome`). */
export const LAST_XAA_RECONCILE_META = "last_xaa_reconcile";

export type XaaCronOutcome = XaaSettleOutcome;

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
  const outcome = await settleXaa(ctx, { reconcile: due });
  // A reconciliation that could not read X's list is retried on the next run, not in N hours.
  if (outcome.reconcile !== null && outcome.reconcile.error === null) {
    await ctx.registry.setMeta(LAST_XAA_RECONCILE_META, JSON.stringify(outcome.reconcile));
  }
  return outcome;
}
