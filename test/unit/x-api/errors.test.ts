/**
 * X's error bodies (v1.1 `{"errors":[{code,message}]}`, v2 problem JSON, and non-JSON) mapped
 * to a stable kind and the remedy from X's troubleshooting guide, through the client as a
 * caller sees them. X is replaced by fakeX (see fake-x.ts for why).
 */
import { describe, expect, it } from "vitest";
import { createXApiClient } from "../../../src/x-api/client.ts";
import { XApiError, classifyXError, fixFor, parseErrorBody, type XApiErrorKind } from "../../../src/x-api/errors.ts";
import { SECRETS, fakeX, makeApp } from "./fake-x.ts";

const BASE = "http://127.0.0.1:8788";
const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

interface Row {
  status: number;
  code: number;
  message: string;
  kind: XApiErrorKind;
  /** A phrase from the remedy X's guide gives for this error. */
  fixHas: string;
}

// Messages as X documents them (seeds/000 reference, seeds/001 FAQ, PROTOCOL.md).
const V11_ROWS: Row[] = [
  { status: 401, code: 32, message: "Could not authenticate you.", kind: "auth_failed", fixHas: "case sensitive" },
  { status: 404, code: 34, message: "Sorry, that page does not exist.", kind: "webhook_not_found", fixHas: "belongs to another app" },
  { status: 429, code: 88, message: "Rate limit exceeded", kind: "rate_limited", fixHas: "reset time" },
  { status: 403, code: 99, message: "You don’t have access to this resource.", kind: "no_access", fixHas: "bearer token belongs to this app" },
  { status: 403, code: 200, message: "Forbidden.", kind: "forbidden", fixHas: "account manager" },
  { status: 400, code: 214, message: "Webhook URL does not meet the requirements.", kind: "crc_failed", fixHas: "public https URL" },
  { status: 403, code: 214, message: "Too many resources already created.", kind: "too_many_resources", fixHas: "GET webhooks with each whitelisted app" },
  { status: 400, code: 214, message: "Webhook URL does not meet the requirements. Invalid CRC token or json response format.", kind: "crc_invalid_response", fixHas: "consumer secret" },
  { status: 400, code: 214, message: "High latency on CRC GET request. Your webhook should respond in less than 3 seconds.", kind: "crc_latency", fixHas: "under 3 seconds" },
  { status: 400, code: 214, message: "Non-200 response code during CRC GET request (i.e. 404, 500, etc).", kind: "crc_non_200", fixHas: "server is down" },
  { status: 403, code: 261, message: "Application cannot perform write actions.", kind: "app_cannot_write", fixHas: "regenerate the access token" },
  { status: 403, code: 348, message: "Client application is not permitted to access this user's webhook subscriptions.", kind: "user_not_permitted", fixHas: "user's own access token" },
  { status: 409, code: 355, message: "A replay job is already in progress for this webhook.", kind: "replay_in_progress", fixHas: "one job per webhook" },
  { status: 400, code: 356, message: "from_date must be before to_date.", kind: "replay_bad_dates", fixHas: "yyyymmddhhmm" },
  { status: 400, code: 362, message: "from_date must be within the last 5 days.", kind: "replay_bad_dates", fixHas: "31 minutes ago" },
  { status: 400, code: 368, message: "to_date must be at least 10 minutes ago.", kind: "replay_bad_dates", fixHas: "10 minutes ago" },
];

describe("v1.1 error bodies through the client", () => {
  it.each(V11_ROWS)("$status code $code → $kind", async (row) => {
    const x = fakeX({ status: row.status, body: { errors: [{ code: row.code, message: row.message }] } });
    const client = createXApiClient(makeApp("v1.1-enterprise"), { baseUrl: BASE, fetch: x.fetch, now: () => NOW });
    const err = await client.listWebhooks().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XApiError);
    const e = err as XApiError;
    expect({ status: e.status, code: e.code, kind: e.kind, xMessage: e.xMessage }).toEqual({ status: row.status, code: row.code, kind: row.kind, xMessage: row.message });
    expect(e.fix).toBe(fixFor(row.kind));
    expect(e.fix).toContain(row.fixHas);
  });

  it("gives every kind a distinct remedy", () => {
    const kinds = [...new Set(V11_ROWS.map((r) => r.kind))];
    expect(new Set(kinds.map(fixFor)).size).toBe(kinds.length);
  });
});

