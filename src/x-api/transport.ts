/**
 * What every call to X shares, whichever client makes it (the AAA client in client.ts, the XAA
 * client in xaa.ts, the OAuth 2.0 token calls in oauth2.ts): refuse a call the rate-limit
 * tracker knows would get a 429, pick and check credentials (a missing one is an XApiError
 * naming the secret to set), sign, send, record X's rate-limit headers, and turn any
 * non-success into a typed XApiError.
 */
import { secretName, type AppConfig, type AppCredentials } from "../config.ts";
import { XApiError, errorFromResponse, fixFor, missingSecretFix } from "./errors.ts";
import { percentEncode, randomNonce, signRequest } from "./oauth1.ts";
import { RateLimitTracker, rateLimitKey } from "./rate-limit.ts";
import type { AuthMode, RequestSpec } from "./request-spec.ts";
import type { UserToken } from "./types.ts";

export interface XApiClientOptions {
  /** `https://api.x.com`, or the emulator's `http://127.0.0.1:PORT`. */
  baseUrl: string;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; drives `oauth_timestamp` and rate-limit checks. */
  now?: () => number;
  nonce?: () => string;
  /** Shared tracker (e.g. restored from a Durable Object); a private one otherwise. */
  rateLimits?: RateLimitTracker;
  /** Config.secretsSource: words a missing credential's fix for local runs (the file) or deployed ones. */
  secretsSource?: string | null;
}

const CREDENTIAL_SECRETS: Record<keyof AppCredentials, string> = {
  consumerKey: "X_CONSUMER_KEY",
  accessToken: "X_ACCESS_TOKEN",
  accessTokenSecret: "X_ACCESS_TOKEN_SECRET",
  bearerToken: "X_BEARER_TOKEN",
  oauth2ClientId: "X_OAUTH2_CLIENT_ID",
  oauth2ClientSecret: "X_OAUTH2_CLIENT_SECRET",
};

const CREDENTIAL_LABELS: Record<keyof AppCredentials, string> = {
  consumerKey: "the consumer key (API key)",
  accessToken: "the app owner's access token",
  accessTokenSecret: "the app owner's access token secret",
  bearerToken: "the app-only bearer token",
  oauth2ClientId: "the OAuth 2.0 client id",
  oauth2ClientSecret: "the OAuth 2.0 client secret",
};

/** The secret (by name) that holds one of an app's credentials. */
export function credentialSecret(app: Pick<AppConfig, "name">, field: keyof AppCredentials): string {
  return secretName(CREDENTIAL_SECRETS[field], app.name);
}

export function missingCredential(app: AppConfig, field: keyof AppCredentials, op: string, secretsSource: string | null): XApiError {
  const secret = credentialSecret(app, field);
  return new XApiError({
    status: 0,
    code: null,
    xMessage: `${op} needs ${CREDENTIAL_LABELS[field]} of app "${app.name}", which is not configured`,
    kind: "missing_credential",
    fix: missingSecretFix(secret, secretsSource),
    secret,
  });
}

export interface Transport {
  /** The base URL without a trailing slash. */
  base: string;
  send<T>(spec: RequestSpec<T>): Promise<T>;
}

