import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, asUser, call, rawRequest, registerV2, startFakeWebhook, userNamed, type CallResult, type FakeWebhook } from "./helpers.ts";
import { bearerCall, oauth2Login } from "./xaa-helpers.ts";

type Json = Record<string, unknown>;
const P = "/2/activity/subscriptions";

function problem(r: CallResult): Json & { errors: Json[] } {
  expect(r.headers["content-type"]).toBe("application/problem+json");
  const b = r.json as Json & { errors: Json[] };
  expect(b.errors[0]).not.toHaveProperty("code"); // v2: never a v1.1 code
  return b;
}

describe("XAA subscriptions: /2/activity/subscriptions", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  let webhookId: string;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0 }, apps: [{ name: "other", flavour: "v2" }, { name: "small", flavour: "xaa", maxXaaSubscriptions: 2 }] });
    hook = await startFakeWebhook(appNamed(emu, "default").consumerSecret);
  });
  afterEach(() => {
    emu.reset();
    emu.config.xaa.responseShape = "openapi";
    hook.secrets = [appNamed(emu, "default").consumerSecret];
  });
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });
  const app = (): ReturnType<typeof appNamed> => appNamed(emu, "default");
  const alice = (): ReturnType<typeof userNamed> => userNamed(emu, "alice");
  const bob = (): ReturnType<typeof userNamed> => userNamed(emu, "bob");
  const create = (body: unknown, token = app().bearerToken): Promise<CallResult> => bearerCall(emu, token, "POST", P, body);
  const hookFor = async (): Promise<string> => (webhookId = await registerV2(emu, hook.url));

  it("create with a bearer token answers the OpenAPI's nested shape by default, with X's rate-limit headers", async () => {
    await hookFor();
    const r = await create({ event_type: "post.create", filter: { user_id: alice().id }, tag: "posts", webhook_id: webhookId });
    expect(r.status).toBe(200);
    const sub = (r.json as { data: { subscription: Json } }).data.subscription;
    expect(sub).toMatchObject({ event_type: "post.create", filter: { user_id: alice().id }, tag: "posts", webhook_id: webhookId });
    expect(sub.subscription_id).toMatch(/^\d{19}$/);
    expect(sub.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(r.headers["x-rate-limit-limit"]).toBe("500");
    expect(r.headers["x-rate-limit-remaining"]).toBe("499");
  });

  it("the quickstart's flat data and the reference page's totals are a config switch", async () => {
    await hookFor();
    emu.config.xaa.responseShape = "flat";
    const flat = await create({ event_type: "post.create", filter: { user_id: alice().id }, webhook_id: webhookId });
    expect(flat.json).toMatchObject({ data: { event_type: "post.create", filter: { user_id: alice().id } }, meta: { total_subscriptions: 1 } });
    expect((flat.json as { data: Json }).data).not.toHaveProperty("tag");
    emu.config.xaa.responseShape = "reference";
    const ref = await create({ event_type: "post.delete", filter: { user_id: alice().id }, webhook_id: webhookId });
    expect(ref.json).toMatchObject({ data: { subscription: { event_type: "post.delete" }, total_subscriptions_for_instance_id: 2 }, meta: { total_subscriptions: 2 } });
  });

  it.each([
    [{ event_type: "post.explode", filter: { user_id: "1" } }, "event_type"],
    [{ event_type: "post.create", filter: { user_id: "1" }, colour: "red" }, "colour"],
    [{ event_type: "post.create", filter: { user_id: "1", extra: true } }, "extra"],
    [{ event_type: "post.create" }, "filter"],
    [{ event_type: "post.create", filter: { user_id: "abc" } }, "filter.user_id"],
    [{ event_type: "follow.follow", filter: { user_id: "1", direction: "inbound" } }, "filter.direction"],
    [{ event_type: "like.create", filter: { user_id: "1", direction: "sideways" } }, "filter.direction"],
    [{ event_type: "post.create", filter: { user_id: "1", keyword: "x" } }, "filter.keyword"],
    [{ event_type: "news.new", filter: {} }, "filter.keyword"],
    [{ event_type: "oauth.revoke", filter: { user_id: "1" } }, "filter"],
    [{ event_type: "post.create", filter: { user_id: "1" }, tag: "" }, "tag"],
    [{ event_type: "post.create", filter: { user_id: "1" }, tag: "t".repeat(201) }, "tag"],
    [{ event_type: "post.create", filter: { user_id: "1" }, webhook_id: 12 }, "webhook_id"],
  ])("refuses %j with a 400 naming %s", async (body, parameter) => {
    const r = await create(body);
    expect(r.status).toBe(400);
    const b = problem(r);
    expect(b).toMatchObject({ title: "Invalid Request", type: "https://api.x.com/2/problems/invalid-request", status: 400 });
    expect(Object.keys(b.errors[0]!.parameters as Json)).toEqual([parameter]);
  });

  it("accepts a 200-character tag, the deprecated chat.conversation_join alias (answered canonically) and oauth.revoke with an empty filter", async () => {
    await hookFor();
    const tag = "t".repeat(200);
    expect((await create({ event_type: "oauth.revoke", filter: {}, tag, webhook_id: webhookId })).status).toBe(200);
    const tokens = await oauth2Login(emu, app(), alice(), ["dm.read", "tweet.read"]);
    const chat = await create({ event_type: "chat.conversation_join", filter: { user_id: alice().id } }, tokens.access_token);
    expect(chat.status).toBe(200);
    expect((chat.json as { data: { subscription: Json } }).data.subscription.event_type).toBe("chat.conversation.join");
  });

  it("webhook_id must be one of the app's webhooks", async () => {
    const other = appNamed(emu, "other");
    hook.secrets = [other.consumerSecret];
    const theirs = await registerV2(emu, hook.url, other);
    const r = await create({ event_type: "post.create", filter: { user_id: alice().id }, webhook_id: theirs });
    expect(r.status).toBe(400);
    expect(problem(r).reason).toBe("WebhookIdInvalid");
  });

  it("a private event for a user who has not consented is refused; after OAuth 2.0 consent the bearer may create it", async () => {
    await hookFor();
    const body = { event_type: "like.create", filter: { user_id: bob().id, direction: "inbound" }, webhook_id: webhookId };
    const refused = await create(body);
    expect(refused.status).toBe(403);
    expect(problem(refused)).toMatchObject({ type: "https://api.x.com/2/problems/not-authorized-for-resource", reason: "UserNotAuthorized" });
    await oauth2Login(emu, app(), bob(), ["like.read", "tweet.read"]);
    expect((await create(body)).status).toBe(200);
  });

  it("an OAuth 2.0 token subscribes only its own user, and only with the scope the event needs", async () => {
    const tokens = await oauth2Login(emu, app(), alice(), ["tweet.read", "users.read"]);
    const own = await create({ event_type: "post.mention.create", filter: { user_id: alice().id } }, tokens.access_token);
    expect(own.status).toBe(200);
    const someoneElse = await create({ event_type: "post.mention.create", filter: { user_id: bob().id } }, tokens.access_token);
    expect(someoneElse.status).toBe(403);
    const noScope = await create({ event_type: "dm.received", filter: { user_id: alice().id } }, tokens.access_token);
    expect(noScope.status).toBe(403);
    expect(problem(noScope).reason).toBe("MissingScope");
    // Public events: any user, any auth.
    expect((await create({ event_type: "post.create", filter: { user_id: bob().id } }, tokens.access_token)).status).toBe(200);
  });

  it("mute and block are actor-only: refused with a bearer, accepted for the OAuth 1.0a user themself once they granted mute.read", async () => {
    await oauth2Login(emu, app(), alice(), ["mute.read"]);
    const body = { event_type: "mute.mute", filter: { user_id: alice().id } };
    expect((await create(body)).status).toBe(403);
    const asBob = await call(emu, { method: "POST", path: P, as: asUser(bob()), json: { event_type: "mute.mute", filter: { user_id: alice().id } } });
    expect(asBob.status).toBe(403);
    const asAlice = await call(emu, { method: "POST", path: P, as: asUser(alice()), json: body });
    expect(asAlice.status).toBe(200);
  });

  it("a second identical subscription is 409 DuplicateSubscriptionFailed; another tag does not make it different", async () => {
    await hookFor();
    const body = { event_type: "post.create", filter: { user_id: alice().id }, webhook_id: webhookId, tag: "a" };
    expect((await create(body)).status).toBe(200);
    const again = await create({ ...body, tag: "b" });
    expect(again.status).toBe(409);
    expect(problem(again).reason).toBe("DuplicateSubscriptionFailed");
  });

  it("the per-app cap answers SubscriptionLimitExceeded; the tier caps default to X's 1,500 / 75,000 / 150,000", async () => {
    const small = appNamed(emu, "small");
    for (const u of [alice(), bob()]) expect((await bearerCall(emu, small.bearerToken, "POST", P, { event_type: "post.create", filter: { user_id: u.id } })).status).toBe(200);
    const over = await bearerCall(emu, small.bearerToken, "POST", P, { event_type: "post.delete", filter: { user_id: alice().id } });
    expect(over.status).toBe(403);
    expect(problem(over).reason).toBe("SubscriptionLimitExceeded");
    expect(emu.config.xaa.maxSubscriptions).toEqual({ "self-serve": 1500, enterprise: 75_000, partner: 150_000 });
  });

  it("lists page by max_results and pagination_token (base32hex, 16+ characters) until no next_token", async () => {
    for (let i = 0; i < 5; i++) {
      await emu.addUser({ id: `170000000000000000${i}` });
      expect((await create({ event_type: "post.create", filter: { user_id: `170000000000000000${i}` } })).status).toBe(200);
    }
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 5; page++) {
      const r = await bearerCall(emu, app().bearerToken, "GET", `${P}?max_results=2${token ? `&pagination_token=${token}` : ""}`);
      expect(r.status).toBe(200);
      const b = r.json as { data: Json[]; meta: { result_count: number; next_token?: string; total_subscriptions: number } };
      expect(b.meta.total_subscriptions).toBe(5);
      seen.push(...b.data.map((d) => String(d.subscription_id)));
      token = b.meta.next_token;
      if (token === undefined) break;
      expect(token).toMatch(/^[0-9A-V]{16,}$/);
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    for (const bad of ["max_results=0", "max_results=1001", "pagination_token=short", "pagination_token=ZZZZZZZZZZZZZZZZZZ"]) {
      expect((await bearerCall(emu, app().bearerToken, "GET", `${P}?${bad}`)).status, bad).toBe(400);
    }
  });

  it("list works with OAuth 1.0a and OAuth 2.0 user auth too, and shows only the calling app's subscriptions", async () => {
    await create({ event_type: "post.create", filter: { user_id: alice().id } });
    await bearerCall(emu, appNamed(emu, "other").bearerToken, "POST", P, { event_type: "post.create", filter: { user_id: bob().id } });
    const o1 = await call(emu, { method: "GET", path: P, as: asUser(alice()) });
    expect((o1.json as { data: Json[] }).data.map((d) => d.filter)).toEqual([{ user_id: alice().id }]);
    const tokens = await oauth2Login(emu, app(), alice(), ["tweet.read"]);
    expect((await bearerCall(emu, tokens.access_token, "GET", P)).status).toBe(200);
  });

  it("PUT changes only tag and webhook_id, is bearer-only, and 404s SubscriptionNotFound", async () => {
    await hookFor();
    const created = await create({ event_type: "post.create", filter: { user_id: alice().id }, tag: "old" });
    const id = String((created.json as { data: { subscription: Json } }).data.subscription.subscription_id);
    const r = await bearerCall(emu, app().bearerToken, "PUT", `${P}/${id}`, { tag: "new", webhook_id: webhookId });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ data: { subscription: { subscription_id: id, tag: "new", webhook_id: webhookId }, total_subscriptions: 1 } });
    const filterChange = await bearerCall(emu, app().bearerToken, "PUT", `${P}/${id}`, { filter: { user_id: bob().id } });
    expect(filterChange.status).toBe(400);
    const asUserCtx = await call(emu, { method: "PUT", path: `${P}/${id}`, as: asUser(alice()), json: { tag: "x" } });
    expect(asUserCtx.status).toBe(403);
    expect(problem(asUserCtx).title).toBe("Unsupported Authentication");
    const missing = await bearerCall(emu, app().bearerToken, "PUT", `${P}/1234567890123456789`, { tag: "x" });
    expect(missing.status).toBe(404);
    expect(problem(missing).reason).toBe("SubscriptionNotFound");
  });

  it("DELETE one answers {data:{deleted:true}}; another app's subscription is not found", async () => {
    const created = await create({ event_type: "post.create", filter: { user_id: alice().id } });
    const id = String((created.json as { data: { subscription: Json } }).data.subscription.subscription_id);
    const theirs = await bearerCall(emu, appNamed(emu, "other").bearerToken, "DELETE", `${P}/${id}`);
    expect(theirs.status).toBe(404);
    const r = await bearerCall(emu, app().bearerToken, "DELETE", `${P}/${id}`);
    expect(r.json).toEqual({ data: { deleted: true } });
    expect(emu.state.xaaSubscriptions.size).toBe(0);
  });

  it("DELETE ?ids= deletes the ones it can and reports each failure in errors", async () => {
    const ids: string[] = [];
    for (const u of [alice(), bob()]) {
      const c = await create({ event_type: "post.create", filter: { user_id: u.id } });
      ids.push(String((c.json as { data: { subscription: Json } }).data.subscription.subscription_id));
    }
    const keep = await create({ event_type: "post.delete", filter: { user_id: alice().id } });
    const r = await bearerCall(emu, app().bearerToken, "DELETE", `${P}?ids=${ids[0]},1111111111111111111,${ids[1]}`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      data: [{ subscription_id: ids[0], deleted: true }, { subscription_id: ids[1], deleted: true }],
      errors: [{ subscription_id: "1111111111111111111", reason: "SubscriptionNotFound", message: "Subscription 1111111111111111111 was not found." }],
      meta: { total_subscriptions: 1 },
    });
    expect([...emu.state.xaaSubscriptions.keys()]).toEqual([String((keep.json as { data: { subscription: Json } }).data.subscription.subscription_id)]);
    const tooMany = Array.from({ length: 101 }, (_, i) => String(i + 1)).join(",");
    expect((await bearerCall(emu, app().bearerToken, "DELETE", `${P}?ids=${tooMany}`)).status).toBe(400);
    expect((await bearerCall(emu, app().bearerToken, "DELETE", P)).status).toBe(400);
  });

  it("500 requests per 15 minutes, then 429 with x-rate-limit-* and problem JSON; the window resets on the virtual clock", async () => {
    emu.config.rateLimits["xaa.subscriptions.list"] = 3;
    try {
      for (let i = 0; i < 3; i++) expect((await bearerCall(emu, app().bearerToken, "GET", P)).status).toBe(200);
      const limited = await bearerCall(emu, app().bearerToken, "GET", P);
      expect(limited.status).toBe(429);
      expect(limited.headers["x-rate-limit-remaining"]).toBe("0");
      expect(Number(limited.headers["x-rate-limit-reset"])).toBeGreaterThan(emu.clock.now() / 1000);
      problem(limited);
      await emu.advance(15 * 60_000);
      expect((await bearerCall(emu, app().bearerToken, "GET", P)).status).toBe(200);
    } finally {
      emu.config.rateLimits["xaa.subscriptions.list"] = 500;
    }
  });

  it("no or bad credentials: 401 problem JSON, never a 500", async () => {
    const none = await rawPost(emu, {});
    expect(none.status).toBe(401);
    problem(none);
    const bad = await bearerCall(emu, "nope", "POST", P, { event_type: "post.create", filter: { user_id: "1" } });
    expect(bad.status).toBe(401);
    const notJson = await rawPost(emu, { authorization: `Bearer ${app().bearerToken}`, "content-type": "application/json" }, "{nope");
    expect(notJson.status).toBe(400);
    const proto = await create(JSON.parse('{"__proto__":{"polluted":1},"event_type":"post.create","filter":{"user_id":"1"}}'));
    expect(proto.status).toBe(400);
    expect(({} as Json).polluted).toBeUndefined();
  });
});

function rawPost(emu: RunningEmulator, headers: Record<string, string>, body?: string): Promise<CallResult> {
  return rawRequest(`${emu.url}${P}`, "POST", headers, body);
}
