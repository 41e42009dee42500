/**
 * Every XApiClient method, for every flavour: the request it builds (method, path, query,
 * auth, body) and how it reads X's success body. X is replaced by fakeX (see fake-x.ts for
 * why); the e2e suite repeats this against the emulator over real HTTP.
 */
import { describe, expect, it } from "vitest";
import type { Flavour } from "../../../src/config.ts";
import { createXApiClient } from "../../../src/x-api/client.ts";
import { XApiError } from "../../../src/x-api/errors.ts";
import type { XApiClient } from "../../../src/x-api/types.ts";
import { SECRETS, fakeX, makeApp, parseOAuthHeader, verifyOAuth, type Canned } from "./fake-x.ts";

const BASE = "http://127.0.0.1:8788";
const NOW = Date.UTC(2026, 10, 24, 12, 0, 30);
const USER = { token: "ut-alice", secret: "uts-alice-SECRET" };
const FROM = new Date(Date.UTC(2026, 10, 23, 14, 5, 59));
const TO = new Date(Date.UTC(2026, 10, 24, 10, 5, 0));
const HOOK_URL = "https://edge.example/webhooks/acme";
const WEBHOOK = { id: "1234567890", url: HOOK_URL, valid: true, created_at: "2016-06-02T23:54:02Z" };

type Auth = "app-user" | "user" | "bearer";

interface Case {
  name: string;
  call: (c: XApiClient) => Promise<unknown>;
  method: string;
  /** Path plus query exactly as it must go on the wire. */
  target: string;
  auth: Auth;
  json?: unknown;
  reply: Canned;
  result: unknown;
}

const enterprise: Case[] = [
  { name: "registerWebhook", call: (c) => c.registerWebhook(HOOK_URL), method: "POST", target: "/1.1/account_activity/webhooks.json?url=https%3A%2F%2Fedge.example%2Fwebhooks%2Facme", auth: "app-user", reply: { status: 200, body: WEBHOOK }, result: WEBHOOK },
  { name: "listWebhooks", call: (c) => c.listWebhooks(), method: "GET", target: "/1.1/account_activity/webhooks.json", auth: "bearer", reply: { status: 200, body: [WEBHOOK, { ...WEBHOOK, id: "2468013579", valid: false }] }, result: [WEBHOOK, { ...WEBHOOK, id: "2468013579", valid: false }] },
  { name: "recheckWebhook", call: (c) => c.recheckWebhook("1234567890"), method: "PUT", target: "/1.1/account_activity/webhooks/1234567890.json", auth: "app-user", reply: { status: 204 }, result: { valid: true } },
  { name: "deleteWebhook", call: (c) => c.deleteWebhook("1234567890"), method: "DELETE", target: "/1.1/account_activity/webhooks/1234567890.json", auth: "app-user", reply: { status: 204 }, result: undefined },
  { name: "subscribe", call: (c) => c.subscribe("1234567890", USER), method: "POST", target: "/1.1/account_activity/webhooks/1234567890/subscriptions/all.json", auth: "user", reply: { status: 204 }, result: undefined },
  { name: "checkSubscription (subscribed)", call: (c) => c.checkSubscription("1234567890", USER), method: "GET", target: "/1.1/account_activity/webhooks/1234567890/subscriptions/all.json", auth: "user", reply: { status: 204 }, result: true },
  { name: "checkSubscription (not subscribed)", call: (c) => c.checkSubscription("1234567890", USER), method: "GET", target: "/1.1/account_activity/webhooks/1234567890/subscriptions/all.json", auth: "user", reply: { status: 404, body: { errors: [{ code: 34, message: "Sorry, that page does not exist." }] } }, result: false },
  { name: "listSubscriptions", call: (c) => c.listSubscriptions("1234567890"), method: "GET", target: "/1.1/account_activity/webhooks/1234567890/subscriptions/all/list.json", auth: "bearer", reply: { status: 200, body: { webhook_id: "1234567890", webhook_url: HOOK_URL, application_id: "11231812", subscriptions: [{ user_id: "20212306" }, { user_id: "9007199254740993" }] } }, result: ["20212306", "9007199254740993"] },
  { name: "countSubscriptions", call: (c) => c.countSubscriptions(), method: "GET", target: "/1.1/account_activity/subscriptions/count.json", auth: "bearer", reply: { status: 200, body: { account_name: "my-account", subscriptions_count_all: "2", subscriptions_count_direct_messages: "1" } }, result: { all: 2, raw: { account_name: "my-account", subscriptions_count_all: "2", subscriptions_count_direct_messages: "1" } } },
  { name: "unsubscribe", call: (c) => c.unsubscribe("1234567890", "20212306"), method: "DELETE", target: "/1.1/account_activity/webhooks/1234567890/subscriptions/20212306/all.json", auth: "bearer", reply: { status: 204 }, result: undefined },
  { name: "requestReplay", call: (c) => c.requestReplay("1234567890", FROM, TO), method: "POST", target: "/1.1/account_activity/replay/webhooks/1234567890/subscriptions/all.json?from_date=202611231405&to_date=202611241005", auth: "bearer", reply: { status: 202, body: { job_id: "1095098195724558337", created_at: "2019-02-11T22:52:48.461Z" } }, result: { job_id: "1095098195724558337", created_at: "2019-02-11T22:52:48.461Z" } },
];

