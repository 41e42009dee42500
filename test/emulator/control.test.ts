import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, asUser, bearer, call, rawRequest, registerV2, startFakeWebhook, subscribeV2, type FakeWebhook } from "./helpers.ts";

describe("control and inspection API", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0 } });
    hook = await startFakeWebhook("custom-secret");
  });
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });
  const control = (method: string, path: string, json?: unknown): ReturnType<typeof call> =>
    call(emu, { method, path: `/_emulator${path}`, as: { none: true }, ...(json === undefined ? {} : { json }) });

  it("adds apps and users at run time; they work at once", async () => {
    const app = await control("POST", "/apps", { name: "custom", consumerSecret: "custom-secret", flavour: "v2" });
    expect(app.status).toBe(200);
    const user = await control("POST", "/users", { id: "1900000000000000001", screenName: "dave" });
    expect(user.json).toMatchObject({ id: "1900000000000000001", screenName: "dave", accessToken: expect.any(String) });
    const custom = appNamed(emu, "custom");
    const id = await registerV2(emu, hook.url, custom);
    const dave = emu.state.users.get("1900000000000000001")!;
    const sub = await call(emu, { method: "POST", path: `/2/account_activity/webhooks/${id}/subscriptions/all`, app: custom, as: asUser(dave) });
    expect(sub.status).toBe(200);
    expect((await control("GET", "/webhooks")).json).toEqual([expect.objectContaining({ id, app: "custom", valid: true, subscriptions: [dave.id] })]);
    expect((await control("GET", "/subscriptions")).json).toEqual([{ webhook_id: id, app: "custom", user_id: dave.id }]);
    const bad = await control("POST", "/apps", { name: "p", flavour: "v1.1-premium" });
    expect(bad.status).toBe(400);
  });

  it("advances the clock over HTTP and reports it", async () => {
    const before = (await control("GET", "/clock")).json as { now: number; scale: number };
    expect(before.scale).toBe(0);
    const after = await control("POST", "/clock/advance", { ms: 90_000 });
    expect((after.json as { now: number }).now).toBe(before.now + 90_000);
    expect((await control("POST", "/clock/advance", { ms: -1 })).status).toBe(400);
  });

  it("reset forgets webhooks and logs but keeps apps and users", async () => {
    await registerV2(emu, `${hook.url}?x=1`, appNamed(emu, "custom"));
    expect((await control("POST", "/reset")).json).toEqual({ ok: true });
    expect((await control("GET", "/webhooks")).json).toEqual([]);
    expect((await control("GET", "/deliveries")).json).toEqual([]);
    expect(emu.state.apps.has("custom")).toBe(true);
  });
});

describe("configuration sources", () => {
  it("reads apps, users and settings from a JSON file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "x-emulator-"));
    const file = join(dir, "emulator.json");
    writeFileSync(
      file,
      JSON.stringify({
        demo: false,
        apps: [{ name: "filed", consumerKey: "ck", consumerSecret: "cs", bearerToken: "bt", flavour: "v1.1-enterprise" }],
        users: [{ id: "1950000000000000001", screenName: "erin" }],
        rateLimits: { "v1.webhooks.list": 7 },
      }),
    );
    const emu = await startEmulator({ configFile: file, clock: { scale: 0 } });
    try {
      expect([...emu.state.apps.keys()]).toEqual(["filed"]);
      const r = await call(emu, { method: "GET", path: "/1.1/account_activity/webhooks.json", app: appNamed(emu, "filed"), as: bearer(appNamed(emu, "filed")) });
      expect(r.headers["x-rate-limit-limit"]).toBe("7");
    } finally {
      await emu.stop();
    }
  });

  it("`node emulator/main.ts` starts a server that answers", async () => {
    const child = spawn(process.execPath, ["emulator/main.ts", "--port", "0"], { cwd: new URL("../../", import.meta.url), stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      const r = await rawRequest(`${url}/_emulator/health`, "GET", {});
      expect(r.json).toMatchObject({ ok: true });
      const apps = await rawRequest(`${url}/_emulator/apps`, "GET", {});
      expect((apps.json as { name: string }[]).map((a) => a.name)).toEqual(["default", "legacy", "premium"]);
    } finally {
      child.kill("SIGTERM");
    }
  });
});

describe("fan-out helper used by the e2e harness", () => {
  it("subscribeV2 + emit deliver to a receiver on any 127.0.0.1 port", async () => {
    const emu = await startEmulator({ clock: { scale: 0 } });
    const hook = await startFakeWebhook(appNamed(emu, "default").consumerSecret, { path: "/webhooks/default" });
    try {
      const id = await registerV2(emu, hook.url);
      await subscribeV2(emu, id, emu.state.users.get("1600000000000000002")!);
      const res = await emu.emit({ type: "follow", source_id: "1600000000000000003", target_id: "1600000000000000002" });
      expect(res.deliveries).toEqual([expect.objectContaining({ webhook_id: id, for_user_id: "1600000000000000002", status: 200 })]);
      expect(hook.received[0]!.signatureValid).toBe(true);
    } finally {
      await emu.stop();
      await hook.close();
    }
  });
});
