import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sha256Signature } from "../../emulator/crc.ts";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, asUser, bearer, call, firstError, startFakeWebhook, userNamed, type FakeWebhook } from "./helpers.ts";

const P = "/1.1/account_activity";

describe("v1.1 Enterprise management API", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  beforeAll(async () => {
    emu = await startEmulator({
      clock: { scale: 0 },
      apps: [
        { name: "legacy", deniedUserIds: ["1600000000000000004"] },
        { name: "noaccess", flavour: "v1.1-enterprise", aaaAccess: false },
      ],
      users: [{ id: "1700000000000000009", screenName: "reader", readOnly: true }],
    });
    hook = await startFakeWebhook(appNamed(emu, "legacy").consumerSecret);
  });
  afterEach(() => emu.reset());
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });
  const legacy = (): ReturnType<typeof appNamed> => appNamed(emu, "legacy");

  async function register(): Promise<string> {
    const r = await call(emu, { method: "POST", path: `${P}/webhooks.json`, query: { url: hook.url }, app: legacy() });
    expect(r.status).toBe(200);
    return (r.json as { id: string }).id;
  }

  it("registers a webhook after a CRC, signed like X's legacy CRC", async () => {
    hook.crcRequests.length = 0;
    const r = await call(emu, { method: "POST", path: `${P}/webhooks.json`, query: { url: hook.url }, app: legacy() });
    expect(r.status).toBe(200);
    const body = r.json as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["created_at", "id", "url", "valid"]);
    expect(body).toMatchObject({ url: hook.url, valid: true });
    expect(body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(BigInt(body.id as string)).toBeGreaterThan(2n ** 53n);
    expect(r.headers["x-rate-limit-limit"]).toBe("15");
    const crc = hook.crcRequests[0]!;
    expect(crc.rawQuery).toMatch(/^crc_token=[A-Za-z0-9_-]+&nonce=[A-Za-z0-9+/]+$/);
    expect(crc.headers["x-twitter-webhooks-signature"]).toBe(sha256Signature(legacy().consumerSecret, crc.rawQuery));
  });

  it("register with a bearer token is 403 code 261; with a read-only user token too", async () => {
    const r = await call(emu, { method: "POST", path: `${P}/webhooks.json`, query: { url: hook.url }, app: legacy(), as: bearer(legacy()) });
    expect(r.status).toBe(403);
    expect(firstError(r)).toEqual({ code: 261, message: "Application cannot perform write actions." });
    const ro = await call(emu, { method: "POST", path: `${P}/webhooks.json`, query: { url: hook.url }, app: legacy(), as: asUser(userNamed(emu, "reader")) });
    expect([ro.status, firstError(ro).code]).toEqual([403, 261]);
  });

  it("register without a usable URL is 403 code 214", async () => {
    for (const query of [{}, { url: "not a url" }, { url: "ftp://example.com/x" }]) {
      const r = await call(emu, { method: "POST", path: `${P}/webhooks.json`, query, app: legacy() });
      expect(r.status).toBe(403);
      expect(firstError(r)).toEqual({ code: 214, message: "Webhook URL does not meet the requirements." });
    }
  });

  it("an app without Account Activity access gets 403 code 99", async () => {
    const r = await call(emu, { method: "GET", path: `${P}/webhooks.json`, app: appNamed(emu, "noaccess"), as: bearer(appNamed(emu, "noaccess")) });
    expect(r.status).toBe(403);
    expect(firstError(r)).toEqual({ code: 99, message: "You don\u2019t have access to this resource." });
  });

  it("lists webhooks with the bearer token; user context is refused", async () => {
    const id = await register();
    const r = await call(emu, { method: "GET", path: `${P}/webhooks.json`, app: legacy(), as: bearer(legacy()) });
    expect(r.status).toBe(200);
    expect(r.json).toEqual([expect.objectContaining({ id, url: hook.url, valid: true })]);
    const u = await call(emu, { method: "GET", path: `${P}/webhooks.json`, app: legacy() });
    expect([u.status, firstError(u).code]).toEqual([403, 220]);
  });

  it("re-checks with PUT (204) and refuses unknown or foreign webhooks with code 34", async () => {
    const id = await register();
    const r = await call(emu, { method: "PUT", path: `${P}/webhooks/${id}.json`, app: legacy() });
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    const missing = await call(emu, { method: "PUT", path: `${P}/webhooks/999.json`, app: legacy() });
    expect(missing.status).toBe(404);
    expect(firstError(missing)).toEqual({ code: 34, message: "Webhook does not exist or is associated with a different X application." });
    const foreign = await call(emu, { method: "PUT", path: `${P}/webhooks/${id}.json`, app: appNamed(emu, "default") });
    expect([foreign.status, firstError(foreign).code]).toEqual([404, 34]);
  });

  it("subscribes, checks, lists, counts and unsubscribes", async () => {
    const id = await register();
    const alice = userNamed(emu, "alice");
    const bob = userNamed(emu, "bob");
    const sub = await call(emu, { method: "POST", path: `${P}/webhooks/${id}/subscriptions/all.json`, app: legacy(), as: asUser(alice) });
    expect(sub.status).toBe(204);
    expect((await call(emu, { method: "POST", path: `${P}/webhooks/${id}/subscriptions/all.json`, app: legacy(), as: asUser(bob) })).status).toBe(204);

    expect((await call(emu, { method: "GET", path: `${P}/webhooks/${id}/subscriptions/all.json`, app: legacy(), as: asUser(alice) })).status).toBe(204);
    const carolCheck = await call(emu, { method: "GET", path: `${P}/webhooks/${id}/subscriptions/all.json`, app: legacy(), as: asUser(userNamed(emu, "demo_owner")) });
    expect([carolCheck.status, firstError(carolCheck).code]).toEqual([404, 34]);

    const list = await call(emu, { method: "GET", path: `${P}/webhooks/${id}/subscriptions/all/list.json`, app: legacy(), as: bearer(legacy()) });
    expect(list.status).toBe(200);
    expect(list.json).toEqual({ webhook_id: id, webhook_url: hook.url, application_id: legacy().appId, subscriptions: [{ user_id: alice.id }, { user_id: bob.id }] });
    expect(list.headers["x-rate-limit-limit"]).toBe("50");

    const count = await call(emu, { method: "GET", path: `${P}/subscriptions/count.json`, app: legacy(), as: bearer(legacy()) });
    expect(count.status).toBe(200);
    expect(count.json).toMatchObject({ account_name: "demo", subscriptions_count_all: "2", subscriptions_count_direct_messages: "2" });

    const del = await call(emu, { method: "DELETE", path: `${P}/webhooks/${id}/subscriptions/all.json`, app: legacy(), as: asUser(alice) });
    expect(del.status).toBe(204);
    const perUser = await call(emu, { method: "DELETE", path: `${P}/webhooks/${id}/subscriptions/${bob.id}/all.json`, app: legacy(), as: bearer(legacy()) });
    expect(perUser.status).toBe(204);
    const again = await call(emu, { method: "DELETE", path: `${P}/webhooks/${id}/subscriptions/${bob.id}/all.json`, app: legacy(), as: bearer(legacy()) });
    expect(again.status).toBe(404);
    expect(firstError(again)).toEqual({ code: 34, message: "Sorry, that page does not exist." });
    expect([...emu.state.webhooks.get(id)!.subscriptions]).toEqual([]);
  });

  it("refuses a user the app may not manage with code 348", async () => {
    const id = await register();
    const r = await call(emu, { method: "POST", path: `${P}/webhooks/${id}/subscriptions/all.json`, app: legacy(), as: asUser(userNamed(emu, "carol")) });
    expect(r.status).toBe(403);
    expect(firstError(r)).toEqual({ code: 348, message: "Client application is not permitted to access this user\u2019s webhook subscriptions." });
  });

  it("subscription list and count need the bearer token", async () => {
    const id = await register();
    const r = await call(emu, { method: "GET", path: `${P}/webhooks/${id}/subscriptions/all/list.json`, app: legacy() });
    expect([r.status, firstError(r).code]).toEqual([403, 220]);
  });

  it("deletes a webhook (204), after which it is gone", async () => {
    const id = await register();
    const r = await call(emu, { method: "DELETE", path: `${P}/webhooks/${id}.json`, app: legacy() });
    expect(r.status).toBe(204);
    expect(emu.state.webhooks.has(id)).toBe(false);
    const again = await call(emu, { method: "DELETE", path: `${P}/webhooks/${id}.json`, app: legacy() });
    expect([again.status, firstError(again).code]).toEqual([404, 34]);
  });

  it("unknown paths are 404 code 34", async () => {
    const r = await call(emu, { method: "GET", path: "/1.1/nothing.json", app: legacy() });
    expect([r.status, firstError(r).code]).toEqual([404, 34]);
  });
});