const P = "/1.1/account_activity/all/Dev-Env";
const premium: Case[] = [
  { name: "registerWebhook", call: (c) => c.registerWebhook(HOOK_URL), method: "POST", target: `${P}/webhooks.json?url=https%3A%2F%2Fedge.example%2Fwebhooks%2Facme`, auth: "app-user", reply: { status: 200, body: WEBHOOK }, result: WEBHOOK },
  { name: "listWebhooks", call: (c) => c.listWebhooks(), method: "GET", target: `${P}/webhooks.json`, auth: "bearer", reply: { status: 200, body: [WEBHOOK] }, result: [WEBHOOK] },
  { name: "recheckWebhook", call: (c) => c.recheckWebhook("1234567890"), method: "PUT", target: `${P}/webhooks/1234567890.json`, auth: "app-user", reply: { status: 204 }, result: { valid: true } },
  { name: "deleteWebhook", call: (c) => c.deleteWebhook("1234567890"), method: "DELETE", target: `${P}/webhooks/1234567890.json`, auth: "app-user", reply: { status: 204 }, result: undefined },
  { name: "subscribe", call: (c) => c.subscribe("1234567890", USER), method: "POST", target: `${P}/subscriptions.json`, auth: "user", reply: { status: 204 }, result: undefined },
  { name: "checkSubscription", call: (c) => c.checkSubscription("1234567890", USER), method: "GET", target: `${P}/subscriptions.json`, auth: "user", reply: { status: 204 }, result: true },
  { name: "listSubscriptions", call: (c) => c.listSubscriptions("1234567890"), method: "GET", target: `${P}/subscriptions/list.json`, auth: "bearer", reply: { status: 200, body: { webhook_id: "1234567890", webhook_url: HOOK_URL, application_id: "1", subscriptions: [{ user_id: "3805104374" }] } }, result: ["3805104374"] },
  { name: "countSubscriptions", call: (c) => c.countSubscriptions(), method: "GET", target: "/1.1/account_activity/all/subscriptions/count.json", auth: "bearer", reply: { status: 200, body: { account_name: "my-account", subscriptions_count_all: "15", subscriptions_count_direct_messages: "0" } }, result: { all: 15, raw: { account_name: "my-account", subscriptions_count_all: "15", subscriptions_count_direct_messages: "0" } } },
  { name: "unsubscribe", call: (c) => c.unsubscribe("1234567890", "3805104374"), method: "DELETE", target: `${P}/subscriptions/3805104374.json`, auth: "bearer", reply: { status: 204 }, result: undefined },
];

