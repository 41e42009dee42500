/**
 * Sealing of user access tokens at rest (Sign in with X tokens, tokens given to the admin API).
 *
 * AES-256-GCM through WebCrypto. The key is derived with HKDF-SHA-256 from the
 * TOKEN_ENCRYPTION_KEY secret, so the secret itself is never used as a cipher key and a future
 * purpose can derive its own key from the same secret (different `info`). Every seal draws a
 * fresh 96-bit IV. The additional data binds a sealed blob to its row (app + user id): a blob
 * copied to another user's row, or another app's Registry, fails to open.
 *
 * Pure: no env, no storage. The Registry Durable Object stores only the sealed string and never
 * holds the key; the Worker seals before writing and opens after reading.
 *
 * Key rotation (TOKEN_ENCRYPTION_KEY_PREVIOUS): `openWithKeys` tries the current key, then the
 * previous one, and says which opened the blob, so callers re-seal with the current key. The
 * format stays "v1" with no key identifier: AES-GCM's tag already rejects a wrong key (trial
 * decryption costs one AES pass over ~100 bytes), every existing blob would need trial
 * decryption anyway, and one format means no migration and nothing new to document or parse.
 */
import type { UserToken } from "../x-api/types.ts";

/** Format tag: lets a later key or algorithm change tell old blobs from new ones. */
const SEAL_VERSION = "v1";
const HKDF_SALT = new TextEncoder().encode("account-activity-edge/token-seal");
const HKDF_INFO = new TextEncoder().encode("user-access-token aes-256-gcm v1");
const IV_BYTES = 12;

/** Where a sealed token belongs: its additional data. */
export interface SealScope {
  app: string;
  userId: string;
}

/** Opening failed: wrong key, tampered or truncated blob, or a blob moved to another row. */
export class TokenSealError extends Error {
  override readonly name = "TokenSealError";
}

/**
 * Derive the AES-GCM key from the secret. The secret's UTF-8 bytes are the HKDF input, so any
 * high-entropy string works (`openssl rand -base64 32` is the documented way to make one).
 */
export async function deriveSealKey(secret: string): Promise<CryptoKey> {
  if (secret.length < 16) throw new TokenSealError("TOKEN_ENCRYPTION_KEY is too short (need 16+ characters)");
  const ikm = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: HKDF_INFO },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

function additionalData(scope: SealScope): Uint8Array<ArrayBuffer> {
  // NUL cannot occur in an app name or a user id, so the pair is unambiguous.
  return new Uint8Array(new TextEncoder().encode(`${SEAL_VERSION}\u0000${scope.app}\u0000${scope.userId}`));
}

function toB64Url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new TokenSealError("sealed token is malformed");
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    throw new TokenSealError("sealed token is malformed");
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Seal a token pair for one (app, user). Returns `v1.<iv>.<ciphertext+tag>`, base64url. */
export async function sealToken(key: CryptoKey, scope: SealScope, token: UserToken): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plain = new TextEncoder().encode(JSON.stringify({ t: token.token, s: token.secret }));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: additionalData(scope) }, key, plain);
  return `${SEAL_VERSION}.${toB64Url(iv)}.${toB64Url(new Uint8Array(ct))}`;
}

/** Open a sealed token. Throws `TokenSealError` (never the cipher's own error) on any failure. */
export async function openToken(key: CryptoKey, scope: SealScope, sealed: string): Promise<UserToken> {
  const parts = sealed.split(".");
  if (parts.length !== 3 || parts[0] !== SEAL_VERSION) throw new TokenSealError("sealed token has an unknown format");
  const iv = fromB64Url(parts[1]!);
  const ct = fromB64Url(parts[2]!);
  if (iv.length !== IV_BYTES || ct.length < 17) throw new TokenSealError("sealed token is truncated");
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: additionalData(scope) }, key, ct);
  } catch {
    throw new TokenSealError("sealed token failed authentication (wrong key, tampered, or another row's token)");
  }
  const parsed = JSON.parse(new TextDecoder().decode(plain)) as { t?: unknown; s?: unknown };
  if (typeof parsed.t !== "string" || typeof parsed.s !== "string") throw new TokenSealError("sealed token content is invalid");
  return { token: parsed.t, secret: parsed.s };
}

/** The keys a token may be sealed with: new seals always use `current`. */
export interface SealKeys {
  current: CryptoKey;
  /** The key being rotated out (TOKEN_ENCRYPTION_KEY_PREVIOUS): opens, never seals. */
  previous: CryptoKey | null;
}

/** An opened token and which key opened it ("previous": re-seal it with the current key). */
export interface OpenedToken {
  token: UserToken;
  sealedWith: "current" | "previous";
}

/**
 * Open with the current key, then the previous one. Throws `TokenSealError` when neither opens it
 * (a third key, tampering, another row's blob, or a malformed blob).
 */
export async function openWithKeys(keys: SealKeys, scope: SealScope, sealed: string): Promise<OpenedToken> {
  try {
    return { token: await openToken(keys.current, scope, sealed), sealedWith: "current" };
  } catch (err) {
    if (!(err instanceof TokenSealError) || keys.previous === null) throw err;
  }
  return { token: await openToken(keys.previous, scope, sealed), sealedWith: "previous" };
}
