/**
 * XAA reconciliation: compare the app's subscriptions as recorded here with X's list
 * (`GET /2/activity/subscriptions`, every page) and settle the differences:
 * - recorded, active, not at X: X lost it: re-create it the way it was made (same type, user,
 *   direction, tag, webhook; the user's OAuth 2.0 token for a private type) and record the new
 *   id; when it cannot be (no consent, X refuses), mark it `lost_at_x` with the reason;
 * - `lost_at_x` rows are retried the same way on every run;
 * - at X, not recorded: record it as `only_at_x` (created_by "x") so counts against the cap are
 *   true and an operator can see and delete it;
 * - `only_at_x` rows X no longer lists are forgotten;
 * - a subscription (ours, at X) still pointing at a webhook that is no longer the app's current
 *   one (re-registered) is moved to the current webhook (`PUT`, webhook_id and its tag), so its
 *   events keep arriving.
 * When X's list is incomplete (paging stopped), nothing is re-created or forgotten: a missing page
 * must not look like lost subscriptions. Called by the cron and by the admin API.
 */
import type { XaaSubscriptionRow } from "../state/registry-xaa-schema.ts";
import { XApiError } from "../x-api/errors.ts";
import { canonicalEventType, isPrivateEventType } from "../x-api/xaa-event-types.ts";
import type { XaaCreateInput } from "../x-api/xaa-types.ts";
import type { AppContext, XaaClients } from "./context.ts";
import { userAccessToken } from "./oauth2-tokens.ts";
import { xaaSettings } from "./xaa-profiles.ts";
import { summarise, type XaaErrorSummary } from "./xaa-subscriptions.ts";

export interface XaaReconcileOutcome {
  at: string;
  /** False when X's list could not be read whole: nothing was re-created or forgotten. */
  complete: boolean;
  at_x: number;
  recorded: number;
  recreated: { old_id: string; new_id: string; event_type: string; user_id: string | null }[];
  /** Moved to the app's current webhook. */
  retargeted: string[];
  lost: { subscription_id: string; event_type: string; user_id: string | null; why: string }[];
  only_at_x: string[];
  forgotten: string[];
  error: XaaErrorSummary | null;
}

const STOPPERS = new Set(["rate_limited", "network", "missing_credential"]);

