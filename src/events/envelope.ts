/**
 * The one envelope every X event becomes, whatever the API flavour (AAA v1.1, AAA v2, XAA).
 * Documented for users in docs/envelope.md; keep the two in step.
 *
 * Field names are snake_case, like X's own payloads. `event`, `users`, `apps` and `includes`
 * hold X's data as delivered: numbers that exceed 2^53 keep every digit because they are held
 * as `JSON.rawJSON` values (see `parseLossless`), so serialise envelopes with `JSON.stringify`
 * only, never through structured clone.
 */
import type { Direction } from "./activity.ts";

export interface Envelope {
  /**
   * Stable id: the same X event always gets the same id. Built from the per-type key in
   * PROTOCOL.md and scoped by `for_user_id` where X scopes deliveries, e.g.
   * `tweet_create_events:2244994945:1924465506158878979`.
   */
  id: string;
  /** The same key without the `for_user_id` scope: equal for every subscribed user's copy. */
  event_key: string;
  /** The app (`/webhooks/:app`) that received the delivery. */
  app: string;
  /**
   * The AAA payload key (`tweet_create_events`, `favorite_events`, `follow_events`, ...,
   * `replay_job_status`, `user_event`), the XAA `event_type` (`post.create`, `dm.received`, ...),
   * or `unknown` for a shape this version does not recognise.
   */
  type: string;
  /** Which envelope X used. */
  format: "aaa" | "xaa" | "unknown";
  /**
   * What happened, named the same whichever API delivered it: XAA's dotted names (`post.create`,
   * `post.mention.create`, `like.create`, `follow.follow`, `dm.received`, `oauth.revoke`, ...),
   * AAA events mapped onto them from who did what (docs/envelope.md has the table).
   * `replay_job_status` and `unknown` keep those names; an AAA event that cannot be classified
   * keeps its AAA key.
   */
  activity: string;
  /**
   * The X object the event is about (`post:<id>`, `dm:<id>`, `like:<post>:<liker>`,
   * `follow:<source>:<target>`, ...): equal for the same event delivered through AAA and
   * through XAA. The event's `event_key` when the ids that name its object are missing.
   */
  object_key: string;
  /** Only on `like.create`: whether the subscribed user liked (outbound) or was liked (inbound). */
  direction?: Direction;
  /** The subscribed user the delivery is for; null where X sends none (`user_event`, replay status). */
  for_user_id: string | null;
  /** When the event happened (ISO 8601), from the event's own timestamp; null if it has none. */
  created_at: string | null;
  /** When this receiver accepted the delivery (ISO 8601). */
  received_at: string;
  /** Only on mentions: whether the mentioned subscribed user has blocked the author. */
  user_has_blocked?: boolean;
  /** The original event, exactly as X sent it (one element of the AAA array, or XAA `data`). */
  event: unknown;
  /** AAA top-level `users` map (DMs, typing, read receipts). */
  users?: unknown;
  /** AAA top-level `apps` map (DMs). */
  apps?: unknown;
  /** XAA `includes`. */
  includes?: unknown;
  /** Id of the HTTP delivery that carried the event (several events may share one). */
  delivery_id: string;
}
