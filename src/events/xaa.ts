/**
 * X Activity API (XAA) payloads: `{"data": {event_uuid, filter: {user_id}, event_type, tag,
 * payload, includes}}`. One delivery is one event; X says to dedupe on `event_uuid`.
 */
import type { Canonical } from "./activity.ts";
import { xaaActivity, xaaCanonical, xaaCreatedAt } from "./activity-xaa.ts";
import { eventIds, idText, isRecord, pick, type EventIds, type JsonRecord } from "./fields.ts";

/** What an XAA `event_type` looks like (`post.create`, `dm.received`, `follow.follow`, ...). */
const EVENT_TYPE = /^[A-Za-z0-9_.-]{1,64}$/;

/** The parts of an XAA event the envelope needs. */
export interface XaaEvent {
  type: string;
  for_user_id: string | null;
  created_at: string | null;
  ids: EventIds;
  canonical: Canonical;
  data: JsonRecord;
  includes: unknown;
}

/**
 * Reads `body.data` as an XAA event, or returns null when it is not one this version recognises
 * (no `data` object, or no usable `event_type`): the caller then emits an `unknown` envelope.
 * The id is `<event_type>:<filter.user_id>:<event_uuid>`; the event key drops the user, since
 * one post can match several users' filters.
 */
export function readXaa(data: unknown): XaaEvent | null {
  if (!isRecord(data)) return null;
  const type = pick(data, "event_type");
  if (typeof type !== "string" || !EVENT_TYPE.test(type)) return null;
  const forUserId = idText(pick(data, "filter", "user_id")) ?? null;
  const ids = eventIds(type, forUserId, [idText(pick(data, "event_uuid"))], () => JSON.stringify(data));
  const activity = xaaActivity(type);
  const payload = pick(data, "payload");
  const includes = pick(data, "includes");
  return {
    type,
    for_user_id: forUserId,
    created_at: xaaCreatedAt(activity, payload),
    ids,
    canonical: xaaCanonical({ activity, payload, filter: pick(data, "filter"), includes, forUserId }, ids.event_key),
    data,
    includes,
  };
}
