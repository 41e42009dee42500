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
import { appContext } from "../../src/control/context.ts";
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
    // The passing re-check was a passing CRC (X ran it against the receiver): CRC fresh, nothing due.
    expect(again.webhook?.last_crc_at).toBe(new Date(clock.now - 2 * M).toISOString());
    expect(again.recheck).toBeNull();
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

describe("revalidation after a manual Replay", () => {
  it("does not request another Replay for a gap a manual job covered; still replays one only partly covered", async () => {
    const { fake, clock, ctx, registry, name } = setup();
    // The admin route itself (imported here so the shared imports above stay as they are).
    const { createAdminRouter } = await import("../../src/admin/router.ts");
    const adminEnv = { ...env, APPS: JSON.stringify([{ name, flavour: "v2" }]), [`X_CONSUMER_SECRET_${name.toUpperCase()}`]: "s", [`X_BEARER_TOKEN_${name.toUpperCase()}`]: "b" } as Env;
    const admin = createAdminRouter({ makeXClient: () => fake, now: () => clock.now });
    const w = { id: "w1", url: "https://e/webhooks/x", valid: true, created_at: new Date(clock.now - 48 * H).toISOString() };
    fake.webhooks.push({ ...w });
    await env.STATE_KV.put(crcLastKey(name), JSON.stringify({ at: new Date(clock.now - H).toISOString() }));
    const down = async (okAt: number, upAt: number): Promise<number> => {
      await registry.recordWebhook(w, new Date(okAt).toISOString());
      await registry.recordWebhook({ ...w, valid: false }, new Date(okAt + M).toISOString());
      await registry.recordWebhook(w, new Date(upAt).toISOString());
      return (await registry.gaps()).at(-1)!.id;
    };
    const covered = await down(clock.now - 3 * H, clock.now - 2 * H);
    const partly = await down(clock.now - 70 * M, clock.now - 40 * M);

    const res = await admin.fetch(new Request(`https://edge.example/admin/apps/${name}/replay`, {
      method: "POST", headers: { authorization: "Bearer test-admin-token" },
      body: JSON.stringify({ from: new Date(clock.now - 4 * H).toISOString(), to: new Date(clock.now - H).toISOString() }),
    }), adminEnv, createExecutionContext());
    expect(res.status).toBe(202);
    const manual = (await res.json()) as { job: { job_id: string }; covered_gaps: number[] };
    expect(manual.covered_gaps).toEqual([covered]);

    // X finishes the manual job.
    await registry.closeReplayJob(manual.job.job_id, "Complete", null, new Date(clock.now + 5 * M).toISOString());
    fake.replayOpen = false;
    clock.now += 10 * M;
    const out = await revalidateApp(ctx, DEFAULT_SETTINGS);
    // One new Replay, for the partly covered gap only; the covered one is done.
    expect(out.replay).toMatchObject({ action: "request", job_id: expect.any(String) });
    expect(out.replay.job_id).not.toBe(manual.job.job_id);
    const gaps = new Map((await registry.gaps()).map((g) => [g.id, g]));
    expect(gaps.get(covered)).toMatchObject({ state: "done", job_id: manual.job.job_id });
    expect(gaps.get(partly)).toMatchObject({ state: "requested", job_id: out.replay.job_id });
    expect(fake.calls.filter((c) => c === "requestReplay")).toHaveLength(2);

    // That one finishes too: nothing is left to replay.
    await registry.closeReplayJob(out.replay.job_id!, "Complete", null, new Date(clock.now + M).toISOString());
    fake.replayOpen = false;
    clock.now += 10 * M;
    expect((await revalidateApp(ctx, DEFAULT_SETTINGS)).replay.action).toBe("none");
    expect(fake.calls.filter((c) => c === "requestReplay")).toHaveLength(2);
  });
});

