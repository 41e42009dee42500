/**
 * A stand-in for X over HTTP: an injected `fetch` that records each request and answers with
 * canned responses shaped like X's documented ones. X is unreachable here, and this suite
 * checks the client's side of the wire (method, URL, auth, body, parsing) in isolation; the
 * end-to-end tests run the same client against the real emulator over loopback HTTP.
 *
 * `verifyOAuth` checks an Authorization header the way a server does (rebuild the base string
 * from the request actually sent, recompute HMAC-SHA1), independently of how it was built.
 */
import type { AppConfig, AppCredentials, Flavour } from "../../../src/config.ts";
import { hmacSha1Base64, signatureBaseString, signingKey } from "../../../src/x-api/oauth1.ts";

export interface Recorded {
  method: string;
  url: URL;
  authorization: string | null;
  contentType: string | null;
  body: string;
}

export interface Canned {
  status: number;
  body?: unknown;
  /** Sent verbatim instead of JSON-encoding `body`. */
  text?: string;
  headers?: Record<string, string>;
}

export function fakeX(answer: Canned | ((req: Recorded) => Canned)) {
  const requests: Recorded[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const req = new Request(input, init);
    const rec: Recorded = {
      method: req.method,
      url: new URL(req.url),
      authorization: req.headers.get("authorization"),
      contentType: req.headers.get("content-type"),
      body: await req.text(),
    };
    requests.push(rec);
    const c = typeof answer === "function" ? answer(rec) : answer;
    const text = c.text ?? (c.body === undefined ? null : JSON.stringify(c.body));
    const headers = new Headers(c.headers);
    if (c.body !== undefined && c.text === undefined) headers.set("content-type", "application/json");
    return new Response(c.status === 204 ? null : text, { status: c.status, headers });
  };
  return { fetch, requests };
}

export const SECRETS = {
  consumerKey: "ck-acme",
  consumerSecret: "cs-acme-SECRET",
  accessToken: "at-owner",
  accessTokenSecret: "ats-owner-SECRET",
  bearerToken: "bearer-acme-SECRET",
} as const;

export function makeApp(flavour: Flavour, opts: { name?: string; credentials?: AppCredentials; envName?: string } = {}): AppConfig {
  const app: AppConfig = {
    name: opts.name ?? "acme",
    flavour,
    consumerSecret: SECRETS.consumerSecret,
    credentials: opts.credentials ?? {
      consumerKey: SECRETS.consumerKey,
      accessToken: SECRETS.accessToken,
      accessTokenSecret: SECRETS.accessTokenSecret,
      bearerToken: SECRETS.bearerToken,
    },
    collapseAcrossUsers: false,
  };
  const env = opts.envName ?? (flavour === "v1.1-premium" ? "Dev-Env" : undefined);
  if (env !== undefined) app.envName = env;
  return app;
}

/** Parse `OAuth k="v", ...` into decoded pairs; throws if the header is not in that form. */
export function parseOAuthHeader(header: string): Record<string, string> {
  if (!header.startsWith("OAuth ")) throw new Error(`not an OAuth header: ${header}`);
  const out: Record<string, string> = {};
  for (const part of header.slice(6).split(", ")) {
    const m = /^([a-z_]+)="([^"]*)"$/.exec(part);
    if (m === null) throw new Error(`bad OAuth header part: ${part}`);
    out[m[1]!] = decodeURIComponent(m[2]!);
  }
  return out;
}

/** Server-side check: the signature covers the URL as sent (query included) and oauth_*. */
export async function verifyOAuth(req: Recorded, consumerSecret: string, tokenSecret: string): Promise<Record<string, string>> {
  const oauth = parseOAuthHeader(req.authorization ?? "");
  const { oauth_signature: signature, ...rest } = oauth;
  const params: Array<[string, string]> = [...req.url.searchParams.entries(), ...Object.entries(rest)];
  if (req.contentType === "application/x-www-form-urlencoded") params.push(...new URLSearchParams(req.body).entries());
  const expected = await hmacSha1Base64(signingKey(consumerSecret, tokenSecret), signatureBaseString(req.method, req.url.href, params));
  if (signature !== expected) throw new Error(`OAuth signature mismatch for ${req.method} ${req.url.href}`);
  return oauth;
}
