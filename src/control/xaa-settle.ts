/**
 * Settle an XAA app with X in one pass: refresh the OAuth 2.0 grants that expire within two cron
 * runs, delete at X the subscriptions of users who revoked the app (`oauth.revoke`), and, when
 * asked, reconcile the recorded subscriptions with X's list. The cron runs it every time (with
 * the reconciliation every SUBSCRIPTION_RECONCILE_HOURS, src/cron/reconcile-xaa.ts); the admin
 * API's `POST .../xaa/reconcile` runs it whole, now.
 */
import { REFRESH_AHEAD_MS } from "../x-api/oauth2.ts";
import { withXaa, type AppContext } from "./context.ts";
import { refreshExpiringGrants, type RefreshOutcome } from "./oauth2-tokens.ts";
import { reconcileXaa, type XaaReconcileOutcome } from "./xaa-reconcile.ts";
import { xaaSettings } from "./xaa-profiles.ts";
import { purgeRevoked, type DeleteOutcome } from "./xaa-subscriptions.ts";

/** Grants refreshed per app and pass at most (each is one token call). */
const MAX_REFRESH_PER_PASS = 200;

export interface XaaSettleOutcome {
  app: string;
  refresh: RefreshOutcome;
  revoked: DeleteOutcome;
  /** Null when not asked for, or the app has no bearer token (X's list needs it). */
  reconcile: XaaReconcileOutcome | null;
}

export async function settleXaa(ctx: AppContext, opts: { reconcile: boolean }): Promise<XaaSettleOutcome> {
  xaaSettings(ctx.app);
  return withXaa(ctx, async (x) => {
    const refresh = await refreshExpiringGrants(ctx, x, REFRESH_AHEAD_MS, MAX_REFRESH_PER_PASS);
    const revoked = await purgeRevoked(ctx, x);
    const reconcile = opts.reconcile && ctx.app.credentials.bearerToken ? await reconcileXaa(ctx, x) : null;
    return { app: ctx.app.name, refresh, revoked, reconcile };
  });
}
