import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, asUser, bearer, call, rawRequest, registerV2, startFakeWebhook, subscribeV2, userNamed, type FakeWebhook } from "./helpers.ts";
import { bearerCall } from "./xaa-helpers.ts";

const RETIRE = Date.UTC(2027, 0, 1);
const HOUR = 3600_000;

describe("retiring AAA on the virtual clock (the 2027-01-01 cutover, rehearsed)", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0, start: RETIRE - 2 * HOUR }, aaaRetiredAt: "2027-01-01T00:00:00Z" });
    hook = await startFakeWebhook(appNamed(emu, "default").consumerSecret);
  });
  afterEach(() => {
    emu.reset();
    hook.received.length = 0;
  });
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });
  const alice = (): ReturnType<typeof userNamed> => userNamed(emu, "alice");
  const control = (path: string, body?: unknown): ReturnType<typeof rawRequest> =>
    rawRequest(`${emu.url}/_emulator${path}`, body === undefined ? "GET" : "POST", { "content-type": "application/json" }, body === undefined ? undefined : JSON.stringify(body));

  it("before the date both APIs deliver; after it AAA deliveries stop while XAA carries on", async () => {
    const id = await registerV2(emu, hook.url);
    await subscribeV2(emu, id, alice());
    const app = appNamed(emu, "default");
    await bearerCall(emu, app.bearerToken, "POST", "/2/activity/subscriptions", { event_type: "post.create", filter: { user_id: alice().id }, webhook_id: id });
    expect((await control("/aaa")).json).toMatchObject({ retired_at: "2027-01-01T00:00:00.000Z", retired: false });
    const before = await emu.emit({ type: "tweet", user_id: alice().id });
    expect(before.deliveries.map((d) => d.api)).toEqual(["aaa", "xaa"]);
    await emu.advance(2 * HOUR);
    expect((await control("/aaa")).json).toMatchObject({ retired: true });
    const after = await emu.emit({ type: "tweet", user_id: alice().id });
    expect(after.deliveries.map((d) => d.api)).toEqual(["xaa"]);
    expect(hook.received).toHaveLength(3);
  });

  it("after the date AAA management answers 410 (v1.1 code 251, v2 problem JSON); /2/webhooks and XAA still work", async () => {
    const legacy = appNamed(emu, "legacy");
    await control("/aaa/retire", {}); // now
    const v11 = await call(emu, { method: "GET", path: "/1.1/account_activity/webhooks.json", app: legacy, as: bearer(legacy) });
    expect(v11.status).toBe(410);
    expect(v11.json).toEqual({ errors: [{ code: 251, message: "This endpoint has been retired and should not be used." }] });
    const premium = await call(emu, { method: "GET", path: "/1.1/account_activity/all/dev/webhooks.json", app: appNamed(emu, "premium"), as: bearer(appNamed(emu, "premium")) });
    expect(premium.status).toBe(410);
    const v2 = await call(emu, { method: "POST", path: "/2/account_activity/webhooks/1/subscriptions/all", as: asUser(alice()) });
    expect(v2.status).toBe(410);
    expect(v2.headers["content-type"]).toBe("application/problem+json");
    expect(v2.json).toMatchObject({ title: "Gone", status: 410, reason: "AccountActivityRetired" });
    expect((v2.json as { errors: Record<string, unknown>[] }).errors[0]).not.toHaveProperty("code");
    expect((await call(emu, { method: "GET", path: "/2/webhooks", as: bearer(appNamed(emu, "default")) })).status).toBe(200);
    expect((await bearerCall(emu, appNamed(emu, "default").bearerToken, "GET", "/2/activity/subscriptions")).status).toBe(200);
  });

  it("the control endpoint moves or clears the date; reset restores the configured one", async () => {
    expect((await control("/aaa/retire", { at: null })).json).toMatchObject({ retired_at: null, retired: false });
    expect((await control("/aaa/retire", { at: "2026-01-01T00:00:00Z" })).json).toMatchObject({ retired: true });
    expect((await control("/aaa/retire", { at: "not a date" })).status).toBe(400);
    emu.reset();
    expect((await control("/aaa")).json).toMatchObject({ retired_at: "2027-01-01T00:00:00.000Z" });
  });
});
