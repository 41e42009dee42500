/**
 * The X management API client: `fetch` and WebCrypto only, so it runs inside Workers.
 *
 * A flavour adapter (flavour-v1.ts, flavour-v2.ts) describes each call; `send` here does what
 * every call shares: refuse a call the rate-limit tracker knows would get a 429, pick and
 * check credentials (a missing one is an XApiError naming the secret to set), sign, send,
 * record X's rate-limit headers, and turn any non-success into a typed XApiError.
 */
import { secretName, type AppConfig, type AppCredentials } from "../config.ts";
import { XApiError, errorFromResponse, fixFor, missingSecretFix } from "./errors.ts";
import { adapterFor } from "./flavour.ts";
import { percentEncode, randomNonce, signRequest } from "./oauth1.ts";
import { unexpected } from "./parse.ts";
import { RateLimitTracker, rateLimitKey } from "./rate-limit.ts";
import type { AuthMode, RequestSpec } from "./request-spec.ts";
import type { AccessToken, RequestToken, UserToken, XApiClient } from "./types.ts";

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
};

const CREDENTIAL_LABELS: Record<keyof AppCredentials, string> = {
  consumerKey: "the consumer key (API key)",
  accessToken: "the app owner's access token",
  accessTokenSecret: "the app owner's access token secret",
  bearerToken: "the app-only bearer token",
};

function missingCredential(app: AppConfig, field: keyof AppCredentials, op: string, secretsSource: string | null): XApiError {
  const secret = secretName(CREDENTIAL_SECRETS[field], app.name);
  return new XApiError({
    status: 0,
    code: null,
    xMessage: `${op} needs ${CREDENTIAL_LABELS[field]} of app "${app.name}", which is not configured`,
    kind: "missing_credential",
    fix: missingSecretFix(secret, secretsSource),
    secret,
  });
}

export function createXApiClient(app: AppConfig, options: XApiClientOptions): XApiClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  // Bound through a closure: calling an unbound global `fetch` throws "Illegal invocation".
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const nonce = options.nonce ?? randomNonce;
  const limits = options.rateLimits ?? new RateLimitTracker();
  const adapter = adapterFor(app);
  const creds = app.credentials;

  function need(field: keyof AppCredentials, op: string): string {
    const v = creds[field];
    if (v === undefined || v === "") throw missingCredential(app, field, op, options.secretsSource ?? null);
    return v;
  }

  async function oauthHeader(method: string, url: string, op: string, token: UserToken | undefined, extra: { callback?: string; verifier?: string }): Promise<string> {
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
    return (await signRequest(input)).authorization;
  }

  async function authorization(auth: AuthMode, method: string, url: string, op: string): Promise<string> {
    switch (auth.kind) {
      case "bearer":
        return `Bearer ${need("bearerToken", op)}`;
      case "bearer-or-app-user":
        if (creds.bearerToken) return `Bearer ${creds.bearerToken}`;
        if (creds.accessToken && creds.accessTokenSecret) return authorization({ kind: "app-user" }, method, url, op);
        throw missingCredential(app, "bearerToken", op, options.secretsSource ?? null);
      case "app-user":
        return oauthHeader(method, url, op, { token: need("accessToken", op), secret: need("accessTokenSecret", op) }, {});
      case "user":
        return oauthHeader(method, url, op, auth.user, {});
      case "oauth-leg": {
        const extra: { callback?: string; verifier?: string } = {};
        if (auth.callback !== undefined) extra.callback = auth.callback;
        if (auth.verifier !== undefined) extra.verifier = auth.verifier;
        return oauthHeader(method, url, op, auth.token, extra);
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
    headers.set("authorization", await authorization(spec.auth, spec.method, url, spec.op));
    const init: RequestInit = { method: spec.method, headers };
    if (spec.json !== undefined) {
      headers.set("content-type", "application/json");
      init.body = JSON.stringify(spec.json);
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
    throw errorFromResponse(res.status, text, retryAt);
  }

  function formBody(op: string, status: number, text: string): URLSearchParams {
    const form = new URLSearchParams(text);
    if (!form.get("oauth_token") || !form.get("oauth_token_secret")) {
      throw unexpected(op, status, "response lacks oauth_token or oauth_token_secret");
    }
    return form;
  }

  return {
    registerWebhook: (url) => send(adapter.registerWebhook(url)),
    listWebhooks: () => send(adapter.listWebhooks()),
    recheckWebhook: (id) => send(adapter.recheckWebhook(id)),
    deleteWebhook: (id) => send(adapter.deleteWebhook(id)),
    subscribe: (id, user) => send(adapter.subscribe(id, user)),
    checkSubscription: (id, user) => send(adapter.checkSubscription(id, user)),
    listSubscriptions: (id) => send(adapter.listSubscriptions(id)),
    countSubscriptions: () => send(adapter.countSubscriptions()),
    unsubscribe: (id, userId) => send(adapter.unsubscribe(id, userId)),
    // Wrapped in an async function so an "unsupported" flavour rejects instead of throwing.
    requestReplay: async (id, from, to) => send(adapter.requestReplay(id, from, to)),

    requestToken: (callbackUrl) =>
      send<RequestToken>({
        op: "requestToken",
        method: "POST",
        template: "/oauth/request_token",
        path: "/oauth/request_token",
        auth: { kind: "oauth-leg", callback: callbackUrl },
        ok: [200],
        parse: (s, t) => {
          const f = formBody("requestToken", s, t);
          return {
            token: f.get("oauth_token") ?? "",
            secret: f.get("oauth_token_secret") ?? "",
            callbackConfirmed: f.get("oauth_callback_confirmed") === "true",
          };
        },
      }),

    authorizeUrl: (requestToken) => `${base}/oauth/authorize?oauth_token=${percentEncode(requestToken)}`,

    accessToken: (requestToken, requestTokenSecret, verifier) =>
      send<AccessToken>({
        op: "accessToken",
        method: "POST",
        template: "/oauth/access_token",
        path: "/oauth/access_token",
        auth: { kind: "oauth-leg", token: { token: requestToken, secret: requestTokenSecret }, verifier },
        ok: [200],
        parse: (s, t) => {
          const f = formBody("accessToken", s, t);
          const userId = f.get("user_id");
          if (!userId) throw unexpected("accessToken", s, "response lacks user_id");
          return {
            token: f.get("oauth_token") ?? "",
            secret: f.get("oauth_token_secret") ?? "",
            userId,
            screenName: f.get("screen_name") ?? "",
          };
        },
      }),
  };
}
