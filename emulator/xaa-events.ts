/**
 * XAA events as activity produces them (one per event type and filter user, before any
 * subscription is known), the subscriptions each one matches (app, event_type, filter.user_id,
 * direction), and the envelope X wraps it in per subscription: a fresh `event_uuid`, that
 * subscription's `filter` and `tag`, the payload and includes (event-payloads page).
 */
import { randomBytes } from "node:crypto";
import { toJsonText, type JsonTextValue } from "./json-text.ts";
import { eventUuid } from "./payloads.ts";
import type { XaaFilter, XaaSubscription } from "./state.ts";

export interface XaaEvent {
  eventType: string;
  /** The filter user this event is about; null: matched on something else (oauth.revoke). */
  userId: string | null;
  /** like.create: outbound (the user liked) or inbound (the user's post was liked). */
  direction?: "inbound" | "outbound";
  payload: JsonTextValue;
  includes?: JsonTextValue;
  /** Only this app's subscriptions (oauth.revoke). */
  appName?: string;
  /** Posts by protected accounts are never delivered (activity introduction). */
  protectedAuthor?: boolean;
  /** news.new: the text a subscription's `keyword` is looked for in (case-insensitive). */
  keywordText?: string;
}

export function matches(sub: XaaSubscription, ev: XaaEvent): boolean {
  if (sub.eventType !== ev.eventType) return false;
  if (ev.appName !== undefined && sub.appName !== ev.appName) return false;
  if (ev.protectedAuthor === true) return false;
  if (ev.eventType === "oauth.revoke") return true;
  if (ev.eventType === "news.new") return sub.filter.keyword !== undefined && (ev.keywordText ?? "").toLowerCase().includes(sub.filter.keyword.toLowerCase());
  if (sub.filter.user_id !== ev.userId) return false;
  if (sub.filter.direction !== undefined && sub.filter.direction !== ev.direction) return false;
  return true;
}

/** The delivery body for one subscription. */
export function envelope(ev: XaaEvent, filter: XaaFilter, tag: string | null): string {
  const data: Record<string, JsonTextValue | undefined> = { event_uuid: eventUuid(randomBytes(8)), filter: { ...filter }, event_type: ev.eventType };
  if (tag !== null) data.tag = tag;
  data.payload = ev.payload;
  if (ev.includes !== undefined) data.includes = ev.includes;
  return toJsonText({ data });
}

/** Tags the old AAA-subscription shortcut used (an `xaa`-flavour app subscribed through AAA). */
const LEGACY_TAGS: Record<string, string> = {
  "post.create": "posts",
  "post.delete": "posts",
  "post.mention.create": "mentions",
  "post.reply.create": "replies",
  "post.quote.create": "quotes",
  "post.repost.create": "reposts",
  "like.create": "likes",
  "dm.sent": "dm-outbound",
  "dm.received": "dm-inbound",
  "dm.read": "dm-inbound",
  "dm.indicate_typing": "dm-inbound",
  "oauth.revoke": "revokes",
};

/** The body an `xaa`-flavour app gets through an AAA subscription (emulator shortcut, docs/emulator.md). */
export function legacyEnvelope(ev: XaaEvent): string {
  const filter: XaaFilter = {};
  if (ev.userId !== null && ev.eventType !== "oauth.revoke") filter.user_id = ev.userId;
  if (ev.direction !== undefined) filter.direction = ev.direction;
  return envelope(ev, filter, ev.eventType === "oauth.revoke" ? null : (LEGACY_TAGS[ev.eventType] ?? ev.eventType.split(".")[0] + "s"));
}
