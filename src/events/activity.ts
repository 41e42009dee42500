/**
 * The flavour-independent half of an envelope: `activity` (XAA's dotted event names, AAA events
 * mapped onto them) and `object_key` (the underlying X object, equal for one event seen through
 * AAA and through XAA). docs/envelope.md, "One event model for both APIs", is the user-facing
 * table; keep the two in step.
 *
 * Object keys are `<kind>:<ids>`; kinds never contain a dot, so an object key can never equal an
 * `event_key` (`<type>:...`, whose types are AAA keys with `_` or XAA names with `.`), which is
 * what an event gets as its object key when the ids that name its object are missing.
 */
import { idText, isRecord, objectId, pick, type JsonRecord } from "./fields.ts";
import { toIsoTimestamp } from "./timestamps.ts";

/** Which side of a like the subscribed user is on: they liked (outbound) or were liked (inbound). */
export type Direction = "inbound" | "outbound";

/** The canonical fields every envelope carries. */
export interface Canonical {
  activity: string;
  object_key: string;
  /** Only on `like.create`, when it can be told. */
  direction?: Direction;
}

/** Activity names for AAA events with no XAA equivalent, and for bodies not recognised. */
export const REPLAY_JOB_STATUS_ACTIVITY = "replay_job_status";
export const UNKNOWN_ACTIVITY = "unknown";

/** The families whose events name a (source, target) pair, with the verbs each has. */
export const RELATIONSHIP_VERBS: ReadonlyMap<string, readonly string[]> = new Map([
  ["follow", ["follow", "unfollow"]],
  ["block", ["block", "unblock"]],
  ["mute", ["mute", "unmute"]],
]);

/** `post:<id>`: the post a create, mention, reply, quote, repost or delete is about. */
export function postKey(postId: string | undefined): string | undefined {
  return postId === undefined ? undefined : `post:${postId}`;
}

/** `like:<liked post id>:<liker id>`. */
export function likeKey(likedPostId: string | undefined, likerId: string | undefined): string | undefined {
  return likedPostId === undefined || likerId === undefined ? undefined : `like:${likedPostId}:${likerId}`;
}

/** `<family>:<source id>:<target id>` for follow, block and mute (the pair, in that order). */
export function pairKey(family: string, sourceId: string | undefined, targetId: string | undefined): string | undefined {
  return sourceId === undefined || targetId === undefined ? undefined : `${family}:${sourceId}:${targetId}`;
}

/** `dm:<DM event id>`. */
export function dmKey(dmEventId: string | undefined): string | undefined {
  return dmEventId === undefined ? undefined : `dm:${dmEventId}`;
}

/**
 * A typing indicator or a read receipt, from the legacy event both APIs carry:
 * `dm_typing:<sender>:<recipient>:<created_timestamp>` or `dm_read:<sender>:<last_read_event_id>`.
 */
export function dmSignalKey(kind: "typing" | "read", event: unknown): string | undefined {
  const sender = idText(pick(event, "sender_id"));
  if (sender === undefined) return undefined;
  if (kind === "read") {
    const lastRead = idText(pick(event, "last_read_event_id"));
    return lastRead === undefined ? undefined : `dm_read:${sender}:${lastRead}`;
  }
  const recipient = idText(pick(event, "target", "recipient_id"));
  const at = idText(pick(event, "created_timestamp"));
  return recipient === undefined || at === undefined ? undefined : `dm_typing:${sender}:${recipient}:${at}`;
}

/**
 * `revoke:<user id>:<app id>:<time>`, the time normalised to ISO 8601 so that the same revoke
 * written `+00:00` by one API and `Z` by the other still matches.
 */
export function revokeKey(userId: unknown, appId: unknown, dateTime: unknown): string | undefined {
  const user = idText(userId);
  const app = idText(appId);
  const at = toIsoTimestamp(dateTime);
  return user === undefined || app === undefined || at === null ? undefined : `revoke:${user}:${app}:${at}`;
}

/**
 * The id of a user object as either API writes it: v1.1 `{id_str, id}`, v2 `{id}`, or XAA's
 * `{data: {id}}` wrapper.
 */
export function userId(value: unknown): string | undefined {
  return objectId(value) ?? objectId(pick(value, "data"));
}

/** The first element of `value[key]` when it is a non-empty array of objects, else undefined. */
export function firstOf(value: unknown, key: string): JsonRecord | undefined {
  const list = pick(value, key);
  const first: unknown = Array.isArray(list) ? list[0] : undefined;
  return isRecord(first) ? first : undefined;
}
