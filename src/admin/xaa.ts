/**
 * /admin/apps/:app/xaa: XAA subscriptions per user and per type, with counts against the tier's
 * cap; subscribe a user by profile, unsubscribe, reconcile, profiles, OAuth 2.0 grant refresh.
 * Thin shell over the core in src/control/ (the cron and the migration call the same functions).
 *
 *   GET    /xaa                          tier, cap, counts (total, per type, users), profiles
 *   GET    /xaa/users                    users a page at a time (?limit&after): grant state, subscriptions per type
 *   GET    /xaa/users/:user_id           one user
 *   POST   /xaa/users/:user_id           {"profile"}: subscribe by profile (report per type)
 *   DELETE /xaa/users/:user_id           ?types=a,b (default all); ?forget=true also drops the grant
 *   DELETE /xaa/subscriptions/:id        one recorded subscription, at X and here
 *   POST   /xaa/reconcile                settle with X now: refresh due grants, delete revoked
 *                                        users' subscriptions, compare with X's list
 *   POST   /xaa/tokens/refresh           refresh grants due within 20 minutes now
 *   GET    /xaa/profiles                 config and admin-made profiles
 *   PUT    /xaa/profiles/:name           create or replace an admin-made profile
 *   DELETE /xaa/profiles/:name
 */
import type { IRequest } from "itty-router";
import { HttpError } from "../http/errors.ts";
import type { OAuth2TokenRow, XaaSubscriptionRow } from "../state/registry-xaa-schema.ts";
import { REFRESH_AHEAD_MS } from "../x-api/oauth2.ts";
import { withXaa, type AppContext } from "./context.ts";
import { refreshExpiringGrants } from "../control/oauth2-tokens.ts";
import { settleXaa } from "../control/xaa-settle.ts";
import { deleteProfile, listProfiles, profileNamed, putProfile, xaaSettings } from "../control/xaa-profiles.ts";
import { capCounts, deleteRecorded, subscribeUser, unsubscribeUser } from "../control/xaa-subscriptions.ts";
import { badRequest, jsonBody, requiredString, userIdFrom } from "./http.ts";

type GrantView = Omit<OAuth2TokenRow, "sealed">;

interface UserView {
  user_id: string;
  username: string | null;
  /** "none" when the user never signed in with OAuth 2.0. */
  consent: GrantView["status"] | "none";
  consent_reason: string | null;
  scopes: string[];
  access_expires_at: string | null;
  subscriptions: Pick<XaaSubscriptionRow, "subscription_id" | "event_type" | "direction" | "tag" | "webhook_id" | "profile" | "status" | "created_at">[];
}

function userView(userId: string, grant: GrantView | undefined, rows: readonly XaaSubscriptionRow[]): UserView {
  return {
    user_id: userId,
    username: grant?.username ?? null,
    consent: grant?.status ?? "none",
    consent_reason: grant?.status_reason ?? null,
    scopes: grant === undefined ? [] : grant.scopes.split(" ").filter((s) => s !== ""),
    access_expires_at: grant === undefined ? null : new Date(grant.expires_at_ms).toISOString(),
    subscriptions: rows.map(({ subscription_id, event_type, direction, tag, webhook_id, profile, status, created_at }) => ({ subscription_id, event_type, direction, tag, webhook_id, profile, status, created_at })),
  };
}

export async function xaaOverview(ctx: AppContext): Promise<Response> {
  const s = xaaSettings(ctx.app);
  return Response.json({ app: ctx.app.name, tier: s.tier, cap: s.cap, counts: await capCounts(ctx), profiles: await listProfiles(ctx) });
}

const USERS_PAGE_DEFAULT = 100;
const USERS_PAGE_MAX = 1000;

/** Every user, a page at a time (`?limit=1..1000&after=<user_id>`; `next_after` continues). */
export async function xaaUsers(ctx: AppContext, req: IRequest): Promise<Response> {
  xaaSettings(ctx.app);
  const rawLimit = typeof req.query.limit === "string" ? req.query.limit : String(USERS_PAGE_DEFAULT);
  const limit = /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : NaN;
  if (!(limit >= 1 && limit <= USERS_PAGE_MAX)) throw badRequest(`"limit" must be 1-${USERS_PAGE_MAX}.`);
  const after = typeof req.query.after === "string" ? userIdFrom(req.query.after, "after") : "";
  const page = await ctx.registry.xaaUsersPage(after, limit);
  const grants = new Map(page.grants.map((g) => [g.user_id, g]));
  const users = page.users.map((id) => userView(id, grants.get(id), page.subscriptions.filter((r) => r.user_id === id)));
  const out: Record<string, unknown> = { users, next_after: page.users.length === limit ? page.users[page.users.length - 1] : null };
  if (after === "") {
    const appRows = await ctx.registry.xaaAppLevelSubscriptions();
    out.app_level = appRows.map((r) => ({ subscription_id: r.subscription_id, event_type: r.event_type, webhook_id: r.webhook_id, status: r.status }));
  }
  out.counts = await capCounts(ctx);
  return Response.json(out);
}