describe("v2 problem errors", () => {
  const cases: Array<{ name: string; status: number; body: unknown; kind: XApiErrorKind; code: number | null; message: string }> = [
    {
      name: "resource-not-found",
      status: 404,
      body: { errors: [{ message: "Webhook not found", parameters: { webhook_id: ["1"] } }], title: "Not Found Error", detail: "Could not find webhook with id: [1].", type: "https://api.twitter.com/2/problems/resource-not-found" },
      kind: "webhook_not_found",
      code: null,
      message: "Webhook not found",
    },
    {
      name: "CRC failure carrying code 214",
      status: 400,
      body: { errors: [{ code: 214, message: "High latency on CRC GET request. Your webhook should respond in less than 3 seconds." }], title: "Invalid Request", detail: "CRC check failed", type: "https://api.twitter.com/2/problems/invalid-request" },
      kind: "crc_latency",
      code: 214,
      message: "High latency on CRC GET request. Your webhook should respond in less than 3 seconds.",
    },
    {
      name: "unauthorized without a code",
      status: 401,
      body: { title: "Unauthorized", type: "about:blank", status: 401, detail: "Unauthorized" },
      kind: "auth_failed",
      code: null,
      message: "Unauthorized",
    },
    {
      name: "client-forbidden",
      status: 403,
      body: { client_id: "1", detail: "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.", registration_url: "https://developer.x.com/", title: "Client Forbidden", required_enrollment: "Appropriate Level of API Access", reason: "client-not-enrolled", type: "https://api.twitter.com/2/problems/client-forbidden" },
      kind: "no_access",
      code: null,
      message: "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.",
    },
    {
      name: "replay conflict",
      status: 409,
      body: { errors: [{ message: "A replay job is already running", code: 355 }], title: "Conflict", detail: "A replay job is already running", type: "https://api.twitter.com/2/problems/conflict" },
      kind: "replay_in_progress",
      code: 355,
      message: "A replay job is already running",
    },
  ];

  it.each(cases)("$name → $kind", async (c) => {
    const x = fakeX({ status: c.status, body: c.body });
    const client = createXApiClient(makeApp("v2"), { baseUrl: BASE, fetch: x.fetch });
    const err = (await client.deleteWebhook("1").catch((e: unknown) => e)) as XApiError;
    expect(err).toBeInstanceOf(XApiError);
    expect({ kind: err.kind, code: err.code, xMessage: err.xMessage, status: err.status }).toEqual({ kind: c.kind, code: c.code, xMessage: c.message, status: c.status });
    expect(err.fix).toBe(fixFor(c.kind));
  });

  it("a v2 429 is rate_limited with retryAt from x-rate-limit-reset", async () => {
    const reset = Math.floor(NOW / 1000) + 600;
    const x = fakeX({ status: 429, body: { title: "Too Many Requests", detail: "Too Many Requests", type: "about:blank", status: 429 }, headers: { "x-rate-limit-limit": "450", "x-rate-limit-remaining": "0", "x-rate-limit-reset": String(reset) } });
    const client = createXApiClient(makeApp("v2"), { baseUrl: BASE, fetch: x.fetch, now: () => NOW });
    const err = (await client.listWebhooks().catch((e: unknown) => e)) as XApiError;
    expect(err.kind).toBe("rate_limited");
    expect(err.retryAt?.getTime()).toBe(reset * 1000);
    expect(err.toJSON().retry_at).toBe(new Date(reset * 1000).toISOString());
  });
});

describe("bodies that are not X's JSON", () => {
  it.each([
    { status: 502, text: "<html><body>Bad gateway at edge-7 token=abc</body></html>", kind: "unexpected", message: "HTTP 502 with a non-JSON body" },
    { status: 503, text: "", kind: "unexpected", message: "HTTP 503 with an empty body" },
    { status: 401, text: "Unauthorized", kind: "auth_failed", message: "HTTP 401 with a non-JSON body" },
    { status: 500, text: "[1,2]", kind: "unexpected", message: "HTTP 500 with an unrecognised JSON body" },
  ])("HTTP $status '$text' → $kind, body text not copied", async (c) => {
    const x = fakeX({ status: c.status, text: c.text });
    const client = createXApiClient(makeApp("v1.1-enterprise"), { baseUrl: BASE, fetch: x.fetch });
    const err = (await client.listWebhooks().catch((e: unknown) => e)) as XApiError;
    expect({ kind: err.kind, code: err.code, xMessage: err.xMessage }).toEqual({ kind: c.kind, code: null, xMessage: c.message });
  });

  it("a fetch failure is a 'network' error whose JSON hides the cause", async () => {
    const client = createXApiClient(makeApp("v2"), {
      baseUrl: BASE,
      fetch: async () => {
        throw new TypeError(`connect ECONNREFUSED with ${SECRETS.bearerToken}`);
      },
    });
    const err = (await client.listWebhooks().catch((e: unknown) => e)) as XApiError;
    expect(err.kind).toBe("network");
    expect(err.status).toBe(0);
    expect(err.cause).toBeInstanceOf(TypeError);
    expect(JSON.stringify(err)).not.toContain(SECRETS.bearerToken);
  });
});