describe("dead-letter alerts (one deployment-wide check per cron run)", () => {
  // Imported here so the shared imports above stay as they are.
  const load = async () => ({
    ...(await import("../../src/cron/dead-letter-check.ts")),
    ...(await import("../../src/pipeline/dead-letter.ts")),
  });
  const alerting = { ...env, ALERT_URL: "https://alerts.example/hook" } as Env;
  const letterFor = (id: string, from: "ingest" | "forward" = "forward") => ({
    v: 1 as const, from, reason: "HTTP 410 with body 'private receiver detail'", at: new Date().toISOString(),
    original: { v: 1 as const, id, app: "default", json: '{"event":{"text":"user content"}}' },
  });

  /** The ALERT_URL receiver: an injected fetch that records each POST (no HTTP server can run inside workerd). */
  function receiver() {
    const posts: { url: string; body: Record<string, unknown> }[] = [];
    const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
      posts.push({ url: String(input), body: JSON.parse(String(init?.body)) as Record<string, unknown> });
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    return { posts, fetcher };
  }

  /** A fresh store, an alert receiver and a movable clock, for one dead-letter check test. */
  async function setup() {
    const { checkDeadLetters } = await load();
    const store = env.DEAD_LETTERS.getByName(`cron-dl-${crypto.randomUUID()}`);
    const { posts, fetcher } = receiver();
    const clock = { now: Date.parse("2026-11-24T20:00:00.000Z") };
    const deps = { now: () => clock.now, fetcher, store };
    const err = vi.spyOn(console, "error");
    return { checkDeadLetters, store, posts, clock, deps, err };
  }

  it("alerts once on a new dead letter, with the count and no content; not again when nothing new arrived", async () => {
    const { checkDeadLetters, store, posts, clock, deps, err } = await setup();

    expect(await checkDeadLetters(alerting, deps)).toMatchObject({ new: 0, alerted: false, detail: "none_new" });
    expect(posts).toEqual([]);

    await store.store("dl-1", letterFor("e1"));
    clock.now += 10 * M;
    expect(await checkDeadLetters(alerting, deps)).toMatchObject({ new: 1, alerted: true });
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe("https://alerts.example/hook");
    expect(posts[0]!.body).toMatchObject({
      source: "account-activity-edge", app: "*", problem: "dead_letters",
      message: expect.stringMatching(/^1 new dead letter since .* \(forward: 1; apps: default 1\)\. List: GET \/admin\/dead-letters$/),
      counts: { total: 1, by_app: { default: 1 }, by_from: { forward: 1 } },
    });
    const sent = JSON.stringify(posts[0]!.body);
    expect(sent).not.toContain("private receiver detail");
    expect(sent).not.toContain("user content");

    // The next run: nothing new, no alert.
    clock.now += 10 * M;
    expect(await checkDeadLetters(alerting, deps)).toMatchObject({ new: 0, alerted: false });
    expect(posts).toHaveLength(1);
    expect(await store.alertMarker()).toMatchObject({ checked_at: new Date(clock.now).toISOString() });
    err.mockRestore();
  });

  it("holds a trickle inside the repeat window, then alerts once with the accumulated count", async () => {
    const { checkDeadLetters, store, posts, clock, deps, err } = await setup();

    await store.store("a", letterFor("e-a"));
    await checkDeadLetters(alerting, deps);
    expect(posts).toHaveLength(1);
    const firstAlertAt = new Date(clock.now).toISOString();

    // Two more within the window (every 10-minute run sees them): no alert.
    clock.now += H;
    await store.store("b", letterFor("e-b"));
    expect(await checkDeadLetters(alerting, deps)).toMatchObject({ new: 1, alerted: false, detail: expect.stringMatching(/^throttled until /) });
    clock.now += H;
    await store.store("c", { ...letterFor("", "ingest"), original: { v: 1, delivery_id: "d-c", app: "default", received_at: "2026-11-24T22:00:00.000Z" } });
    clock.now += 10 * M;
    expect(await checkDeadLetters(alerting, deps)).toMatchObject({ new: 2, alerted: false });
    expect(posts).toHaveLength(1);

    // The window passes: one alert for both, since the last one.
    clock.now = Date.parse(firstAlertAt) + DEFAULT_SETTINGS.alertRepeatMs;
    expect(await checkDeadLetters(alerting, deps)).toMatchObject({ new: 2, alerted: true });
    expect(posts).toHaveLength(2);
    expect(posts[1]!.body).toMatchObject({
      message: `2 new dead letters since ${firstAlertAt} (forward: 1, ingest: 1; apps: default 2). List: GET /admin/dead-letters`,
      counts: { total: 2 },
    });
    clock.now += 10 * M;
    await checkDeadLetters(alerting, deps);
    expect(posts).toHaveLength(2);
    err.mockRestore();
  });

  it("runs in scheduled() through the Worker and reports in the run's summary line", async () => {
    const { deadLetterStore } = await load();
    const log = vi.spyOn(console, "log");
    const err = vi.spyOn(console, "error");
    await deadLetterStore(env).store(`dl-${crypto.randomUUID()}`, letterFor("e-scheduled"));
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "*/10 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const done = log.mock.calls.map((c) => String(c[0])).find((l) => l.includes("scheduled revalidation done"));
    expect(JSON.parse(done!)).toMatchObject({ ok: true, dead_letters: { new: 1, alerted: true } });
    // ALERT_URL is empty in the test config: the alert is the structured log line.
    const alert = err.mock.calls.map((c) => String(c[0])).find((l) => l.includes('"problem":"dead_letters"'));
    expect(JSON.parse(alert!)).toMatchObject({ level: "alert", app: "*", counts: { total: 1 } });
    log.mockRestore();
    err.mockRestore();
  });
});

