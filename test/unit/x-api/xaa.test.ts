/**
 * The XAA subscription client: the request of every call (method, path, query, auth, exact
 * body, webhook_id always sent) and every response shape X documents (OpenAPI nested
 * `data.subscription`, the quickstart's flat `data` and one-element array, the totals in
 * `meta.total_subscriptions`, `data.total_subscriptions` and `total_subscriptions_for_instance_id`),
 * paging, bulk delete with per-id failures, and X's problem-JSON reasons as typed errors.
 */
import { describe, expect, it } from "vitest";
import { XApiError } from "../../../src/x-api/errors.ts";
import { chunkIds, createXaaClient } from "../../../src/x-api/xaa.ts";
import { SECRETS, fakeX, makeApp, type Canned } from "./fake-x.ts";

const BASE = "http://127.0.0.1:8788";
const SUB = {
  subscription_id: "1976325569252868096",
  event_type: "profile.update.bio",
  filter: { user_id: "2244994945" },
  tag: "bio updates",
  webhook_id: "1976325569252868099",
  created_at: "2025-10-09T16:35:08.000Z",
  updated_at: "2025-10-09T16:35:08.000Z",
};
const PARSED = { ...SUB };

function client(answer: Canned | ((req: Parameters<Exclude<Parameters<typeof fakeX>[0], Canned>>[0]) => Canned)) {
  const x = fakeX(answer);
  return { c: createXaaClient(makeApp("xaa"), { baseUrl: BASE, fetch: x.fetch, now: () => 0 }), requests: x.requests };
}

async function rejection(p: Promise<unknown>): Promise<XApiError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(XApiError);
  return err as XApiError;
}

describe("createSubscription: the request", () => {
  it("a public type goes with the app's bearer, the body has exactly X's properties and always webhook_id", async () => {
    const { c, requests } = client({ status: 200, body: { data: { subscription: SUB } } });
    await c.createSubscription({ event_type: "profile.update.bio", filter: { user_id: "2244994945" }, tag: "bio updates", webhook_id: "1976325569252868099" }, { kind: "app" });
    const r = requests[0]!;
    expect(r.method).toBe("POST");
    expect(r.url.pathname + r.url.search).toBe("/2/activity/subscriptions");
    expect(r.authorization).toBe(`Bearer ${SECRETS.bearerToken}`);
    expect(r.contentType).toBe("application/json");
    expect(JSON.parse(r.body)).toStrictEqual({ event_type: "profile.update.bio", filter: { user_id: "2244994945" }, tag: "bio updates", webhook_id: "1976325569252868099" });
  });

  it("a private type goes with the user's OAuth 2.0 token; direction rides in the filter; no tag key when none", async () => {
    const { c, requests } = client({ status: 200, body: { data: { subscription: { ...SUB, event_type: "like.create", filter: { user_id: "42", direction: "inbound" } } } } });
    const out = await c.createSubscription({ event_type: "like.create", filter: { user_id: "42", direction: "inbound" }, webhook_id: "77" }, { kind: "user", accessToken: "user-oauth2-ACCESS" });
    expect(requests[0]!.authorization).toBe("Bearer user-oauth2-ACCESS");
    expect(JSON.parse(requests[0]!.body)).toStrictEqual({ event_type: "like.create", filter: { user_id: "42", direction: "inbound" }, webhook_id: "77" });
    expect(out.subscription.filter).toStrictEqual({ user_id: "42", direction: "inbound" });
  });

  it("input X would refuse for its form is refused before sending", async () => {
    const { c, requests } = client({ status: 200, body: {} });
    const bad = [
      c.createSubscription({ event_type: "post.create", filter: { user_id: "1" }, webhook_id: "not-digits" }, { kind: "app" }),
      c.createSubscription({ event_type: "post.create", filter: { user_id: "1" }, tag: "", webhook_id: "7" }, { kind: "app" }),
      c.createSubscription({ event_type: "post.create", filter: { user_id: "1" }, tag: "x".repeat(201), webhook_id: "7" }, { kind: "app" }),
      c.createSubscription({ event_type: "post.create", filter: { user_id: "../1" }, webhook_id: "7" }, { kind: "app" }),
    ];
    for (const p of bad) expect((await rejection(p)).kind).toBe("invalid_request");
    expect(requests).toHaveLength(0);
  });

  it("without a bearer the missing secret is named", async () => {
    const x = fakeX({ status: 200, body: {} });
    const c = createXaaClient(makeApp("xaa", { credentials: {} }), { baseUrl: BASE, fetch: x.fetch });
    const err = await rejection(c.createSubscription({ event_type: "post.create", filter: { user_id: "1" }, webhook_id: "7" }, { kind: "app" }));
    expect(err.kind).toBe("missing_credential");
    expect(err.secret).toBe("X_BEARER_TOKEN_ACME");
    expect(x.requests).toHaveLength(0);
  });
});

