/**
 * Signed values for Sign in with X: invites (`?invite=`) and the browser-binding cookie.
 * HMAC-SHA-256 with a key derived by HKDF from TOKEN_ENCRYPTION_KEY (its own `info`, so it is
 * independent of the token-sealing key); verification is `crypto.subtle.verify`, constant time.
 * Pure apart from WebCrypto: no env, `now` passed in.
 */

const HKDF_SALT = new TextEncoder().encode("account-activity-edge/oauth");
const HKDF_INFO = new TextEncoder().encode("invite-and-browser-cookie hmac-sha256 v1");

export async function deriveOAuthMacKey(secret: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: HKDF_INFO },
    ikm,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}

export function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

export function randomId(bytes = 24): string {
  return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** `<purpose>` is signed too, so a cookie can never be replayed as an invite or the reverse. */
export async function signValue(key: CryptoKey, purpose: string, payload: string): Promise<string> {
  const body = b64url(new TextEncoder().encode(payload));
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${purpose}.${body}`));
  return `${body}.${b64url(new Uint8Array(mac))}`;
}

/**
 * The payload of a value signed for `purpose`, or null (malformed, forged or another purpose).
 * Several keys: any of them may have signed it (the current secret and, during a rotation of
 * TOKEN_ENCRYPTION_KEY, the previous one), so invites and sign-ins in flight survive it.
 */
export async function verifyValue(keys: CryptoKey | readonly CryptoKey[], purpose: string, signed: string): Promise<string | null> {
  if (signed.length > 4096) return null;
  const dot = signed.indexOf(".");
  if (dot <= 0) return null;
  const body = signed.slice(0, dot);
  const mac = unb64url(signed.slice(dot + 1));
  const payload = unb64url(body);
  if (mac === null || payload === null) return null;
  const data = new TextEncoder().encode(`${purpose}.${body}`);
  for (const key of Array.isArray(keys) ? keys : [keys]) {
    if (await crypto.subtle.verify("HMAC", key, mac, data)) return new TextDecoder().decode(payload);
  }
  return null;
}

export interface Invite {
  app: string;
  id: string;
  expiresAtMs: number;
  /** XAA apps: the subscription profile the user is asked to share (its event types are shown before consent). */
  profile?: string;
}

export const INVITE_PURPOSE = "invite";
export const COOKIE_PURPOSE = "oauth-browser";

export function issueInvite(key: CryptoKey, app: string, nowMs: number, ttlMs: number, profile?: string): Promise<{ token: string; invite: Invite }> {
  const invite: Invite = { app, id: randomId(16), expiresAtMs: nowMs + ttlMs };
  const payload: Record<string, unknown> = { a: invite.app, i: invite.id, e: invite.expiresAtMs };
  if (profile !== undefined) {
    invite.profile = profile;
    payload.p = profile;
  }
  return signValue(key, INVITE_PURPOSE, JSON.stringify(payload)).then((token) => ({ token, invite }));
}

/** A valid, unexpired invite for `app`, or null. Single use is enforced by the Registry. */
export async function readInvite(keys: CryptoKey | readonly CryptoKey[], app: string, token: string, nowMs: number): Promise<Invite | null> {
  const payload = await verifyValue(keys, INVITE_PURPOSE, token);
  if (payload === null) return null;
  const o = JSON.parse(payload) as { a?: unknown; i?: unknown; e?: unknown; p?: unknown };
  if (o.a !== app || typeof o.i !== "string" || typeof o.e !== "number" || o.e <= nowMs) return null;
  const invite: Invite = { app, id: o.i, expiresAtMs: o.e };
  if (typeof o.p === "string") invite.profile = o.p;
  return invite;
}

export async function sha256Hex(text: string): Promise<string> {
  const h = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(h)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