describe("retrying a Replay that ended Incomplete (bounded), then giving up with one alert", () => {
  // Imported here so the shared imports above stay as they are.
  const policy = () => import("../../src/cron/revalidate-policy.ts");

  /** A valid webhook with a fresh CRC and one closed gap [now - 3 h, now - 2 h]; its id. */
  async function withClosedGap(s: ReturnType<typeof setup>): Promise<number> {
    const { fake, clock, registry, name } = s;
    const w = { id: "w1", url: "https://e/webhooks/x", valid: true, created_at: new Date(clock.now - 48 * H).toISOString() };
    fake.webhooks.push({ ...w });
    await env.STATE_KV.put(crcLastKey(name), JSON.stringify({ at: new Date(clock.now - H).toISOString() }));
    await registry.recordWebhook(w, new Date(clock.now - 3 * H).toISOString());
    await registry.recordWebhook({ ...w, valid: false }, new Date(clock.now - 3 * H + M).toISOString());
    await registry.recordWebhook(w, new Date(clock.now - 2 * H).toISOString());
    return (await registry.gaps()).at(-1)!.id;
  }

  /** X reports the open job Incomplete (its replay_job_status) now, and is free for another. */
  async function xFails(s: ReturnType<typeof setup>, jobId: string, description: string): Promise<void> {
    expect(await s.registry.closeReplayJob(jobId, "Incomplete", description, new Date(s.clock.now).toISOString())).toBe(true);
    s.fake.replayOpen = false;
  }

  const replays = (fake: FakeX) => fake.calls.filter((c) => c === "requestReplay").length;
  const gaveUpAlerts = (err: { mock: { calls: unknown[][] } }) =>
    err.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"problem":"replay_gave_up"')).map((l) => JSON.parse(l) as Record<string, string>);

  it("retries after 1 h, then after 4 h, and after the 3rd Incomplete gives up: one alert naming the window and X's last word", async () => {
    const { MAX_REPLAY_TRIES } = await policy();
    const s = setup();
    const { fake, clock, ctx, registry } = s;
    const err = vi.spyOn(console, "error");
    const gap = await withClosedGap(s);
    const first = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(first.replay).toMatchObject({ action: "request", job_id: expect.any(String) });
    await xFails(s, first.replay.job_id!, "first: internal error");

    // Within the 1 h back-off: no request.
    clock.now += 59 * M;
    expect((await revalidateApp(ctx, DEFAULT_SETTINGS)).replay).toMatchObject({ action: "wait", detail: expect.stringContaining("backs off") });
    expect(replays(fake)).toBe(1);

    // After it: the 2nd try, the same gap, through the same request path.
    clock.now += M;
    const second = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(second.replay).toMatchObject({ action: "request", detail: expect.stringContaining(`retry 2 of ${MAX_REPLAY_TRIES}`) });
    expect((await registry.gaps()).find((g) => g.id === gap)).toMatchObject({ state: "requested", job_id: second.replay.job_id, tries: 2 });
    await xFails(s, second.replay.job_id!, "second: internal error");

    // 4 h back-off after the 2nd failure.
    clock.now += 4 * H - M;
    expect((await revalidateApp(ctx, DEFAULT_SETTINGS)).replay.action).toBe("wait");
    expect(replays(fake)).toBe(2);
    clock.now += M;
    const third = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(third.replay).toMatchObject({ action: "request", detail: expect.stringContaining(`retry 3 of ${MAX_REPLAY_TRIES}`) });
    await xFails(s, third.replay.job_id!, "third: webhook unreachable");
    expect(gaveUpAlerts(err)).toEqual([]);

    // The 3rd failure was the last try: given up at once, one alert.
    clock.now += 10 * M;
    const gaveUp = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(gaveUp.alerts).toEqual(["replay_gave_up"]);
    expect(gaveUp.replay.action).toBe("none");
    const g = (await registry.gaps()).find((x) => x.id === gap)!;
    expect(g).toMatchObject({ state: "given_up", tries: MAX_REPLAY_TRIES, note: expect.stringContaining("third: webhook unreachable") });
    const [alert, ...more] = gaveUpAlerts(err);
    expect(more).toEqual([]);
    expect(alert).toMatchObject({ level: "alert", app: ctx.app.name, problem: "replay_gave_up", webhook_id: "w1", cause: expect.stringContaining("third: webhook unreachable") });
    expect(alert!.message).toContain(`${g.from_at} to ${g.to_at}`);
    expect(alert!.message).toContain(`${MAX_REPLAY_TRIES} times`);

    // Never again for that gap, even past the alert repeat interval; no further Replay.
    clock.now += DEFAULT_SETTINGS.alertRepeatMs + H;
    const later = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(later.alerts).not.toContain("replay_gave_up");
    expect(gaveUpAlerts(err)).toHaveLength(1);
    expect(replays(fake)).toBe(MAX_REPLAY_TRIES);
    err.mockRestore();
  });

  it("gives up on failed gaps once their windows have left X's Replay lookback, without asking X: one alert per gap", async () => {
    const s = setup();
    const { fake, clock, ctx, registry } = s;
    const err = vi.spyOn(console, "error");
    const a = await withClosedGap(s); // [now - 3 h, now - 2 h]
    const w = fake.webhooks[0]!;
    await registry.recordWebhook(w, new Date(clock.now - 100 * M).toISOString());
    await registry.recordWebhook({ ...w, valid: false }, new Date(clock.now - 99 * M).toISOString());
    await registry.recordWebhook(w, new Date(clock.now - 90 * M).toISOString());
    const b = (await registry.gaps()).at(-1)!.id;
    // One job for both (as a manual one would be), which X ends Incomplete.
    const job = await registry.createReplayJob({
      job_id: "7700", webhook_id: "w1", from_date: new Date(clock.now - 4 * H).toISOString(), to_date: new Date(clock.now - 80 * M).toISOString(),
      requested_at: new Date(clock.now).toISOString(), requested_by: "admin",
    }, null);
    expect(job.gap_ids).toEqual([a, b]);
    await xFails(s, "7700", "only try: internal error");

    // v2 looks back 24 h (less a 5-minute margin): 23 h later both windows have left it.
    clock.now += 23 * H;
    await env.STATE_KV.put(crcLastKey(s.name), JSON.stringify({ at: new Date(clock.now - H).toISOString() }));
    const out = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(out.alerts).toEqual(["replay_gave_up", "replay_gave_up"]);
    expect((await registry.gaps()).map((g) => [g.id, g.state, g.tries])).toEqual([[a, "given_up", 1], [b, "given_up", 1]]);
    expect((await registry.gaps())[0]!.note).toContain("lookback");
    const alerts = gaveUpAlerts(err);
    expect(alerts.map((x) => (x.message ?? "").match(/delivery gap (\d+)/)?.[1])).toEqual([String(a), String(b)]);
    expect(alerts).toEqual([expect.objectContaining({ cause: expect.stringContaining("only try: internal error") }), expect.anything()]);
    expect(replays(fake)).toBe(0);
    err.mockRestore();
  });

  it("a manual Replay taking over a failed gap counts as a try, so revalidation then gives up on time", async () => {
    const { MAX_REPLAY_TRIES } = await policy();
    const s = setup();
    const { fake, clock, ctx, registry, name } = s;
    const err = vi.spyOn(console, "error");
    const { createAdminRouter } = await import("../../src/admin/router.ts");
    const adminEnv = { ...env, APPS: JSON.stringify([{ name, flavour: "v2" }]), [`X_CONSUMER_SECRET_${name.toUpperCase()}`]: "s", [`X_BEARER_TOKEN_${name.toUpperCase()}`]: "b" } as Env;
    const admin = createAdminRouter({ makeXClient: () => fake, now: () => clock.now });
    const gap = await withClosedGap(s);

    // Revalidation's first two tries end Incomplete.
    const first = await revalidateApp(ctx, DEFAULT_SETTINGS);
    await xFails(s, first.replay.job_id!, "one");
    clock.now += H;
    const second = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(second.replay.action).toBe("request");
    await xFails(s, second.replay.job_id!, "two");

    // The operator retries by hand (inside the 4 h back-off): the failed gap is linked and counted.
    clock.now += 10 * M;
    const res = await admin.fetch(new Request(`https://edge.example/admin/apps/${name}/replay`, {
      method: "POST", headers: { authorization: "Bearer test-admin-token" },
      body: JSON.stringify({ from: new Date(clock.now - 5 * H).toISOString(), to: new Date(clock.now - 2 * H).toISOString() }),
    }), adminEnv, createExecutionContext());
    expect(res.status).toBe(202);
    const manual = (await res.json()) as { job: { job_id: string }; covered_gaps: number[] };
    expect(manual.covered_gaps).toEqual([gap]);
    expect((await registry.gaps()).find((g) => g.id === gap)).toMatchObject({ state: "requested", job_id: manual.job.job_id, tries: MAX_REPLAY_TRIES });

    // It ends Incomplete too: that was the last try, so the next run gives up instead of retrying.
    await xFails(s, manual.job.job_id, "manual: internal error");
    clock.now += 5 * H;
    const out = await revalidateApp(ctx, DEFAULT_SETTINGS);
    expect(out.alerts).toEqual(["replay_gave_up"]);
    expect((await registry.gaps()).find((g) => g.id === gap)).toMatchObject({ state: "given_up" });
    expect(fake.calls.filter((c) => c === "requestReplay")).toHaveLength(3);
    err.mockRestore();
  });
});

