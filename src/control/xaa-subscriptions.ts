/**
 * XAA subscriptions per user, by profile: the core the admin API, Sign in with X (OAuth 2.0),
 * the cron and the AAA→XAA migration all call. See docs/operations.md "XAA subscriptions".
 *
 * - `subscribeUser`: one XAA subscription per event type of a profile, on the app's current
 *   webhook; public types with the app's bearer, private ones with the user's OAuth 2.0 token
 *   (refreshed first if due). Each subscription id is recorded in the Registry. Types the user's
 *   consent does not cover are reported, not attempted; types past the tier's cap are refused
 *   before X is asked. Idempotent: a type already recorded (or one X says is a duplicate, found
 *   in X's list) is reported `existing`, never created twice.
 * - `unsubscribeUser`: deletes the user's subscriptions at X (100 per call) and forgets those X
 *   deleted or no longer has; the rest are reported with X's reason and kept.
 * - `purgeRevoked`: the same for subscriptions an `oauth.revoke` marked (cron).
 * - `ensureRevokeSubscription`: the app-level `oauth.revoke` subscription (empty filter).
 *
 * Stops at the first rate-limit, network or missing-credential failure (every later call would
 * fail the same way and burn X's 500-per-15-minutes window); the types not tried say so.
 */
import type { XaaProfile } from "../config-xaa.ts";
import { HttpError } from "../http/errors.ts";
import type { XaaCounts, XaaSubscriptionRow } from "../state/registry-xaa-schema.ts";
import { XApiError } from "../x-api/errors.ts";
import { acceptsDirection, isPrivateEventType, requiredScope, type XaaEventType } from "../x-api/xaa-event-types.ts";
import { chunkIds } from "../x-api/xaa.ts";
import type { XaaCreateInput, XaaSubscription } from "../x-api/xaa-types.ts";
import type { AppContext, XaaClients } from "./context.ts";
import { userAccessToken, type UserAccess } from "./oauth2-tokens.ts";
import { xaaSettings } from "./xaa-profiles.ts";

export interface XaaErrorSummary {
  kind: string;
  reason: string | null;
  message: string;
  fix: string;
}

export type TypeOutcome =
  | { event_type: XaaEventType; status: "created" | "existing"; subscription_id: string }
  | { event_type: XaaEventType; status: "not_covered"; scope: string; why: string }
  | { event_type: XaaEventType; status: "over_cap" | "failed" | "not_tried"; error: XaaErrorSummary };

export interface CapCounts extends XaaCounts {
  cap: number;
  tier: string;
  remaining: number;
}

export interface SubscribeOutcome {
  user_id: string;
  profile: string;
  webhook_id: string;
  /** The user's OAuth 2.0 state (only looked at when the profile has private types; else "not_needed"). */
  consent: UserAccess["kind"] | "not_needed";
  types: TypeOutcome[];
  /** The private types the user's consent does not cover: ask them to sign in again for these. */
  not_covered: XaaEventType[];
  revoke_subscription: "created" | "existing" | "failed";
  counts: CapCounts;
}

const USER_ID = /^[0-9]{1,19}$/;
/** Meta key: when X last refused the app-level oauth.revoke subscription as invalid. */
export const REVOKE_REFUSED_META = "xaa_revoke_refused_at";
const REVOKE_RETRY_MS = 24 * 3_600_000;
const STOPPERS = new Set(["rate_limited", "network", "missing_credential"]);

export function summarise(err: unknown): XaaErrorSummary {
  if (err instanceof XApiError) return { kind: err.kind, reason: err.reason ?? null, message: err.xMessage, fix: err.fix };
  return { kind: "unexpected", reason: null, message: "unexpected error (logged)", fix: "Retry; if it persists, check the Worker's logs." };
}