export async function xaaUser(ctx: AppContext, req: IRequest): Promise<Response> {
  xaaSettings(ctx.app);
  const userId = userIdFrom(req.params.user_id);
  const grant = (await ctx.registry.listOAuth2Tokens()).find((g) => g.user_id === userId);
  const rows = await ctx.registry.listXaaSubscriptions(userId);
  if (grant === undefined && rows.length === 0) throw new HttpError(404, "user_not_found", `User ${userId} has no XAA subscription or OAuth 2.0 grant in app "${ctx.app.name}".`);
  return Response.json(userView(userId, grant, rows));
}

export async function xaaSubscribe(ctx: AppContext, req: IRequest): Promise<Response> {
  const userId = userIdFrom(req.params.user_id);
  const profile = await profileNamed(ctx, requiredString(await jsonBody(req), "profile", 63));
  const outcome = await withXaa(ctx, (x) => subscribeUser(ctx, x, userId, profile, "admin"));
  const created = outcome.types.some((t) => t.status === "created");
  return Response.json(outcome, { status: created ? 201 : 200 });
}

export async function xaaUnsubscribe(ctx: AppContext, req: IRequest): Promise<Response> {
  const userId = userIdFrom(req.params.user_id);
  const raw = typeof req.query.types === "string" ? req.query.types : undefined;
  const types = raw === undefined ? undefined : raw.split(",").filter((t) => t !== "");
  if (types !== undefined && (types.length === 0 || types.length > 64)) throw badRequest('"types" must list 1-64 event types, comma-separated.');
  const forget = req.query.forget === "true";
  if (forget && types !== undefined) throw badRequest('"forget=true" removes everything: do not combine it with "types".');
  const outcome = await withXaa(ctx, (x) => unsubscribeUser(ctx, x, userId, types));
  const grant_removed = forget && outcome.failed.length === 0 ? await ctx.registry.deleteOAuth2Token(userId) : false;
  return Response.json({ ...outcome, grant_removed });
}

export async function xaaDeleteSubscription(ctx: AppContext, req: IRequest): Promise<Response> {
  xaaSettings(ctx.app);
  const id = req.params.id ?? "";
  const row = (await ctx.registry.listXaaSubscriptions()).find((r) => r.subscription_id === id);
  if (row === undefined) throw new HttpError(404, "subscription_not_found", `No XAA subscription ${id.slice(0, 32)} is recorded for app "${ctx.app.name}" (reconcile to record those that exist only at X).`);
  const outcome = await withXaa(ctx, (x) => deleteRecorded(ctx, x, [row]));
  return Response.json({ ...outcome, counts: await capCounts(ctx) }, { status: outcome.failed.length > 0 ? 502 : 200 });
}

/** Settle with X now: refresh due grants, delete revoked users' subscriptions, reconcile. */
export async function xaaReconcile(ctx: AppContext): Promise<Response> {
  return Response.json(await settleXaa(ctx, { reconcile: true }));
}

export async function xaaRefreshTokens(ctx: AppContext): Promise<Response> {
  xaaSettings(ctx.app);
  return Response.json(await withXaa(ctx, (x) => refreshExpiringGrants(ctx, x, REFRESH_AHEAD_MS, 200)));
}

export async function xaaProfiles(ctx: AppContext): Promise<Response> {
  return Response.json({ profiles: await listProfiles(ctx) });
}

export async function xaaPutProfile(ctx: AppContext, req: IRequest): Promise<Response> {
  return Response.json(await putProfile(ctx, req.params.name ?? "", await jsonBody(req)));
}

export async function xaaDeleteProfile(ctx: AppContext, req: IRequest): Promise<Response> {
  await deleteProfile(ctx, req.params.name ?? "");
  return new Response(null, { status: 204 });
}
