/**
 * Lossless JSON parsing for X payloads.
 *
 * X's numeric ids (post, user, DM ids) are 64-bit and exceed 2^53, so `JSON.parse` silently
 * rounds them: X's own docs show `"id": 1924465506158879000` next to
 * `"id_str": "1924465506158878979"`. We forward X's data to users, so a rounded number would be
 * a corrupted id in their hands. `parseLossless` keeps every number whose text would not survive
 * a float round trip as a `JSON.rawJSON` value, which `JSON.stringify` writes back digit for
 * digit. It relies on the reviver's third argument (`context.source`, the JSON.parse source text
 * access proposal, shipped in V8 11.4: workerd and Node 22 both have it).
 *
 * Consequence for callers: such a number is an opaque frozen object in memory (read its text with
 * `rawNumberText`), and an envelope holding one must be serialised with `JSON.stringify`, never
 * structured-cloned (a queue `send` of the object would drop it).
 */

/** A value made by `JSON.rawJSON`: serialises as its `rawJSON` text, verbatim. */
export interface RawJson {
  readonly rawJSON: string;
}

/** What the reviver's third argument carries for primitive values (source text access). */
interface ReviverContext {
  readonly source?: string;
}

/**
 * The parts of `JSON` this module uses that TypeScript's ES2024 lib does not declare yet.
 * Declared locally (not as a global augmentation) so a later lib that does declare them can
 * never conflict with us.
 */
interface JsonWithSourceAccess {
  parse(
    text: string,
    reviver: (this: unknown, key: string, value: unknown, context?: ReviverContext) => unknown,
  ): unknown;
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): value is RawJson;
}

const JSON_WITH_SOURCE = JSON as unknown as JsonWithSourceAccess;

/** Why a text could not be parsed. */
export type MalformedJsonReason = "syntax" | "too_deep";

/** The text is not JSON (or nests deeper than the parser's stack allows). */
export class MalformedJsonError extends Error {
  override readonly name = "MalformedJsonError";
  readonly reason: MalformedJsonReason;
  /** The engine's own message (position and token), for logs. */
  readonly detail: string;

  constructor(reason: MalformedJsonReason, detail: string) {
    super(reason === "syntax" ? `not valid JSON: ${detail}` : `JSON nests too deeply: ${detail}`);
    this.reason = reason;
    this.detail = detail;
  }
}

/**
 * Whether this number's source text is exactly what `JSON.stringify` would write for its float
 * value. When it is not (ids above 2^53, `1e400`, `1.0`, more than 17 significant digits), the
 * number is kept as raw text so its exact digits reach the consumer.
 */
function roundTrips(value: number, source: string): boolean {
  return Number.isFinite(value) && String(value) === source;
}

function reviveNumber(this: unknown, _key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== "number" || context?.source === undefined) return value;
  return roundTrips(value, context.source) ? value : JSON_WITH_SOURCE.rawJSON(context.source);
}

/**
 * `JSON.parse`, except that numbers which would lose digits are kept as `JSON.rawJSON` values.
 * Throws `MalformedJsonError` for anything that is not JSON.
 */
export function parseLossless(text: string): unknown {
  try {
    return JSON_WITH_SOURCE.parse(text, reviveNumber);
  } catch (error) {
    // The reviver walks the parsed tree recursively: absurd nesting overflows the stack.
    if (error instanceof RangeError) throw new MalformedJsonError("too_deep", error.message);
    if (error instanceof SyntaxError) throw new MalformedJsonError("syntax", error.message);
    throw error;
  }
}

/** Whether `value` is a number kept as raw text by `parseLossless`. */
export function isRawJson(value: unknown): value is RawJson {
  return JSON_WITH_SOURCE.isRawJSON(value);
}

/** The exact source digits of a raw number, or undefined for anything else. */
export function rawNumberText(value: unknown): string | undefined {
  return isRawJson(value) ? value.rawJSON : undefined;
}