describe("createSubscription and updateSubscription: every documented response shape", () => {
  const shapes: { name: string; body: unknown; total: number | null }[] = [
    { name: "OpenAPI: data.subscription", body: { data: { subscription: SUB } }, total: null },
    { name: "quickstart: flat data", body: { data: SUB }, total: null },
    { name: "quickstart: one-element data array + meta.total_subscriptions", body: { data: [SUB], meta: { total_subscriptions: 1 } }, total: 1 },
    { name: "reference: total_subscriptions_for_instance_id in data", body: { data: { subscription: SUB, total_subscriptions_for_instance_id: 12 } }, total: 12 },
    { name: "reference: total_subscriptions_for_instance_id at the top", body: { data: SUB, total_subscriptions_for_instance_id: 13 }, total: 13 },
    { name: "update schema: data.total_subscriptions", body: { data: { subscription: SUB, total_subscriptions: 14 } }, total: 14 },
    { name: "flat data + meta", body: { data: SUB, meta: { total_subscriptions: 15 } }, total: 15 },
  ];
  for (const shape of shapes) {
    it(`create reads ${shape.name}`, async () => {
      const { c } = client({ status: 200, body: shape.body });
      const out = await c.createSubscription({ event_type: "profile.update.bio", filter: { user_id: "2244994945" }, webhook_id: "1976325569252868099" }, { kind: "app" });
      expect(out).toStrictEqual({ subscription: PARSED, total: shape.total });
    });
    it(`update reads ${shape.name}`, async () => {
      const { c } = client({ status: 200, body: shape.body });
      expect(await c.updateSubscription(SUB.subscription_id, { tag: "t", webhook_id: "9" })).toStrictEqual({ subscription: PARSED, total: shape.total });
    });
  }

  it("fields X leaves out are null, numeric ids become strings", async () => {
    const { c } = client({ status: 200, body: { data: { subscription_id: 1976325569, event_type: "post.create", filter: { user_id: 42 } } } });
    const out = await c.createSubscription({ event_type: "post.create", filter: { user_id: "42" }, webhook_id: "7" }, { kind: "app" });
    expect(out.subscription).toStrictEqual({ subscription_id: "1976325569", event_type: "post.create", filter: { user_id: "42" }, tag: null, webhook_id: null, created_at: null, updated_at: null });
  });

  it("a body without a subscription id is unexpected, not undefined", async () => {
    for (const body of [{ data: { event_type: "post.create" } }, { data: [] }, { data: [SUB, SUB] }, { meta: {} }, [SUB]]) {
      const { c } = client({ status: 200, body });
      expect((await rejection(c.createSubscription({ event_type: "post.create", filter: { user_id: "1" }, webhook_id: "7" }, { kind: "app" }))).kind).toBe("unexpected");
    }
  });

  it("update PUTs only tag and webhook_id (always webhook_id), with the bearer", async () => {
    const { c, requests } = client({ status: 200, body: { data: SUB } });
    await c.updateSubscription("1976325569252868096", { webhook_id: "192846273860294839" });
    await c.updateSubscription("1976325569252868096", { tag: "my new tag", webhook_id: "192846273860294839" });
    expect(requests.map((r) => [r.method, r.url.pathname, r.authorization, JSON.parse(r.body)])).toStrictEqual([
      ["PUT", "/2/activity/subscriptions/1976325569252868096", `Bearer ${SECRETS.bearerToken}`, { webhook_id: "192846273860294839" }],
      ["PUT", "/2/activity/subscriptions/1976325569252868096", `Bearer ${SECRETS.bearerToken}`, { tag: "my new tag", webhook_id: "192846273860294839" }],
    ]);
  });
});