describe("missing credentials", () => {
  it.each([
    { app: "default", call: "listWebhooks", creds: {}, secret: "X_BEARER_TOKEN" },
    { app: "acme-prod", call: "listWebhooks", creds: {}, secret: "X_BEARER_TOKEN_ACME_PROD" },
    { app: "acme-prod", call: "deleteWebhook", creds: { consumerKey: "ck", accessToken: "at" }, secret: "X_ACCESS_TOKEN_SECRET_ACME_PROD" },
    { app: "acme-prod", call: "subscribe", creds: { bearerToken: "b" }, secret: "X_CONSUMER_KEY_ACME_PROD" },
    { app: "acme-prod", call: "requestToken", creds: {}, secret: "X_CONSUMER_KEY_ACME_PROD" },
  ] as const)("$app $call names $secret and sends nothing", async (c) => {
    const x = fakeX({ status: 204 });
    const client = createXApiClient(makeApp("v1.1-enterprise", { name: c.app, credentials: { ...c.creds } }), { baseUrl: BASE, fetch: x.fetch });
    const calls = {
      listWebhooks: () => client.listWebhooks(),
      deleteWebhook: () => client.deleteWebhook("1"),
      subscribe: () => client.subscribe("1", { token: "u", secret: "s" }),
      requestToken: () => client.requestToken("https://edge.example/cb"),
    };
    const err = (await calls[c.call]().catch((e: unknown) => e)) as XApiError;
    expect(err).toBeInstanceOf(XApiError);
    expect(err.kind).toBe("missing_credential");
    expect(err.secret).toBe(c.secret);
    expect(err.fix).toContain(c.secret);
    expect(err.toJSON()).toMatchObject({ kind: "missing_credential", secret: c.secret });
    expect(x.requests).toHaveLength(0);
  });

  it("v2 register without bearer or owner token names the bearer token", async () => {
    const client = createXApiClient(makeApp("v2", { credentials: { consumerKey: "ck" } }), { baseUrl: BASE, fetch: fakeX({ status: 200 }).fetch });
    await expect(client.registerWebhook("https://e.example/w")).rejects.toMatchObject({ kind: "missing_credential", secret: "X_BEARER_TOKEN_ACME" });
  });
});

describe("a missing credential's fix says where the Worker runs", () => {
  it("deployed (no SECRETS_SOURCE): npx wrangler secret put NAME, no local file", async () => {
    const client = createXApiClient(makeApp("v2", { name: "default", credentials: {} }), { baseUrl: BASE, fetch: fakeX({ status: 200 }).fetch, secretsSource: null });
    const err = (await client.listWebhooks().catch((e: unknown) => e)) as XApiError;
    expect(err.fix).toBe("Set the secret X_BEARER_TOKEN (npx wrangler secret put X_BEARER_TOKEN), then retry.");
  });

  it("locally (SECRETS_SOURCE=.dev.vars): add it to .dev.vars and restart; wrangler secret put only for deployed", async () => {
    const client = createXApiClient(makeApp("v2", { name: "acme-prod", credentials: {} }), { baseUrl: BASE, fetch: fakeX({ status: 200 }).fetch, secretsSource: ".dev.vars" });
    const err = (await client.listWebhooks().catch((e: unknown) => e)) as XApiError;
    expect(err.fix).toMatch(/^Add X_BEARER_TOKEN_ACME_PROD=\.\.\. to \.dev\.vars and restart npm run dev/);
    expect(err.fix).toContain("Deployed, it is a Worker secret: npx wrangler secret put X_BEARER_TOKEN_ACME_PROD");
  });
});

describe("toJSON", () => {
  it("holds only kind, status, code, message and fix: no credential ever", async () => {
    const x = fakeX({ status: 401, body: { errors: [{ code: 32, message: "Could not authenticate you." }] } });
    const client = createXApiClient(makeApp("v1.1-enterprise"), { baseUrl: BASE, fetch: x.fetch });
    const err = (await client.deleteWebhook("1").catch((e: unknown) => e)) as XApiError;
    const json = err.toJSON();
    expect(Object.keys(json).sort()).toEqual(["code", "fix", "kind", "message", "status"]);
    const wire = JSON.stringify({ error: err });
    for (const v of Object.values(SECRETS)) expect(wire).not.toContain(v);
    expect(wire).not.toContain("oauth_signature");
  });
});

describe("pure helpers", () => {
  it("parseErrorBody prefers errors[0].code/message, then detail, then title", () => {
    expect(parseErrorBody(400, '{"errors":[{"code":214,"message":"m"}]}')).toEqual({ code: 214, message: "m" });
    expect(parseErrorBody(403, '{"title":"T","detail":"D","type":"https://api.twitter.com/2/problems/x"}')).toEqual({ code: null, message: "D", problemType: "https://api.twitter.com/2/problems/x" });
    expect(parseErrorBody(403, '{"title":"T"}')).toEqual({ code: null, message: "T" });
    expect(parseErrorBody(400, `{"errors":[{"message":"${"x".repeat(2000)}"}]}`).message).toHaveLength(500);
  });

  it("classifyXError falls back to the HTTP status when there is no code", () => {
    expect(classifyXError(429, null, "")).toBe("rate_limited");
    expect(classifyXError(404, null, "")).toBe("webhook_not_found");
    expect(classifyXError(418, null, "")).toBe("unexpected");
    expect(classifyXError(400, 369, "")).toBe("unexpected");
  });
});
