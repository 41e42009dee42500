/**
 * Activity that only XAA delivers (AAA has no such events): profile updates, Spaces, live
 * broadcasts, XChat and Grok news, in the payload shapes of X's event-payloads page (chat
 * events carry `created_at_msec`, broadcasts `event_timestamp_ms`, profiles `before`/`after`).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { ActivityError, id, oneOf, str, type Input } from "./activity-input.ts";
import type { Core } from "./core.ts";
import { profileOf, v2User } from "./payloads.ts";
import type { XaaEvent } from "./xaa-events.ts";

export const XAA_ONLY_TYPES = ["profile_update", "spaces", "broadcast", "chat", "news"] as const;
export type XaaOnlyType = (typeof XAA_ONLY_TYPES)[number];

const PROFILE_FIELDS = ["bio", "profile_picture", "banner_picture", "screenname", "handle", "geo", "url", "verified_badge", "affiliate_badge"] as const;

function broadcastId(): string {
  return randomBytes(9).toString("base64url").replace(/[-_]/g, "x").slice(0, 13);
}

export function buildXaaOnly(core: Core, type: XaaOnlyType, input: Input): { events: XaaEvent[]; ids: Record<string, string> } {
  const now = core.clock.now();
  const users = core.state.users;
  switch (type) {
    case "profile_update": {
      const userId = id(input, "user_id");
      const field = oneOf(input, "field", PROFILE_FIELDS);
      const payload = { before: str(input, "before") ?? "", after: str(input, "after") ?? "" };
      return { events: [{ eventType: `profile.update.${field}`, userId, payload }], ids: {} };
    }
    case "spaces": {
      const user = profileOf(users, id(input, "user_id"));
      const action = oneOf(input, "action", ["start", "end"] as const);
      const bid = str(input, "broadcast_id") ?? broadcastId();
      return { events: [{ eventType: `spaces.${action}`, userId: user.id, payload: { user: { data: v2User(user) }, broadcast_id: bid, event_type: `spaces_${action}` } }], ids: { broadcast_id: bid } };
    }
    case "broadcast": {
      const user = profileOf(users, id(input, "user_id"));
      const action = oneOf(input, "action", ["start", "end", "chat"] as const);
      const bid = str(input, "broadcast_id") ?? broadcastId();
      if (action === "chat") {
        const author = profileOf(users, id(input, "author_id"));
        const messageId = core.state.nextId(now);
        const payload = { broadcast_id: bid, message_id: messageId, message: str(input, "text") ?? "hello", author: { data: v2User(author) } };
        return { events: [{ eventType: "broadcast.chat", userId: user.id, payload }], ids: { broadcast_id: bid, message_id: messageId } };
      }
      const started = now - (action === "end" ? 3_800 : 3_500);
      const payload: Record<string, string | number | boolean | Record<string, unknown>> = {
        user: { data: v2User(user) },
        broadcast_id: bid,
        event_timestamp_ms: now,
        event_timestamp_ms_str: String(now),
        title: str(input, "title") ?? "Live on X",
        broadcast_state: action === "start" ? "Running" : "Ended",
        created_timestamp_ms: started,
        created_timestamp_ms_str: String(started),
        updated_timestamp_ms: now,
        updated_timestamp_ms_str: String(now),
        language: "en",
        available_for_replay: action === "end",
      };
      if (action === "end") Object.assign(payload, { duration_ms: now - started, duration_ms_str: String(now - started) });
      return { events: [{ eventType: `broadcast.${action}`, userId: user.id, payload: payload as XaaEvent["payload"] }], ids: { broadcast_id: bid } };
    }
    case "chat": {
      const sender = id(input, "sender_id");
      const recipient = id(input, "recipient_id");
      const join = input.join === true;
      const conversationId = `${sender}:${recipient}`;
      const messageId = randomUUID();
      const payload = {
        conversation_token: randomBytes(24).toString("base64url"),
        id: messageId,
        created_at_msec: String(now),
        sender_id: sender,
        conversation_id: conversationId,
        conversation_key_version: String(now - 86_400_000),
        encoded_event: randomBytes(32).toString("base64"),
        conversation_key_change_event: randomBytes(32).toString("base64"),
        message_event_signature: { public_key_version: String(now - 86_400_000), signature: randomBytes(64).toString("base64"), signature_version: "7", signing_public_key: randomBytes(65).toString("base64") },
      };
      const events: XaaEvent[] = join
        ? [{ eventType: "chat.conversation.join", userId: recipient, payload }]
        : [
            { eventType: "chat.sent", userId: sender, payload },
            { eventType: "chat.received", userId: recipient, payload },
          ];
      return { events, ids: { chat_id: messageId, conversation_id: conversationId } };
    }
    case "news": {
      const name = str(input, "name", true);
      if (name === "") throw new ActivityError("name must not be empty");
      const newsId = core.state.nextId(now);
      const payload = {
        summary: str(input, "summary") ?? name,
        contexts: { entities: { events: [], organizations: [], people: [], places: [], products: [] }, topics: [], finance: { tickers: [] }, sports: { teams: [] } },
        id: newsId,
        updated_at: new Date(now).toISOString().replace(/\.\d{3}Z$/, ".000Z"),
        hook: name,
        category: "News",
        disclaimer: "This story is a summary of posts on X and may evolve over time. Grok can make mistakes, verify its outputs.",
        cluster_posts_results: [],
        name,
      };
      return { events: [{ eventType: "news.new", userId: null, payload, keywordText: `${name} ${payload.summary}` }], ids: { news_id: newsId } };
    }
  }
}
