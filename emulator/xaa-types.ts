/**
 * The XAA event-type catalogue and request validation, as X's OpenAPI (v2.167) and the activity
 * introduction page state them: the event_type enum (plus `oauth.revoke`, which the introduction
 * lists with no filter), which types are private and the OAuth 2.0 scope each needs, which filter
 * keys each type takes, and the create/update body schemas (additionalProperties false,
 * tag 1-200 characters, webhook_id ^[0-9]{1,19}$). Pure: no state.
 */
import { invalid, ProblemError } from "./problems.ts";
import type { XaaFilter } from "./state.ts";

export const XAA_EVENT_TYPES = [
  "profile.update.bio",
  "profile.update.profile_picture",
  "profile.update.banner_picture",
  "profile.update.screenname",
  "profile.update.geo",
  "profile.update.url",
  "profile.update.verified_badge",
  "profile.update.affiliate_badge",
  "profile.update.handle",
  "news.new",
  "follow.follow",
  "follow.unfollow",
  "spaces.start",
  "spaces.end",
  "broadcast.start",
  "broadcast.end",
  "broadcast.chat",
  "chat.received",
  "chat.sent",
  "chat.conversation.join",
  "chat.conversation.member_added",
  "chat.conversation.member_removed",
  "chat.conversation.admin_added",
  "chat.conversation.admin_removed",
  "chat.update.group_name",
  "chat.update.restrictions",
  "dm.sent",
  "dm.received",
  "dm.indicate_typing",
  "dm.read",
  "post.create",
  "post.delete",
  "post.mention.create",
  "post.reply.create",
  "post.quote.create",
  "post.repost.create",
  "like.create",
  "mute.mute",
  "mute.unmute",
  "block.block",
  "block.unblock",
  "oauth.revoke",
] as const;

/** Deprecated spellings X accepts on create; responses use the canonical name. */
const ALIASES: Record<string, string> = { "chat.conversation_join": "chat.conversation.join" };

/** Public events: a bearer token is enough (activity introduction, "Public events"). */
const PUBLIC = new Set(["post.create", "post.delete", "broadcast.start", "broadcast.end", "spaces.start", "spaces.end", "follow.follow", "follow.unfollow", "news.new", "oauth.revoke"]);

/**
 * The OAuth 2.0 scope a private event needs (OpenAPI createActivitySubscription: dm.read for
 * chat.* and dm.*, like.read, mute.read, block.read, tweet.read for the rest; introduction:
 * broadcast.chat needs broadcast.read). null: public.
 */
export function requiredScope(eventType: string): string | null {
  if (eventType.startsWith("profile.update.") || PUBLIC.has(eventType)) return null;
  if (eventType.startsWith("dm.") || eventType.startsWith("chat.")) return "dm.read";
  if (eventType.startsWith("like.")) return "like.read";
  if (eventType.startsWith("mute.")) return "mute.read";
  if (eventType.startsWith("block.")) return "block.read";
  if (eventType === "broadcast.chat") return "broadcast.read";
  return "tweet.read";
}

/** mute.* and block.*: filter.user_id must be the authenticated user; no direction. */
export function isActorOnly(eventType: string): boolean {
  return eventType.startsWith("mute.") || eventType.startsWith("block.");
}

/** Only like.create takes a direction (introduction: "Filters: user_id, direction"). */
function takesDirection(eventType: string): boolean {
  return eventType === "like.create";
}

export interface CreateRequest {
  eventType: string;
  filter: XaaFilter;
  tag: string | null;
  webhookId: string | null;
}

const ID = /^[0-9]{1,19}$/;

/** A safe, short rendering of an untrusted value for an error (never calls its toString). */
function show(v: unknown): string {
  if (typeof v === "string") return v.slice(0, 100);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return v === null ? "null" : typeof v;
}

function object(raw: unknown, what: string): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ProblemError("invalid", `${what} must be a JSON object.`);
  return raw as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw invalid(k, k, `[${k}] is not a valid property.`);
  }
}

function tagOf(o: Record<string, unknown>): string | null | undefined {
  if (!Object.hasOwn(o, "tag")) return undefined;
  const t = o.tag;
  if (typeof t !== "string" || [...t].length < 1 || [...t].length > 200) {
    throw invalid("tag", typeof t === "string" ? t.slice(0, 50) : typeof t, "The `tag` field must be a string of 1 to 200 characters.");
  }
  return t;
}

