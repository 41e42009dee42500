/**
 * What one EVENTS message carries, and a lossless parser for it. Standalone on purpose (no
 * import from the receiver's src/): copy this folder into your own project.
 *
 * EVENTS bodies are text, the envelope JSON exactly as the receiver serialised it (docs/pipeline.md
 * "What a consumer receives"). X's 64-bit ids exceed 2^53, so plain `JSON.parse` rounds the
 * numeric ones; `parseEnvelope` turns every integer that would lose digits into a `bigint`
 * instead (JSON.parse source text access: workerd, Node 21+, Chrome 114+).
 */

/** Where a stub's full envelope is stored (receiver's Spool Durable Object, per app). */
export interface SpillRef {
  app: string;
  key: string;
  bytes: number;
}

/** The envelope fields (docs/envelope.md). Numbers above 2^53 inside `event` etc. are bigints. */
export interface ConsumedEnvelope {
  id: string;
  event_key: string;
  type: string;
  format: "aaa" | "xaa" | "unknown";
  /** Same for one event through AAA and XAA (`post.create`, `like.create`, `dm.received`, ...). */
  activity: string;
  /** The X object the event is about, equal through both APIs (`post:<id>`, `dm:<id>`, ...). */
  object_key: string;
  /** Only on `like.create`. */
  direction?: "inbound" | "outbound";
  app: string;
  for_user_id: string | null;
  created_at: string | null;
  received_at: string;
  delivery_id: string;
  user_has_blocked?: boolean;
  event: unknown;
  users?: unknown;
  apps?: unknown;
  includes?: unknown;
  /** Only on a stub for an envelope too large for a queue message (`event` is then null). */
  spill?: SpillRef;
}

/** The body can never become an envelope: retrying will not change that. */
export class NotAnEnvelopeError extends Error {
  override readonly name = "NotAnEnvelopeError";
}

/** The reviver's third argument (TypeScript's ES2024 lib does not declare it yet). */
interface ReviverContext {
  readonly source?: string;
}
type LosslessParse = (
  text: string,
  reviver: (key: string, value: unknown, context?: ReviverContext) => unknown,
) => unknown;

const INTEGER = /^-?\d+$/;

function keepDigits(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== "number" || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER.test(source) ? BigInt(source) : value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parse one EVENTS message body. Throws `NotAnEnvelopeError` for a body that is not an envelope
 * (not text, not JSON, or missing the fields every envelope has).
 */
export function parseEnvelope(body: unknown): ConsumedEnvelope {
  if (typeof body !== "string") throw new NotAnEnvelopeError(`message body is ${typeof body}, not text`);
  let value: unknown;
  try {
    value = (JSON.parse as LosslessParse)(body, keepDigits);
  } catch (error) {
    throw new NotAnEnvelopeError(`message body is not JSON: ${error instanceof Error ? error.message : "parse error"}`);
  }
  if (!isObject(value)) throw new NotAnEnvelopeError("message body is not a JSON object");
  for (const field of ["id", "event_key", "type", "app", "received_at", "delivery_id"] as const) {
    if (typeof value[field] !== "string") throw new NotAnEnvelopeError(`envelope field ${field} is missing`);
  }
  return value as unknown as ConsumedEnvelope;
}

/** Whether this is a stub whose full envelope must be fetched from the Spool. */
export function isSpillStub(envelope: ConsumedEnvelope): envelope is ConsumedEnvelope & { spill: SpillRef } {
  return envelope.event === null && isObject(envelope.spill) && typeof envelope.spill.key === "string";
}