const COUNT_V2 = { data: { account_name: "acme", provisioned_count: "3", subscriptions_count_all: "1", subscriptions_count_direct_messages: "1" } };
const v2: Case[] = [
  { name: "registerWebhook", call: (c) => c.registerWebhook(HOOK_URL), method: "POST", target: "/2/webhooks", auth: "bearer", json: { url: HOOK_URL }, reply: { status: 200, body: { data: WEBHOOK } }, result: WEBHOOK },
  { name: "listWebhooks", call: (c) => c.listWebhooks(), method: "GET", target: "/2/webhooks", auth: "bearer", reply: { status: 200, body: { data: [WEBHOOK], meta: { result_count: 1 } } }, result: [WEBHOOK] },
  { name: "listWebhooks (none)", call: (c) => c.listWebhooks(), method: "GET", target: "/2/webhooks", auth: "bearer", reply: { status: 200, body: { meta: { result_count: 0 } } }, result: [] },
  { name: "recheckWebhook", call: (c) => c.recheckWebhook("1234567890"), method: "PUT", target: "/2/webhooks/1234567890", auth: "bearer", reply: { status: 200, body: { data: { valid: false } } }, result: { valid: false } },
  { name: "deleteWebhook", call: (c) => c.deleteWebhook("1234567890"), method: "DELETE", target: "/2/webhooks/1234567890", auth: "bearer", reply: { status: 200, body: { data: { deleted: true } } }, result: undefined },
  { name: "subscribe", call: (c) => c.subscribe("1234567890", USER), method: "POST", target: "/2/account_activity/webhooks/1234567890/subscriptions/all", auth: "user", reply: { status: 200, body: { data: { subscribed: true } } }, result: undefined },
  { name: "checkSubscription", call: (c) => c.checkSubscription("1234567890", USER), method: "GET", target: "/2/account_activity/webhooks/1234567890/subscriptions/all", auth: "user", reply: { status: 200, body: { data: { subscribed: false } } }, result: false },
  { name: "listSubscriptions", call: (c) => c.listSubscriptions("1234567890"), method: "GET", target: "/2/account_activity/webhooks/1234567890/subscriptions/all/list", auth: "bearer", reply: { status: 200, body: { data: { application_id: "1", webhook_id: "1234567890", webhook_url: HOOK_URL, subscriptions: [{ user_id: "42" }] } } }, result: ["42"] },
  { name: "countSubscriptions", call: (c) => c.countSubscriptions(), method: "GET", target: "/2/account_activity/subscriptions/count", auth: "bearer", reply: { status: 200, body: COUNT_V2 }, result: { all: 1, raw: COUNT_V2 } },
  { name: "unsubscribe", call: (c) => c.unsubscribe("1234567890", "42"), method: "DELETE", target: "/2/account_activity/webhooks/1234567890/subscriptions/42/all", auth: "bearer", reply: { status: 200, body: { data: { subscribed: false } } }, result: undefined },
  { name: "requestReplay", call: (c) => c.requestReplay("1234567890", FROM, TO), method: "POST", target: "/2/webhooks/replay", auth: "bearer", json: { webhook_id: "1234567890", from_date: "202611231405", to_date: "202611241005" }, reply: { status: 200, body: { data: { job_id: "77", created_at: "2026-11-24T12:00:30.000Z" } } }, result: { job_id: "77", created_at: "2026-11-24T12:00:30.000Z" } },
];

const flavours: Array<[Flavour, Case[]]> = [
  ["v1.1-enterprise", enterprise],
  ["v1.1-premium", premium],
  ["v2", v2],
  ["xaa", v2],
];

