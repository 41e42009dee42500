/**
 * Issue 4 end to end: the control plane against the real X emulator over loopback HTTP, with the
 * real Worker (workerd via wrangler: local KV, Durable Objects, Queues) and a Standard Webhooks
 * sink (see harness.ts). One story on one stack, in order: register, tier limits, Sign in with X,
 * subscription limits, X invalidating the webhook, revalidation with its alert, the re-check,
 * a Replay of the gap, a revoke, rate limits. Nothing is mocked; the alert receiver is a small
 * local HTTP server standing in for the operator's endpoint (ALERT_URL).
 *
 * Clocks. The Worker's clock is real time and cannot be moved from outside; the emulator's is
 * virtual. X invalidates a webhook after 28 h without a good CRC and Replay windows must be
 * 31 / 10 minutes old on both clocks, so the emulator runs at real speed (scale 1) but starts
 * OFFSET_MS in the past: 28 h of X's time pass in one `advance`, and events emitted then carry
 * virtual times about an hour before the Worker's "now". After the invalidation story the
 * emulator is advanced to real time, and from then on both clocks agree (as X's and
 * Cloudflare's do), so a Replay window is valid for both and covers the gap's events.
 * What cannot be shown here is revalidation *requesting* that Replay by itself: it plans the
 * window from its own observations (real time), which X allows only 10 minutes after the webhook
 * is valid again. The test checks that it waits and says why; the request itself is made through
 * the admin API. The automatic request is covered with an injected clock in
 * test/integration/cron.test.ts and the rules in test/unit/admin/revalidate-policy.test.ts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startRelay, startStack, DEMO_USERS, type Relay, type SinkRecord, type Stack } from "./harness.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const MIN = 60_000;
const HOUR = 60 * MIN;
/** How far in the past the emulator's clock starts (see the file comment). */
const OFFSET_MS = 29 * HOUR + 30 * MIN;
const TOO_MANY = "Too many resources already created.";
const { alice, bob, carol } = DEMO_USERS;
/** The app owner (demo_owner): a fourth user for the subscription limit of pay-per-use (3). */
const owner = { id: "1600000000000000001", token: "1600000000000000001-emulator-default-owner-token", secret: "emulator-default-owner-token-secret" };

type Json = Record<string, any>; // Response bodies are read loosely; every field used is asserted.

interface AlertReceiver {
  url: string;
  received: Json[];
  stop(): Promise<void>;
}

