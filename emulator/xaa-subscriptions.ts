/**
 * XAA subscription operations on the state, with X's rules: who may create what (public events
 * with any auth; private events only for a user who granted the app the scope, and with an
 * OAuth 2.0 token only for that token's user; mute/block only for the authenticated user),
 * duplicates (409 DuplicateSubscriptionFailed), the per-app cap (SubscriptionLimitExceeded),
 * webhooks that must belong to the app, paging, and the response shapes X's pages disagree on.
 */
import { xaaCap, xaaTierOf, type AppDef } from "./config.ts";
import type { Core } from "./core.ts";
import { grantOf } from "./oauth2-store.ts";
import { invalid, ProblemError } from "./problems.ts";
import type { XaaFilter, XaaSubscription } from "./state.ts";
import { isActorOnly, requiredScope, type CreateRequest, type UpdateRequest } from "./xaa-types.ts";

/** Who is calling, as the XAA endpoints see it. */
export type XaaCaller =
  | { kind: "bearer"; app: AppDef }
  | { kind: "oauth1"; app: AppDef; userId: string }
  | { kind: "oauth2"; app: AppDef; userId: string; scopes: string[] };

function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

export function subscriptionView(s: XaaSubscription): Record<string, unknown> {
  const v: Record<string, unknown> = { subscription_id: s.id, event_type: s.eventType, filter: { ...s.filter }, created_at: iso(s.createdAt), updated_at: iso(s.updatedAt) };
  if (s.tag !== null) v.tag = s.tag;
  if (s.webhookId !== null) v.webhook_id = s.webhookId;
  return v;
}

function sameFilter(a: XaaFilter, b: XaaFilter): boolean {
  return a.user_id === b.user_id && a.direction === b.direction && a.keyword === b.keyword;
}

function checkWebhook(core: Core, app: AppDef, webhookId: string | null): void {
  if (webhookId === null) return;
  const w = core.state.webhooks.get(webhookId);
  if (!w || w.appName !== app.name) {
    throw invalid("webhook_id", webhookId, `The webhook ${webhookId} was not found or is not associated with this app.`, "WebhookIdInvalid");
  }
}

/** X's consent rules for private events; public events pass with any auth. */
function checkConsent(core: Core, caller: XaaCaller, req: CreateRequest): void {
  const userId = req.filter.user_id;
  if (isActorOnly(req.eventType) && (caller.kind === "bearer" || caller.userId !== userId)) {
    throw new ProblemError("notAuthorized", `${req.eventType} subscriptions are actor-only: filter.user_id must be the authenticated user (user context).`, { reason: "UserNotAuthenticated" });
  }
  const scope = requiredScope(req.eventType);
  if (scope === null || userId === undefined) return;
  if (caller.kind === "oauth2") {
    if (caller.userId !== userId) {
      throw new ProblemError("notAuthorized", `${req.eventType} is a private event: an OAuth 2.0 token can only subscribe its own user (${caller.userId}), not ${userId}.`, { reason: "UserNotAuthorized" });
    }
    if (!caller.scopes.includes(scope)) {
      throw new ProblemError("notAuthorized", `${req.eventType} needs the OAuth 2.0 scope ${scope}, which this token does not hold.`, { reason: "MissingScope" });
    }
    return;
  }
  const grant = grantOf(core, caller.app.name, userId);
  if (!grant?.scopes.has(scope)) {
    throw new ProblemError("notAuthorized", `${req.eventType} is a private event: user ${userId} has not granted this app the OAuth 2.0 scope ${scope}.`, { reason: "UserNotAuthorized" });
  }
}

export function createSubscription(core: Core, caller: XaaCaller, req: CreateRequest): XaaSubscription {
  const { app } = caller;
  const account = core.state.accounts.get(app.account);
  if (req.eventType === "news.new" && xaaTierOf(app, account) === "self-serve") {
    throw new ProblemError("forbidden", "news.new is only available to Enterprise and Partner tier accounts.", { reason: "ClientForbidden" });
  }
  checkWebhook(core, app, req.webhookId);
  checkConsent(core, caller, req);
  const mine = core.state.xaaSubscriptionsOfApp(app.name);
  if (mine.some((s) => s.eventType === req.eventType && s.webhookId === req.webhookId && sameFilter(s.filter, req.filter))) {
    throw new ProblemError("conflict", "A subscription with this event_type and filter already exists for this webhook.", { reason: "DuplicateSubscriptionFailed" });
  }
  const cap = xaaCap(core.config, app, account);
  if (mine.length >= cap) {
    throw new ProblemError("forbidden", `The application has reached its subscription limit (${cap}) across all webhooks.`, { reason: "SubscriptionLimitExceeded" });
  }
  const now = core.clock.now();
  const sub: XaaSubscription = { id: core.state.nextId(now), appName: app.name, eventType: req.eventType, filter: req.filter, tag: req.tag, webhookId: req.webhookId, createdAt: now, updatedAt: now };
  core.state.xaaSubscriptions.set(sub.id, sub);
  return sub;
}

