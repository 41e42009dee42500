/**
 * Object builders for AAA payloads (v1.1 shapes, which AAA on v2 keeps) and XAA (v2 shapes).
 * Everything is a JsonTextValue so 64-bit `id` numbers keep all their digits (`idNumber`), next
 * to their `id_str`. Shapes follow ../shared/fixtures/payloads/.
 */
import { createHash } from "node:crypto";
import type { UserDef } from "./config.ts";
import { idNumber, type JsonTextValue } from "./json-text.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** v1.1 date format: "Mon Mar 26 16:33:26 +0000 2018". */
export function twitterDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(
    d.getUTCMinutes(),
  )}:${p(d.getUTCSeconds())} +0000 ${d.getUTCFullYear()}`;
}

/** A profile for any id: configured users as configured, unknown ids get a stable placeholder. */
export function profileOf(users: ReadonlyMap<string, UserDef>, id: string): UserDef {
  return (
    users.get(id) ?? {
      id,
      screenName: `user${id.slice(-6)}`,
      name: `User ${id.slice(-6)}`,
      accessToken: "",
      accessTokenSecret: "",
      readOnly: false,
      protected: false,
    }
  );
}

const USER_CREATED_MS = Date.UTC(2015, 0, 29, 18, 34, 29);

/** v1.1 User object (tweets, likes, follows). */
export function v1User(u: UserDef): JsonTextValue {
  return {
    id: idNumber(u.id),
    id_str: u.id,
    name: u.name,
    screen_name: u.screenName,
    location: null,
    url: null,
    description: null,
    protected: u.protected,
    verified: false,
    followers_count: 22,
    friends_count: 45,
    listed_count: 0,
    favourites_count: 7,
    statuses_count: 494,
    created_at: twitterDate(USER_CREATED_MS),
    profile_image_url_https: "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
    default_profile_image: true,
  };
}

/** The condensed user of DM payloads' top-level `users` map. */
export function dmUser(u: UserDef): JsonTextValue {
  return {
    id: u.id,
    created_timestamp: String(USER_CREATED_MS),
    name: u.name,
    screen_name: u.screenName,
    protected: u.protected,
    verified: false,
    followers_count: 22,
    friends_count: 45,
    statuses_count: 494,
    profile_image_url_https: "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
  };
}

/** v2 User (XAA payloads). */
export function v2User(u: UserDef): JsonTextValue {
  return {
    id: u.id,
    name: u.name,
    username: u.screenName,
    created_at: new Date(USER_CREATED_MS).toISOString(),
    protected: u.protected,
    verified: false,
    description: "",
    public_metrics: { followers_count: 22, following_count: 45, tweet_count: 494, listed_count: 0, like_count: 7 },
  };
}

export interface TweetSpec {
  id: string;
  author: UserDef;
  text: string;
  createdAt: number;
  mentions: UserDef[];
  inReplyTo?: { statusId: string; user: UserDef };
  quoted?: JsonTextValue;
  /** A quote of this post (XAA post.quote.create for its author). */
  quotedRef?: { statusId: string; user: UserDef };
  /** A repost of this post (XAA post.repost.create for its author). */
  retweetOf?: { statusId: string; user: UserDef };
}

const SHORT_LIMIT = 140;

/** v1.1 Tweet object; text over 140 characters becomes a truncated Tweet with `extended_tweet`. */
export function v1Tweet(t: TweetSpec): JsonTextValue {
  const mentions: JsonTextValue[] = [];
  for (const m of t.mentions) {
    const at = t.text.indexOf(`@${m.screenName}`);
    if (at < 0) continue;
    mentions.push({ screen_name: m.screenName, name: m.name, id: idNumber(m.id), id_str: m.id, indices: [at, at + m.screenName.length + 1] });
  }
  const entities = { hashtags: [], urls: [], user_mentions: mentions, symbols: [] };
  const chars = [...t.text];
  const long = chars.length > SHORT_LIMIT;
  const shown = long ? chars.slice(0, SHORT_LIMIT - 1).join("") + "\u2026" : t.text;
  return {
    created_at: twitterDate(t.createdAt),
    id: idNumber(t.id),
    id_str: t.id,
    text: shown,
    display_text_range: [0, Math.min(chars.length, SHORT_LIMIT)],
    source: '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
    truncated: long,
    in_reply_to_status_id: t.inReplyTo ? idNumber(t.inReplyTo.statusId) : null,
    in_reply_to_status_id_str: t.inReplyTo?.statusId ?? null,
    in_reply_to_user_id: t.inReplyTo ? idNumber(t.inReplyTo.user.id) : null,
    in_reply_to_user_id_str: t.inReplyTo?.user.id ?? null,
    in_reply_to_screen_name: t.inReplyTo?.user.screenName ?? null,
    user: v1User(t.author),
    geo: null,
    coordinates: null,
    place: null,
    contributors: null,
    is_quote_status: t.quoted !== undefined || t.quotedRef !== undefined,
    quoted_status_id_str: t.quotedRef?.statusId,
    quoted_status: t.quoted ?? (t.quotedRef ? referenced(t.quotedRef) : undefined),
    retweeted_status: t.retweetOf ? referenced(t.retweetOf) : undefined,
    extended_tweet: long ? { full_text: t.text, display_text_range: [0, chars.length], entities } : undefined,
    quote_count: 0,
    reply_count: 0,
    retweet_count: 0,
    favorite_count: 0,
    entities: long ? { hashtags: [], urls: [], user_mentions: [], symbols: [] } : entities,
    favorited: false,
    retweeted: false,
    filter_level: "low",
    lang: "en",
    timestamp_ms: String(t.createdAt),
  };
}

/** The minimal v1.1 Tweet a quote or retweet embeds for the post it refers to. */
function referenced(r: { statusId: string; user: UserDef }): JsonTextValue {
  return { id: idNumber(r.statusId), id_str: r.statusId, text: "A post worth sharing", user: v1User(r.user) };
}

/** v2 Post (XAA post.* payloads): referenced_tweets and in_reply_to_* as in X's examples. */
export function v2Post(t: TweetSpec): JsonTextValue {
  const refs: JsonTextValue[] = [];
  if (t.inReplyTo) refs.push({ type: "replied_to", id: t.inReplyTo.statusId });
  if (t.quotedRef) refs.push({ type: "quoted", id: t.quotedRef.statusId });
  if (t.retweetOf) refs.push({ type: "retweeted", id: t.retweetOf.statusId });
  const mentions: JsonTextValue[] = [];
  for (const m of t.mentions) {
    const at = t.text.indexOf(`@${m.screenName}`);
    if (at >= 0) mentions.push({ start: at, end: at + m.screenName.length + 1, username: m.screenName, id: m.id });
  }
  const chars = [...t.text].length;
  return {
    id: t.id,
    text: t.text,
    author_id: t.author.id,
    created_at: new Date(t.createdAt).toISOString(),
    conversation_id: t.inReplyTo?.statusId ?? t.id,
    in_reply_to_tweet_id: t.inReplyTo?.statusId,
    in_reply_to_user_id: t.inReplyTo?.user.id,
    referenced_tweets: refs.length > 0 ? refs : undefined,
    edit_history_tweet_ids: [t.id],
    display_text_range: [0, chars],
    entities: mentions.length > 0 ? { mentions } : undefined,
    lang: "en",
    reply_settings: "everyone",
    possibly_sensitive: false,
    paid_partnership: false,
    public_metrics: { retweet_count: 0, reply_count: 0, like_count: 0, quote_count: 0, bookmark_count: 0, impression_count: 0 },
  };
}

export interface DmSpec {
  id: string;
  sender: UserDef;
  recipient: UserDef;
  text: string;
  createdAt: number;
  sourceApp: { id: string; name: string; url: string } | null;
}

export function dmEvent(d: DmSpec): JsonTextValue {
  return {
    type: "message_create",
    id: d.id,
    created_timestamp: String(d.createdAt),
    message_create: {
      target: { recipient_id: d.recipient.id },
      sender_id: d.sender.id,
      source_app_id: d.sourceApp?.id,
      message_data: { text: d.text, entities: { hashtags: [], symbols: [], user_mentions: [], urls: [] } },
    },
  };
}

/** Like ids are opaque 32-hex strings in X's payloads. */
export function favoriteId(...parts: string[]): string {
  return createHash("md5").update(parts.join(":")).digest("hex");
}

/** XAA `event_uuid`: a signed 64-bit decimal (X's samples include negative values). */
export function eventUuid(random: Buffer): string {
  return random.readBigInt64BE(0).toString();
}
