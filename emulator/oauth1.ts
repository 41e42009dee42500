/**
 * OAuth 1.0a HMAC-SHA1 (RFC 5849) as X uses it: pure functions, no I/O.
 * Base string = METHOD & enc(base URL) & enc(sorted "enc(k)=enc(v)" joined by "&"), where the
 * parameters are the query, a form-encoded body and the oauth_* values (never oauth_signature or
 * realm; a JSON body is not signed). Key = enc(consumer secret) & enc(token secret).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** RFC 3986 percent-encoding: unreserved A-Z a-z 0-9 - . _ ~ kept, every other UTF-8 byte %XX (upper hex). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export type ParamPair = readonly [string, string];

/** RFC 5849 3.4.1.2: scheme and host lower case, default port dropped, no query or fragment. */
export function baseStringUri(url: string): string {
  const u = new URL(url);
  const scheme = u.protocol.toLowerCase();
  const defaultPort = (scheme === "http:" && u.port === "80") || (scheme === "https:" && u.port === "443");
  const host = u.hostname.toLowerCase() + (u.port && !defaultPort ? `:${u.port}` : "");
  return `${scheme}//${host}${u.pathname}`;
}

/** Query parameters of a URL as decoded pairs (a form body parses the same way). */
export function formPairs(encoded: string): ParamPair[] {
  return [...new URLSearchParams(encoded)].map(([k, v]) => [k, v] as const);
}

export function normalizedParameters(pairs: readonly ParamPair[]): string {
  return pairs
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

export function signatureBaseString(method: string, url: string, pairs: readonly ParamPair[]): string {
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalizedParameters(pairs))].join("&");
}

export function signingKey(consumerSecret: string, tokenSecret: string): string {
  return `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
}

export function hmacSha1(baseString: string, consumerSecret: string, tokenSecret: string): string {
  return createHmac("sha1", signingKey(consumerSecret, tokenSecret)).update(baseString).digest("base64");
}

/** Constant-time comparison of two signatures (strings of any length). */
export function signaturesEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * Parse `Authorization: OAuth k="v", ...`. Values are percent-decoded. Returns null when the
 * header is not OAuth or is malformed (the caller answers 401, never 500).
 */
export function parseOAuthHeader(header: string | undefined): Record<string, string> | null {
  if (header === undefined) return null;
  const m = /^\s*OAuth\s+(.*)$/is.exec(header);
  if (!m) return null;
  // Parameter names are the client's: a null-prototype record keeps `__proto__` or `constructor`
  // an ordinary parameter (signed like any other) instead of touching Object.prototype.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const body = m[1] ?? "";
  const re = /\s*([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"\s*(,|$)/gy;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(body)) !== null) {
    try {
      out[decodeURIComponent(match[1] ?? "")] = decodeURIComponent(match[2] ?? "");
    } catch {
      return null;
    }
    consumed = re.lastIndex;
    if (match[3] === "") break;
  }
  if (body.slice(consumed).trim() !== "") return null;
  return out;
}

export interface SignInput {
  method: string;
  /** Full URL including any query string. */
  url: string;
  consumerKey: string;
  consumerSecret: string;
  token?: string;
  tokenSecret?: string;
  /** Form-encoded body parameters (signed); omit for JSON or empty bodies. */
  form?: Record<string, string>;
  /** Extra oauth_* parameters, e.g. oauth_callback or oauth_verifier. */
  oauthExtra?: Record<string, string>;
  nonce?: string;
  /** Seconds since the epoch; default the real clock. */
  timestamp?: number;
}

/** Sign a request and return the Authorization header value (for tests, the CLI and clients). */
export function oauthAuthorizationHeader(input: SignInput): string {
  const oauth: Record<string, string> = {
    oauth_consumer_key: input.consumerKey,
    oauth_nonce: input.nonce ?? randomBytes(16).toString("hex"),
    oauth_signature_method: "HMAC-SHA1",
    oauth_timestamp: String(input.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_version: "1.0",
    ...(input.oauthExtra ?? {}),
  };
  if (input.token !== undefined) oauth.oauth_token = input.token;
  const pairs: ParamPair[] = [
    ...formPairs(new URL(input.url).search),
    ...Object.entries(input.form ?? {}),
    ...Object.entries(oauth),
  ];
  const signature = hmacSha1(signatureBaseString(input.method, input.url, pairs), input.consumerSecret, input.tokenSecret ?? "");
  const all: Record<string, string> = { ...oauth, oauth_signature: signature };
  return (
    "OAuth " +
    Object.keys(all)
      .sort()
      .map((k) => `${percentEncode(k)}="${percentEncode(all[k] ?? "")}"`)
      .join(", ")
  );
}
