/**
 * OAuth 1.0a (RFC 5849) request signing with HMAC-SHA1, as X documents it.
 *
 * Pure: no env, no fetch; the nonce and timestamp are inputs, so every signature is
 * reproducible in tests. Only WebCrypto is used, so this runs in Workers and in Node alike.
 *
 * What gets signed (RFC 5849 §3.4.1.3): the query string's parameters, the parameters of an
 * `application/x-www-form-urlencoded` body, and the `oauth_*` protocol parameters. A JSON body
 * is never signed (X's v2 `POST /2/webhooks {"url"}` relies on that).
 */

/** The five oauth_* fields every signed request carries, besides the signature itself. */
export interface OAuthProtocolParams {
  oauth_consumer_key: string;
  oauth_nonce: string;
  oauth_signature_method: "HMAC-SHA1";
  oauth_timestamp: string;
  oauth_version: "1.0";
  /** Absent only for `POST oauth/request_token` (consumer-only signing). */
  oauth_token?: string;
  /** Sign in with X leg 1: where X sends the browser back. */
  oauth_callback?: string;
  /** Sign in with X leg 3: the verifier X appended to the callback. */
  oauth_verifier?: string;
}

export interface SignInput {
  method: string;
  /** Full URL including any query string; the query's parameters are signed. */
  url: string;
  /** Parameters of a form-encoded body, already decoded. Omit for JSON or empty bodies. */
  form?: ReadonlyArray<readonly [string, string]>;
  consumerKey: string;
  consumerSecret: string;
  /** Access token (or request token in leg 3); omit for consumer-only requests. */
  token?: string;
  tokenSecret?: string;
  nonce: string;
  /** Seconds since the epoch, as X expects in `oauth_timestamp`. */
  timestamp: number;
  callback?: string;
  verifier?: string;
}

export interface SignedRequest {
  baseString: string;
  signature: string;
  /** Value for the `Authorization` header. */
  authorization: string;
}

/**
 * RFC 3986 §2.1 percent-encoding as OAuth requires (RFC 5849 §3.6): every byte except the
 * unreserved set `A-Z a-z 0-9 - . _ ~` becomes `%XX` with uppercase hex; space is `%20`,
 * never `+`. `encodeURIComponent` leaves `! ' ( ) *` alone, so those are fixed up here.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The base string URI (RFC 5849 §3.4.1.2): lowercase scheme and host, default port dropped,
 * path kept as sent, no query or fragment. `URL` already lowercases and drops default ports.
 */
export function baseStringUri(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * Parameter normalisation (RFC 5849 §3.4.1.3.2): encode each name and value, sort by encoded
 * name then encoded value (byte order), join `name=value` pairs with `&`.
 */
export function normaliseParams(params: ReadonlyArray<readonly [string, string]>): string {
  return params
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/** `METHOD&enc(base URI)&enc(normalised params)` (RFC 5849 §3.4.1.1). */
export function signatureBaseString(
  method: string,
  url: string,
  params: ReadonlyArray<readonly [string, string]>,
): string {
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normaliseParams(params))].join("&");
}

/** `enc(consumer_secret)&enc(token_secret)`; the `&` stays when there is no token secret. */
export function signingKey(consumerSecret: string, tokenSecret = ""): string {
  return `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
}

/** base64(HMAC-SHA1(key, text)) with WebCrypto. */
export async function hmacSha1Base64(key: string, text: string): Promise<string> {
  const enc = new TextEncoder();
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    enc.encode(key),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, enc.encode(text)));
  let bin = "";
  for (const b of mac) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * `OAuth k="v", ...`: the oauth_* parameters sorted by name, values percent-encoded, joined
 * with `, ` (the exact form of X's documented example header).
 */
export function authorizationHeader(oauthParams: Readonly<Record<string, string>>): string {
  const parts = Object.keys(oauthParams)
    .sort()
    .map((k) => `${percentEncode(k)}="${percentEncode(oauthParams[k] ?? "")}"`);
  return `OAuth ${parts.join(", ")}`;
}

/** Query parameters of `url`, decoded (form rules: `+` is a space, as servers read them). */
export function queryParams(url: string): Array<[string, string]> {
  return [...new URL(url).searchParams.entries()];
}

/** Sign a request; returns the base string (for debugging and tests), signature and header. */
export async function signRequest(input: SignInput): Promise<SignedRequest> {
  const oauth: Record<string, string> = {
    oauth_consumer_key: input.consumerKey,
    oauth_nonce: input.nonce,
    oauth_signature_method: "HMAC-SHA1",
    oauth_timestamp: String(input.timestamp),
    oauth_version: "1.0",
  };
  if (input.token !== undefined) oauth.oauth_token = input.token;
  if (input.callback !== undefined) oauth.oauth_callback = input.callback;
  if (input.verifier !== undefined) oauth.oauth_verifier = input.verifier;

  const params: Array<readonly [string, string]> = [
    ...queryParams(input.url),
    ...(input.form ?? []),
    ...Object.entries(oauth),
  ];
  const baseString = signatureBaseString(input.method, input.url, params);
  const signature = await hmacSha1Base64(signingKey(input.consumerSecret, input.tokenSecret), baseString);
  return { baseString, signature, authorization: authorizationHeader({ ...oauth, oauth_signature: signature }) };
}

/** A fresh nonce: 32 hex characters from 16 random bytes (X wants a unique alphanumeric). */
export function randomNonce(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}