describe.each(flavours)("%s adapter", (flavour, cases) => {
  it.each(cases)("$name: $method $target", async (c) => {
    const x = fakeX(c.reply);
    const client = createXApiClient(makeApp(flavour), { baseUrl: `${BASE}/`, fetch: x.fetch, now: () => NOW, nonce: () => "fixednonce" });

    await expect(c.call(client)).resolves.toEqual(c.result);

    expect(x.requests).toHaveLength(1);
    const req = x.requests[0]!;
    expect(req.method).toBe(c.method);
    expect(`${req.url.origin}${req.url.pathname}${req.url.search}`).toBe(`${BASE}${c.target}`);
    if (c.json === undefined) {
      expect(req.body).toBe("");
    } else {
      expect(req.contentType).toBe("application/json");
      expect(JSON.parse(req.body)).toEqual(c.json);
    }
    if (c.auth === "bearer") {
      expect(req.authorization).toBe(`Bearer ${SECRETS.bearerToken}`);
    } else {
      const tokenSecret = c.auth === "user" ? USER.secret : SECRETS.accessTokenSecret;
      const oauth = await verifyOAuth(req, SECRETS.consumerSecret, tokenSecret);
      expect(oauth.oauth_consumer_key).toBe(SECRETS.consumerKey);
      expect(oauth.oauth_token).toBe(c.auth === "user" ? USER.token : SECRETS.accessToken);
      expect(oauth.oauth_timestamp).toBe(String(Math.floor(NOW / 1000)));
      expect(oauth.oauth_nonce).toBe("fixednonce");
    }
  });
});

describe("flavour specifics", () => {
  it("v2's failed re-check (200, valid false, X's 214 in errors) is the XApiError v1.1's 403 would be", async () => {
    const message = "Non-200 response code during CRC GET request (i.e. 404, 500, etc).";
    const x = fakeX({ status: 200, body: { data: { valid: false }, errors: [{ message, code: 214 }] } });
    const client = createXApiClient(makeApp("v2"), { baseUrl: BASE, fetch: x.fetch });
    const err = await client.recheckWebhook("1234567890").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XApiError);
    expect(err).toMatchObject({ kind: "crc_non_200", code: 214, xMessage: message, status: 200 });
  });

  it("premium requestReplay is a typed 'unsupported' error and sends nothing", async () => {
    const x = fakeX({ status: 500 });
    const client = createXApiClient(makeApp("v1.1-premium"), { baseUrl: BASE, fetch: x.fetch });
    const err = await client.requestReplay("1", FROM, TO).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XApiError);
    expect((err as XApiError).kind).toBe("unsupported");
    expect(x.requests).toHaveLength(0);
  });

  it("v2 webhook ops fall back to OAuth 1.0a user context when no bearer token is set", async () => {
    const x = fakeX({ status: 200, body: { data: WEBHOOK } });
    const app = makeApp("v2", { credentials: { consumerKey: SECRETS.consumerKey, accessToken: SECRETS.accessToken, accessTokenSecret: SECRETS.accessTokenSecret } });
    const client = createXApiClient(app, { baseUrl: BASE, fetch: x.fetch });
    await client.registerWebhook(HOOK_URL);
    // The JSON body is not part of the signature: verifyOAuth uses only the URL and header.
    await verifyOAuth(x.requests[0]!, SECRETS.consumerSecret, SECRETS.accessTokenSecret);
  });

  it("encodes path segments, so an id cannot change the path", async () => {
    const x = fakeX({ status: 204 });
    const client = createXApiClient(makeApp("v1.1-enterprise"), { baseUrl: BASE, fetch: x.fetch });
    await client.unsubscribe("1/../../x", "2?a=b");
    expect(x.requests[0]!.url.pathname).toBe("/1.1/account_activity/webhooks/1%2F..%2F..%2Fx/subscriptions/2%3Fa%3Db/all.json");
  });

  it("premium env_name is used verbatim (case sensitive)", async () => {
    const x = fakeX({ status: 200, body: [] });
    const client = createXApiClient(makeApp("v1.1-premium", { envName: "ProdEnv" }), { baseUrl: BASE, fetch: x.fetch });
    await client.listWebhooks();
    expect(x.requests[0]!.url.pathname).toBe("/1.1/account_activity/all/ProdEnv/webhooks.json");
  });

  it("a malformed success body is an 'unexpected' XApiError, not undefined data", async () => {
    const x = fakeX({ status: 200, body: { data: { url: HOOK_URL } } });
    const client = createXApiClient(makeApp("v2"), { baseUrl: BASE, fetch: x.fetch });
    await expect(client.registerWebhook(HOOK_URL)).rejects.toMatchObject({ kind: "unexpected", status: 200 });
  });

  it("an invalid replay date is refused before sending", async () => {
    const x = fakeX({ status: 202, body: {} });
    const client = createXApiClient(makeApp("v1.1-enterprise"), { baseUrl: BASE, fetch: x.fetch });
    await expect(client.requestReplay("1", new Date(Number.NaN), TO)).rejects.toMatchObject({ kind: "replay_bad_dates" });
    expect(x.requests).toHaveLength(0);
  });
});