describe("listSubscriptions", () => {
  it("sends max_results and pagination_token, reads data, meta.next_token and the total", async () => {
    const { c, requests } = client({ status: 200, body: { data: [SUB, { ...SUB, subscription_id: "2", event_type: "like.create", filter: { user_id: "9", direction: "outbound" } }], meta: { total_subscriptions: 2, next_token: "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i" } } });
    const page = await c.listSubscriptions({ maxResults: 2, paginationToken: "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5h" });
    expect(requests[0]!.method).toBe("GET");
    expect(requests[0]!.url.pathname).toBe("/2/activity/subscriptions");
    expect([...requests[0]!.url.searchParams]).toStrictEqual([["max_results", "2"], ["pagination_token", "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5h"]]);
    expect(requests[0]!.authorization).toBe(`Bearer ${SECRETS.bearerToken}`);
    expect(page.subscriptions.map((s) => [s.subscription_id, s.event_type, s.filter])).toStrictEqual([[SUB.subscription_id, SUB.event_type, SUB.filter], ["2", "like.create", { user_id: "9", direction: "outbound" }]]);
    expect(page.next_token).toBe("7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i");
    expect(page.total).toBe(2);
  });

  it("no data (an app with none) is an empty page; data that is not an array is unexpected", async () => {
    expect(await client({ status: 200, body: { meta: { total_subscriptions: 0 } } }).c.listSubscriptions()).toStrictEqual({ subscriptions: [], next_token: null, total: 0 });
    expect((await rejection(client({ status: 200, body: { data: SUB } }).c.listSubscriptions())).kind).toBe("unexpected");
  });

  it("max_results outside 1-1000 is refused before sending", async () => {
    const { c, requests } = client({ status: 200, body: {} });
    expect((await rejection(c.listSubscriptions({ maxResults: 1001 }))).kind).toBe("invalid_request");
    expect((await rejection(c.listSubscriptions({ maxResults: 0 }))).kind).toBe("invalid_request");
    expect(requests).toHaveLength(0);
  });

  it("listAllSubscriptions follows next_token to the last page", async () => {
    const pages: Record<string, unknown> = {
      "": { data: [{ ...SUB, subscription_id: "1" }], meta: { next_token: "page-two-token-0001" } },
      "page-two-token-0001": { data: [{ ...SUB, subscription_id: "2" }], meta: { next_token: "page-three-token-01", total_subscriptions: 3 } },
      "page-three-token-01": { data: [{ ...SUB, subscription_id: "3" }], meta: {} },
    };
    const { c, requests } = client((r) => ({ status: 200, body: pages[r.url.searchParams.get("pagination_token") ?? ""] }));
    const all = await c.listAllSubscriptions();
    expect(all.subscriptions.map((s) => s.subscription_id)).toStrictEqual(["1", "2", "3"]);
    expect(all).toMatchObject({ total: 3, complete: true });
    expect(requests.map((r) => r.url.searchParams.get("max_results"))).toStrictEqual(["1000", "1000", "1000"]);
  });

  it("a next_token X repeats ends the walk as incomplete instead of looping", async () => {
    const { c, requests } = client({ status: 200, body: { data: [SUB], meta: { next_token: "same-token-every-time" } } });
    const all = await c.listAllSubscriptions();
    expect(all.complete).toBe(false);
    expect(requests).toHaveLength(2);
  });
});

