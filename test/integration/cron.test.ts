/**
 * Revalidation. scheduled() runs through the Worker's own handler (the test config's app has no
 * management credentials, so it is recorded as skipped and X is never called). The decisions
 * are unit-tested as pure functions (test/unit/admin/revalidate-policy.test.ts); here the wiring
 * runs with an in-memory XApiClient fake (admin-fake-x.ts) because X and the emulator cannot run
 * inside workerd, against real Registry Durable Objects and KV.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index.ts";
import { describe, expect, it, vi } from "vitest";
import { appContext } from "../../src/admin/context.ts";
import { parseConfig } from "../../src/config.ts";
import { revalidateApp } from "../../src/cron/revalidate.ts";
import { DEFAULT_SETTINGS } from "../../src/cron/revalidate-policy.ts";
import { crcLastKey } from "../../src/state/kv-mirror.ts";
import { registryFor } from "../../src/state/registry.ts";
import { FakeX, xError } from "./admin-fake-x.ts";

const H = 3_600_000;
const M = 60_000;

function setup(flavour = "v2") {
  const name = `cron${Math.floor(Math.random() * 1e9)}`;
  const spec = flavour === "v1.1-premium" ? { name, flavour, env_name: "dev" } : { name, flavour };
  const src = { ...env, APPS: JSON.stringify([spec]), [`X_CONSUMER_SECRET_${name.toUpperCase()}`]: "s", [`X_BEARER_TOKEN_${name.toUpperCase()}`]: "b" };
  const config = parseConfig(src);
  const fake = new FakeX();
  const clock = { now: Date.parse("2026-03-10T12:00:00.000Z") };
  const ctx = appContext(env, config, config.apps.get(name)!, { makeXClient: () => fake, now: () => clock.now });
  return { name, fake, clock, ctx, registry: registryFor(env, name) };
}

describe("scheduled() through the Worker", () => {
  it("revalidates every configured app and records the outcome (no credentials: skipped, X not called)", async () => {
    const log = vi.spyOn(console, "log");
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "*/10 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const lines = log.mock.calls.map((c) => String(c[0]));
    const done = lines.find((l) => l.includes("scheduled revalidation done"));
    expect(done).toBeDefined();
    expect(JSON.parse(done!)).toMatchObject({ apps: [{ app: "default", status: "skipped" }] });
    log.mockRestore();
  });

  it("fails the run (for the dashboard) when the configuration is broken", async () => {
    const broken = { ...env, APPS: "not json" } as Env;
    const ctx = createExecutionContext();
    await expect(worker.scheduled(createScheduledController({ cron: "*/10 * * * *" }), broken, ctx)).rejects.toThrow(/APPS/);
    await waitOnExecutionContext(ctx);
  });
});