export function findSubscription(core: Core, app: AppDef, id: string | undefined): XaaSubscription {
  const s = id === undefined ? undefined : core.state.xaaSubscriptions.get(id);
  if (!s || s.appName !== app.name) throw new ProblemError("notFound", `Subscription ${id ?? ""} was not found.`, { reason: "SubscriptionNotFound" });
  return s;
}

export function updateSubscription(core: Core, app: AppDef, id: string | undefined, req: UpdateRequest): XaaSubscription {
  const s = findSubscription(core, app, id);
  if (req.webhookId !== undefined) checkWebhook(core, app, req.webhookId);
  if (req.tag !== undefined) s.tag = req.tag;
  if (req.webhookId !== undefined) s.webhookId = req.webhookId;
  s.updatedAt = core.clock.now();
  return s;
}

export function totalOf(core: Core, app: AppDef): number {
  return core.state.xaaSubscriptionsOfApp(app.name).length;
}

/** The single-subscription answer (create, update) in the configured shape. */
export function subscriptionBody(core: Core, app: AppDef, s: XaaSubscription): Record<string, unknown> {
  const total = totalOf(core, app);
  switch (core.config.xaa.responseShape) {
    case "flat":
      return { data: subscriptionView(s), meta: { total_subscriptions: total } };
    case "reference":
      return { data: { subscription: subscriptionView(s), total_subscriptions_for_instance_id: total }, meta: { total_subscriptions: total } };
    case "openapi":
      return { data: { subscription: subscriptionView(s) } };
  }
}

/** Paging tokens: base32hex (RFC 4648, no padding) of the last id returned; at least 16 characters. */
const B32HEX = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

export function encodePageToken(lastId: string): string {
  const bytes = Buffer.from(`after:${lastId}`, "utf8");
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32HEX[(value << (5 - bits)) & 31];
  return out;
}

export function decodePageToken(token: string): string | null {
  if (token.length < 16 || !/^[0-9A-V]+$/i.test(token)) return null;
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const c of token.toUpperCase()) {
    value = ((value << 5) | B32HEX.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  const m = /^after:(\d{1,20})$/.exec(Buffer.from(bytes).toString("utf8"));
  return m?.[1] ?? null;
}

export function listSubscriptions(core: Core, app: AppDef, maxRaw: string | null, tokenRaw: string | null): Record<string, unknown> {
  let max = 100;
  if (maxRaw !== null) {
    if (!/^\d{1,4}$/.test(maxRaw) || Number(maxRaw) < 1 || Number(maxRaw) > 1000) {
      throw invalid("max_results", maxRaw.slice(0, 20), `The \`max_results\` query parameter value [${maxRaw.slice(0, 20)}] is not between 1 and 1000.`);
    }
    max = Number(maxRaw);
  }
  const all = core.state.xaaSubscriptionsOfApp(app.name).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  let start = 0;
  if (tokenRaw !== null) {
    const after = decodePageToken(tokenRaw);
    if (after === null) throw invalid("pagination_token", tokenRaw.slice(0, 50), "The `pagination_token` query parameter value is not valid.");
    start = all.findIndex((s) => BigInt(s.id) > BigInt(after));
    if (start < 0) start = all.length;
  }
  const page = all.slice(start, start + max);
  const meta: Record<string, unknown> = { result_count: page.length, total_subscriptions: all.length };
  const last = page[page.length - 1];
  if (last !== undefined && start + max < all.length) meta.next_token = encodePageToken(last.id);
  return { data: page.map(subscriptionView), meta };
}

export interface BulkDeleteResult {
  data: { subscription_id: string; deleted: boolean }[];
  errors: { subscription_id: string; reason: string; message: string }[];
}

export function deleteSubscriptions(core: Core, app: AppDef, ids: string[]): BulkDeleteResult {
  const out: BulkDeleteResult = { data: [], errors: [] };
  for (const id of ids) {
    const s = core.state.xaaSubscriptions.get(id);
    if (!s || s.appName !== app.name) {
      out.errors.push({ subscription_id: id, reason: "SubscriptionNotFound", message: `Subscription ${id} was not found.` });
      continue;
    }
    core.state.xaaSubscriptions.delete(id);
    out.data.push({ subscription_id: id, deleted: true });
  }
  return out;
}
