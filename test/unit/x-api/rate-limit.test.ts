/**
 * Rate-limit bookkeeping: headers recorded per app + endpoint template, a call refused before
 * sending while the window is used up, allowed after reset, 429s, and the JSON round trip the
 * control plane uses to keep the tracker in a Durable Object. X is replaced by fakeX (see
 * fake-x.ts for why).
 */
import { describe, expect, it } from "vitest";
import { createXApiClient } from "../../../src/x-api/client.ts";
import { XApiError } from "../../../src/x-api/errors.ts";
import { RATE_LIMIT_WINDOW_SECONDS, RateLimitTracker, rateLimitKey } from "../../../src/x-api/rate-limit.ts";
import { fakeX, makeApp } from "./fake-x.ts";

const BASE = "http://127.0.0.1:8788";
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const RESET = Math.floor(T0 / 1000) + 300;

function limitHeaders(limit: number, remaining: number, reset = RESET): Record<string, string> {
  return { "x-rate-limit-limit": String(limit), "x-rate-limit-remaining": String(remaining), "x-rate-limit-reset": String(reset) };
}

/** A client whose clock the test moves, over a fake X that answers with the given headers. */
function setup(headers: () => Record<string, string>, status = 204) {
  let now = T0;
  const limits = new RateLimitTracker();
  const x = fakeX(() => ({ status, headers: headers(), ...(status === 429 ? { body: { errors: [{ code: 88, message: "Rate limit exceeded" }] } } : {}) }));
  const client = createXApiClient(makeApp("v1.1-enterprise"), { baseUrl: BASE, fetch: x.fetch, now: () => now, rateLimits: limits });
  return { client, x, limits, setNow: (ms: number) => void (now = ms) };
}

describe("RateLimitTracker through the client", () => {
  it("records x-rate-limit-* per app and endpoint template", async () => {
    const { client, limits } = setup(() => limitHeaders(15, 14));
    await client.deleteWebhook("111");
    expect(limits.get(rateLimitKey("acme", "DELETE", "/1.1/account_activity/webhooks/:webhook_id.json"))).toEqual({ limit: 15, remaining: 14, reset: RESET });
    expect(Object.keys(limits.toJSON().windows)).toEqual(["acme:DELETE /1.1/account_activity/webhooks/:webhook_id.json"]);
  });

  it("refuses a call before sending once remaining is 0, until the reset time; then allows it", async () => {
    let remaining = 1;
    const { client, x, setNow } = setup(() => limitHeaders(15, remaining--));
    await client.deleteWebhook("111"); // remaining 1
    await client.deleteWebhook("222"); // remaining 0: same template, different id
    expect(x.requests).toHaveLength(2);

    setNow(RESET * 1000 - 1);
    const err = (await client.deleteWebhook("333").catch((e: unknown) => e)) as XApiError;
    expect(err).toBeInstanceOf(XApiError);
    expect(err.kind).toBe("rate_limited");
    expect(err.retryAt?.getTime()).toBe(RESET * 1000);
    expect(x.requests).toHaveLength(2);

    setNow(RESET * 1000);
    await client.deleteWebhook("333");
    expect(x.requests).toHaveLength(3);
  });

  it("does not block other endpoints, methods or apps", async () => {
    const limits = new RateLimitTracker();
    const x = fakeX(() => ({ status: 204, headers: limitHeaders(15, 0) }));
    const acme = createXApiClient(makeApp("v1.1-enterprise"), { baseUrl: BASE, fetch: x.fetch, now: () => T0, rateLimits: limits });
    const other = createXApiClient(makeApp("v1.1-enterprise", { name: "other" }), { baseUrl: BASE, fetch: x.fetch, now: () => T0, rateLimits: limits });
    await acme.deleteWebhook("1");
    await expect(acme.deleteWebhook("1")).rejects.toMatchObject({ kind: "rate_limited" });
    await acme.recheckWebhook("1"); // PUT: its own bucket
    await other.deleteWebhook("1"); // another app: its own bucket
    expect(x.requests.map((r) => r.method)).toEqual(["DELETE", "PUT", "DELETE"]);
  });

  it("a 429 marks the window used up until X's reset and carries retryAt", async () => {
    const { client, x, limits } = setup(() => limitHeaders(15, 0), 429);
    const err = (await client.listWebhooks().catch((e: unknown) => e)) as XApiError;
    expect({ kind: err.kind, code: err.code, status: err.status }).toEqual({ kind: "rate_limited", code: 88, status: 429 });
    expect(err.retryAt?.getTime()).toBe(RESET * 1000);
    expect(limits.get(rateLimitKey("acme", "GET", "/1.1/account_activity/webhooks.json"))?.remaining).toBe(0);
    await expect(client.listWebhooks()).rejects.toMatchObject({ kind: "rate_limited", status: 0 });
    expect(x.requests).toHaveLength(1);
  });

  it("a 429 without headers blocks for one 15-minute window", async () => {
    const { client, x } = setup(() => ({}), 429);
    const err = (await client.listWebhooks().catch((e: unknown) => e)) as XApiError;
    expect(err.retryAt?.getTime()).toBe(T0 + RATE_LIMIT_WINDOW_SECONDS * 1000);
    await expect(client.listWebhooks()).rejects.toMatchObject({ kind: "rate_limited" });
    expect(x.requests).toHaveLength(1);
  });

  it("ignores responses without rate-limit headers and malformed header values", async () => {
    const { client, limits } = setup(() => ({ "x-rate-limit-remaining": "zero", "x-rate-limit-reset": "soon" }));
    await client.deleteWebhook("1");
    expect(limits.toJSON().windows).toEqual({});
  });
});

describe("persistence", () => {
  it("survives a JSON round trip and still refuses the exhausted endpoint", () => {
    const t = new RateLimitTracker();
    const key = rateLimitKey("acme", "GET", "/2/webhooks");
    t.record(key, 200, new Headers(limitHeaders(450, 0)), T0);
    const restored = RateLimitTracker.fromJSON(JSON.parse(JSON.stringify(t)));
    expect(restored.toJSON()).toEqual(t.toJSON());
    expect(() => restored.check(key, T0)).toThrow(XApiError);
    expect(() => restored.check(key, RESET * 1000)).not.toThrow();
  });

  it("fromJSON drops malformed input instead of throwing", () => {
    expect(RateLimitTracker.fromJSON(null).toJSON()).toEqual({ version: 1, windows: {} });
    expect(RateLimitTracker.fromJSON({ version: 2, windows: {} }).toJSON().windows).toEqual({});
    const mixed = RateLimitTracker.fromJSON({ version: 1, windows: { good: { limit: 15, remaining: 3, reset: RESET }, bad: { limit: "15", remaining: 3, reset: RESET } } });
    expect(Object.keys(mixed.toJSON().windows)).toEqual(["good"]);
  });

  it("prune drops windows that have reset", () => {
    const t = new RateLimitTracker();
    t.record("a", 200, new Headers(limitHeaders(15, 0, RESET)), T0);
    t.record("b", 200, new Headers(limitHeaders(15, 0, RESET + 600)), T0);
    t.prune(RESET * 1000);
    expect(Object.keys(t.toJSON().windows)).toEqual(["b"]);
  });
});
