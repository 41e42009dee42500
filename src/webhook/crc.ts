/**
 * X's challenge-response check (PROTOCOL.md "CRC"). Pure: no env, no I/O besides WebCrypto.
 *
 * Answer: `{"response_token":"sha256=" + base64(HMAC-SHA256(consumer secret, crc_token))}`, the
 * token taken as X sent it after URL-decoding the query.
 *
 * Security (PROTOCOL.md "Security"): CRC answers and delivery signatures share key, algorithm
 * and prefix, so signing any token makes the receiver a signing oracle: an attacker sends a
 * forged event body as `crc_token` and replays the answer as that body's delivery signature.
 * `crcTokenRefusal` closes it in two layers:
 * - always, whatever the configuration: a token containing `{`, `"` or whitespace, or that
 *   parses as JSON, is never signed (crc-pattern.ts `isForbiddenCrcToken`). Every delivery body
 *   the receiver accepts is a JSON object, so it contains `{` and can never be such a token.
 * - a configured pattern (CRC_TOKEN_PATTERN, default `^[A-Za-z0-9+/=_-]{16,128}$`) narrows the
 *   tokens further (length, alphabet). config.ts refuses a pattern that could match any of the
 *   forbidden characters (crc-pattern.ts `crcPatternProblem`). X documents no token format, so
 *   "off" drops the pattern in case X ever sends tokens it refuses; the first layer stays.
 */
import { isForbiddenCrcToken } from "./crc-pattern.ts";
import { sign } from "./signature.ts";

/** Why a CRC token was not signed; each maps to one stable HTTP error code in the routes. */
export type CrcTokenRefusal = "missing" | "pattern";

/**
 * Null when the token may be signed, else the reason to refuse it. `pattern` null drops the
 * configured pattern only: an empty token, or one that could be a JSON body, is still refused.
 */
export function crcTokenRefusal(token: string | null, pattern: RegExp | null): CrcTokenRefusal | null {
  if (token === null || token === "") return "missing";
  if (isForbiddenCrcToken(token)) return "pattern";
  if (pattern === null) return null;
  // Guard against a caller passing a global/sticky RegExp, whose `test` is stateful.
  pattern.lastIndex = 0;
  return pattern.test(token) ? null : "pattern";
}

/** `sha256=` + base64(HMAC-SHA256(secret, token as UTF-8)). Sign with the CURRENT secret only. */
export function crcResponseToken(secret: string, token: string): Promise<string> {
  return sign(secret, token);
}

/** The exact CRC answer body X expects. */
export async function crcResponseBody(secret: string, token: string): Promise<string> {
  return JSON.stringify({ response_token: await crcResponseToken(secret, token) });
}

/**
 * The query string exactly as it appears in the request URL (no `?`, no fragment): legacy X signs
 * the CRC GET's query in `x-twitter-webhooks-signature`, byte for byte, undecoded.
 */
export function rawQueryString(requestUrl: string): string {
  const q = requestUrl.indexOf("?");
  if (q < 0) return "";
  const hash = requestUrl.indexOf("#", q);
  return requestUrl.slice(q + 1, hash < 0 ? undefined : hash);
}