describe("delete", () => {
  it("one: DELETE by id with the bearer; reads deleted and the remaining total", async () => {
    const { c, requests } = client({ status: 200, body: { data: { deleted: true }, meta: { total_subscriptions: 0 } } });
    expect(await c.deleteSubscription("1976325569252868096")).toStrictEqual({ deleted: true, total: 0 });
    expect([requests[0]!.method, requests[0]!.url.pathname, requests[0]!.authorization]).toStrictEqual(["DELETE", "/2/activity/subscriptions/1976325569252868096", `Bearer ${SECRETS.bearerToken}`]);
  });

  it("one: a body without data.deleted is unexpected", async () => {
    expect((await rejection(client({ status: 200, body: { data: {} } }).c.deleteSubscription("1"))).kind).toBe("unexpected");
  });

  it("up to 100: one comma-separated ids; per-id failures reported with X's reason, the rest deleted", async () => {
    const { c, requests } = client({
      status: 200,
      body: {
        data: [{ subscription_id: "11", deleted: true }, { subscription_id: "13", deleted: true }],
        errors: [{ subscription_id: "12", reason: "SubscriptionNotFound", message: "Subscription 12 was not found" }],
        meta: { total_subscriptions: 40 },
      },
    });
    const out = await c.deleteSubscriptions(["11", "12", "13", "14"]);
    expect(requests[0]!.url.searchParams.get("ids")).toBe("11,12,13,14");
    expect(requests[0]!.method).toBe("DELETE");
    expect(requests[0]!.url.pathname).toBe("/2/activity/subscriptions");
    expect(out.deleted).toStrictEqual(["11", "13"]);
    expect(out.failed).toMatchObject([{ subscription_id: "12", reason: "SubscriptionNotFound", kind: "subscription_not_found", message: "Subscription 12 was not found" }]);
    expect(out.failed[0]!.fix).toMatch(/reconcile/);
    expect(out.unanswered).toStrictEqual(["14"]);
    expect(out.total).toBe(40);
  });

  it("up to 100: deleted: false without an error is still a failure", async () => {
    const out = await client({ status: 200, body: { data: [{ subscription_id: "11", deleted: false }] } }).c.deleteSubscriptions(["11"]);
    expect(out.deleted).toStrictEqual([]);
    expect(out.failed.map((f) => f.subscription_id)).toStrictEqual(["11"]);
  });

  it("up to 100: 0 or 101 ids, or a malformed id, are refused before sending; chunkIds splits by 100", async () => {
    const { c, requests } = client({ status: 200, body: {} });
    const ids = Array.from({ length: 101 }, (_, i) => String(i + 1));
    expect((await rejection(c.deleteSubscriptions([]))).kind).toBe("invalid_request");
    expect((await rejection(c.deleteSubscriptions(ids))).kind).toBe("invalid_request");
    expect((await rejection(c.deleteSubscriptions(["1", "2,3"]))).kind).toBe("invalid_request");
    expect(requests).toHaveLength(0);
    expect(chunkIds(ids).map((b) => b.length)).toStrictEqual([100, 1]);
  });
});

