/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/, spec section "Signature scheme"),
 * WebCrypto only: `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`,
 * where the key is the secret's bytes: `whsec_<base64>` with the prefix stripped, base64-decoded.
 *
 * Checked against the vector in the reference library's tests
 * (standard-webhooks/libraries/javascript/src/webhook.test.ts, "sign function works").
 */

const UTF8 = new TextEncoder();
const SECRET_PREFIX = "whsec_";
/** The spec's recommended tolerance for `webhook-timestamp` when verifying. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export class StandardWebhooksSecretError extends Error {
  override readonly name = "StandardWebhooksSecretError";
  constructor() {
    // Never include the secret itself.
    super("FORWARD_SECRET must be whsec_ followed by base64 (a Standard Webhooks secret)");
  }
}

/** The HMAC key bytes of a `whsec_...` secret (the prefix is optional, as in the reference library). */
export function secretKeyBytes(secret: string): Uint8Array<ArrayBuffer> {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (b64 === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new StandardWebhooksSecretError();
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    throw new StandardWebhooksSecretError();
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64(bytes: ArrayBuffer): string {
  let bin = "";
  for (const b of new Uint8Array(bytes)) bin += String.fromCharCode(b);
  return btoa(bin);
}

async function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secretKeyBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

/**
 * Signing keys imported once per secret and isolate (importKey is not free, and a forward batch
 * signs up to 25 envelopes with the same secret). Bounded: a deployment has a few secrets.
 */
const signingKeys = new Map<string, Promise<CryptoKey>>();
const MAX_SIGNING_KEYS = 64;

function signingKey(secret: string): Promise<CryptoKey> {
  let key = signingKeys.get(secret);
  if (key === undefined) {
    if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.clear();
    key = hmacKey(secret, "sign");
    // A failed import is not cached: the next call tries again.
    key.catch(() => signingKeys.delete(secret));
    signingKeys.set(secret, key);
  }
  return key;
}

/** `v1,<base64>` for one message. `timestampSeconds` is unix seconds. */
export async function signStandardWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<string> {
  const key = await signingKey(secret);
  const mac = await crypto.subtle.sign("HMAC", key, UTF8.encode(`${id}.${timestampSeconds}.${body}`));
  return `v1,${toBase64(mac)}`;
}

/** The three headers a Standard Webhooks receiver expects, plus the JSON content type. */
export async function standardWebhookHeaders(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Promise<Record<string, string>> {
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": await signStandardWebhook(secret, id, timestampSeconds, body),
  };
}

export type VerifyFailure = "missing_header" | "bad_timestamp" | "stale_timestamp" | "bad_signature";

/**
 * Receiver-side check (for users' consumers, the docs and our tests): any `v1,` entry in the
 * space-separated signature list may match; compared in constant time by `crypto.subtle.verify`.
 */
export async function verifyStandardWebhook(
  secret: string,
  headers: { id: string | null; timestamp: string | null; signature: string | null },
  body: string,
  nowSeconds: number,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): Promise<{ ok: true } | { ok: false; reason: VerifyFailure }> {
  const { id, timestamp, signature } = headers;
  if (id === null || timestamp === null || signature === null) return { ok: false, reason: "missing_header" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "bad_timestamp" };
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return { ok: false, reason: "stale_timestamp" };
  const key = await hmacKey(secret, "verify");
  const signed = UTF8.encode(`${id}.${timestamp}.${body}`);
  for (const entry of signature.split(" ")) {
    const [version, b64] = entry.split(",", 2);
    if (version !== "v1" || b64 === undefined || !/^[A-Za-z0-9+/]{43}=$/.test(b64)) continue;
    const mac = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    if (await crypto.subtle.verify("HMAC", key, mac, signed)) return { ok: true };
  }
  return { ok: false, reason: "bad_signature" };
}