export async function capCounts(ctx: AppContext): Promise<CapCounts> {
  const s = xaaSettings(ctx.app);
  const c = await ctx.registry.xaaCounts();
  return { ...c, cap: s.cap, tier: s.tier, remaining: Math.max(0, s.cap - c.total) };
}

async function currentWebhookId(ctx: AppContext): Promise<string> {
  const hook = await ctx.registry.currentWebhook();
  if (hook === null) throw new HttpError(409, "no_webhook", `App "${ctx.app.name}" has no webhook recorded: register one (POST /admin/apps/${ctx.app.name}/webhooks) before subscribing users.`);
  return hook.id;
}

function row(sub: XaaSubscription, extra: { profile: string | null; created_by: string; nowIso: string }): XaaSubscriptionRow {
  return {
    subscription_id: sub.subscription_id,
    user_id: sub.filter.user_id ?? null,
    event_type: sub.event_type,
    direction: sub.filter.direction ?? null,
    tag: sub.tag,
    webhook_id: sub.webhook_id,
    profile: extra.profile,
    created_by: extra.created_by,
    status: "active",
    status_at: extra.nowIso,
    created_at: extra.nowIso,
  };
}

/** X's list, read once per operation and only when needed (a duplicate to adopt). */
function lazyXList(x: XaaClients): () => Promise<XaaSubscription[]> {
  let list: Promise<XaaSubscription[]> | null = null;
  return () => (list ??= x.xaa.listAllSubscriptions().then((r) => r.subscriptions));
}

const sameSub = (s: XaaSubscription, input: XaaCreateInput): boolean =>
  s.event_type === input.event_type &&
  (s.filter.user_id ?? null) === (input.filter.user_id ?? null) &&
  (s.filter.direction ?? null) === (input.filter.direction ?? null) &&
  (s.webhook_id === null || s.webhook_id === input.webhook_id);

/**
 * The app-level `oauth.revoke` subscription (empty filter) on the webhook, created once. Its
 * failure is reported, never fatal: the user's own subscriptions matter more.
 */
export async function ensureRevokeSubscription(ctx: AppContext, x: XaaClients, webhookId: string): Promise<"created" | "existing" | "failed"> {
  const have = (await ctx.registry.listXaaSubscriptions()).some((r) => r.user_id === null && r.event_type === "oauth.revoke" && r.webhook_id === webhookId && r.status !== "lost_at_x");
  if (have) return "existing";
  // X refused it as invalid not long ago (oauth.revoke is not in every OpenAPI version's enum):
  // do not spend a call of the 500-per-15-minutes window on every subscribe; retry daily.
  const refusedAt = await ctx.registry.getMeta(REVOKE_REFUSED_META);
  if (refusedAt !== null && ctx.deps.now() - Date.parse(refusedAt) < REVOKE_RETRY_MS) return "failed";
  const input: XaaCreateInput = { event_type: "oauth.revoke", filter: {}, webhook_id: webhookId };
  const nowIso = new Date(ctx.deps.now()).toISOString();
  try {
    const { subscription } = await x.xaa.createSubscription(input, { kind: "app" });
    await ctx.registry.recordXaaSubscriptions([row(subscription, { profile: null, created_by: "profile", nowIso })]);
    return "created";
  } catch (err) {
    if (err instanceof XApiError && err.kind === "duplicate_subscription") {
      const found = (await x.xaa.listAllSubscriptions()).subscriptions.find((s) => sameSub(s, input));
      if (found !== undefined) {
        await ctx.registry.recordXaaSubscriptions([row(found, { profile: null, created_by: "x", nowIso })]);
        return "existing";
      }
    }
    if (err instanceof XApiError && err.kind === "invalid_request") await ctx.registry.setMeta(REVOKE_REFUSED_META, nowIso);
    console.warn(JSON.stringify({ msg: "oauth.revoke subscription not created", app: ctx.app.name, ...summarise(err) }));
    return "failed";
  }
}

