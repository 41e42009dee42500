import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultSettings } from "../../emulator/config.ts";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, asUser, bearer, call, firstError, startFakeWebhook, type FakeWebhook } from "./helpers.ts";

describe("rate limits per 15-minute window", () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0 }, rateLimits: { "v1.webhooks.list": 3, "v2.webhooks.list": 2 } });
  });
  afterAll(() => emu.stop());

  it("counts down in x-rate-limit-* headers, answers 429 code 88, and resets with the window", async () => {
    const legacy = appNamed(emu, "legacy");
    const list = (): ReturnType<typeof call> => call(emu, { method: "GET", path: "/1.1/account_activity/webhooks.json", app: legacy, as: bearer(legacy) });
    const start = emu.clock.now();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await list();
      expect(r.status).toBe(200);
      seen.push(String(r.headers["x-rate-limit-remaining"]));
      expect(r.headers["x-rate-limit-limit"]).toBe("3");
      expect(Number(r.headers["x-rate-limit-reset"])).toBe(Math.ceil((start + 15 * 60_000) / 1000));
    }
    expect(seen).toEqual(["2", "1", "0"]);
    const limited = await list();
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ errors: [{ code: 88, message: "Rate limit exceeded" }] });
    expect(limited.headers["x-rate-limit-remaining"]).toBe("0");
    await emu.advance(15 * 60_000);
    const again = await list();
    expect(again.status).toBe(200);
    expect(again.headers["x-rate-limit-remaining"]).toBe("2");
  });

  it("v2 answers a 429 problem (no v1.1 code 88)", async () => {
    const app = appNamed(emu, "default");
    await call(emu, { method: "GET", path: "/2/webhooks", as: bearer(app) });
    await call(emu, { method: "GET", path: "/2/webhooks", as: bearer(app) });
    const r = await call(emu, { method: "GET", path: "/2/webhooks", as: bearer(app) });
    expect(r.status).toBe(429);
    expect(r.json).toMatchObject({ title: "Too Many Requests" });
    expect(firstError(r)).toEqual({ reason: "RateLimitExceeded", message: "Rate limit exceeded" });
  });

  it("defaults follow X's documented limits", () => {
    const l = defaultSettings().rateLimits;
    expect([l["v1.webhooks.register"], l["v1.subscriptions.create"], l["v1.subscriptions.list"], l["v1.subscriptions.count"], l["v2.webhooks.register"], l["v1.replay"], l["v2.replay"]]).toEqual([15, 500, 50, 15, 450, 5, 100]);
  });
});

describe("tier limits", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  beforeAll(async () => {
    emu = await startEmulator({
      clock: { scale: 0 },
      demo: false,
      accounts: [
        { name: "sb", tier: "sandbox" },
        { name: "ppu", tier: "pay-per-use" },
        { name: "ent", tier: "enterprise", maxWebhooks: 2 },
      ],
      apps: [
        { name: "sandbox-app", account: "sb", consumerSecret: "s" },
        { name: "ppu-app", account: "ppu", consumerSecret: "s" },
        { name: "ent-a", account: "ent", consumerSecret: "s" },
        { name: "ent-b", account: "ent", consumerSecret: "s" },
      ],
      users: Array.from({ length: 16 }, (_, i) => ({ id: String(1800000000000000000n + BigInt(i)), screenName: `u${i}` })),
    });
    hook = await startFakeWebhook("s");
  });
  afterEach(() => emu.reset());
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });

  const tooMany = { code: 214, message: "Too many resources already created." };
  const webhookLimit = { reason: "WebhookLimitExceeded", message: "Too many resources already created." };
  const subscriptionLimit = { reason: "SubscriptionLimitExceeded", message: "Too many resources already created." };

  async function register(appName: string, path = "/a"): Promise<Awaited<ReturnType<typeof call>>> {
    return call(emu, { method: "POST", path: "/2/webhooks", json: { url: hook.url + path }, app: appNamed(emu, appName) });
  }

  async function subscribeAll(appName: string, webhookId: string, n: number): Promise<number[]> {
    const statuses: number[] = [];
    for (const u of [...emu.state.users.values()].slice(0, n)) {
      const r = await call(emu, { method: "POST", path: `/2/account_activity/webhooks/${webhookId}/subscriptions/all`, app: appNamed(emu, appName), as: asUser(u) });
      statuses.push(r.status);
      if (r.status !== 200) expect(firstError(r)).toEqual(subscriptionLimit);
    }
    return statuses;
  }

  it("sandbox: 1 webhook, 15 subscriptions", async () => {
    const r = await register("sandbox-app");
    expect(r.status).toBe(200);
    const second = await register("sandbox-app", "/b");
    expect(second.status).toBe(403);
    expect(firstError(second)).toEqual(webhookLimit);
    const statuses = await subscribeAll("sandbox-app", (r.json as { data: { id: string } }).data.id, 16);
    expect(statuses.filter((s) => s === 200)).toHaveLength(15);
    expect(statuses.at(-1)).toBe(403);
  });

  it("pay-per-use: 1 webhook, 3 subscriptions", async () => {
    const r = await register("ppu-app");
    expect((await register("ppu-app", "/b")).status).toBe(403);
    const statuses = await subscribeAll("ppu-app", (r.json as { data: { id: string } }).data.id, 4);
    expect(statuses).toEqual([200, 200, 200, 403]);
  });

  it("enterprise is configurable, and the webhook limit is per account, not per app", async () => {
    expect((await register("ent-a", "/1")).status).toBe(200);
    expect((await register("ent-b", "/2")).status).toBe(200);
    const third = await register("ent-a", "/3");
    expect([third.status, firstError(third)]).toEqual([403, webhookLimit]);
  });

  it("v1.1 register over the limit is 403 code 214 in the v1.1 shape", async () => {
    await register("sandbox-app");
    const r = await call(emu, { method: "POST", path: "/1.1/account_activity/webhooks.json", query: { url: hook.url + "/v1" }, app: appNamed(emu, "sandbox-app") });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ errors: [tooMany] });
  });
});
