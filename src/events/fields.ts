/**
 * Reading fields out of untrusted parsed JSON without trusting its shape, and turning X's id
 * fields into the text parts of an envelope id.
 */
import { isRawJson, rawNumberText } from "./lossless-json.ts";
import { fnv1a64 } from "./stable-hash.ts";

export type JsonRecord = Record<string, unknown>;

/** A JSON object (not an array, not null, not a raw number kept by `parseLossless`). */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isRawJson(value);
}

/** `value[k0][k1]...`, or undefined as soon as a step is not an object. */
export function pick(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/**
 * What an id part may contain: printable ASCII without spaces, bounded. Ids end up in Durable
 * Object names, storage keys and the `webhook-id` header, so a part X sends that is empty, huge
 * or contains control characters is treated as missing (and the event gets a hash id).
 */
const ID_PART = /^[\x21-\x7e]{1,200}$/;

/**
 * An id field as exact text: a string as sent, a safe integer as its digits, or a raw number
 * (above 2^53) as its source digits; never a rounded float. Undefined if absent or unusable.
 */
export function idText(value: unknown): string | undefined {
  let text: string | undefined;
  if (typeof value === "string") text = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) text = String(value);
  else text = rawNumberText(value);
  return text !== undefined && ID_PART.test(text) ? text : undefined;
}

/** The id of an X object: its `<name>_str` field if usable, else `<name>` itself (see `idText`). */
export function objectId(value: unknown, name = "id"): string | undefined {
  return idText(pick(value, `${name}_str`)) ?? idText(pick(value, name));
}

/** An event's key, with and without the subscribed user's scope. */
export interface EventIds {
  id: string;
  event_key: string;
}

/**
 * Builds `<type>:<parts...>` (the event key) and `<type>:<forUserId>:<parts...>` (the id, when
 * the delivery is scoped to a user). When any part is missing the key falls back to
 * `<type>:hash:<fnv1a64(hashSource)>`, so an event X sent without its key fields is still kept
 * and still deduplicates against its own retries.
 */
export function eventIds(
  type: string,
  forUserId: string | null,
  parts: readonly (string | undefined)[],
  hashSource: () => string,
): EventIds {
  const known = parts.every((part): part is string => part !== undefined);
  const suffix = known && parts.length > 0 ? parts.join(":") : `hash:${fnv1a64(hashSource())}`;
  return {
    id: forUserId === null ? `${type}:${suffix}` : `${type}:${forUserId}:${suffix}`,
    event_key: `${type}:${suffix}`,
  };
}
