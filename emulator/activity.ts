/**
 * Turns a control-API request ("alice mentions bob", "carol follows alice", ...) into the
 * per-user deliveries X would make: one item per subscribed user involved, each with its AAA
 * body and, where XAA has an equivalent event, its XAA body. Bodies are built as text.
 */
import { randomBytes } from "node:crypto";
import type { Core } from "./core.ts";
import { toJsonText, type JsonTextValue } from "./json-text.ts";
import {
  dmEvent,
  dmUser,
  eventUuid,
  favoriteId,
  profileOf,
  twitterDate,
  v1Tweet,
  v1User,
  v2Post,
  v2User,
  type TweetSpec,
} from "./payloads.ts";

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
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export interface ActivityItem {
  /** The subscribed user whose subscription carries this delivery. */
  userId: string;
  /** AAA top-level key (`tweet_create_events`, ..., `user_event`, or the raw body's key). */
  eventType: string;
  aaaBody: string;
  /** null: XAA has no such event, nothing is sent to XAA apps. */
  xaaBody: string | null;
  /** Only this app's webhooks (revoke). */
  appName: string | null;
}

export interface Activity {
  type: ActivityType;
  items: ActivityItem[];
  /** Ids created for the activity (tweet id, DM id, ...), returned to the caller. */
  ids: Record<string, string>;
  /** Revoke: drop these subscriptions after delivering. */
  revoke: { userId: string; appName: string | null } | null;
}

export class ActivityError extends Error {
  override readonly name = "ActivityError";
}

type Input = Record<string, unknown>;

function str(input: Input, key: string, required: true): string;
function str(input: Input, key: string, required?: false): string | undefined;
function str(input: Input, key: string, required = false): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) {
    if (required) throw new ActivityError(`${key} is required`);
    return undefined;
  }
  if (typeof v !== "string") throw new ActivityError(`${key} must be a string`);
  return v;
}

function id(input: Input, key: string): string {
  const v = str(input, key, true);
  if (!/^\d{1,20}$/.test(v)) throw new ActivityError(`${key} must be a decimal id string`);
  return v;
}

function optionalId(input: Input, key: string): string | undefined {
  return input[key] === undefined || input[key] === null ? undefined : id(input, key);
}

function aaa(forUserId: string | null, key: string, events: JsonTextValue, extra: Record<string, JsonTextValue | undefined> = {}): string {
  const { user_has_blocked, ...rest } = extra;
  const top: Record<string, JsonTextValue | undefined> = {};
  if (forUserId !== null) top.for_user_id = forUserId;
  if (user_has_blocked !== undefined) top.user_has_blocked = user_has_blocked;
  top[key] = events;
  return toJsonText({ ...top, ...rest });
}

function xaa(forUserId: string, eventType: string, tag: string, payload: JsonTextValue, includes: JsonTextValue = {}): string {
  return toJsonText({
    data: { event_uuid: eventUuid(randomBytes(8)), filter: { user_id: forUserId }, event_type: eventType, tag, payload, includes },
  });
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
  const ids: Record<string, string> = {};

  switch (type) {
    case "tweet": {
      const author = profileOf(users, id(input, "user_id"));
      const mentionIds = Array.isArray(input.mention_ids) ? input.mention_ids.map(String) : [];
      if (!mentionIds.every((m) => /^\d{1,20}$/.test(m))) throw new ActivityError("mention_ids must be decimal id strings");
      const mentions = mentionIds.map((m) => profileOf(users, m));
      const prefix = mentions.map((m) => `@${m.screenName} `).join("");
      const spec: TweetSpec = { id: newId(), author, text: prefix + (str(input, "text") ?? "Hello from the X emulator"), createdAt: now, mentions };
      const replyTo = optionalId(input, "in_reply_to_status_id");
      const replyUser = optionalId(input, "in_reply_to_user_id");
      if (replyTo !== undefined && replyUser !== undefined) spec.inReplyTo = { statusId: replyTo, user: profileOf(users, replyUser) };
      ids.tweet_id = spec.id;
      const tweet = [v1Tweet(spec)];
      const blocked = input.user_has_blocked === true;
      items.push({ userId: author.id, eventType: "tweet_create_events", aaaBody: aaa(author.id, "tweet_create_events", tweet), xaaBody: xaa(author.id, "post.create", "posts", v2Post(spec), { users: [v2User(author)] }), appName: null });
      for (const m of uniq(mentions.map((x) => x.id)).filter((m) => m !== author.id)) {
        items.push({ userId: m, eventType: "tweet_create_events", aaaBody: aaa(m, "tweet_create_events", tweet, { user_has_blocked: blocked }), xaaBody: null, appName: null });
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
        xaaBody: xaa(author, "post.delete", "posts", { id: tweetId, author_id: author }),
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
      const tweet = v1Tweet({ id: tweetId, author, text: str(input, "tweet_text") ?? "A post worth liking", createdAt: now - 60_000, mentions: [] });
      const event = [{ id: likeId, created_at: twitterDate(now), timestamp_ms: now, favorited_status: tweet, user: v1User(liker) }];
      for (const u of uniq([liker.id, author.id])) {
        items.push({ userId: u, eventType: "favorite_events", aaaBody: aaa(u, "favorite_events", event), xaaBody: xaa(u, "like.create", "likes", { id: likeId, post_id: tweetId, liking_user_id: liker.id, post_author_id: author.id }), appName: null });
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
        items.push({ userId: u, eventType: key, aaaBody: aaa(u, key, event), xaaBody: xaa(u, xaaType, `${family}s`, { source: { data: v2User(source) }, target: { data: v2User(target) } }), appName: null });
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
        items.push({ userId: u, eventType: "direct_message_events", aaaBody: aaa(u, "direct_message_events", event, extra), xaaBody: xaa(u, xaaType, u === recipient.id ? "dm-inbound" : "dm-outbound", { direct_message_events: event, users: xaaUsers }), appName: null });
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
      items.push({ userId: recipient.id, eventType: key, aaaBody: aaa(recipient.id, key, [event], { users: dmUsers }), xaaBody: xaa(recipient.id, type === "typing" ? "dm.indicate_typing" : "dm.read", "dm-inbound", event), appName: null });
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
        items.push({ userId, eventType: "user_event", aaaBody: body, xaaBody: xaa(userId, "app.revoke", "revokes", { date_time: dateTime, app_id: app.appId, user_id: userId }), appName: app.name });
      }
      return { type, items, ids, revoke: { userId, appName } };
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
  return { type, items, ids, revoke: null };
}
