/**
 * One verified delivery body from X in, one `Envelope` per event out. Pure and synchronous: the
 * pipeline consumer calls it, decides what to do with each envelope, and dead-letters a body
 * that throws `PoisonPayloadError` (retrying can never fix it).
 *
 * Nothing X sends is dropped: a key or shape this version does not know becomes an envelope of
 * type `unknown` carrying the whole body, so a new X event type reaches consumers on day one.
 */
import type { Envelope } from "./envelope.ts";
import { AAA_META_KEYS, aaaEvents, aaaTypeRule, userHasBlocked } from "./aaa.ts";
import { UNKNOWN_ACTIVITY, type Canonical } from "./activity.ts";
import { aaaCanonical } from "./activity-aaa.ts";
import { eventIds, idText, isRecord, type JsonRecord } from "./fields.ts";
import { MalformedJsonError, parseLossless } from "./lossless-json.ts";
import { fnv1a64 } from "./stable-hash.ts";
import { readXaa } from "./xaa.ts";

/** What the receiver knows about the delivery, as opposed to what X put in it. */
export interface DeliveryMeta {
  /** The app (`/webhooks/:app`) that received it. */
  app: string;
  /** ISO 8601 time the Worker accepted it. */
  received_at: string;
  /** Unique per HTTP delivery. */
  delivery_id: string;
}

/** Why a body can never be normalised. */
export type PoisonReason = "malformed_json" | "too_deep" | "not_an_object";

/**
 * The body is not a JSON object, so no envelope can be made from it and no retry will change
 * that. The message says why, without quoting the body.
 */
export class PoisonPayloadError extends Error {
  override readonly name = "PoisonPayloadError";
  readonly reason: PoisonReason;

  constructor(reason: PoisonReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The top-level key that carries an XAA event. */
const XAA_DATA_KEY = "data";

function parseBody(text: string): JsonRecord {
  let body: unknown;
  try {
    body = parseLossless(text);
  } catch (error) {
    if (!(error instanceof MalformedJsonError)) throw error;
    throw error.reason === "too_deep"
      ? new PoisonPayloadError("too_deep", "delivery body nests too deeply to parse")
      : new PoisonPayloadError("malformed_json", `delivery body is not valid JSON: ${error.detail}`);
  }
  if (!isRecord(body)) {
    const kind = body === null ? "null" : Array.isArray(body) ? "an array" : `a ${typeof body}`;
    throw new PoisonPayloadError(
      "not_an_object",
      `delivery body is JSON but ${kind}, not an object`,
    );
  }
  return body;
}

/** The canonical fields in wire order, `direction` only when there is one. */
function canonicalFields(c: Canonical): Canonical {
  return {
    activity: c.activity,
    object_key: c.object_key,
    ...(c.direction === undefined ? {} : { direction: c.direction }),
  };
}

/** Envelope fields every envelope of a delivery shares. */
function base(meta: DeliveryMeta) {
  return { app: meta.app, received_at: meta.received_at, delivery_id: meta.delivery_id };
}

function aaaEnvelopes(body: JsonRecord, key: string, meta: DeliveryMeta): Envelope[] | null {
  const rule = aaaTypeRule(key);
  const events = rule === undefined ? null : aaaEvents(rule, body[key]);
  if (rule === undefined || events === null) return null;
  const forUserId = idText(body["for_user_id"]) ?? null;
  const scope = rule.userScoped ? forUserId : null;
  const blocked = key === "tweet_create_events" ? userHasBlocked(body["user_has_blocked"]) : undefined;
  const hasUserHasBlocked = Object.hasOwn(body, "user_has_blocked");
  return events.map((event): Envelope => {
    const ids = eventIds(key, scope, rule.keyParts(event), () => JSON.stringify(event));
    const canonical = aaaCanonical({ key, event, forUserId, hasUserHasBlocked }, ids.event_key);
    // Conditional spreads keep absent extras absent (not `undefined`) and the wire order fixed.
    return {
      ...ids,
      type: key,
      format: "aaa",
      ...canonicalFields(canonical),
      for_user_id: forUserId,
      created_at: rule.createdAt(event),
      ...base(meta),
      ...(blocked === undefined ? {} : { user_has_blocked: blocked }),
      event,
      ...(body["users"] === undefined ? {} : { users: body["users"] }),
      ...(body["apps"] === undefined ? {} : { apps: body["apps"] }),
    };
  });
}

function xaaEnvelope(body: JsonRecord, meta: DeliveryMeta): Envelope | null {
  const xaa = readXaa(body[XAA_DATA_KEY]);
  if (xaa === null) return null;
  return {
    ...xaa.ids,
    type: xaa.type,
    format: "xaa",
    ...canonicalFields(xaa.canonical),
    for_user_id: xaa.for_user_id,
    created_at: xaa.created_at,
    ...base(meta),
    event: xaa.data,
    ...(xaa.includes === undefined ? {} : { includes: xaa.includes }),
  };
}

/**
 * The envelope for a body (or part of one) this version does not understand: the whole body,
 * keyed by a hash of the exact text, so X's retries of it deduplicate and nothing is lost.
 */
function unknownEnvelope(body: JsonRecord, text: string, meta: DeliveryMeta): Envelope {
  const forUserId = idText(body["for_user_id"]) ?? null;
  const hasAaaKey = Object.keys(body).some((k) => aaaTypeRule(k) !== undefined || AAA_META_KEYS.has(k));
  const suffix = `hash:${fnv1a64(text)}`;
  return {
    id: forUserId === null ? `unknown:${suffix}` : `unknown:${forUserId}:${suffix}`,
    event_key: `unknown:${suffix}`,
    type: "unknown",
    format: hasAaaKey ? "aaa" : Object.hasOwn(body, XAA_DATA_KEY) ? "xaa" : "unknown",
    activity: UNKNOWN_ACTIVITY,
    object_key: `unknown:${suffix}`,
    for_user_id: forUserId,
    created_at: null,
    ...base(meta),
    event: body,
  };
}

/**
 * Parses one delivery body and returns its envelopes: one per event, in the order X sent them,
 * never an empty list. Keys it does not recognise (or recognised keys in a shape X does not
 * document, such as an empty event array) add one `unknown` envelope carrying the whole body.
 *
 * @throws PoisonPayloadError when `text` is not JSON, or is JSON but not an object.
 */
export function normaliseDelivery(text: string, meta: DeliveryMeta): Envelope[] {
  const body = parseBody(text);
  const envelopes: Envelope[] = [];
  let unrecognised = false;
  for (const key of Object.keys(body)) {
    if (AAA_META_KEYS.has(key)) continue;
    const made = key === XAA_DATA_KEY ? wrap(xaaEnvelope(body, meta)) : aaaEnvelopes(body, key, meta);
    if (made === null) unrecognised = true;
    else envelopes.push(...made);
  }
  if (unrecognised || envelopes.length === 0) envelopes.push(unknownEnvelope(body, text, meta));
  return envelopes;
}

function wrap(envelope: Envelope | null): Envelope[] | null {
  return envelope === null ? null : [envelope];
}

/**
 * The one way to turn an envelope into text: `JSON.stringify`, which writes numbers kept by
 * `parseLossless` back with their exact digits. Structured clone (a queue `send` of the object,
 * `postMessage`) would not.
 */
export function serialiseEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}