describe("revalidateApp wiring (fake X)", () => {
  it("leaves a valid webhook with a fresh CRC alone: lists only, no re-check", async () => {
    const { fake, clock, ctx, name } = setup();
    fake.webhooks.push({ id: "w1", url: "https://e/webhooks/x", valid: true, created_at: new Date(clock.now - 48 * H).toISOString() });
    await env.STATE_KV.put(crcLastKey(name), JSON.stringify({ at: new Date(clock.now - H).toISOString(), ip: "1.2.3.4" }));
    const out = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(out).toMatchObject({ status: "ok", recheck: null, webhook: { id: "w1", valid: true } });
    expect(fake.calls).toEqual(["listWebhooks"]);
    expect(await registryFor(env, name).currentWebhook()).toMatchObject({ last_crc_at: new Date(clock.now - H).toISOString(), last_crc_ip: "1.2.3.4" });
  });

  it("re-checks when X's CRCs stopped (stale crc:last), records it, and is idempotent on re-runs", async () => {
    const { fake, clock, ctx, registry } = setup();
    fake.webhooks.push({ id: "w1", url: "https://e/webhooks/x", valid: true, created_at: new Date(clock.now - 48 * H).toISOString() });
    await env.STATE_KV.put(crcLastKey(ctx.app.name), JSON.stringify({ at: new Date(clock.now - 26 * H).toISOString() }));
    const out = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(out).toMatchObject({ status: "rechecked", recheck: { reason: "crc_stale", ok: true } });
    expect(await registry.currentWebhook()).toMatchObject({ last_recheck_result: "ok" });
    // Run again right away: the last outcome is returned, X is not called again.
    await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(fake.calls).toEqual(["listWebhooks", "recheckWebhook"]);
    // A little later (past the run interval, within the re-check interval): lists, no second PUT.
    clock.now += 2 * M;
    const again = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(again.detail).toMatch(/recent/);
    expect(fake.calls.filter((c) => c === "recheckWebhook")).toHaveLength(1);
  });

  it("on a failed re-check: records it, alerts with X's fix, and later replays the gap once", async () => {
    const { fake, clock, ctx, registry } = setup();
    const err = vi.spyOn(console, "error");
    fake.webhooks.push({ id: "w1", url: "https://e/webhooks/x", valid: true, created_at: new Date(clock.now - 48 * H).toISOString() });
    await env.STATE_KV.put(crcLastKey(ctx.app.name), JSON.stringify({ at: new Date(clock.now - H).toISOString() }));
    await revalidateApp(ctx, DEFAULT_SETTINGS); // known good now

    clock.now += 10 * M;
    fake.webhooks[0]!.valid = false;
    fake.failNext.set("recheckWebhook", xError("crc_non_200", 400, 214, "Non-200 response code during CRC GET request"));
    const down = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(down).toMatchObject({ status: "invalid", recheck: { reason: "invalid", ok: false } });
    expect(down.alerts).toEqual(expect.arrayContaining(["recheck_failed", "webhook_invalid"]));
    const alertLine = err.mock.calls.map((c) => String(c[0])).find((l) => l.includes('"problem":"recheck_failed"'));
    expect(JSON.parse(alertLine!)).toMatchObject({ level: "alert", app: ctx.app.name, cause: expect.stringContaining("server is down") });
    expect(await registry.currentWebhook()).toMatchObject({ valid: false, last_recheck_result: "failed" });

    // Recovers 30 min later: the gap closes, but the window is too recent to replay yet.
    clock.now += 30 * M;
    fake.recheckValid = true;
    const up = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(up).toMatchObject({ status: "rechecked", replay: { action: "wait" } });
    expect(fake.calls).not.toContain("requestReplay");

    // 40 min later the window is old enough: one Replay job for the gap.
    clock.now += 40 * M;
    const replayed = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(replayed.replay).toMatchObject({ action: "request", job_id: expect.any(String) });
    expect(await registry.gaps()).toMatchObject([{ state: "requested", job_id: replayed.replay.job_id }]);
    clock.now += 20 * M;
    await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(fake.calls.filter((c) => c === "requestReplay")).toHaveLength(1);
    err.mockRestore();
  });

  it("does not record a webhook as invalid when X only refused for rate limits", async () => {
    const { fake, clock, ctx, registry } = setup();
    fake.webhooks.push({ id: "w1", url: "https://e/webhooks/x", valid: true, created_at: new Date(clock.now - 48 * H).toISOString() });
    fake.failNext.set("recheckWebhook", xError("rate_limited", 429, 88));
    const out = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(out.detail).toMatch(/rate_limited/);
    expect(await registry.currentWebhook()).toMatchObject({ valid: true, last_recheck_result: null });
    expect(await registry.gaps()).toEqual([]);
  });

  it("skips Replay on the premium flavour and marks the gap", async () => {
    const { fake, clock, ctx, registry } = setup("v1.1-premium");
    fake.webhooks.push({ id: "w1", url: "https://e/webhooks/x", valid: false, created_at: new Date(clock.now - 48 * H).toISOString() });
    await revalidateApp(ctx, DEFAULT_SETTINGS);
    clock.now += H;
    fake.webhooks[0]!.valid = true;
    await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(await registry.gaps()).toMatchObject([{ state: "skipped" }]);
    expect(fake.calls).not.toContain("requestReplay");
  });
});
