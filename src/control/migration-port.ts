/**
 * The migration's `MigrationPort` over the control plane: X's XAA list and the XAA client for
 * subscriptions (the app keeps its AAA flavour while it moves, so this calls the XAA client
 * directly rather than the profile code, which is for `xaa` apps), the AAA helpers for who is
 * still on AAA and to remove them, and the Registry for OAuth 2.0 grants and the XAA rows.
 *
 * The users of a migration are everyone X lists on AAA now, everyone the Registry holds an AAA
 * subscription for, and everyone an earlier run saw (Registry meta `migration:users`), so a user
 * whose AAA subscription a run already removed is still followed to `done`, and a user
 * subscribed to XAA some other way is never touched.
 */
import type { XaaSubscriptionRow } from "../state/registry-xaa-schema.ts";
import { XApiError } from "../x-api/errors.ts";
import type { XaaCreateInput, XaaSubscription } from "../x-api/xaa-types.ts";
import { currentWebhookId, listAaaSubscribers, removeAaaSubscription } from "./aaa-subscriptions.ts";
import { withXaa, type AppContext } from "./context.ts";
import type { MigrationPort } from "./migration-run.ts";
import type { AppFacts, UserFacts } from "./migration-steps.ts";
import { userAccessToken } from "./oauth2-tokens.ts";

/** Registry meta: the user ids this app's migration has seen (JSON array). */
export const MIGRATION_USERS_META = "migration:users";
/** Registry meta: the last run's report (JSON), for `GET /admin/apps/:app/migration`. */
export const MIGRATION_REPORT_META = "migration:last_report";

function rowFor(sub: XaaSubscription, nowIso: string): XaaSubscriptionRow {
  return {
    subscription_id: sub.subscription_id,
    user_id: sub.filter.user_id ?? null,
    event_type: sub.event_type,
    direction: sub.filter.direction ?? null,
    tag: sub.tag,
    webhook_id: sub.webhook_id,
    profile: null,
    created_by: "migration",
    status: "active",
    status_at: nowIso,
    created_at: nowIso,
  };
}

function isAaaRetired(err: unknown): boolean {
  return err instanceof XApiError && err.kind === "aaa_retired";
}

/**
 * Who X lists on AAA for the app's webhook; null once X has retired AAA (its endpoints answer
 * 410), so a migration can still finish, or be run for the first time, after 2027-01-01.
 */
async function aaaSubscribersAtX(ctx: AppContext): Promise<string[] | null> {
  try {
    return (await listAaaSubscribers(ctx)).at_x;
  } catch (err) {
    if (isAaaRetired(err)) return null;
    throw err;
  }
}

async function knownUsers(ctx: AppContext): Promise<string[]> {
  const raw = await ctx.registry.getMeta(MIGRATION_USERS_META);
  if (raw === null) return [];
  const parsed: unknown = JSON.parse(raw);
  return Array.isArray(parsed) ? parsed.filter((u): u is string => typeof u === "string") : [];
}

export function migrationPort(ctx: AppContext): MigrationPort {
  return {
    async facts(): Promise<AppFacts> {
      const hook = await ctx.registry.currentWebhook();
      const base = { migrating: ctx.app.migrating === true, webhook_valid: hook === null ? null : hook.valid };
      if (hook === null) return { ...base, app_level_types: [], users: [], other_subscriptions: 0 };
      const [xaa, aaaAtX, recorded, known] = await Promise.all([
        withXaa(ctx, (x) => x.xaa.listAllSubscriptions()),
        aaaSubscribersAtX(ctx),
        ctx.registry.listSubscriptions(false),
        knownUsers(ctx),
      ]);
      const recordedIds = recorded.map((r) => r.user_id);
      // Once X has retired AAA it lists nobody: the Registry's rows say who was on it, and
      // `removeAaa` then only forgets them here.
      const onAaa = new Set(aaaAtX ?? recordedIds);
      const ids = [...new Set([...known, ...(aaaAtX ?? []), ...recordedIds])];
      if (ids.length !== known.length) await ctx.registry.setMeta(MIGRATION_USERS_META, JSON.stringify(ids));
      const ours = xaa.subscriptions.filter((s) => s.webhook_id === null || s.webhook_id === hook.id);
      const mine = new Set(ids);
      const users: UserFacts[] = [];
      for (const id of ids) {
        const grant = await ctx.registry.getOAuth2Token(id);
        users.push({
          user_id: id,
          xaa_types: ours.filter((s) => s.filter.user_id === id).map((s) => s.event_type),
          aaa_subscribed: onAaa.has(id),
          first_xaa_event_at: null,
          oauth2_scopes: grant !== null && grant.status === "active" ? grant.scopes.split(" ").filter((s) => s !== "") : null,
        });
      }
      const appLevel = ours.filter((s) => s.filter.user_id === undefined).map((s) => s.event_type);
      const counted = xaa.subscriptions.filter((s) => s.filter.user_id !== undefined && mine.has(s.filter.user_id)).length + appLevel.length;
      return { ...base, app_level_types: appLevel, users, other_subscriptions: Math.max(0, xaa.subscriptions.length - counted) };
    },

    async createXaa(userId, eventType, auth) {
      const webhookId = await currentWebhookId(ctx);
      const input: XaaCreateInput = { event_type: eventType, filter: userId === null ? {} : { user_id: userId }, webhook_id: webhookId };
      const nowIso = new Date(ctx.deps.now()).toISOString();
      return withXaa(ctx, async (x) => {
        let caller: { kind: "app" } | { kind: "user"; accessToken: string } = { kind: "app" };
        if (auth === "user" && userId !== null) {
          const access = await userAccessToken(ctx, x, userId);
          if (access.kind !== "ok") throw new Error(`user ${userId} has no usable OAuth 2.0 grant (${access.kind}): they must sign in again`);
          caller = { kind: "user", accessToken: access.accessToken };
        }
        try {
          const { subscription } = await x.xaa.createSubscription(input, caller);
          await ctx.registry.recordXaaSubscriptions([rowFor(subscription, nowIso)]);
          return "created" as const;
        } catch (err) {
          if (!(err instanceof XApiError && err.kind === "duplicate_subscription")) throw err;
          const found = (await x.xaa.listAllSubscriptions()).subscriptions.find(
            (s) => s.event_type === eventType && (s.filter.user_id ?? null) === userId && (s.webhook_id === null || s.webhook_id === webhookId),
          );
          if (found !== undefined) await ctx.registry.recordXaaSubscriptions([rowFor(found, nowIso)]);
          return "exists" as const;
        }
      });
    },

    async removeAaa(userId) {
      try {
        await removeAaaSubscription(ctx, userId, "migrated to XAA");
      } catch (err) {
        // X has switched AAA off: nothing is left to remove there; forget it here too.
        if (!isAaaRetired(err)) throw err;
        await ctx.registry.removeSubscription(userId, "migrated to XAA (AAA retired at X)", new Date(ctx.deps.now()).toISOString());
      }
    },
  };
}
