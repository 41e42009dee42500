/**
 * X's webhook signature: `x-twitter-webhooks-signature: sha256=<base64(HMAC-SHA256(consumer
 * secret, raw body bytes))>` (PROTOCOL.md "Delivery"). Pure: no env, no I/O besides WebCrypto.
 *
 * Verification runs over the exact bytes received, before anything parses them, and compares
 * with `crypto.subtle.verify`, which is constant time; a hand-written `===` on strings is not.
 * Attacker input (the header, the body) never makes these functions throw: every outcome is a
 * tagged result.
 */

export const SIGNATURE_HEADER = "x-twitter-webhooks-signature";
export const SIGNATURE_PREFIX = "sha256=";

/** Why a signature was refused; each maps to one stable HTTP error code in the routes. */
export type SignatureFailure = "missing" | "malformed" | "mismatch";

export type SignatureResult =
  | { ok: true; /** Which of the given secrets matched: 0 current, 1 previous (rotation). */ secretIndex: number }
  | { ok: false; reason: SignatureFailure };

/**
 * Canonical base64 of exactly 32 bytes: 43 alphabet characters then one `=`. The 43rd character
 * carries 2 padding bits that must be zero, so only 16 letters may stand there; anything else
 * is a non-canonical spelling of some other value and is refused as malformed.
 */
const CANONICAL_SHA256_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

const encoder = new TextEncoder();

/**
 * HMAC keys imported once per secret and kept for the isolate's life. Importing costs more than
 * the HMAC itself on small bodies; secrets come from config (a handful), never from requests, so
 * the map stays small. The promise is cached so concurrent first requests import once.
 */
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keyCache.set(secret, key);
    // A failed import must not poison the cache for the next request.
    key.catch(() => keyCache.delete(secret));
  }
  return key;
}

function toBytes(data: Uint8Array | ArrayBuffer | string): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** `sha256=` + base64(HMAC-SHA256(secret, data)); strings are signed as their UTF-8 bytes. */
export async function sign(secret: string, data: Uint8Array | ArrayBuffer | string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), toBytes(data));
  return SIGNATURE_PREFIX + toBase64(new Uint8Array(mac));
}

/**
 * The 32 MAC bytes a header claims, or null when the header is not exactly `sha256=` followed
 * by canonical base64 of 32 bytes (wrong prefix or case, several values joined by `, `,
 * whitespace, truncation, bad alphabet all land here).
 */
export function parseSignatureHeader(header: string): Uint8Array | null {
  if (!header.startsWith(SIGNATURE_PREFIX)) return null;
  const b64 = header.slice(SIGNATURE_PREFIX.length);
  if (!CANONICAL_SHA256_BASE64.test(b64)) return null;
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Check a delivery (or legacy CRC GET) signature against each secret in order: the current one,
 * then the one being rotated out. `secrets` come from config; the header and body from the wire.
 */
export async function verifySignature(
  header: string | null,
  body: Uint8Array,
  secrets: readonly string[],
): Promise<SignatureResult> {
  if (header === null || header === "") return { ok: false, reason: "missing" };
  const mac = parseSignatureHeader(header);
  if (mac === null) return { ok: false, reason: "malformed" };
  for (let i = 0; i < secrets.length; i++) {
    const secret = secrets[i];
    // An empty secret cannot be imported as an HMAC key; config never yields one, but a bad
    // caller must get "mismatch", not an exception.
    if (!secret) continue;
    if (await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, body)) return { ok: true, secretIndex: i };
  }
  return { ok: false, reason: "mismatch" };
}

/** The secrets that verify an app's deliveries, current first. */
export function deliverySecrets(app: { consumerSecret: string; previousConsumerSecret?: string }): string[] {
  return app.previousConsumerSecret === undefined
    ? [app.consumerSecret]
    : [app.consumerSecret, app.previousConsumerSecret];
}
