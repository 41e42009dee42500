/**
 * PKCE for OAuth 2.0 Authorization Code (RFC 7636), WebCrypto only, pure (randomness is the
 * platform's CSPRNG; nothing else is read).
 *
 * Only S256: X accepts `plain` too, but a plain challenge is the verifier itself, so anyone who
 * sees the authorize URL (browser history, a proxy log) could redeem the code.
 */

/** RFC 7636 4.1: 43-128 characters of [A-Z a-z 0-9 - . _ ~]. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

function base64Url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A fresh verifier: 32 random bytes, base64url (43 characters, 256 bits). */
export function newCodeVerifier(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

export function isCodeVerifier(v: string): boolean {
  return VERIFIER.test(v);
}

/** `BASE64URL(SHA256(ASCII(verifier)))` (RFC 7636 4.2). */
export async function codeChallengeS256(verifier: string): Promise<string> {
  if (!isCodeVerifier(verifier)) throw new TypeError("code verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** The `state` parameter: 24 random bytes, base64url; binds the callback to one started sign-in. */
export function newState(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(24)));
}

export interface AuthorizeParams {
  /** X's authorize page (`https://x.com/i/oauth2/authorize`, or the emulator's). */
  authorizeUrl: string;
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  state: string;
  codeChallenge: string;
}

/** The URL the user's browser is sent to (X's parameter names; scopes space-separated). */
export function authorizeUrl(p: AuthorizeParams): string {
  const u = new URL(p.authorizeUrl);
  u.searchParams.set("response_type", "code");
  u.searchParams.set("client_id", p.clientId);
  u.searchParams.set("redirect_uri", p.redirectUri);
  u.searchParams.set("scope", p.scopes.join(" "));
  u.searchParams.set("state", p.state);
  u.searchParams.set("code_challenge", p.codeChallenge);
  u.searchParams.set("code_challenge_method", "S256");
  return u.href;
}

/**
 * Where X's authorize page is for an API base URL: X serves it on x.com, not api.x.com; an
 * emulator (any other base) serves it itself under the same path.
 */
export function defaultAuthorizeUrl(apiBaseUrl: string): string {
  const base = apiBaseUrl.replace(/\/+$/, "");
  const host = new URL(base).hostname;
  if (host === "api.x.com" || host === "api.twitter.com") return "https://x.com/i/oauth2/authorize";
  return `${base}/i/oauth2/authorize`;
}
