import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApiError } from "../../emulator/errors.ts";
import { formatReplayDate, parseReplayDate, validateReplayWindow } from "../../emulator/replay.ts";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, asUser, bearer, call, firstError, startFakeWebhook, userNamed, type FakeWebhook } from "./helpers.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const START = Date.UTC(2026, 0, 10, 12, 0);

describe("replay date helpers (pure)", () => {
  it("parses and formats yyyymmddhhmm in UTC, refusing impossible dates", () => {
    expect(parseReplayDate("202601101200")).toBe(START);
    expect(formatReplayDate(START)).toBe("202601101200");
    expect(parseReplayDate("202602301200")).toBeNull();
    expect(parseReplayDate("2026011012")).toBeNull();
  });
  it("applies the lookback it is given", () => {
    const rules = { now: START, lookbackMs: 24 * HOUR, minFromAgeMs: 31 * MIN, minToAgeMs: 10 * MIN };
    const r = validateReplayWindow(formatReplayDate(START - 25 * HOUR), formatReplayDate(START - HOUR), rules);
    expect(r).toBeInstanceOf(Error);
    expect([(r as ApiError).code, (r as ApiError).message]).toEqual([356, "from_date must be within the past 24 hours."]);
  });
});

describe("Replay API", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  let webhookId: string;
  beforeEach(async () => {
    emu = await startEmulator({ clock: { scale: 0, start: START }, apps: [{ name: "noreplay", flavour: "v1.1-enterprise", replayEnabled: false }], rateLimits: { "v1.replay": 100 } });
    hook = await startFakeWebhook(appNamed(emu, "legacy").consumerSecret);
    const r = await call(emu, { method: "POST", path: "/1.1/account_activity/webhooks.json", query: { url: hook.url }, app: legacy() });
    webhookId = (r.json as { id: string }).id;
    await call(emu, { method: "POST", path: `/1.1/account_activity/webhooks/${webhookId}/subscriptions/all.json`, app: legacy(), as: asUser(userNamed(emu, "alice")) });
  });
  afterEach(async () => {
    await emu.stop();
    await hook.close();
  });
  const legacy = (): ReturnType<typeof appNamed> => appNamed(emu, "legacy");
  const replay = (query: Record<string, string>, id = webhookId, as = bearer(legacy())): ReturnType<typeof call> =>
    call(emu, { method: "POST", path: `/1.1/account_activity/replay/webhooks/${id}/subscriptions/all.json`, query, app: legacy(), as });

  /** Three events one minute apart from START, then an hour passes. */
  async function history(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await emu.emit({ type: "tweet", user_id: userNamed(emu, "alice").id, text: `event ${i}` });
      await emu.advance(MIN);
    }
    await emu.advance(HOUR);
  }

  it("replays the window once each, without retries, after a CRC, then reports Complete", async () => {
    await history();
    hook.received.length = 0;
    const crcBefore = emu.state.crcChecks.length;
    const r = await replay({ from_date: formatReplayDate(START), to_date: formatReplayDate(START + 2 * MIN) });
    expect(r.status).toBe(202);
    const job = r.json as { job_id: string; created_at: string };
    expect(job.created_at).toMatch(/Z$/);
    await emu.settle();
    expect(emu.state.crcChecks.slice(crcBefore).map((c) => c.reason)).toEqual(["replay"]);
    const bodies = hook.received.map((x) => JSON.parse(x.body) as Record<string, unknown>);
    expect(bodies).toHaveLength(3);
    expect(bodies.slice(0, 2).map((b) => (b.tweet_create_events as { text: string }[])[0]!.text)).toEqual(["event 0", "event 1"]);
    expect(bodies[2]).toEqual({ replay_job_status: { webhook_id: webhookId, job_state: "Complete", job_state_description: "Job completed successfully", job_id: job.job_id } });
    expect(hook.received.every((x) => x.signatureValid)).toBe(true);
    expect(emu.state.replayJobs.get(job.job_id)).toMatchObject({ state: "Complete", total: 2, delivered: 2 });
  });

  it("a failed replayed event is not retried and the job ends Incomplete", async () => {
    await history();
    hook.deliveryQueue = [500];
    await replay({ from_date: formatReplayDate(START), to_date: formatReplayDate(START + 3 * MIN) });
    await emu.settle();
    await emu.advance(HOUR);
    const replayed = emu.state.deliveries.filter((d) => d.replayJobId !== null);
    expect(replayed.map((d) => [d.eventType, d.status, d.attempt])).toEqual([
      ["tweet_create_events", 500, 1],
      ["tweet_create_events", 200, 1],
      ["tweet_create_events", 200, 1],
      ["replay_job_status", 200, 1],
    ]);
    expect(JSON.parse(replayed[3]!.body)).toMatchObject({ replay_job_status: { job_state: "Incomplete", job_state_description: "Job failed to deliver all events, please retry your replay job" } });
  });

  it("a failing CRC before the job sends nothing but an Incomplete status attempt", async () => {
    await history();
    hook.crcMode = "status_500";
    hook.received.length = 0;
    const r = await replay({ from_date: formatReplayDate(START), to_date: formatReplayDate(START + 3 * MIN) });
    await emu.settle();
    expect(emu.state.replayJobs.get((r.json as { job_id: string }).job_id)?.state).toBe("Incomplete");
    expect(hook.received.filter((x) => x.body.includes("tweet_create_events"))).toHaveLength(0);
  });

  it("one job per webhook at a time: 409 code 355", async () => {
    await emu.stop();
    emu = await startEmulator({ clock: { scale: 0, start: START }, replay: { startDelayMs: 5 * MIN } });
    const r0 = await call(emu, { method: "POST", path: "/1.1/account_activity/webhooks.json", query: { url: hook.url }, app: legacy() });
    webhookId = (r0.json as { id: string }).id;
    await emu.advance(HOUR);
    const window = { from_date: formatReplayDate(START), to_date: formatReplayDate(START + MIN) };
    expect((await replay(window)).status).toBe(202);
    const busy = await replay(window);
    expect(busy.status).toBe(409);
    expect(firstError(busy)).toEqual({ code: 355, message: "A replay job is already in progress for this webhook." });
    await emu.advance(5 * MIN);
    expect((await replay(window)).status).toBe(202);
  });

  it("date and parameter rules", async () => {
    await emu.advance(7 * 24 * HOUR);
    const now = emu.clock.now();
    const f = formatReplayDate;
    const cases: [Record<string, string>, number, string][] = [
      [{ to_date: f(now - HOUR) }, 357, "from_date: queryParam is required."],
      [{ from_date: f(now - 2 * HOUR) }, 357, "to_date: queryParam is required."],
      [{ from_date: "2026-01-01", to_date: f(now - HOUR) }, 358, "Unable to parse parameter."],
      [{ from_date: f(now + HOUR), to_date: f(now + 2 * HOUR) }, 368, `from_date: [${f(now + HOUR)}] is not in the past.`],
      [{ from_date: f(now - HOUR), to_date: f(now - 2 * HOUR) }, 356, "from_date must be before to_date."],
      [{ from_date: f(now - 6 * 24 * HOUR), to_date: f(now - HOUR) }, 356, "from_date must be within the past 5 days."],
      [{ from_date: f(now - 20 * MIN), to_date: f(now - 15 * MIN) }, 356, "from_date must be at least 31 minutes in the past."],
      [{ from_date: f(now - HOUR), to_date: f(now - 5 * MIN) }, 356, "to_date must be at least 10 minutes in the past."],
    ];
    for (const [query, code, message] of cases) {
      const r = await replay(query);
      expect([r.status, firstError(r)]).toEqual([400, { code, message }]);
    }
    const ok = await replay({ from_date: f(now - HOUR), to_date: f(now - 10 * MIN) });
    expect(ok.status).toBe(202);
  });

  it("route, auth and account errors", async () => {
    await emu.advance(HOUR);
    const w = { from_date: formatReplayDate(START), to_date: formatReplayDate(START + MIN) };
    const neg = await replay(w, "-1");
    expect([neg.status, firstError(neg)]).toEqual([400, { code: 360, message: "webhook_id: [-1] is not greater than or equal to 0." }]);
    const missing = await replay(w, "123");
    expect([missing.status, firstError(missing).code]).toEqual([404, 34]);
    const user = await replay(w, webhookId, { owner: true });
    expect([user.status, firstError(user)]).toEqual([401, { code: 32, message: "Invalid authentication method. Please use application-only authentication." }]);
    const noreplay = appNamed(emu, "noreplay");
    hook.secrets = [noreplay.consumerSecret];
    const reg = await call(emu, { method: "POST", path: "/1.1/account_activity/webhooks.json", query: { url: `${hook.url}?n=1` }, app: noreplay });
    const nid = (reg.json as { id: string }).id;
    const denied = await call(emu, { method: "POST", path: `/1.1/account_activity/replay/webhooks/${nid}/subscriptions/all.json`, query: w, app: noreplay, as: bearer(noreplay) });
    expect([denied.status, firstError(denied).code]).toEqual([403, 200]);
  });

  it("an invalid webhook must pass a CRC first: 400 code 214", async () => {
    hook.crcMode = "wrong_token";
    await emu.advance(24 * HOUR);
    const r = await replay({ from_date: formatReplayDate(START), to_date: formatReplayDate(START + MIN) });
    expect([r.status, firstError(r)]).toEqual([400, { code: 214, message: "Webhook is marked invalid and requires a CRC check." }]);
  });

  it("v2 replay: JSON body, data envelope, 24 h lookback", async () => {
    const app = appNamed(emu, "default");
    hook.secrets = [app.consumerSecret];
    const reg = await call(emu, { method: "POST", path: "/2/webhooks", json: { url: `${hook.url}?v2=1` }, as: bearer(app) });
    const id = (reg.json as { data: { id: string } }).data.id;
    await emu.advance(2 * 24 * HOUR);
    const now = emu.clock.now();
    const old = await call(emu, { method: "POST", path: "/2/webhooks/replay", json: { webhook_id: id, from_date: formatReplayDate(START), to_date: formatReplayDate(now - HOUR) }, as: bearer(app) });
    expect(old.status, old.text).toBe(400);
    expect(firstError(old)).toEqual({ message: "from_date must be within the past 24 hours." });
    const ok = await call(emu, { method: "POST", path: "/2/webhooks/replay", json: { webhook_id: id, from_date: formatReplayDate(now - 2 * HOUR), to_date: formatReplayDate(now - HOUR) }, as: bearer(app) });
    expect(ok.json).toEqual({ data: { job_id: expect.any(String), created_at: expect.any(String) } });
    await emu.settle();
    const status = emu.state.deliveries.find((d) => d.eventType === "replay_job_status" && d.webhookId === id);
    expect(JSON.parse(status!.body)).toMatchObject({ replay_job_status: { job_state: "Complete", webhook_id: id } });
  });
});