function webhookIdOf(o: Record<string, unknown>): string | undefined {
  if (!Object.hasOwn(o, "webhook_id")) return undefined;
  const w = o.webhook_id;
  if (typeof w !== "string" || !ID.test(w)) throw invalid("webhook_id", show(w), "The `webhook_id` field must be a numeric id string.", "WebhookIdInvalid");
  return w;
}

/** Validate a POST /2/activity/subscriptions body (schema and per-type filter rules). */
export function parseCreate(raw: unknown): CreateRequest {
  const body = object(raw, "The request body");
  onlyKeys(body, ["event_type", "filter", "tag", "webhook_id"]);
  const rawType = body.event_type;
  if (typeof rawType !== "string") throw invalid("event_type", show(rawType), "The `event_type` field is required.");
  const eventType = ALIASES[rawType] ?? rawType;
  if (!(XAA_EVENT_TYPES as readonly string[]).includes(eventType)) {
    throw invalid("event_type", rawType.slice(0, 100), `The \`event_type\` value [${rawType.slice(0, 100)}] is not one of [${XAA_EVENT_TYPES.join(", ")}].`);
  }
  if (!Object.hasOwn(body, "filter")) throw invalid("filter", "", "The `filter` field is required.");
  const f = object(body.filter, "The `filter` field");
  onlyKeys(f, ["user_id", "direction", "keyword"]);
  const filter: XaaFilter = {};
  if (eventType === "oauth.revoke") {
    if (Object.keys(f).length > 0) throw invalid("filter", Object.keys(f).join(","), "oauth.revoke takes no filter: send `\"filter\": {}`.");
  } else if (eventType === "news.new") {
    if (typeof f.keyword !== "string" || f.keyword === "") throw invalid("filter.keyword", show(f.keyword), "news.new needs `filter.keyword`.");
    if (f.user_id !== undefined || f.direction !== undefined) throw invalid("filter", "user_id", "news.new is filtered by `keyword` only.");
    filter.keyword = f.keyword;
  } else {
    if (typeof f.user_id !== "string" || !ID.test(f.user_id)) throw invalid("filter.user_id", show(f.user_id), "`filter.user_id` must be a numeric user id string.");
    filter.user_id = f.user_id;
    if (f.keyword !== undefined) throw invalid("filter.keyword", show(f.keyword), `\`keyword\` is only supported for news.new, not ${eventType}.`);
    if (f.direction !== undefined) {
      if (!takesDirection(eventType)) throw invalid("filter.direction", show(f.direction), `\`direction\` is not supported for ${eventType}.`);
      if (f.direction !== "inbound" && f.direction !== "outbound") throw invalid("filter.direction", show(f.direction), "`direction` must be inbound or outbound.");
      filter.direction = f.direction;
    }
  }
  return { eventType, filter, tag: tagOf(body) ?? null, webhookId: webhookIdOf(body) ?? null };
}

export interface UpdateRequest {
  tag?: string;
  webhookId?: string;
}

/** Validate a PUT /2/activity/subscriptions/:id body: only `tag` and `webhook_id` may change. */
export function parseUpdate(raw: unknown): UpdateRequest {
  const body = object(raw, "The request body");
  onlyKeys(body, ["tag", "webhook_id"]);
  const out: UpdateRequest = {};
  const tag = tagOf(body);
  if (tag !== undefined && tag !== null) out.tag = tag;
  const webhookId = webhookIdOf(body);
  if (webhookId !== undefined) out.webhookId = webhookId;
  return out;
}

/** `ids` of the bulk delete: comma-separated, 1..100, each ^[0-9]{1,19}$. */
export function parseIds(raw: string | null): string[] {
  const ids = (raw ?? "").split(",").filter((s) => s !== "");
  if (ids.length < 1 || ids.length > 100) throw invalid("ids", raw ?? "", "The `ids` query parameter needs 1 to 100 comma-separated subscription ids.");
  const badId = ids.find((i) => !ID.test(i));
  if (badId !== undefined) throw invalid("ids", badId.slice(0, 50), `The \`ids\` value [${badId.slice(0, 50)}] is not a valid id.`);
  return ids;
}
