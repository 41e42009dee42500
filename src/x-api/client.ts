/**
 * The X management API client (AAA: webhooks, "all activity" subscriptions, Replay, Sign in
 * with X over OAuth 1.0a): `fetch` and WebCrypto only, so it runs inside Workers.
 *
 * A flavour adapter (flavour-v1.ts, flavour-v2.ts) describes each call; the transport
 * (transport.ts) sends it. XAA subscriptions have their own client (xaa.ts).
 */
import type { AppConfig } from "../config.ts";
import { adapterFor } from "./flavour.ts";
import { percentEncode } from "./oauth1.ts";
import { unexpected } from "./parse.ts";
import { createTransport, type XApiClientOptions } from "./transport.ts";
import type { AccessToken, RequestToken, XApiClient } from "./types.ts";

export type { XApiClientOptions } from "./transport.ts";

export function createXApiClient(app: AppConfig, options: XApiClientOptions): XApiClient {
  const { base, send } = createTransport(app, options);
  const adapter = adapterFor(app);

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