/** Base64 of a UTF-8 string (HTTP Basic credentials). */
function base64Utf8(s: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function createTransport(app: AppConfig, options: XApiClientOptions): Transport {
  const base = options.baseUrl.replace(/\/+$/, "");
  // Bound through a closure: calling an unbound global `fetch` throws "Illegal invocation".
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const nonce = options.nonce ?? randomNonce;
  const limits = options.rateLimits ?? new RateLimitTracker();
  const creds = app.credentials;

  function need(field: keyof AppCredentials, op: string): string {
    const v = creds[field];
    if (v === undefined || v === "") throw missingCredential(app, field, op, options.secretsSource ?? null);
    return v;
  }

  async function oauthHeader(method: string, url: string, op: string, token: UserToken | undefined, extra: { callback?: string; verifier?: string }, form: ReadonlyArray<readonly [string, string]>): Promise<string> {
    const input: Parameters<typeof signRequest>[0] = {
      method,
      url,
      consumerKey: need("consumerKey", op),
      consumerSecret: app.consumerSecret,
      nonce: nonce(),
      timestamp: Math.floor(now() / 1000),
    };
    if (token !== undefined) {
      input.token = token.token;
      input.tokenSecret = token.secret;
    }
    if (extra.callback !== undefined) input.callback = extra.callback;
    if (extra.verifier !== undefined) input.verifier = extra.verifier;
    if (form.length > 0) input.form = form;
    return (await signRequest(input)).authorization;
  }

  /** The Authorization header, or null when the call carries its credentials elsewhere. */
  async function authorization(auth: AuthMode, method: string, url: string, op: string, form: ReadonlyArray<readonly [string, string]>): Promise<string | null> {
    switch (auth.kind) {
      case "bearer":
        return `Bearer ${need("bearerToken", op)}`;
      case "bearer-or-app-user":
        if (creds.bearerToken) return `Bearer ${creds.bearerToken}`;
        if (creds.accessToken && creds.accessTokenSecret) return authorization({ kind: "app-user" }, method, url, op, form);
        throw missingCredential(app, "bearerToken", op, options.secretsSource ?? null);
      case "app-user":
        return oauthHeader(method, url, op, { token: need("accessToken", op), secret: need("accessTokenSecret", op) }, {}, form);
      case "user":
        return oauthHeader(method, url, op, auth.user, {}, form);
      case "oauth-leg": {
        const extra: { callback?: string; verifier?: string } = {};
        if (auth.callback !== undefined) extra.callback = auth.callback;
        if (auth.verifier !== undefined) extra.verifier = auth.verifier;
        return oauthHeader(method, url, op, auth.token, extra, form);
      }
      case "oauth2-user":
        return `Bearer ${auth.accessToken}`;
      case "oauth2-client": {
        // RFC 6749 2.3.1: a confidential client authenticates with HTTP Basic over the
        // form-encoded id and secret; a public client (no secret) sends client_id in the body.
        const id = need("oauth2ClientId", op);
        const secret = creds.oauth2ClientSecret;
        if (secret === undefined || secret === "") return null;
        return `Basic ${base64Utf8(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;
      }
    }
  }

  async function send<T>(spec: RequestSpec<T>): Promise<T> {
    const key = rateLimitKey(app.name, spec.method, spec.template);
    limits.check(key, now());

    // Query encoded with RFC 3986 rules, so the URL sent is the one that was signed.
    const query = (spec.query ?? []).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join("&");
    const url = `${base}${spec.path}${query === "" ? "" : `?${query}`}`;
    const headers = new Headers({ accept: "application/json" });
    const form = spec.form ?? [];
    const auth = await authorization(spec.auth, spec.method, url, spec.op, form);
    if (auth !== null) headers.set("authorization", auth);
    const init: RequestInit = { method: spec.method, headers };
    if (spec.json !== undefined) {
      headers.set("content-type", "application/json");
      init.body = JSON.stringify(spec.json);
    } else if (spec.form !== undefined) {
      headers.set("content-type", "application/x-www-form-urlencoded");
      init.body = form.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join("&");
    }

    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, init);
      text = await res.text();
    } catch (err) {
      // The cause stays on the error for logs; toJSON() never exposes it.
      throw new XApiError({
        status: 0,
        code: null,
        xMessage: `${spec.op}: X API could not be reached`,
        kind: "network",
        fix: fixFor("network"),
        cause: err,
      });
    }
    const retryAt = limits.record(key, res.status, res.headers, now());
    if (spec.ok.includes(res.status)) return spec.parse(res.status, text);
    throw (spec.error ?? errorFromResponse)(res.status, text, retryAt);
  }

  return { base, send };
}
