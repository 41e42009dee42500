/**
 * Account Activity API payloads (v1.1 Enterprise, Premium and v2 alike):
 * `{"for_user_id": "...", "<type>": [event, ...], ...top-level extras}`.
 * The per-type id rules are PROTOCOL.md's table; docs/envelope.md documents them for users.
 */
import { firstIsoTimestamp } from "./timestamps.ts";
import { idText, isRecord, objectId, pick, type JsonRecord } from "./fields.ts";

/** How one AAA payload key is read. */
export interface AaaTypeRule {
  /** Array of events (most types) or a single event object (`user_event`, `replay_job_status`). */
  container: "array" | "object";
  /**
   * Whether X scopes this type by `for_user_id` (one delivery per subscribed user), so the
   * envelope id carries the user. `user_event` and `replay_job_status` arrive without one.
   */
  userScoped: boolean;
  /** The parts of the stable key; any undefined part means "fall back to a hash". */
  keyParts(event: JsonRecord): (string | undefined)[];
  /** The event's own time, ISO 8601, or null. */
  createdAt(event: JsonRecord): string | null;
}

/** Follow, block and mute share one shape: `{type, created_timestamp, source, target}`. */
const RELATIONSHIP_RULE: AaaTypeRule = {
  container: "array",
  userScoped: true,
  keyParts: (e) => [
    idText(e["type"]),
    objectId(e["source"]),
    objectId(e["target"]),
    idText(e["created_timestamp"]),
  ],
  createdAt: (e) => firstIsoTimestamp(e["created_timestamp"]),
};

/** Typing indicators and read receipts: `{created_timestamp, sender_id, target: {recipient_id}}`. */
const TYPING_RULE: AaaTypeRule = {
  container: "array",
  userScoped: true,
  keyParts: (e) => [
    idText(e["sender_id"]),
    idText(pick(e, "target", "recipient_id")),
    idText(e["created_timestamp"]),
  ],
  createdAt: (e) => firstIsoTimestamp(e["created_timestamp"]),
};

/** Every AAA payload key this version understands, with its rule. */
export const AAA_TYPES: Readonly<Record<string, AaaTypeRule>> = {
  tweet_create_events: {
    container: "array",
    userScoped: true,
    keyParts: (e) => [objectId(e)],
    createdAt: (e) => firstIsoTimestamp(e["timestamp_ms"], e["created_at"]),
  },
  favorite_events: {
    container: "array",
    userScoped: true,
    keyParts: (e) => [idText(e["id"])],
    createdAt: (e) => firstIsoTimestamp(e["timestamp_ms"], e["created_at"]),
  },
  follow_events: RELATIONSHIP_RULE,
  block_events: RELATIONSHIP_RULE,
  mute_events: RELATIONSHIP_RULE,
  // Some X docs name these keys; the elements have the follow/block/mute shape.
  unfollow_events: RELATIONSHIP_RULE,
  unblock_events: RELATIONSHIP_RULE,
  unmute_events: RELATIONSHIP_RULE,
  direct_message_events: {
    container: "array",
    userScoped: true,
    keyParts: (e) => [idText(e["id"])],
    createdAt: (e) => firstIsoTimestamp(e["created_timestamp"]),
  },
  direct_message_indicate_typing_events: TYPING_RULE,
  direct_message_mark_read_events: {
    container: "array",
    userScoped: true,
    keyParts: (e) => [idText(e["sender_id"]), idText(e["last_read_event_id"])],
    createdAt: (e) => firstIsoTimestamp(e["created_timestamp"]),
  },
  tweet_delete_events: {
    container: "array",
    userScoped: true,
    keyParts: (e) => [objectId(e["status"])],
    createdAt: (e) => firstIsoTimestamp(e["timestamp_ms"]),
  },
  user_event: {
    container: "object",
    userScoped: false,
    keyParts: (e) => [
      idText(pick(e, "revoke", "source", "user_id")),
      idText(pick(e, "revoke", "target", "app_id")),
      idText(pick(e, "revoke", "date_time")),
    ],
    createdAt: (e) => firstIsoTimestamp(pick(e, "revoke", "date_time")),
  },
  replay_job_status: {
    container: "object",
    userScoped: false,
    keyParts: (e) => [idText(e["job_id"]), idText(e["job_state"])],
    createdAt: () => null,
  },
};

/**
 * The rule for a top-level key of a delivery, or undefined when this version does not know it.
 * The only way to read AAA_TYPES with a name from a body: an own-property check, so a key named
 * like an Object.prototype member (`constructor`, `__proto__`, `toString`) is unknown rather
 * than the inherited function (which crashed normalisation: issue 10).
 */
export function aaaTypeRule(key: string): AaaTypeRule | undefined {
  return Object.hasOwn(AAA_TYPES, key) ? AAA_TYPES[key] : undefined;
}

/** Top-level AAA keys that describe the delivery rather than being events themselves. */
export const AAA_META_KEYS: ReadonlySet<string> = new Set([
  "for_user_id",
  "user_has_blocked",
  "users",
  "apps",
]);

/** The events under one AAA key, or null when the value is not the shape X documents. */
export function aaaEvents(rule: AaaTypeRule, value: unknown): JsonRecord[] | null {
  if (rule.container === "object") return isRecord(value) ? [value] : null;
  if (!Array.isArray(value) || value.length === 0) return null;
  return value.every(isRecord) ? value : null;
}

/** Top-level `user_has_blocked` on mentions: a string in X's docs, a boolean in real deliveries. */
export function userHasBlocked(value: unknown): boolean | undefined {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return undefined;
}
