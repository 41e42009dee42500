/**
 * Turns a control-API request ("alice mentions bob", "carol follows alice", ...) into what X
 * would deliver: AAA items (one per subscribed user involved, with the AAA body) and XAA events
 * (one per event type and filter user; delivery wraps each per matching XAA subscription). Both
 * views of one activity carry the same object ids (post id, DM event id, liked post id, like id),
 * so a receiver can recognise one event seen through both APIs. Bodies are built as text.
 */
import type { Core } from "./core.ts";
import { toJsonText, type JsonTextValue } from "./json-text.ts";
import {
  dmEvent,
  dmUser,
  favoriteId,
  profileOf,
  twitterDate,
  v1Tweet,
  v1User,
  v2Post,
  v2User,
  type TweetSpec,
} from "./payloads.ts";
import type { UserDef } from "./config.ts";
import { ActivityError, id, optionalId, str, type Input } from "./activity-input.ts";
import { buildXaaOnly, XAA_ONLY_TYPES } from "./activity-xaa-only.ts";
import { legacyEnvelope, type XaaEvent } from "./xaa-events.ts";

export const ACTIVITY_TYPES = [
  "tweet",
  "tweet_delete",
  "favorite",
  "follow",
  "unfollow",
  "block",
  "unblock",
  "mute",
  "unmute",
  "direct_message",
  "typing",
  "read",
  "revoke",
  "raw",
  ...XAA_ONLY_TYPES,
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export interface ActivityItem {
  /** The subscribed user whose subscription carries this delivery. */
  userId: string;
  /** AAA top-level key (`tweet_create_events`, ..., `user_event`, or the raw body's key). */
  eventType: string;
  aaaBody: string;
  /** The body an `xaa`-flavour app gets through an AAA subscription (emulator shortcut); null: none. */
  xaaBody: string | null;
  /** Only this app's webhooks (revoke). */
  appName: string | null;
}

export interface Activity {
  type: ActivityType;
  items: ActivityItem[];
  /** XAA events, delivered per matching XAA subscription. */
  xaa: XaaEvent[];
  /** Ids created for the activity (tweet id, DM id, ...), returned to the caller. */
  ids: Record<string, string>;
  /** Revoke: drop these subscriptions after delivering. */
  revoke: { userId: string; appName: string | null } | null;
}

export { ActivityError };

function aaa(forUserId: string | null, key: string, events: JsonTextValue, extra: Record<string, JsonTextValue | undefined> = {}): string {
  const { user_has_blocked, ...rest } = extra;
  const top: Record<string, JsonTextValue | undefined> = {};
  if (forUserId !== null) top.for_user_id = forUserId;
  if (user_has_blocked !== undefined) top.user_has_blocked = user_has_blocked;
  top[key] = events;
  return toJsonText({ ...top, ...rest });
}

function uniq(ids: string[]): string[] {
  return [...new Set(ids)];
}

export function buildActivity(core: Core, raw: unknown): Activity {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ActivityError("body must be a JSON object");
  const input = raw as Input;
  const type = str(input, "type", true) as ActivityType;
  if (!ACTIVITY_TYPES.includes(type)) throw new ActivityError(`type must be one of ${ACTIVITY_TYPES.join(", ")}`);
  const now = core.clock.now();
  const users = core.state.users;
  const newId = (): string => core.state.nextId(now);
  const items: ActivityItem[] = [];
  const events: XaaEvent[] = [];
  const ids: Record<string, string> = {};
  /** Record an XAA event; returns its shortcut body for an AAA item of the same user. */
  const xaa = (ev: XaaEvent): string => {
    events.push(ev);
    return legacyEnvelope(ev);
  };

  switch (type) {
    case "tweet": {
      const author = profileOf(users, id(input, "user_id"));
      const rawMentions: unknown[] = Array.isArray(input.mention_ids) ? input.mention_ids : [];
      const mentionIds = rawMentions.map((m) => (typeof m === "string" || typeof m === "number" ? String(m) : ""));
      if (!mentionIds.every((m) => /^\d{1,20}$/.test(m))) throw new ActivityError("mention_ids must be decimal id strings");
      const mentions = mentionIds.map((m) => profileOf(users, m));
      const prefix = mentions.map((m) => `@${m.screenName} `).join("");
      const spec: TweetSpec = { id: newId(), author, text: prefix + (str(input, "text") ?? "Hello from the X emulator"), createdAt: now, mentions };
      const ref = (statusKey: string, userKey: string): { statusId: string; user: UserDef } | undefined => {
        const statusId = optionalId(input, statusKey);
        const userId = optionalId(input, userKey);
        return statusId !== undefined && userId !== undefined ? { statusId, user: profileOf(users, userId) } : undefined;
      };
      const replyTo = ref("in_reply_to_status_id", "in_reply_to_user_id");
      const quoted = ref("quoted_status_id", "quoted_user_id");
      const retweeted = ref("retweeted_status_id", "retweeted_user_id");
      if (replyTo) spec.inReplyTo = replyTo;
      if (quoted) spec.quotedRef = quoted;
      if (retweeted) spec.retweetOf = retweeted;
      ids.tweet_id = spec.id;
      const tweet = [v1Tweet(spec)];
      const blocked = input.user_has_blocked === true;
      const post = v2Post(spec);
      const includes = { users: [v2User(author)], tweets: [post] };
      const isProtected = author.protected;
      const own = xaa({ eventType: "post.create", userId: author.id, payload: post, includes, protectedAuthor: isProtected });
      items.push({ userId: author.id, eventType: "tweet_create_events", aaaBody: aaa(author.id, "tweet_create_events", tweet), xaaBody: own, appName: null });
      // Others acting on a user: XAA names each relation; AAA sends the post once per user involved.
      const others = new Map<string, string>();
      const relate = (userId: string, eventType: string): void => {
        if (userId === author.id) return;
        const body = xaa({ eventType, userId, payload: post, includes, protectedAuthor: isProtected });
        if (!others.has(userId)) others.set(userId, body);
      };
      for (const m of uniq(mentions.map((x) => x.id))) relate(m, "post.mention.create");
      if (replyTo) relate(replyTo.user.id, "post.reply.create");
      if (quoted) relate(quoted.user.id, "post.quote.create");
      if (retweeted) relate(retweeted.user.id, "post.repost.create");
      for (const [m, body] of others) {
        items.push({ userId: m, eventType: "tweet_create_events", aaaBody: aaa(m, "tweet_create_events", tweet, { user_has_blocked: blocked }), xaaBody: body, appName: null });
      }
      break;
    }
    case "tweet_delete": {
      const author = id(input, "user_id");
      const tweetId = optionalId(input, "tweet_id") ?? newId();
      ids.tweet_id = tweetId;
      items.push({
        userId: author,
        eventType: "tweet_delete_events",
        aaaBody: aaa(author, "tweet_delete_events", [{ status: { id: tweetId, user_id: author }, timestamp_ms: String(now) }]),
        xaaBody: xaa({ eventType: "post.delete", userId: author, payload: { id: tweetId, author_id: author }, includes: { users: [v2User(profileOf(users, author))] } }),
        appName: null,
      });
      break;
    }
    case "favorite": {
      const liker = profileOf(users, id(input, "user_id"));
      const author = profileOf(users, id(input, "tweet_author_id"));
      const tweetId = optionalId(input, "tweet_id") ?? newId();
      const likeId = favoriteId(liker.id, tweetId, String(now));
      ids.favorite_id = likeId;
      ids.tweet_id = tweetId;
      const likedSpec: TweetSpec = { id: tweetId, author, text: str(input, "tweet_text") ?? "A post worth liking", createdAt: now - 60_000, mentions: [] };
      const tweet = v1Tweet(likedSpec);
      const event = [{ id: likeId, created_at: twitterDate(now), timestamp_ms: now, favorited_status: tweet, user: v1User(liker) }];
      // XAA like: created_at is the liked post's, timestamp_ms (a string) the like's (event-payloads page).
      const payload = { id: likeId, created_at: new Date(likedSpec.createdAt).toISOString(), timestamp_ms: String(now), liked_tweet_author_id: author.id, liked_tweet_id: tweetId };
      const likeIncludes = { users: uniq([liker.id, author.id]).map((u) => v2User(profileOf(users, u))), tweets: [v2Post(likedSpec)] };
      for (const u of uniq([liker.id, author.id])) {
        const direction = u === liker.id ? "outbound" : "inbound";
        const body = xaa({ eventType: "like.create", userId: u, direction, payload, includes: likeIncludes });
        items.push({ userId: u, eventType: "favorite_events", aaaBody: aaa(u, "favorite_events", event), xaaBody: body, appName: null });
      }
      break;
    }
    case "follow":
    case "unfollow":
    case "block":
    case "unblock":
    case "mute":
    case "unmute": {
      const source = profileOf(users, id(input, "source_id"));
      const target = profileOf(users, id(input, "target_id"));
      const key = type === "follow" || type === "unfollow" ? "follow_events" : type.endsWith("block") ? "block_events" : "mute_events";
      const event = [{ type, created_timestamp: String(now), target: v1User(target), source: v1User(source) }];
      // X: follows reach both sides; unfollows, blocks and mutes only the acting user.
      const involved = type === "follow" ? uniq([source.id, target.id]) : [source.id];
      const family = key.replace("_events", "");
      const xaaType = `${family}.${type}`;
      for (const u of involved) {
        items.push({ userId: u, eventType: key, aaaBody: aaa(u, key, event), xaaBody: xaa({ eventType: xaaType, userId: u, payload: { source: { data: v2User(source) }, target: { data: v2User(target) } } }), appName: null });
      }
      break;
    }
    case "direct_message": {
      const sender = profileOf(users, id(input, "sender_id"));
      const recipient = profileOf(users, id(input, "recipient_id"));
      const dmId = newId();
      ids.dm_id = dmId;
      const appName = str(input, "source_app");
      const app = appName === undefined ? undefined : core.state.apps.get(appName);
      const sourceApp =
        input.omit_apps === true
          ? null
          : app
            ? { id: app.appId, name: app.name, url: "https://x.com" }
            : { id: "3033300", name: "Twitter Web App", url: "https://mobile.twitter.com" };
      const event = [dmEvent({ id: dmId, sender, recipient, text: str(input, "text") ?? "Hello World!", createdAt: now, sourceApp })];
      const dmUsers = { [sender.id]: dmUser(sender), [recipient.id]: dmUser(recipient) };
      const extra: Record<string, JsonTextValue> = sourceApp ? { apps: { [sourceApp.id]: sourceApp }, users: dmUsers } : { users: dmUsers };
      const xaaUsers = { [sender.id]: { data: v2User(sender) }, [recipient.id]: { data: v2User(recipient) } };
      for (const u of uniq([sender.id, recipient.id])) {
        const xaaType = u === recipient.id ? "dm.received" : "dm.sent";
        items.push({ userId: u, eventType: "direct_message_events", aaaBody: aaa(u, "direct_message_events", event, extra), xaaBody: xaa({ eventType: xaaType, userId: u, payload: { direct_message_events: event, users: xaaUsers } }), appName: null });
      }
      break;
    }
    case "typing":
    case "read": {
      const sender = profileOf(users, id(input, "sender_id"));
      const recipient = profileOf(users, id(input, "recipient_id"));
      const key = type === "typing" ? "direct_message_indicate_typing_events" : "direct_message_mark_read_events";
      const event: Record<string, JsonTextValue> = { created_timestamp: String(now), sender_id: sender.id, target: { recipient_id: recipient.id } };
      if (type === "read") event.last_read_event_id = str(input, "last_read_event_id") ?? newId();
      const dmUsers = { [sender.id]: dmUser(sender), [recipient.id]: dmUser(recipient) };
      // Typing indicators and read receipts go "to user": the recipient's subscription.
      // XAA dm.* wrap the legacy array and a users map inside payload (PROTOCOL.md).
      const xaaUsers = { [sender.id]: { data: v2User(sender) }, [recipient.id]: { data: v2User(recipient) } };
      const xaaBody = xaa({ eventType: type === "typing" ? "dm.indicate_typing" : "dm.read", userId: recipient.id, payload: { [key]: [event], users: xaaUsers } });
      items.push({ userId: recipient.id, eventType: key, aaaBody: aaa(recipient.id, key, [event], { users: dmUsers }), xaaBody, appName: null });
      break;
    }
    case "revoke": {
      const userId = id(input, "user_id");
      const appName = str(input, "app") ?? null;
      const apps = appName === null ? [...core.state.apps.values()] : [core.state.apps.get(appName)].filter((a) => a !== undefined);
      if (apps.length === 0) throw new ActivityError(`unknown app ${appName ?? ""}`);
      const dateTime = new Date(now).toISOString().replace(/\.\d{3}Z$/, "+00:00");
      for (const app of apps) {
        const body = toJsonText({ user_event: { revoke: { date_time: dateTime, target: { app_id: app.appId }, source: { user_id: userId } } } });
        const xaaBody = xaa({ eventType: "oauth.revoke", userId, payload: { date_time: dateTime, user_id: userId, app_id: app.appId }, appName: app.name });
        items.push({ userId, eventType: "user_event", aaaBody: body, xaaBody, appName: app.name });
      }
      return { type, items, xaa: events, ids, revoke: { userId, appName } };
    }
    case "profile_update":
    case "spaces":
    case "broadcast":
    case "chat":
    case "news": {
      // XAA-only families: AAA has no such events.
      const built = buildXaaOnly(core, type, input);
      Object.assign(ids, built.ids);
      events.push(...built.events);
      break;
    }
    case "raw": {
      const userId = id(input, "for_user_id");
      const body = str(input, "body", true);
      try {
        JSON.parse(body);
      } catch {
        throw new ActivityError("body must be JSON text");
      }
      const eventType = str(input, "event_type") ?? "raw";
      items.push({ userId, eventType, aaaBody: body, xaaBody: body, appName: str(input, "app") ?? null });
      break;
    }
  }
  return { type, items, xaa: events, ids, revoke: null };
}