describe("Sign in with X (OAuth 1.0a three-legged)", () => {
  it("request_token: consumer-only signature with oauth_callback, form response parsed", async () => {
    const x = fakeX({ status: 200, text: "oauth_token=rt-1&oauth_token_secret=rts-1&oauth_callback_confirmed=true", headers: { "content-type": "text/html" } });
    const client = createXApiClient(makeApp("v2"), { baseUrl: BASE, fetch: x.fetch, now: () => NOW });
    const token = await client.requestToken("https://edge.example/oauth/acme/callback");
    expect(token).toEqual({ token: "rt-1", secret: "rts-1", callbackConfirmed: true });
    const req = x.requests[0]!;
    expect(`${req.method} ${req.url.pathname}`).toBe("POST /oauth/request_token");
    const oauth = await verifyOAuth(req, SECRETS.consumerSecret, "");
    expect(oauth.oauth_callback).toBe("https://edge.example/oauth/acme/callback");
    expect(oauth.oauth_token).toBeUndefined();
  });

  it("authorizeUrl points the browser at oauth/authorize with the request token", () => {
    const client = createXApiClient(makeApp("v2"), { baseUrl: BASE });
    expect(client.authorizeUrl("rt 1/+")).toBe(`${BASE}/oauth/authorize?oauth_token=rt%201%2F%2B`);
  });

  it("access_token: signed with the request token and its secret, verifier included", async () => {
    const x = fakeX({ status: 200, text: "oauth_token=6253282-abc&oauth_token_secret=s3cr3t&user_id=6253282&screen_name=XDevelopers" });
    const client = createXApiClient(makeApp("v1.1-enterprise"), { baseUrl: BASE, fetch: x.fetch });
    const token = await client.accessToken("rt-1", "rts-1", "verif-9");
    expect(token).toEqual({ token: "6253282-abc", secret: "s3cr3t", userId: "6253282", screenName: "XDevelopers" });
    const req = x.requests[0]!;
    expect(`${req.method} ${req.url.pathname}`).toBe("POST /oauth/access_token");
    const oauth = await verifyOAuth(req, SECRETS.consumerSecret, "rts-1");
    expect(oauth.oauth_token).toBe("rt-1");
    expect(oauth.oauth_verifier).toBe("verif-9");
  });

  it("a token response without the token fields is 'unexpected'", async () => {
    const x = fakeX({ status: 200, text: "oauth_callback_confirmed=true" });
    const client = createXApiClient(makeApp("v2"), { baseUrl: BASE, fetch: x.fetch });
    await expect(client.requestToken("https://edge.example/cb")).rejects.toMatchObject({ kind: "unexpected" });
  });

  it("nonces differ between calls by default", async () => {
    const x = fakeX({ status: 204 });
    const client = createXApiClient(makeApp("v1.1-enterprise"), { baseUrl: BASE, fetch: x.fetch });
    await client.deleteWebhook("1");
    await client.deleteWebhook("1");
    const [a, b] = x.requests.map((r) => parseOAuthHeader(r.authorization ?? "").oauth_nonce);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });
});