export async function reconcileXaa(ctx: AppContext, x: XaaClients): Promise<XaaReconcileOutcome> {
  xaaSettings(ctx.app);
  const nowIso = new Date(ctx.deps.now()).toISOString();
  const out: XaaReconcileOutcome = { at: nowIso, complete: false, at_x: 0, recorded: 0, recreated: [], retargeted: [], lost: [], only_at_x: [], forgotten: [], error: null };
  let list;
  try {
    list = await x.xaa.listAllSubscriptions();
  } catch (err) {
    out.error = summarise(err);
    return out;
  }
  out.complete = list.complete;
  out.at_x = list.subscriptions.length;
  const atX = new Map(list.subscriptions.map((s) => [s.subscription_id, s]));
  const recorded = await ctx.registry.listXaaSubscriptions();
  out.recorded = recorded.length;
  const known = new Set(recorded.map((r) => r.subscription_id));

  // At X only: record (always safe, even from an incomplete list).
  const newcomers: XaaSubscriptionRow[] = [];
  for (const s of list.subscriptions) {
    if (known.has(s.subscription_id)) continue;
    newcomers.push({
      subscription_id: s.subscription_id, user_id: s.filter.user_id ?? null, event_type: s.event_type, direction: s.filter.direction ?? null,
      tag: s.tag, webhook_id: s.webhook_id, profile: null, created_by: "x", status: "only_at_x", status_at: nowIso, created_at: s.created_at ?? nowIso,
    });
    out.only_at_x.push(s.subscription_id);
  }
  if (newcomers.length > 0) await ctx.registry.recordXaaSubscriptions(newcomers);

  // A lost_at_x row X lists again (made at X by hand, or X restored it) is active again.
  const back = recorded.filter((r) => r.status === "lost_at_x" && atX.has(r.subscription_id)).map((r) => r.subscription_id);
  if (back.length > 0) await ctx.registry.setXaaSubscriptionStatus(back, "active", nowIso);
  if (!list.complete) return out;

  const gone = recorded.filter((r) => r.status === "only_at_x" && !atX.has(r.subscription_id)).map((r) => r.subscription_id);
  if (gone.length > 0) {
    await ctx.registry.removeXaaSubscriptions(gone);
    out.forgotten.push(...gone);
  }

  const current = (await ctx.registry.currentWebhook())?.id ?? null;
  if (current !== null) {
    for (const r of recorded) {
      const theirs = atX.get(r.subscription_id);
      // X's list may leave webhook_id out (the quickstart's does): then our record says where it points.
      if (out.error !== null || r.status !== "active" || theirs === undefined || (theirs.webhook_id ?? r.webhook_id) === current) continue;
      try {
        const input: { webhook_id: string; tag?: string } = { webhook_id: current };
        if (theirs.tag !== null) input.tag = theirs.tag;
        const { subscription } = await x.xaa.updateSubscription(r.subscription_id, input);
        await ctx.registry.recordXaaSubscriptions([{ ...r, webhook_id: subscription.webhook_id ?? current, tag: subscription.tag, status_at: nowIso }]);
        out.retargeted.push(r.subscription_id);
      } catch (err) {
        if (err instanceof XApiError && STOPPERS.has(err.kind)) out.error = summarise(err);
        else console.warn(JSON.stringify({ msg: "XAA subscription not moved to the current webhook", app: ctx.app.name, subscription_id: r.subscription_id, ...summarise(err) }));
      }
    }
  }

  const missing = recorded.filter((r) => (r.status === "active" || r.status === "lost_at_x") && !atX.has(r.subscription_id));
  for (const r of missing) {
    if (out.error !== null) break;
    const type = canonicalEventType(r.event_type);
    // Re-created on the app's current webhook (the one it had may have been replaced since).
    const input: XaaCreateInput = { event_type: r.event_type, filter: {}, webhook_id: current ?? r.webhook_id ?? "" };
    if (r.user_id !== null) input.filter.user_id = r.user_id;
    if (r.direction !== null) input.filter.direction = r.direction;
    if (r.tag !== null) input.tag = r.tag;
    const lose = async (why: string) => {
      if (r.status !== "lost_at_x") await ctx.registry.setXaaSubscriptionStatus([r.subscription_id], "lost_at_x", nowIso);
      out.lost.push({ subscription_id: r.subscription_id, event_type: r.event_type, user_id: r.user_id, why });
    };
    if (input.webhook_id === "") {
      await lose("no webhook to deliver to: register one");
      continue;
    }
    // Already made again at X (by hand, or by a run whose answer was lost): adopt it.
    const twin = newcomers.find((n) => n.event_type === r.event_type && n.user_id === r.user_id && n.direction === r.direction && (n.webhook_id === null || n.webhook_id === input.webhook_id));
    if (twin !== undefined) {
      newcomers.splice(newcomers.indexOf(twin), 1);
      out.only_at_x.splice(out.only_at_x.indexOf(twin.subscription_id), 1);
      await ctx.registry.removeXaaSubscriptions([r.subscription_id]);
      await ctx.registry.recordXaaSubscriptions([{ ...r, subscription_id: twin.subscription_id, webhook_id: twin.webhook_id ?? input.webhook_id, status: "active", status_at: nowIso }]);
      out.recreated.push({ old_id: r.subscription_id, new_id: twin.subscription_id, event_type: r.event_type, user_id: r.user_id });
      continue;
    }
    let caller: { kind: "app" } | { kind: "user"; accessToken: string } = { kind: "app" };
    if (type !== null && isPrivateEventType(type)) {
      const access = r.user_id === null ? null : await userAccessToken(ctx, x, r.user_id);
      if (access === null || access.kind !== "ok") {
        await lose(access?.kind === "consent_needed" ? access.reason : "no OAuth 2.0 grant to re-create this private subscription with: the user must sign in again");
        continue;
      }
      caller = { kind: "user", accessToken: access.accessToken };
    }
    try {
      const { subscription } = await x.xaa.createSubscription(input, caller);
      await ctx.registry.removeXaaSubscriptions([r.subscription_id]);
      await ctx.registry.recordXaaSubscriptions([{ ...r, subscription_id: subscription.subscription_id, webhook_id: input.webhook_id, created_by: "reconcile", status: "active", status_at: nowIso, created_at: nowIso }]);
      out.recreated.push({ old_id: r.subscription_id, new_id: subscription.subscription_id, event_type: r.event_type, user_id: r.user_id });
    } catch (err) {
      const s = summarise(err);
      if (err instanceof XApiError && STOPPERS.has(err.kind)) out.error = s;
      else await lose(`X refused to re-create it: ${s.kind}${s.reason === null ? "" : ` (${s.reason})`}`);
    }
  }
  return out;
}