describe("silence alert: an app with subscribers that stopped receiving (SILENCE_ALERT_HOURS)", () => {
  // Imported here so the shared imports above stay as they are.
  const load = () => import("../../src/cron/silence-check.ts");

  /** A fresh app with a valid webhook, one alert receiver (an injected fetch: no HTTP server runs inside workerd) and a movable clock. */
  async function silent(vars: Record<string, string> = { SILENCE_ALERT_HOURS: "24" }, opts: { subscribed?: boolean } = {}) {
    const { checkSilence } = await load();
    const name = `quiet${Math.floor(Math.random() * 1e9)}`;
    const appEnv = { ...env, APPS: JSON.stringify([{ name }]), [`X_CONSUMER_SECRET_${name.toUpperCase()}`]: "s", ALERT_URL: "https://alerts.example/hook", ...vars } as Env;
    const clock = { now: Date.parse("2026-11-24T20:00:00.000Z") };
    const posts: Record<string, unknown>[] = [];
    const fetcher = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      posts.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    const registry = registryFor(env, name);
    const longAgo = new Date(clock.now - 10 * 24 * H).toISOString();
    await registry.recordWebhook({ id: "w1", url: `https://edge.example/webhooks/${name}`, valid: true, created_at: longAgo }, longAgo);
    if (opts.subscribed ?? true) await registry.upsertSubscription({ user_id: "2244994945", screen_name: null, by: "test", sealed: null }, longAgo);
    const err = vi.spyOn(console, "error");
    const run = () => checkSilence(appEnv, { now: () => clock.now, fetcher });
    const delivered = (at: number) => registry.recordLastDelivery({ at: new Date(at).toISOString(), event_created_at: null });
    return { name, clock, posts, registry, run, delivered, err };
  }

  it("alerts once when silent past the threshold with subscribers, naming the app, the last delivery, the threshold and what to check", async () => {
    const { name, clock, posts, run, delivered, err } = await silent();
    const last = clock.now - 30 * H;
    await delivered(last);
    expect(await run()).toEqual([{ app: name, alerted: true, reason: null, last_delivery_at: new Date(last).toISOString(), silent_since: new Date(last).toISOString() }]);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ source: "account-activity-edge", app: name, problem: "deliveries_silent", webhook_id: "w1" });
    expect(posts[0]!.message).toContain(`App ${name} has received no delivery from X since ${new Date(last).toISOString()}`);
    expect(posts[0]!.message).toContain("24 h threshold");
    expect(posts[0]!.cause).toEqual(expect.stringContaining(`subscriptions list --app ${name}`));
    // The next cron runs, still silent: no second alert inside the repeat window.
    clock.now += 10 * M;
    expect(await run()).toMatchObject([{ alerted: false, reason: "throttled" }]);
    clock.now += 2 * H;
    await run();
    expect(posts).toHaveLength(1);
    err.mockRestore();
  });

  it("with no delivery ever recorded, counts from the first subscription", async () => {
    const { posts, run, err } = await silent();
    expect(await run()).toMatchObject([{ alerted: true, last_delivery_at: null }]);
    expect(posts[0]!.message).toMatch(/^No delivery has ever been recorded for app quiet\d+ \(users subscribed since /);
    err.mockRestore();
  });

  it("raises nothing when no user is subscribed", async () => {
    const { clock, posts, run, delivered, err } = await silent({ SILENCE_ALERT_HOURS: "24" }, { subscribed: false });
    await delivered(clock.now - 30 * H);
    expect(await run()).toMatchObject([{ alerted: false, reason: "no_subscribers" }]);
    expect(posts).toEqual([]);
    err.mockRestore();
  });

  it("is off by default: nothing checked, nothing raised", async () => {
    const { clock, posts, run, delivered, err } = await silent({});
    await delivered(clock.now - 30 * 24 * H);
    expect(await run()).toEqual([]);
    expect(posts).toEqual([]);
    expect(err.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("deliveries_silent"))).toEqual([]);
    err.mockRestore();
  });

  it("a delivery after the alert quiets it; a new silence alerts again (before the repeat window would allow a repeat)", async () => {
    const { clock, posts, run, delivered, err } = await silent({ SILENCE_ALERT_HOURS: "1" });
    await delivered(clock.now - 2 * H);
    await run();
    expect(posts).toHaveLength(1);
    const alertedAt = clock.now;

    // Deliveries resume 10 min later: quiet for the next hour.
    clock.now += 10 * M;
    await delivered(clock.now);
    clock.now += 50 * M;
    expect(await run()).toMatchObject([{ alerted: false, reason: "receiving" }]);
    expect(posts).toHaveLength(1);

    // Silent again past the hour: a new alert, 1 h 20 min after the first (the repeat window is 6 h).
    clock.now += 20 * M;
    expect(await run()).toMatchObject([{ alerted: true }]);
    expect(posts).toHaveLength(2);
    expect(clock.now - alertedAt).toBeLessThan(DEFAULT_SETTINGS.alertRepeatMs);
    err.mockRestore();
  });

  it("runs in scheduled() through the Worker and reports in the run's summary line", async () => {
    const log = vi.spyOn(console, "log");
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "*/10 * * * *" }), { ...env, SILENCE_ALERT_HOURS: "24" } as Env, ctx);
    await waitOnExecutionContext(ctx);
    const done = log.mock.calls.map((c) => String(c[0])).find((l) => l.includes("scheduled revalidation done"));
    // The test deployment's one app ("default") has no subscribers.
    expect(JSON.parse(done!)).toMatchObject({ ok: true, silence: [{ app: "default", alerted: false, reason: "no_subscribers" }] });
    log.mockRestore();
  });
});

