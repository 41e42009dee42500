import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, asUser, bearer, call, firstError, startFakeWebhook, userNamed, type FakeWebhook } from "./helpers.ts";

describe("v2 management API", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0 }, apps: [{ name: "default", deniedUserIds: ["1600000000000000004"] }] });
    hook = await startFakeWebhook(appNamed(emu, "default").consumerSecret);
  });
  afterEach(() => {
    emu.reset();
    hook.crcMode = "ok";
  });
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });
  const app = (): ReturnType<typeof appNamed> => appNamed(emu, "default");

  async function register(): Promise<string> {
    const r = await call(emu, { method: "POST", path: "/2/webhooks", json: { url: hook.url }, as: bearer(app()) });
    expect(r.status).toBe(200);
    return (r.json as { data: { id: string } }).data.id;
  }

  it("registers with a bearer token or user context", async () => {
    const r = await call(emu, { method: "POST", path: "/2/webhooks", json: { url: hook.url }, as: bearer(app()) });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ data: { id: expect.any(String), url: hook.url, valid: true, created_at: expect.stringMatching(/\.000Z$/) } });
    expect(r.headers["x-rate-limit-limit"]).toBe("450");
    emu.reset();
    const u = await call(emu, { method: "POST", path: "/2/webhooks", json: { url: hook.url } });
    expect(u.status).toBe(200);
  });

  it("a failed CRC on register is a 400 problem with reason CrcValidationFailed and X's message, no v1.1 code", async () => {
    hook.crcMode = "status_500";
    const r = await call(emu, { method: "POST", path: "/2/webhooks", json: { url: hook.url }, as: bearer(app()) });
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toContain("application/problem+json");
    const body = r.json as Record<string, unknown>;
    expect(body).toMatchObject({ title: "Invalid Request", detail: "Non-200 response code during CRC GET request (i.e. 404, 500, etc).", type: expect.any(String) });
    expect(firstError(r)).toEqual({ reason: "CrcValidationFailed", message: "Non-200 response code during CRC GET request (i.e. 404, 500, etc)." });
  });

  it("lists webhooks with meta.result_count", async () => {
    const id = await register();
    const r = await call(emu, { method: "GET", path: "/2/webhooks", as: bearer(app()) });
    expect(r.json).toEqual({ data: [expect.objectContaining({ id, valid: true })], meta: { result_count: 1 } });
  });

  it("PUT answers {data:{valid}} and carries the 214 message when the CRC fails", async () => {
    const id = await register();
    const ok = await call(emu, { method: "PUT", path: `/2/webhooks/${id}`, as: bearer(app()) });
    expect(ok.json).toEqual({ data: { valid: true } });
    hook.crcMode = "wrong_token";
    const bad = await call(emu, { method: "PUT", path: `/2/webhooks/${id}` });
    expect(bad.status).toBe(200);
    expect(bad.json).toEqual({
      data: { valid: false },
      errors: [{ reason: "CrcValidationFailed", message: "Webhook URL does not meet the requirements. Invalid CRC token or json response format." }],
    });
  });

  it("deletes a webhook; unknown ids are a 404 problem with reason WebhookIdInvalid", async () => {
    const id = await register();
    const r = await call(emu, { method: "DELETE", path: `/2/webhooks/${id}`, as: bearer(app()) });
    expect(r.json).toEqual({ data: { deleted: true } });
    const again = await call(emu, { method: "DELETE", path: `/2/webhooks/${id}`, as: bearer(app()) });
    expect(again.status).toBe(404);
    expect(again.json).toMatchObject({ title: "Not Found Error" });
    expect(firstError(again)).toEqual({ reason: "WebhookIdInvalid", message: "Webhook does not exist or is associated with a different X application." });
  });

  it("subscribes, checks, lists, counts and unsubscribes", async () => {
    const id = await register();
    const alice = userNamed(emu, "alice");
    const A = `/2/account_activity/webhooks/${id}/subscriptions`;
    expect((await call(emu, { method: "POST", path: `${A}/all`, as: asUser(alice) })).json).toEqual({ data: { subscribed: true } });
    expect((await call(emu, { method: "GET", path: `${A}/all`, as: asUser(alice) })).json).toEqual({ data: { subscribed: true } });
    expect((await call(emu, { method: "GET", path: `${A}/all`, as: asUser(userNamed(emu, "bob")) })).json).toEqual({ data: { subscribed: false } });
    const list = await call(emu, { method: "GET", path: `${A}/all/list`, as: bearer(app()) });
    expect(list.json).toEqual({ data: { application_id: app().appId, webhook_id: id, webhook_url: hook.url, subscriptions: [{ user_id: alice.id }] } });
    const count = await call(emu, { method: "GET", path: "/2/account_activity/subscriptions/count", as: bearer(app()) });
    expect(count.json).toEqual({ data: { account_name: "demo", provisioned_count: expect.any(String), subscriptions_count_all: "1", subscriptions_count_direct_messages: "1" } });
    const del = await call(emu, { method: "DELETE", path: `${A}/${alice.id}/all`, as: bearer(app()) });
    expect(del.json).toEqual({ data: { subscribed: false } });
    expect(emu.state.webhooks.get(id)!.subscriptions.size).toBe(0);
  });

  it("subscribe needs user context; list needs the bearer; a refused user is 403 (v2 problems, no v1.1 codes)", async () => {
    const id = await register();
    const A = `/2/account_activity/webhooks/${id}/subscriptions`;
    const b = await call(emu, { method: "POST", path: `${A}/all`, as: bearer(app()) });
    expect([b.status, firstError(b)]).toEqual([403, { message: "Your credentials do not allow access to this resource." }]);
    const u = await call(emu, { method: "GET", path: `${A}/all/list` });
    expect([u.status, firstError(u)]).toEqual([403, { message: "Your credentials do not allow access to this resource." }]);
    const d = await call(emu, { method: "POST", path: `${A}/all`, as: asUser(userNamed(emu, "carol")) });
    expect([d.status, firstError(d).message]).toEqual([403, "Client application is not permitted to access this user\u2019s webhook subscriptions."]);
    expect(d.json).toMatchObject({ title: "Forbidden", status: 403 });
  });

  it("an unknown /2/ path or method is a 404 problem, not a v1.1 code 34", async () => {
    for (const [method, path] of [["GET", "/2/nothing/here"], ["PATCH", "/2/webhooks"]] as const) {
      const r = await call(emu, { method, path, as: bearer(app()) });
      expect(r.status).toBe(404);
      expect(r.headers["content-type"]).toBe("application/problem+json");
      expect(r.json).toMatchObject({ title: "Not Found Error", type: "https://api.x.com/2/problems/resource-not-found" });
      expect(firstError(r).code).toBeUndefined();
    }
  });

  it("auth failures are 401 problems (no v1.1 code); v2ErrorCodes adds the code back for old clients", async () => {
    const r = await call(emu, { method: "POST", path: "/2/webhooks", json: { url: hook.url }, app: { ...app(), consumerSecret: "wrong" } });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ title: "Unauthorized", type: "about:blank" });
    expect(firstError(r)).toEqual({ message: "Could not authenticate you." });
    emu.config.v2ErrorCodes = true;
    try {
      const old = await call(emu, { method: "POST", path: "/2/webhooks", json: { url: hook.url }, app: { ...app(), consumerSecret: "wrong" } });
      expect(firstError(old)).toEqual({ code: 32, message: "Could not authenticate you." });
    } finally {
      emu.config.v2ErrorCodes = false;
    }
  });
});
