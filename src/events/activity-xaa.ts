/**
 * XAA events: their activity (the `event_type`, deprecated aliases folded onto the dotted name),
 * the object each one is about (the same key its AAA twin gets, see activity-aaa.ts), and the
 * event's own time, read from the field X uses for that family. Pure.
 *
 * Families are looked up in Maps keyed by X's `event_type` text: attacker-named types never
 * reach Object.prototype.
 */
import {
  dmKey,
  dmSignalKey,
  firstOf,
  likeKey,
  pairKey,
  postKey,
  RELATIONSHIP_VERBS,
  revokeKey,
  userId,
  type Canonical,
  type Direction,
} from "./activity.ts";
import { idText, isRecord, pick } from "./fields.ts";
import { firstIsoTimestamp } from "./timestamps.ts";

/** Deprecated `event_type` spellings X still accepts, and the name it now uses. */
const ACTIVITY_ALIASES: ReadonlyMap<string, string> = new Map([["chat.conversation_join", "chat.conversation.join"]]);

/** The activity for an XAA `event_type`. */
export function xaaActivity(eventType: string): string {
  return ACTIVITY_ALIASES.get(eventType) ?? eventType;
}

/** The part of an XAA event before the first dot (`post`, `like`, `dm`, `chat`, ...). */
function family(activity: string): string {
  const dot = activity.indexOf(".");
  return dot < 0 ? activity : activity.slice(0, dot);
}

/** What the mapping knows about one XAA event (`body.data`). */
export interface XaaEventContext {
  /** The activity (`xaaActivity(event_type)`). */
  activity: string;
  payload: unknown;
  /** `data.filter` as sent. */
  filter: unknown;
  includes: unknown;
  /** `filter.user_id`, or null (`oauth.revoke` has an empty filter). */
  forUserId: string | null;
}

const POST_ACTIVITIES: ReadonlySet<string> = new Set([
  "post.create",
  "post.mention.create",
  "post.reply.create",
  "post.quote.create",
  "post.repost.create",
  "post.delete",
]);

/** The legacy event a `dm.indicate_typing` / `dm.read` carries: the payload itself, or wrapped. */
function dmSignalEvent(payload: unknown, wrapperKey: string): unknown {
  return firstOf(payload, wrapperKey) ?? payload;
}

/**
 * A like's direction: the subscription's `filter.direction` when it has one; otherwise inbound
 * when the subscribed user wrote the liked post, else outbound.
 */
function likeDirection(c: XaaEventContext): Direction | undefined {
  const filtered = pick(c.filter, "direction");
  if (filtered === "inbound" || filtered === "outbound") return filtered;
  const author = idText(pick(c.payload, "liked_tweet_author_id"));
  if (author === undefined || c.forUserId === null) return undefined;
  return author === c.forUserId ? "inbound" : "outbound";
}

/**
 * Who liked: the subscribed user on an outbound like; on an inbound one X's payload names no
 * liker, so it is the one user in `includes.users` other than the liked post's author, if
 * exactly one is there (else unknown, and the like keeps its event key).
 */
function liker(c: XaaEventContext, direction: Direction | undefined): string | undefined {
  if (direction === "outbound") return c.forUserId ?? undefined;
  if (direction !== "inbound") return undefined;
  const author = idText(pick(c.payload, "liked_tweet_author_id"));
  const users = pick(c.includes, "users");
  if (!Array.isArray(users)) return undefined;
  const others = new Set(users.map(userId).filter((id): id is string => id !== undefined && id !== author));
  return others.size === 1 ? [...others][0] : undefined;
}

function objectKeyAndDirection(c: XaaEventContext): { object_key: string | undefined; direction?: Direction } {
  const { activity, payload } = c;
  if (POST_ACTIVITIES.has(activity)) return { object_key: postKey(idText(pick(payload, "id"))) };
  if (activity === "like.create") {
    const direction = likeDirection(c);
    const key = likeKey(idText(pick(payload, "liked_tweet_id")), liker(c, direction));
    return { object_key: key, ...(direction === undefined ? {} : { direction }) };
  }
  const fam = family(activity);
  if (RELATIONSHIP_VERBS.has(fam)) {
    return { object_key: pairKey(fam, userId(pick(payload, "source")), userId(pick(payload, "target"))) };
  }
  if (activity === "dm.sent" || activity === "dm.received") {
    return { object_key: dmKey(idText(pick(firstOf(payload, "direct_message_events"), "id"))) };
  }
  if (activity === "dm.indicate_typing") {
    return { object_key: dmSignalKey("typing", dmSignalEvent(payload, "direct_message_indicate_typing_events")) };
  }
  if (activity === "dm.read") {
    return { object_key: dmSignalKey("read", dmSignalEvent(payload, "direct_message_mark_read_events")) };
  }
  if (activity === "oauth.revoke") {
    return { object_key: revokeKey(pick(payload, "user_id"), pick(payload, "app_id"), pick(payload, "date_time")) };
  }
  return { object_key: undefined };
}

/**
 * The canonical fields of one XAA event. Families with no AAA twin (chat, profile, spaces,
 * broadcast, news, types X adds later) and events missing their ids use `eventKey` (the
 * envelope's `<event_type>:<event_uuid>`) as the object key.
 */
export function xaaCanonical(c: XaaEventContext, eventKey: string): Canonical {
  const { object_key, direction } = objectKeyAndDirection(c);
  return {
    activity: c.activity,
    object_key: object_key ?? eventKey,
    ...(direction === undefined ? {} : { direction }),
  };
}

/** The first wrapped legacy DM event of a `dm.*` payload, if any. */
function wrappedDm(payload: unknown): unknown {
  return (
    firstOf(payload, "direct_message_events") ??
    firstOf(payload, "direct_message_indicate_typing_events") ??
    firstOf(payload, "direct_message_mark_read_events")
  );
}

/**
 * When the event happened, from the field X uses for its family:
 * - `like.create`: `timestamp_ms` (the like), never `created_at` (the liked post's time);
 * - `chat.*`: `created_at_msec`; `broadcast.*`: `event_timestamp_ms`;
 * - `oauth.revoke`: `date_time`;
 * - `dm.*`: the wrapped legacy DM's `created_timestamp` (or the payload's own);
 * - posts and everything else: `created_at`, then the other fields X uses, first that parses.
 * Null when the family's field is missing or unreadable (follow, block, mute have none).
 */
export function xaaCreatedAt(activity: string, payload: unknown): string | null {
  if (!isRecord(payload)) return null;
  const fam = family(activity);
  if (activity === "like.create") return firstIsoTimestamp(pick(payload, "timestamp_ms"));
  if (fam === "chat") return firstIsoTimestamp(pick(payload, "created_at_msec"));
  if (fam === "broadcast") return firstIsoTimestamp(pick(payload, "event_timestamp_ms"));
  if (activity === "oauth.revoke") return firstIsoTimestamp(pick(payload, "date_time"));
  if (fam === "dm") {
    return firstIsoTimestamp(pick(wrappedDm(payload), "created_timestamp"), pick(payload, "created_timestamp"));
  }
  return firstIsoTimestamp(
    pick(payload, "created_at"),
    pick(payload, "timestamp_ms"),
    pick(payload, "created_timestamp"),
    pick(payload, "created_at_msec"),
    pick(payload, "event_timestamp_ms"),
  );
}
