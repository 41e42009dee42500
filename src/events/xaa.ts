/**
 * X Activity API (XAA) payloads: `{"data": {event_uuid, filter: {user_id}, event_type, tag,
 * payload, includes}}`. One delivery is one event; X says to dedupe on `event_uuid`.
 */
import { firstIsoTimestamp } from "./timestamps.ts";
import { eventIds, idText, isRecord, pick, type EventIds, type JsonRecord } from "./fields.ts";

/** What an XAA `event_type` looks like (`post.create`, `dm.received`, `follow.follow`, ...). */
const EVENT_TYPE = /^[A-Za-z0-9_.-]{1,64}$/;

/** The parts of an XAA event the envelope needs. */
export interface XaaEvent {
  type: string;
  for_user_id: string | null;
  created_at: string | null;
  ids: EventIds;
  data: JsonRecord;
  includes: unknown;
}

/**
 * The event's own time: `payload.created_at` (posts), else the first timestamp of a wrapped
 * legacy DM (`dm.received` carries `payload.direct_message_events`), else null.
 */
function xaaCreatedAt(payload: unknown): string | null {
  const dms = pick(payload, "direct_message_events");
  const firstDm: unknown = Array.isArray(dms) ? dms[0] : undefined;
  return firstIsoTimestamp(
    pick(payload, "created_at"),
    pick(payload, "timestamp_ms"),
    pick(payload, "created_timestamp"),
    pick(firstDm, "created_timestamp"),
  );
}

/**
 * Reads `body.data` as an XAA event, or returns null when it is not one this version recognises
 * (no `data` object, or no usable `event_type`): the caller then emits an `unknown` envelope.
 * The id is `<event_type>:<filter.user_id>:<event_uuid>`; the event key drops the user, since
 * one post can match several users' filters.
 */
export function readXaa(data: unknown): XaaEvent | null {
  if (!isRecord(data)) return null;
  const type = data["event_type"];
  if (typeof type !== "string" || !EVENT_TYPE.test(type)) return null;
  const forUserId = idText(pick(data, "filter", "user_id")) ?? null;
  return {
    type,
    for_user_id: forUserId,
    created_at: xaaCreatedAt(data["payload"]),
    ids: eventIds(type, forUserId, [idText(data["event_uuid"])], () => JSON.stringify(data)),
    data,
    includes: data["includes"],
  };
}