describe("v2 Replay: to_date inclusive, 100 jobs per 15 minutes", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  afterEach(async () => {
    await emu.stop();
    await hook.close();
  });

  it("the to_date minute is replayed on v2 (OpenAPI: inclusive; the v1.1 window stops before it, above); past the per-window limit it is 429", async () => {
    emu = await startEmulator({ clock: { scale: 0, start: START } });
    const app = appNamed(emu, "default");
    hook = await startFakeWebhook(app.consumerSecret);
    const reg = await call(emu, { method: "POST", path: "/2/webhooks", json: { url: hook.url }, as: bearer(app) });
    const id = (reg.json as { data: { id: string } }).data.id;
    await call(emu, { method: "POST", path: `/2/account_activity/webhooks/${id}/subscriptions/all`, as: asUser(userNamed(emu, "alice")) });
    await emu.advance(30_000); // the event falls inside the START minute
    await emu.emit({ type: "tweet", user_id: userNamed(emu, "alice").id, text: "in the to_date minute" });
    await emu.advance(HOUR);
    hook.received.length = 0;
    const body = { webhook_id: id, from_date: formatReplayDate(START - MIN), to_date: formatReplayDate(START) };
    const r = await call(emu, { method: "POST", path: "/2/webhooks/replay", json: body, as: bearer(app) });
    expect(r.status, r.text).toBe(200);
    await emu.settle();
    const texts = hook.received.map((x) => JSON.parse(x.body) as { tweet_create_events?: { text: string }[] }).flatMap((b) => b.tweet_create_events ?? []).map((t) => t.text);
    expect(texts).toEqual(["in the to_date minute"]);
    expect(r.headers["x-rate-limit-limit"]).toBe("100");
    emu.config.rateLimits["v2.replay"] = 2;
    await call(emu, { method: "POST", path: "/2/webhooks/replay", json: body, as: bearer(app) });
    const limited = await call(emu, { method: "POST", path: "/2/webhooks/replay", json: body, as: bearer(app) });
    expect(limited.status).toBe(429);
    expect(limited.headers["content-type"]).toContain("application/problem+json");
  });
});