/** The operator's alert endpoint: records every JSON POST (ALERT_URL points here). */
async function startAlertReceiver(): Promise<AlertReceiver> {
  const received: Json[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        received.push({ method: req.method, contentType: req.headers["content-type"], body: JSON.parse(text) as Json });
      } catch {
        received.push({ method: req.method, contentType: req.headers["content-type"], body: null, text });
      }
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function body(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

/** An admin call that must answer `status`; the body is shown when it does not. */
async function adminOk(stack: Stack, path: string, status: number, init?: RequestInit): Promise<Json> {
  const res = await stack.admin(path, init);
  const text = await res.text();
  expect(res.status, `${init?.method ?? "GET"} ${path}: ${text}`).toBe(status);
  return JSON.parse(text) as Json;
}

const post = (payload: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(payload) });

async function emulatorJson(stack: Stack, path: string): Promise<any> {
  const res = await fetch(`${stack.emulator.url}/_emulator/${path}`);
  expect(res.status).toBe(200);
  return res.json();
}

const isTweet = (text: string) => (r: SinkRecord): boolean =>
  r.envelope?.type === "tweet_create_events" && r.envelope?.for_user_id === alice.id && r.body.includes(text);

describe("control plane end to end (emulator, Worker, sink over HTTP)", () => {
  let stack: Stack;
  let relay: Relay;
  let alerts: AlertReceiver;
  let webhookId = "";
  let webhookUrl = "";

  beforeAll(async () => {
    alerts = await startAlertReceiver();
    stack = await startStack({
      vars: { ALERT_URL: alerts.url },
      emulator: {
        clock: { start: Date.now() - OFFSET_MS, scale: 1 },
        // Pay-per-use: 1 webhook, 3 subscriptions per webhook (PROTOCOL.md).
        accounts: [{ name: "demo", tier: "pay-per-use" }],
        delivery: { retryDelaysMs: [1000, 2000] },
      },
    });
    // X reaches the Worker through a relay, so the test can break and mend the webhook's answers.
    relay = await startRelay(stack.workerUrl);
    webhookUrl = `${relay.url}/webhooks/default`;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await relay?.stop();
    await alerts?.stop();
  });

  test("register: X's CRC passes, and the admin API reports the webhook valid", async () => {
    const reg = await adminOk(stack, "/admin/apps/default/webhooks", 201, post({ url: webhookUrl }));
    webhookId = reg.webhook.id as string;
    expect(reg.webhook).toMatchObject({ url: webhookUrl, valid: true });
    const health = await adminOk(stack, "/admin/apps/default", 200);
    expect(health.webhook).toMatchObject({ id: webhookId, url: webhookUrl, valid: true, invalid_since: null });
    expect(health.last_crc_from_x).not.toBeNull();
    const onX = (await emulatorJson(stack, "webhooks")) as Json[];
    expect(onX).toEqual([expect.objectContaining({ id: webhookId, valid: true })]);
  });

  test("a second webhook on pay-per-use is refused with X's 214, and nothing is recorded", async () => {
    const res = await stack.admin("/admin/apps/default/webhooks", post({ url: stack.webhookUrl() }));
    expect(res.status).toBe(403);
    const { error } = await body(res);
    expect(error).toMatchObject({ x_code: 214, message: TOO_MANY });
    expect(typeof error.fix).toBe("string");
    expect(error.fix.length).toBeGreaterThan(0);
    const ours = await adminOk(stack, "/admin/apps/default/webhooks?source=registry", 200);
    expect(ours.registry.map((w: Json) => w.id)).toEqual([webhookId]);
    expect((await emulatorJson(stack, "webhooks")).length).toBe(1);
  });

  test("Sign in with X: start needs an invite; with one, one visit subscribes the user and events flow", async () => {
    const refused = await fetch(`${stack.workerUrl}/oauth/default/start`, { redirect: "manual" });
    expect(refused.status).toBe(403);
    expect((await body(refused)).error.code).toBe("invite_required");

    const invite = await adminOk(stack, "/admin/apps/default/invites", 201, post({}));
    const start = await fetch(invite.url as string, { redirect: "manual" });
    expect(start.status).toBe(302);
    const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(cookie).toMatch(/^aae_oauth_default=./);
    const authorize = new URL(start.headers.get("location")!);
    expect(authorize.origin + authorize.pathname).toBe(`${stack.emulator.url}/oauth/authorize`);

    // The browser at X: the emulator approves as alice and sends it back to our callback.
    authorize.searchParams.set("user_id", alice.id);
    const approved = await fetch(authorize, { redirect: "manual" });
    expect(approved.status).toBe(302);
    const callback = new URL(approved.headers.get("location")!);
    expect(callback.origin + callback.pathname).toBe(`${stack.workerUrl}/oauth/default/callback`);

    const done = await fetch(callback, { redirect: "manual", headers: { cookie } });
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await done.text()).toContain("@alice is subscribed");

    // Subscribed at X, and recorded here with the token sealed.
    expect(await emulatorJson(stack, "subscriptions")).toEqual([{ webhook_id: webhookId, app: "default", user_id: alice.id }]);
    const ours = await adminOk(stack, "/admin/apps/default/subscriptions?source=registry", 200);
    expect(ours.registry).toEqual([expect.objectContaining({ user_id: alice.id, status: "active", subscribed_by: "oauth", has_token: true })]);

    // The callback URL works once: a second visit is refused.
    const again = await fetch(callback, { redirect: "manual", headers: { cookie } });
    expect(again.status).toBe(400);

    const emitted = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: "signed in via X" });
    expect(emitted.deliveries.map((d) => d.status)).toEqual([200]);
    const [got] = await stack.sink.waitFor(isTweet("signed in via X"));
    expect(got!.verified).toBe(true);
    expect(got!.envelope).toMatchObject({ app: "default", for_user_id: alice.id });
  });

  test("the subscription limit of pay-per-use (3) is X's 214 through the admin API", async () => {
    for (const u of [bob, carol]) {
      await adminOk(stack, "/admin/apps/default/subscriptions", 201, post({ user_id: u.id, token: u.token, secret: u.secret }));
    }
    const res = await stack.admin("/admin/apps/default/subscriptions", post({ user_id: owner.id, token: owner.token, secret: owner.secret }));
    expect(res.status).toBe(403);
    expect((await body(res)).error).toMatchObject({ x_code: 214, message: TOO_MANY });
    const ours = await adminOk(stack, "/admin/apps/default/subscriptions?source=registry", 200);
    expect(ours.registry.map((s: Json) => s.user_id).sort()).toEqual([alice.id, bob.id, carol.id].sort());
    const list = await adminOk(stack, "/admin/apps/default/subscriptions", 200);
    expect(list.in_sync).toBe(true);
  });

  test("X invalidates the webhook after 28 h of failed CRCs; revalidation re-checks, records it and alerts", async () => {
    // The Worker stops answering (as when a deploy broke /webhooks): the relay answers 502.
    relay.setTarget("http://127.0.0.1:9");
    await stack.emulator.advance(28 * HOUR + 31 * MIN);
    const [onX] = (await emulatorJson(stack, "webhooks")) as Json[];
    expect(onX).toMatchObject({ id: webhookId, valid: false });
    const invalidating = ((await emulatorJson(stack, `crc?webhook_id=${webhookId}`)) as Json[]).filter((c) => c.invalidated);
    expect(invalidating).toEqual([expect.objectContaining({ verdict: "non_200" })]);

    // Activity during the gap: stored by X for Replay, delivered to nobody.
    for (const text of ["gap event one", "gap event two"]) {
      const r = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text });
      expect(r.deliveries.map((d) => [d.status, d.outcome])).toEqual([[null, "not_sent_invalid_webhook"]]);
    }

    const outcome = await adminOk(stack, "/admin/apps/default/revalidate", 200, post({}));
    expect(outcome).toMatchObject({
      app: "default",
      status: "invalid",
      recheck: { reason: "invalid", ok: false },
      webhook: { id: webhookId, valid: false },
    });
    expect(outcome.recheck.error).toContain("Non-200 response code during CRC GET request");
    expect(outcome.alerts).toEqual(["recheck_failed", "webhook_invalid"]);

    // Recorded: the webhook is invalid, with X's reason, and a delivery gap is open.
    const health = await adminOk(stack, "/admin/apps/default", 200);
    expect(health.webhook).toMatchObject({ valid: false, last_recheck_result: "failed" });
    expect(health.webhook.last_recheck_error).toMatch(/^crc_non_200: /);
    expect(health.webhook.invalid_since).not.toBeNull();
    expect(health.open_gap).toMatchObject({ webhook_id: webhookId, state: "open" });

    // The operator's endpoint got clear alerts: what failed, for which app and webhook, and the
    // likely cause in X's terms (the CRC GET got a non-200); never a secret.
    expect(alerts.received.map((a) => a.body?.problem)).toEqual(["recheck_failed", "webhook_invalid"]);
    for (const a of alerts.received) {
      expect(a.method).toBe("POST");
      expect(a.contentType).toContain("application/json");
      expect(a.body).toMatchObject({ source: "account-activity-edge", app: "default", webhook_id: webhookId, webhook_url: webhookUrl });
      expect(a.body.cause).toContain("non-200 status");
      expect(JSON.stringify(a.body)).not.toContain("emulator-default-consumer-secret");
    }
    const [failed, invalid] = alerts.received.map((a) => a.body);
    expect(failed.message).toBe("CRC re-check of the webhook of app default failed (invalid).");
    expect(invalid.message).toBe("The webhook of app default is invalid: X delivers no events until a re-check passes.");

    // A second run within the alert interval does not alert again.
    await adminOk(stack, "/admin/apps/default/revalidate", 200, post({ force: true }));
    expect(alerts.received).toHaveLength(2);
  });

  test("once valid again the gap is closed; its Replay reaches the sink and the job is closed by X's status event", async () => {
    relay.setTarget(stack.workerUrl);
    // Revalidation spaces re-checks 5 min apart (X's webhook rate limit), so the operator re-checks by hand.
    const recheck = await adminOk(stack, `/admin/apps/default/webhooks/${webhookId}`, 200, { method: "PUT" });
    expect(recheck).toMatchObject({ id: webhookId, valid: true });
    expect(await emulatorJson(stack, "webhooks")).toEqual([expect.objectContaining({ id: webhookId, valid: true })]);

    const jobs = await adminOk(stack, "/admin/apps/default/replay", 200);
    expect(jobs.gaps).toEqual([expect.objectContaining({ webhook_id: webhookId, state: "closed" })]);
    expect(jobs.gaps[0].to_at).not.toBeNull();

    // Revalidation sees the closed gap but X would refuse its window for 10 more (real) minutes.
    const outcome = await adminOk(stack, "/admin/apps/default/revalidate", 200, post({ force: true }));
    expect(outcome.webhook).toMatchObject({ id: webhookId, valid: true });
    expect(outcome.replay).toEqual({ action: "wait", detail: "window end is less than 10 minutes ago", job_id: null });

    // From here X's clock is real time, like the Worker's (see the file comment).
    await stack.emulator.advance(Date.now() - stack.emulator.clock.now());
    const gapEvents = ((await emulatorJson(stack, `events?webhook_id=${webhookId}&for_user_id=${alice.id}`)) as Json[]).filter((e) =>
      JSON.stringify(e).includes("gap event"),
    );
    expect(gapEvents).toHaveLength(2);
    const gapTimes = gapEvents.map((e) => e.createdAt as number);
    const from = new Date(Math.min(...gapTimes) - 5 * MIN);
    const to = new Date(Math.max(...gapTimes) + 2 * MIN);
    expect(sinkCount(stack, "gap event")).toBe(0);

    const requested = await adminOk(stack, "/admin/apps/default/replay", 202, post({ from: from.toISOString(), to: to.toISOString() }));
    const jobId = requested.job.job_id as string;
    expect(requested.job).toMatchObject({ state: "open", requested_by: "admin", webhook_id: webhookId });
    // One job at a time: a second request is a 409 before X is asked.
    const second = await stack.admin("/admin/apps/default/replay", post({ from: from.toISOString(), to: to.toISOString() }));
    expect(second.status).toBe(409);
    expect((await body(second)).error.code).toBe("replay_in_progress");

    await stack.emulator.settle();
    const replayed = await stack.sink.waitFor((r) => isTweet("gap event")(r), 2);
    expect(replayed.map((r) => r.verified)).toEqual([true, true]);
    expect(replayed.map((r) => (r.body.includes("gap event one") ? "one" : "two")).sort()).toEqual(["one", "two"]);
    // They came from the Replay job, not a late live delivery.
    const fromJob = (await emulatorJson(stack, `deliveries?replay_job_id=${jobId}&event_type=tweet_create_events`)) as Json[];
    expect(fromJob.map((d) => d.status)).toEqual([200, 200]);
    // Only the window was replayed: the tweet from before the gap did not come again.
    expect(sinkCount(stack, "signed in via X")).toBe(1);

    // X's replay_job_status closes the job in the Registry before the envelope is published.
    await stack.sink.waitFor((r) => r.envelope?.type === "replay_job_status");
    const after = await adminOk(stack, `/admin/apps/default/replay/${jobId}`, 200);
    expect(after.job).toMatchObject({ job_id: jobId, state: "Complete" });
    expect((await adminOk(stack, "/admin/apps/default", 200)).open_replay_job).toBeNull();
  });

  test("a revoke (X's user_event) removes the subscription in the Registry and its token", async () => {
    const r = await stack.emulator.emit({ type: "revoke", user_id: alice.id, app: "default" });
    expect(r.deliveries.map((d) => d.status)).toEqual([200]);
    // X's user_event names the user only inside the event (no for_user_id). The revoke is applied
    // to the Registry before the envelope is published, so once it is at the sink it is recorded.
    await stack.sink.waitFor((rec) => rec.envelope?.type === "user_event" && rec.body.includes(alice.id));

    const active = await adminOk(stack, "/admin/apps/default/subscriptions?source=registry", 200);
    expect(active.registry.map((s: Json) => s.user_id).sort()).toEqual([bob.id, carol.id].sort());
    const all = await adminOk(stack, "/admin/apps/default/subscriptions?source=registry&all=true", 200);
    expect(all.registry.find((s: Json) => s.user_id === alice.id)).toMatchObject({ status: "revoked", has_token: false });
    // X dropped it too, so both sides agree.
    const list = await adminOk(stack, "/admin/apps/default/subscriptions", 200);
    expect(list).toMatchObject({ in_sync: true, differences: { only_on_x: [], only_in_registry: [] } });
    expect(list.x).not.toContain(alice.id);
  });

  test("X's rate limit is a 429 with Retry-After and X's fix, refused before X is asked once used up", async () => {
    // v2 allows 15 subscription counts per 15 minutes.
    const statuses: number[] = [];
    let limited: Response | null = null;
    for (let i = 0; i < 20 && limited === null; i++) {
      const res = await stack.admin("/admin/apps/default/subscriptions/count");
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else expect(res.status, await res.text()).toBe(200);
    }
    expect(limited).not.toBeNull();
    expect(statuses.filter((s) => s === 200).length).toBe(15);
    const retryAfter = Number(limited!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    // X's reset is whole epoch seconds and Retry-After rounds up: at most the window plus one.
    expect(retryAfter).toBeLessThanOrEqual(15 * 60 + 1);
    const { error } = await body(limited!);
    expect(error.code).toBe("rate_limited");
    expect(typeof error.fix).toBe("string");

    // The Worker refused without asking X (its tracker knew the window was used up), and X agrees.
    expect(error.message).toContain("refused before sending");
    const atX = await fetch(`${stack.emulator.url}/2/account_activity/subscriptions/count`, {
      headers: { authorization: "Bearer emulator-default-bearer-token" },
    });
    expect(atX.status).toBe(429);
    expect(Number(atX.headers.get("x-rate-limit-remaining"))).toBe(0);
  });
});

function sinkCount(stack: Stack, text: string): number {
  return stack.sink.received.filter((r) => r.envelope?.type === "tweet_create_events" && r.body.includes(text)).length;
}
