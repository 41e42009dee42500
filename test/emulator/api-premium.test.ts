import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, asUser, bearer, call, firstError, startFakeWebhook, userNamed, type FakeWebhook } from "./helpers.ts";

const P = "/1.1/account_activity/all";

describe("v1.1 Premium management API (env_name)", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0 } });
    hook = await startFakeWebhook(appNamed(emu, "premium").consumerSecret);
  });
  afterEach(() => emu.reset());
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });
  const app = (): ReturnType<typeof appNamed> => appNamed(emu, "premium");

  async function register(): Promise<string> {
    const r = await call(emu, { method: "POST", path: `${P}/dev/webhooks.json`, query: { url: hook.url }, app: app() });
    expect(r.status).toBe(200);
    return (r.json as { id: string }).id;
  }

  it("registers, lists, re-checks and deletes under the environment", async () => {
    const id = await register();
    const list = await call(emu, { method: "GET", path: `${P}/dev/webhooks.json`, app: app(), as: bearer(app()) });
    expect(list.status).toBe(200);
    expect(list.json).toEqual([expect.objectContaining({ id, url: hook.url, valid: true })]);
    expect((await call(emu, { method: "PUT", path: `${P}/dev/webhooks/${id}.json`, app: app() })).status).toBe(204);
    expect((await call(emu, { method: "DELETE", path: `${P}/dev/webhooks/${id}.json`, app: app() })).status).toBe(204);
    expect(emu.state.webhooks.size).toBe(0);
  });

  it("env names are case sensitive: a wrong one is 401 code 32", async () => {
    const r = await call(emu, { method: "POST", path: `${P}/Dev/webhooks.json`, query: { url: hook.url }, app: app() });
    expect(r.status).toBe(401);
    expect(firstError(r)).toEqual({ code: 32, message: "Could not authenticate you." });
    const l = await call(emu, { method: "GET", path: `${P}/prod/webhooks.json`, app: app(), as: bearer(app()) });
    expect([l.status, firstError(l).code]).toEqual([401, 32]);
  });

  it("one webhook per environment: a second is 403 code 214 Too many resources", async () => {
    await register();
    const r = await call(emu, { method: "POST", path: `${P}/dev/webhooks.json`, query: { url: `${hook.url}?second=1` }, app: app() });
    expect(r.status).toBe(403);
    expect(firstError(r)).toEqual({ code: 214, message: "Too many resources already created." });
  });

  it("register with a bearer token is 403 code 261", async () => {
    const r = await call(emu, { method: "POST", path: `${P}/dev/webhooks.json`, query: { url: hook.url }, app: app(), as: bearer(app()) });
    expect([r.status, firstError(r).code]).toEqual([403, 261]);
  });

  it("subscribes, checks, lists, counts and removes subscriptions", async () => {
    const id = await register();
    const alice = userNamed(emu, "alice");
    expect((await call(emu, { method: "POST", path: `${P}/dev/subscriptions.json`, app: app(), as: asUser(alice) })).status).toBe(204);
    expect((await call(emu, { method: "GET", path: `${P}/dev/subscriptions.json`, app: app(), as: asUser(alice) })).status).toBe(204);
    const notSub = await call(emu, { method: "GET", path: `${P}/dev/subscriptions.json`, app: app(), as: asUser(userNamed(emu, "bob")) });
    expect([notSub.status, firstError(notSub).code]).toEqual([404, 34]);
    const list = await call(emu, { method: "GET", path: `${P}/dev/subscriptions/list.json`, app: app(), as: bearer(app()) });
    expect(list.json).toEqual({ webhook_id: id, webhook_url: hook.url, application_id: app().appId, subscriptions: [{ user_id: alice.id }] });
    const count = await call(emu, { method: "GET", path: `${P}/subscriptions/count.json`, app: app(), as: bearer(app()) });
    expect(count.json).toMatchObject({ subscriptions_count_all: "1" });
    const del = await call(emu, { method: "DELETE", path: `${P}/dev/subscriptions/${alice.id}.json`, app: app(), as: bearer(app()) });
    expect(del.status).toBe(204);
    const again = await call(emu, { method: "DELETE", path: `${P}/dev/subscriptions/${alice.id}.json`, app: app(), as: bearer(app()) });
    expect([again.status, firstError(again).code]).toEqual([404, 34]);
  });

  it("subscribing before any webhook exists is 404 code 34", async () => {
    const r = await call(emu, { method: "POST", path: `${P}/dev/subscriptions.json`, app: app(), as: asUser(userNamed(emu, "alice")) });
    expect([r.status, firstError(r).code]).toEqual([404, 34]);
  });

  it("Replay is not offered on Premium", async () => {
    const id = await register();
    const r = await call(emu, { method: "POST", path: `${P}/dev/replay/webhooks/${id}/subscriptions/all.json`, app: app(), as: bearer(app()) });
    expect(r.status).toBe(404);
  });
});
