/**
 * AAA events mapped onto XAA's activity names, from who did what (PROTOCOL.md "AAA → XAA, event
 * for event"), and the object each one is about. Pure.
 *
 * Rules are looked up in a Map: the AAA key comes from the delivery body, and a key such as
 * `constructor` or `__proto__` must never reach Object.prototype.
 */
import {
  dmKey,
  dmSignalKey,
  likeKey,
  pairKey,
  postKey,
  RELATIONSHIP_VERBS,
  REPLAY_JOB_STATUS_ACTIVITY,
  revokeKey,
  userId,
  type Canonical,
  type Direction,
} from "./activity.ts";
import { idText, objectId, pick, type JsonRecord } from "./fields.ts";

/** What the mapping knows about one AAA event. */
export interface AaaEventContext {
  /** The AAA payload key (`tweet_create_events`, ...). */
  key: string;
  event: JsonRecord;
  /** The delivery's `for_user_id`, or null when X sent none. */
  forUserId: string | null;
  /** Whether the delivery carried `user_has_blocked` (X adds it to mentions only). */
  hasUserHasBlocked: boolean;
}

/** What a rule returns; `object_key` undefined means "the ids are missing: use the event key". */
interface Mapped {
  activity: string;
  object_key: string | undefined;
  direction?: Direction;
}

type AaaMapper = (c: AaaEventContext) => Mapped;

/**
 * A `tweet_create_events` item: the subscribed user's own post (including their replies, quotes
 * and retweets) is `post.create`; someone else's is, in this order, a repost of the user's post,
 * a quote of it, a reply to the user, or else a mention. Without an author the delivery's
 * `user_has_blocked` (mentions only) still says "mention"; with neither, the AAA key is kept.
 */
function tweetActivity(c: AaaEventContext): string {
  const tweet = c.event;
  const author = userId(pick(tweet, "user"));
  const forUser = c.forUserId;
  if (forUser !== null && author !== undefined) {
    if (author === forUser) return "post.create";
    if (userId(pick(tweet, "retweeted_status", "user")) === forUser) return "post.repost.create";
    if (userId(pick(tweet, "quoted_status", "user")) === forUser) return "post.quote.create";
    const repliedTo = idText(pick(tweet, "in_reply_to_user_id_str")) ?? idText(pick(tweet, "in_reply_to_user_id"));
    if (repliedTo === forUser) return "post.reply.create";
    return "post.mention.create";
  }
  return c.hasUserHasBlocked ? "post.mention.create" : c.key;
}

/**
 * `favorite_events`: `like.create`; outbound when the subscribed user is the liker, inbound when
 * they wrote the liked post (a like of one's own post counts as outbound: the user acted).
 */
function favorite(c: AaaEventContext): Mapped {
  const liker = userId(pick(c.event, "user"));
  const likedPost = objectId(pick(c.event, "favorited_status"));
  const likedAuthor = userId(pick(c.event, "favorited_status", "user"));
  let direction: Direction | undefined;
  if (c.forUserId !== null && liker === c.forUserId) direction = "outbound";
  else if (c.forUserId !== null && likedAuthor === c.forUserId) direction = "inbound";
  return {
    activity: "like.create",
    object_key: likeKey(likedPost, liker),
    ...(direction === undefined ? {} : { direction }),
  };
}

/**
 * Follow, block and mute (and the `unfollow_events`-style keys some docs list): the verb comes
 * from the event's `type`, or from the key when the event has none. A verb the family does not
 * have keeps the AAA key as its activity.
 */
function relationship(family: string, defaultVerb: string | undefined): AaaMapper {
  const verbs = RELATIONSHIP_VERBS.get(family) ?? [];
  return (c) => {
    const type = pick(c.event, "type");
    const verb = typeof type === "string" ? type : defaultVerb;
    const activity = verb !== undefined && verbs.includes(verb) ? `${family}.${verb}` : c.key;
    return {
      activity,
      object_key: pairKey(family, userId(pick(c.event, "source")), userId(pick(c.event, "target"))),
    };
  };
}

/** A DM is `dm.sent` in the sender's delivery and `dm.received` in anyone else's. */
function directMessage(c: AaaEventContext): Mapped {
  const sender = idText(pick(c.event, "message_create", "sender_id"));
  const activity =
    sender === undefined || c.forUserId === null ? c.key : sender === c.forUserId ? "dm.sent" : "dm.received";
  return { activity, object_key: dmKey(idText(pick(c.event, "id"))) };
}

function revoke(c: AaaEventContext): Mapped {
  const r = pick(c.event, "revoke");
  if (r === undefined) return { activity: c.key, object_key: undefined };
  return {
    activity: "oauth.revoke",
    object_key: revokeKey(pick(r, "source", "user_id"), pick(r, "target", "app_id"), pick(r, "date_time")),
  };
}

const AAA_MAPPERS: ReadonlyMap<string, AaaMapper> = new Map<string, AaaMapper>([
  ["tweet_create_events", (c) => ({ activity: tweetActivity(c), object_key: postKey(objectId(c.event)) })],
  ["tweet_delete_events", (c) => ({ activity: "post.delete", object_key: postKey(objectId(pick(c.event, "status"))) })],
  ["favorite_events", favorite],
  ["follow_events", relationship("follow", undefined)],
  ["unfollow_events", relationship("follow", "unfollow")],
  ["block_events", relationship("block", undefined)],
  ["unblock_events", relationship("block", "unblock")],
  ["mute_events", relationship("mute", undefined)],
  ["unmute_events", relationship("mute", "unmute")],
  ["direct_message_events", directMessage],
  [
    "direct_message_indicate_typing_events",
    (c) => ({ activity: "dm.indicate_typing", object_key: dmSignalKey("typing", c.event) }),
  ],
  ["direct_message_mark_read_events", (c) => ({ activity: "dm.read", object_key: dmSignalKey("read", c.event) })],
  ["user_event", revoke],
  ["replay_job_status", () => ({ activity: REPLAY_JOB_STATUS_ACTIVITY, object_key: undefined })],
]);

/**
 * The canonical fields of one AAA event. `eventKey` is the envelope's `event_key`, used as the
 * object key when the event lacks the ids that name its object (it then matches nothing
 * through the other API, but still deduplicates against itself).
 */
export function aaaCanonical(c: AaaEventContext, eventKey: string): Canonical {
  const mapper = AAA_MAPPERS.get(c.key);
  if (mapper === undefined) return { activity: c.key, object_key: eventKey };
  const mapped = mapper(c);
  return {
    activity: mapped.activity,
    object_key: mapped.object_key ?? eventKey,
    ...(mapped.direction === undefined ? {} : { direction: mapped.direction }),
  };
}