export async function subscribeUser(ctx: AppContext, x: XaaClients, userId: string, profile: XaaProfile, by: string): Promise<SubscribeOutcome> {
  const settings = xaaSettings(ctx.app);
  if (!USER_ID.test(userId)) throw new HttpError(400, "bad_user_id", "user_id must be an X user id (1-19 digits).");
  const webhookId = await currentWebhookId(ctx);
  const nowIso = new Date(ctx.deps.now()).toISOString();
  const revokeSub = await ensureRevokeSubscription(ctx, x, webhookId);
  const recorded = await ctx.registry.listXaaSubscriptions(userId);
  const access: UserAccess | null = profile.event_types.some(isPrivateEventType) ? await userAccessToken(ctx, x, userId) : null;
  const counts = await ctx.registry.xaaCounts();
  let room = settings.cap - counts.total;
  const xList = lazyXList(x);
  const types: TypeOutcome[] = [];
  let stop: XaaErrorSummary | null = null;

  for (const type of profile.event_types) {
    const direction = profile.direction !== undefined && acceptsDirection(type) ? profile.direction : undefined;
    const have = recorded.find((r) => r.event_type === type && r.direction === (direction ?? null) && r.webhook_id === webhookId && (r.status === "active" || r.status === "only_at_x"));
    if (have !== undefined) {
      types.push({ event_type: type, status: "existing", subscription_id: have.subscription_id });
      continue;
    }
    const scope = requiredScope(type);
    if (scope !== null) {
      if (access === null || access.kind !== "ok") {
        const why = access === null || access.kind === "none" ? "the user has not signed in with OAuth 2.0 for this app" : access.kind === "consent_needed" ? access.reason : "the stored grant opens with neither token key";
        types.push({ event_type: type, status: "not_covered", scope, why });
        continue;
      }
      if (!access.scopes.includes(scope)) {
        types.push({ event_type: type, status: "not_covered", scope, why: `the user did not grant ${scope}` });
        continue;
      }
    }
    if (stop !== null) {
      types.push({ event_type: type, status: "not_tried", error: stop });
      continue;
    }
    if (room <= 0) {
      types.push({ event_type: type, status: "over_cap", error: { kind: "subscription_limit", reason: null, message: `the app has ${counts.total} of its ${settings.cap} subscriptions (${settings.tier})`, fix: summariseCapFix(settings.tier) } });
      continue;
    }
    const input: XaaCreateInput = { event_type: type, filter: { user_id: userId }, webhook_id: webhookId };
    if (direction !== undefined) input.filter.direction = direction;
    if (profile.tag !== undefined) input.tag = profile.tag;
    try {
      const caller = scope !== null && access?.kind === "ok" ? { kind: "user" as const, accessToken: access.accessToken } : { kind: "app" as const };
      const { subscription } = await x.xaa.createSubscription(input, caller);
      await ctx.registry.recordXaaSubscriptions([row(subscription, { profile: profile.name, created_by: by, nowIso })]);
      types.push({ event_type: type, status: "created", subscription_id: subscription.subscription_id });
      room--;
    } catch (err) {
      if (err instanceof XApiError && err.kind === "duplicate_subscription") {
        const found = (await xList()).find((s) => sameSub(s, input));
        if (found !== undefined) {
          await ctx.registry.recordXaaSubscriptions([row(found, { profile: profile.name, created_by: by, nowIso })]);
          types.push({ event_type: type, status: "existing", subscription_id: found.subscription_id });
          continue;
        }
      }
      if (err instanceof XApiError && err.kind === "consent_required" && scope !== null) {
        types.push({ event_type: type, status: "not_covered", scope, why: "X refused the user's token for this type" });
        continue;
      }
      const summary = summarise(err);
      types.push({ event_type: type, status: "failed", error: summary });
      if (STOPPERS.has(summary.kind)) stop = summary;
      if (!(err instanceof XApiError)) console.error(JSON.stringify({ msg: "XAA subscribe failed", app: ctx.app.name, user_id: userId, event_type: type, error: err instanceof Error ? err.name : "unknown" }));
    }
  }

  return {
    user_id: userId,
    profile: profile.name,
    webhook_id: webhookId,
    consent: access === null ? "not_needed" : access.kind,
    types,
    not_covered: types.filter((t) => t.status === "not_covered").map((t) => t.event_type),
    revoke_subscription: revokeSub,
    counts: await capCounts(ctx),
  };
}