describe("problem-JSON errors become typed errors with X's reason and a fix", () => {
  const cases: { name: string; reply: Canned; kind: string; reason?: string }[] = [
    { name: "reason field", reply: { status: 409, body: { errors: [{ type: "https://api.x.com/2/problems/conflict", title: "Conflict", detail: "A subscription already exists", reason: "DuplicateSubscriptionFailed" }] } }, kind: "duplicate_subscription", reason: "DuplicateSubscriptionFailed" },
    { name: "reason as the title", reply: { status: 403, text: JSON.stringify({ title: "SubscriptionLimitExceeded", detail: "The application has reached its subscription limit", type: "about:blank", status: 403 }), headers: { "content-type": "application/problem+json" } }, kind: "subscription_limit", reason: "SubscriptionLimitExceeded" },
    { name: "reason in the detail", reply: { status: 404, body: { errors: [{ message: "SubscriptionNotFound: no subscription 5" }], title: "Not Found Error", detail: "SubscriptionNotFound: no subscription 5", type: "https://api.x.com/2/problems/resource-not-found" } }, kind: "subscription_not_found", reason: "SubscriptionNotFound" },
    { name: "CrcValidationFailed with v1.1's latency message keeps the specific kind", reply: { status: 400, body: { errors: [{ reason: "CrcValidationFailed", message: "High latency on CRC GET request. Your webhook should respond in less than 3 seconds." }] } }, kind: "crc_latency", reason: "CrcValidationFailed" },
    { name: "CrcValidationFailed", reply: { status: 400, body: { errors: [{ reason: "CrcValidationFailed", message: "The callback URL did not respond correctly to the CRC check" }] } }, kind: "crc_failed", reason: "CrcValidationFailed" },
    { name: "WebhookIdInvalid", reply: { status: 400, body: { errors: [{ reason: "WebhookIdInvalid", message: "webhook not found" }] } }, kind: "webhook_id_invalid", reason: "WebhookIdInvalid" },
    { name: "MissingScope (the emulator's and X's consent refusal)", reply: { status: 403, body: { errors: [{ type: "https://api.x.com/2/problems/not-authorized-for-resource", title: "Not Authorized for Resource", detail: "missing scope like.read", reason: "MissingScope" }] } }, kind: "consent_required", reason: "MissingScope" },
    { name: "UserNotAuthorized", reply: { status: 403, body: { errors: [{ title: "Not Authorized for Resource", detail: "the user has not authorized the app", reason: "UserNotAuthorized" }] } }, kind: "consent_required", reason: "UserNotAuthorized" },
    { name: "AccountActivityRetired (AAA after 2027-01-01)", reply: { status: 410, body: { errors: [{ title: "Gone", detail: "retired", reason: "AccountActivityRetired" }] } }, kind: "aaa_retired", reason: "AccountActivityRetired" },
    { name: "invalid-request problem without a reason", reply: { status: 400, body: { errors: [{ type: "https://api.x.com/2/problems/invalid-request", title: "Invalid Request", detail: "event_type is not one of the allowed values", parameter: "event_type" }] } }, kind: "invalid_request" },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const err = await rejection(client(tc.reply).c.createSubscription({ event_type: "post.create", filter: { user_id: "1" }, webhook_id: "7" }, { kind: "app" }));
      expect(err.kind).toBe(tc.kind);
      expect(err.reason).toBe(tc.reason);
      expect(err.fix.length).toBeGreaterThan(20);
      const wire = err.toJSON();
      expect(wire.kind).toBe(tc.kind);
      if (tc.reason !== undefined) expect(wire.reason).toBe(tc.reason);
    });
  }

  it("an unknown reason is kept verbatim; a reason like Object.prototype's names is not trusted as a kind", async () => {
    const err = await rejection(client({ status: 400, body: { errors: [{ reason: "SomethingNewFailed", message: "new" }] } }).c.listSubscriptions());
    expect(err.reason).toBe("SomethingNewFailed");
    expect(err.kind).toBe("unexpected");
    const proto = await rejection(client({ status: 400, body: { errors: [{ reason: "HasOwnProperty", message: "x" }], type: "https://api.x.com/2/problems/constructor" } }).c.listSubscriptions());
    expect(proto.kind).toBe("unexpected");
  });

  it("a 403 on a private create with the user's token means consent is needed; with the bearer it stays forbidden", async () => {
    const reply: Canned = { status: 403, body: { title: "Forbidden", detail: "You are not permitted to create this subscription", type: "https://api.x.com/2/problems/not-authorized-for-resource" } };
    const user = await rejection(client(reply).c.createSubscription({ event_type: "like.create", filter: { user_id: "1" }, webhook_id: "7" }, { kind: "user", accessToken: "tok" }));
    expect(user.kind).toBe("consent_required");
    expect(user.fix).toMatch(/Sign in with X/);
    const app = await rejection(client(reply).c.createSubscription({ event_type: "like.create", filter: { user_id: "1" }, webhook_id: "7" }, { kind: "app" }));
    expect(app.kind).toBe("forbidden");
  });

  it("a 429 sets retry_at from X's reset header and the next call is refused locally", async () => {
    const { c, requests } = client({ status: 429, body: { title: "Too Many Requests", detail: "Too Many Requests", type: "about:blank" }, headers: { "x-rate-limit-limit": "500", "x-rate-limit-remaining": "0", "x-rate-limit-reset": "900" } });
    const err = await rejection(c.listSubscriptions());
    expect(err.kind).toBe("rate_limited");
    expect(err.retryAt?.getTime()).toBe(900_000);
    expect((await rejection(c.listSubscriptions())).kind).toBe("rate_limited");
    expect(requests).toHaveLength(1);
  });
});