describe("pipeline alerts: queue backlog and forward destination down (PIPELINE_LAG_ALERT_MINUTES)", () => {
  // Imported here so the shared imports above stay as they are.
  const load = async () => ({
    ...(await import("../../src/cron/pipeline-check.ts")),
    ...(await import("../../src/pipeline/circuit-breaker.ts")),
  });
  const URL_WITH_TOKEN_PATH = "/in/SECRET-PATH-TOKEN?key=SECRET-QUERY";

  type Metrics = { backlogCount: number; backlogBytes: number; oldestMessageTimestamp?: Date };
  /**
   * A fresh marker store and gate (their own DeadLetters instances), an alert recorder, and queue
   * metrics set by the test: Miniflare's local consumers drain a real queue within their 1 s
   * batch window, so a message minutes old cannot be produced there (GET /admin/pipeline's test
   * reads the real queues). Everything else is real.
   */
  async function pipe(vars: Record<string, unknown> = {}, opts: { forward?: boolean } = {}) {
    const { checkPipeline } = await load();
    const id = Math.floor(Math.random() * 1e9);
    const host = `hooks-${id}.example.test`;
    const forwardUrl = `https://${host}${URL_WITH_TOKEN_PATH}`;
    const appEnv = { ...env, ALERT_URL: "https://alerts.example/hook", ...(opts.forward === true ? { FORWARD_URL: forwardUrl } : {}), ...vars } as Env;
    const posts: Record<string, unknown>[] = [];
    const fetcher = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      posts.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    const empty: Metrics = { backlogCount: 0, backlogBytes: 0 };
    const metrics: Record<"INGEST" | "EVENTS" | "FORWARD" | "DEAD_LETTER", Metrics> = { INGEST: empty, EVENTS: empty, FORWARD: empty, DEAD_LETTER: empty };
    let metricsReads = 0;
    const queues = Object.fromEntries(
      (Object.keys(metrics) as (keyof typeof metrics)[]).map((k) => [k, { metrics: async () => (metricsReads++, metrics[k]) }]),
    ) as unknown as Record<keyof typeof metrics, Pick<Queue, "metrics">>;
    const store = env.DEAD_LETTERS.getByName(`pipeline-marker-${id}`);
    const gateStub = env.DEAD_LETTERS.getByName(`pipeline-gate-${id}`);
    const clock = { now: Date.now() };
    const err = vi.spyOn(console, "error");
    const run = (extraQueues: Record<string, Pick<Queue, "metrics">> = {}) =>
      checkPipeline(appEnv, { now: () => clock.now, fetcher, store, queues: { ...queues, ...extraQueues }, gate: (u) => gateStub.gateInspect(u) });
    const reads = () => metricsReads;
    return { host, forwardUrl, posts, metrics, clock, run, reads, err, gateStub };
  }

  it("pipeline_backlog: fires once when aae-ingest's oldest message is past the threshold, then is throttled", async () => {
    const { posts, metrics, clock, run, err } = await pipe({ PIPELINE_LAG_ALERT_MINUTES: "30" });
    metrics.INGEST = { backlogCount: 120, backlogBytes: 9000, oldestMessageTimestamp: new Date(clock.now - 29 * M) };
    expect((await run()).backlog).toEqual({ alerted: false, reason: "keeping_up" });
    expect(posts).toEqual([]);

    clock.now += 2 * M;
    expect((await run()).backlog).toEqual({ alerted: true, reason: null });
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ app: "*", problem: "pipeline_backlog" });
    expect(posts[0]!.message).toContain("aae-ingest: 120 messages waiting, the oldest 31 min old");
    expect(posts[0]!.message).toContain("account-activity-edge dead-letters list");

    clock.now += 10 * M;
    expect((await run()).backlog).toMatchObject({ alerted: false, reason: expect.stringMatching(/^throttled until /) });
    expect(posts).toHaveLength(1);
    clock.now += DEFAULT_SETTINGS.alertRepeatMs;
    metrics.INGEST = { ...metrics.INGEST, oldestMessageTimestamp: new Date(clock.now - H) };
    expect((await run()).backlog).toEqual({ alerted: true, reason: null });
    expect(posts).toHaveLength(2);
    err.mockRestore();
  });

  it("pipeline_backlog watches every ingest queue: a stalled aae-ingest-2 (INGEST_QUEUES=2) alerts by name", async () => {
    const stub = { send: async () => {} };
    const { posts, metrics, clock, run, err } = await pipe({ PIPELINE_LAG_ALERT_MINUTES: "30", INGEST_QUEUES: "2", INGEST_2: stub });
    const second = { metrics: async () => ({ backlogCount: 40, backlogBytes: 4000, oldestMessageTimestamp: new Date(clock.now - 45 * M) }) };
    // pipe()'s stand-in source has the four base bindings (all empty here); add the second ingest queue's.
    expect(metrics.INGEST.backlogCount).toBe(0);
    const result = await run({ INGEST_2: second });
    expect(result.backlog).toEqual({ alerted: true, reason: null });
    expect(posts).toHaveLength(1);
    expect(posts[0]!.message).toContain("aae-ingest-2: 40 messages waiting, the oldest 45 min old");
    err.mockRestore();
  });

  it("is off at 0: no queue or gate read, no alert", async () => {
    const { posts, metrics, clock, run, reads, err, gateStub, forwardUrl } = await pipe({ PIPELINE_LAG_ALERT_MINUTES: "0" }, { forward: true });
    metrics.INGEST = { backlogCount: 5, backlogBytes: 50, oldestMessageTimestamp: new Date(clock.now - 10 * H) };
    const { FAILURE_THRESHOLD } = await load();
    await gateStub.gateRecord(forwardUrl, Array<boolean>(FAILURE_THRESHOLD).fill(false));
    clock.now += 10 * H;
    expect(await run()).toMatchObject({ backlog: { alerted: false, reason: "off" }, forward_down: { alerted: false, reason: "off" } });
    expect(reads()).toBe(0);
    expect(posts).toEqual([]);
    err.mockRestore();
  });

  it("forward_destination_down: fires once the real gate's circuit has been open past the threshold, naming the host only; aae-forward's backlog is not a lag meanwhile", async () => {
    const t = await pipe({}, { forward: true });
    const { FAILURE_THRESHOLD } = await load();
    await t.gateStub.gateRecord(t.forwardUrl, Array<boolean>(FAILURE_THRESHOLD).fill(false));
    const opened = (await t.gateStub.gateInspect(t.forwardUrl)).openSince;
    expect(opened).toBeGreaterThan(0);
    // Held messages wait on aae-forward on purpose: not a backlog alert.
    t.metrics.FORWARD = { backlogCount: 40, backlogBytes: 4000, oldestMessageTimestamp: new Date(opened - 5 * M) };

    t.clock.now = opened + 29 * M;
    expect(await t.run()).toMatchObject({ backlog: { alerted: false, reason: "keeping_up" }, forward_down: { alerted: false, reason: "not_long_enough" } });
    t.clock.now = opened + 31 * M;
    expect(await t.run()).toMatchObject({ backlog: { alerted: false, reason: "keeping_up" }, forward_down: { alerted: true, reason: null } });
    expect(t.posts).toHaveLength(1);
    expect(t.posts[0]).toMatchObject({ app: "*", problem: "forward_destination_down" });
    const message = String(t.posts[0]!.message);
    expect(message).toContain(`${t.host} has been failing since ${new Date(opened).toISOString()}`);
    expect(message).toContain("FORWARD_MAX_HOLD_HOURS (96 h");
    expect(JSON.stringify(t.posts)).not.toContain("SECRET");
    expect(JSON.stringify(t.err.mock.calls)).not.toContain("SECRET");

    t.clock.now += 10 * M;
    expect((await t.run()).forward_down).toMatchObject({ alerted: false, reason: expect.stringMatching(/^throttled until /) });
    expect(t.posts).toHaveLength(1);

    // The circuit closes (a probe succeeded): no destination alert, whatever the time; and
    // aae-forward's backlog counts again: still waiting with the circuit closed, it is a lag.
    await t.gateStub.gateRecord(t.forwardUrl, [true]);
    t.clock.now += 10 * H;
    expect(await t.run()).toMatchObject({ backlog: { alerted: true }, forward_down: { alerted: false, reason: "closed" } });
    expect(t.posts.map((p) => p.problem)).toEqual(["forward_destination_down", "pipeline_backlog"]);
    expect(t.posts[1]!.message).toContain("aae-forward: 40 messages waiting");
    t.err.mockRestore();
  });

  it("forward_destination_down: every destination is checked, one alert per host with its own throttle", async () => {
    const acmeHost = `acme-${Math.floor(Math.random() * 1e9)}.example.test`;
    const acmeUrl = `https://${acmeHost}/in?token=SECRET-ACME`;
    const apps = JSON.stringify([{ name: "default" }, { name: "acme", forward_url: acmeUrl }]);
    const t = await pipe({ APPS: apps, X_CONSUMER_SECRET_ACME: "cs-acme" }, { forward: true });
    const { FAILURE_THRESHOLD } = await load();
    await t.gateStub.gateRecord(acmeUrl, Array<boolean>(FAILURE_THRESHOLD).fill(false));
    const opened = (await t.gateStub.gateInspect(acmeUrl)).openSince;

    t.clock.now = opened + 31 * M;
    const first = await t.run();
    expect(first.forward_down).toEqual({ alerted: true, reason: null });
    expect(first.forward_destinations).toEqual([
      { host: t.host, apps: ["default"], alerted: false, reason: "closed" },
      { host: acmeHost, apps: ["acme"], alerted: true, reason: null },
    ]);
    expect(t.posts).toHaveLength(1);
    expect(String(t.posts[0]!.message)).toContain(`${acmeHost} has been failing`);
    expect(String(t.posts[0]!.message)).toContain("Apps forwarding there: acme.");

    // The shared destination goes down too: its own alert, not throttled by acme's.
    await t.gateStub.gateRecord(t.forwardUrl, Array<boolean>(FAILURE_THRESHOLD).fill(false));
    const sharedOpened = (await t.gateStub.gateInspect(t.forwardUrl)).openSince;
    t.clock.now = Math.max(t.clock.now, sharedOpened) + 31 * M;
    const second = await t.run();
    expect(second.forward_destinations.map((d) => [d.host, d.alerted])).toEqual([[t.host, true], [acmeHost, false]]);
    expect(second.forward_destinations[1]!.reason).toMatch(/^throttled until /);
    expect(t.posts).toHaveLength(2);
    expect(String(t.posts[1]!.message)).toContain(`${t.host} has been failing`);
    expect(JSON.stringify(t.posts)).not.toContain("SECRET");
    t.err.mockRestore();
  });

  it("forward_destination_down is off at 0 and not checked without FORWARD_URL, whatever the gate holds", async () => {
    const { FAILURE_THRESHOLD } = await load();
    for (const [vars, forward, reason] of [[{ PIPELINE_LAG_ALERT_MINUTES: "0" }, true, "off"], [{}, false, "not_configured"]] as const) {
      const t = await pipe(vars, { forward });
      await t.gateStub.gateRecord(t.forwardUrl, Array<boolean>(FAILURE_THRESHOLD).fill(false));
      t.clock.now += 10 * H;
      expect((await t.run()).forward_down).toEqual({ alerted: false, reason });
      expect(t.posts).toEqual([]);
      t.err.mockRestore();
    }
  });

  it("runs in scheduled() through the Worker and reports in the run's summary line", async () => {
    const log = vi.spyOn(console, "log");
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "*/10 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const done = log.mock.calls.map((c) => String(c[0])).find((l) => l.includes("scheduled revalidation done"));
    // The test config sets no FORWARD_URL; the default threshold (30 min) is on.
    expect(JSON.parse(done!)).toMatchObject({ ok: true, pipeline: { forward_down: { alerted: false, reason: "not_configured" } } });
    log.mockRestore();
  });
});