function summariseCapFix(tier: string): string {
  return `Delete subscriptions no longer needed, or move the app to a higher tier (APPS xaa_tier; now ${tier}).`;
}

export interface DeleteOutcome {
  deleted: string[];
  /** Kept: X refused to delete them (reason per id), or the call failed. */
  failed: { subscription_id: string; event_type: string | null; error: XaaErrorSummary }[];
}

/**
 * Delete recorded subscriptions at X and forget the ones X deleted or says it does not have.
 * `lost_at_x` rows are not at X: forgotten without a call.
 */
export async function deleteRecorded(ctx: AppContext, x: XaaClients, rows: readonly XaaSubscriptionRow[]): Promise<DeleteOutcome> {
  const out: DeleteOutcome = { deleted: [], failed: [] };
  const lost = rows.filter((r) => r.status === "lost_at_x").map((r) => r.subscription_id);
  if (lost.length > 0) await ctx.registry.removeXaaSubscriptions(lost);
  const typeOf = new Map(rows.map((r) => [r.subscription_id, r.event_type]));
  const atX = rows.filter((r) => r.status !== "lost_at_x").map((r) => r.subscription_id);
  const batches = chunkIds(atX);
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i]!;
    try {
      const res = await x.xaa.deleteSubscriptions(batch);
      const gone = [...res.deleted, ...res.failed.filter((f) => f.kind === "subscription_not_found").map((f) => f.subscription_id)];
      await ctx.registry.removeXaaSubscriptions(gone);
      out.deleted.push(...gone);
      for (const f of res.failed) {
        if (f.kind !== "subscription_not_found") out.failed.push({ subscription_id: f.subscription_id, event_type: typeOf.get(f.subscription_id) ?? null, error: { kind: f.kind, reason: f.reason, message: f.message, fix: f.fix } });
      }
      for (const id of res.unanswered) out.failed.push({ subscription_id: id, event_type: typeOf.get(id) ?? null, error: { kind: "unexpected", reason: null, message: "X's answer did not mention this id", fix: "Retry; reconciliation will settle it." } });
    } catch (err) {
      const error = summarise(err);
      for (const id of batches.slice(i).flat()) out.failed.push({ subscription_id: id, event_type: typeOf.get(id) ?? null, error });
      break;
    }
  }
  return out;
}

/** Delete the user's XAA subscriptions (all, or only `types`) at X and forget them. */
export async function unsubscribeUser(ctx: AppContext, x: XaaClients, userId: string, types?: readonly string[]): Promise<DeleteOutcome & { counts: CapCounts }> {
  xaaSettings(ctx.app);
  if (!USER_ID.test(userId)) throw new HttpError(400, "bad_user_id", "user_id must be an X user id (1-19 digits).");
  const rows = (await ctx.registry.listXaaSubscriptions(userId)).filter((r) => types === undefined || types.includes(r.event_type));
  const out = await deleteRecorded(ctx, x, rows);
  return { ...out, counts: await capCounts(ctx) };
}

/** The cron's pass after `oauth.revoke`s: delete the revoked users' subscriptions at X (500 a run). */
export async function purgeRevoked(ctx: AppContext, x: XaaClients): Promise<DeleteOutcome> {
  const rows = await ctx.registry.xaaSubscriptionsWithStatus("revoked", 500);
  return rows.length === 0 ? { deleted: [], failed: [] } : deleteRecorded(ctx, x, rows);
}
