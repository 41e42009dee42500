/**
 * Admin bearer authentication, constant time.
 *
 * Both the presented token and ADMIN_TOKEN are first MACed with a random per-isolate key, then
 * the two fixed-length MACs are compared with `crypto.subtle.timingSafeEqual`. Comparing MACs
 * rather than the raw strings means the comparison never depends on the token's length or on
 * where the first differing byte is, and the random key means an attacker cannot precompute
 * anything. Missing, malformed and wrong tokens all get the same 401 and the same message.
 * With ADMIN_TOKEN unset the admin API is disabled: every call is a 401.
 */
import { HttpError } from "../http/errors.ts";

/** The one answer for every authentication failure: no hint which part was wrong. */
export const UNAUTHORIZED_MESSAGE = "Missing or invalid admin bearer token.";

export type ConstantTimeEqual = (a: ArrayBuffer, b: ArrayBuffer) => boolean;

let isolateKey: Promise<CryptoKey> | null = null;

function macKey(): Promise<CryptoKey> {
  isolateKey ??= crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]) as Promise<CryptoKey>;
  return isolateKey;
}

async function mac(key: CryptoKey, text: string): Promise<ArrayBuffer> {
  return crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text));
}

const subtleTimingSafeEqual: ConstantTimeEqual = (a, b) =>
  (crypto.subtle as SubtleCrypto & { timingSafeEqual(a: ArrayBuffer, b: ArrayBuffer): boolean }).timingSafeEqual(a, b);

/** The bearer credential from an Authorization header, or "" (which never matches). */
export function bearerFrom(header: string | null): string {
  if (header === null) return "";
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : "";
}

/**
 * Whether `presented` equals `expected`, in constant time. `equal` is injectable so the unit
 * test can prove the constant-time comparison runs on every path (also for empty or short input).
 */
export async function tokenMatches(
  presented: string,
  expected: string | null,
  equal: ConstantTimeEqual = subtleTimingSafeEqual,
): Promise<boolean> {
  const key = await macKey();
  // Always MAC and compare, even when admin is disabled or nothing was presented, so each path
  // does the same work; the final `&&` only folds in facts already known to the caller.
  const [a, b] = await Promise.all([mac(key, presented), mac(key, expected ?? "")]);
  const same = equal(a, b);
  return same && expected !== null && expected !== "" && presented !== "";
}

/** Throws the one 401 unless the request carries the admin token. */
export async function requireAdmin(request: Request, adminToken: string | null, equal?: ConstantTimeEqual): Promise<void> {
  const ok = await tokenMatches(bearerFrom(request.headers.get("authorization")), adminToken, equal);
  if (!ok) throw new HttpError(401, "unauthorized", UNAUTHORIZED_MESSAGE, { "www-authenticate": 'Bearer realm="admin"' });
}

/** Non-throwing form for places (OAuth start) where admin is one of several ways in. */
export async function isAdmin(request: Request, adminToken: string | null): Promise<boolean> {
  return tokenMatches(bearerFrom(request.headers.get("authorization")), adminToken);
}
