/**
 * The control plane end to end, webhook side: the real X emulator over loopback HTTP, the real
 * Worker (workerd via wrangler: local KV, Durable Objects, Queues) and a Standard Webhooks sink
 * (see harness.ts). One story on one stack, in order: register, the tier's webhook limit, X
 * invalidating the webhook, revalidation with its alert, the re-check, a Replay of the gap.
 * Nothing is mocked; the alert receiver is a small local HTTP server standing in for the
 * operator's endpoint (ALERT_URL). Sign in with X, subscriptions, revoke and rate limits are in
 * control-plane-subscriptions.test.ts.
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
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startRelay, startStack, DEMO_USERS, type Relay, type Stack } from "./harness.ts";
import {
  adminOk,
  body,
  emulatorJson,
  isTweet,
  PAY_PER_USE,
  post,
  startAlertReceiver,
  TOO_MANY,
  type AlertReceiver,
  type Json,
} from "./control-plane-helpers.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const MIN = 60_000;
const HOUR = 60 * MIN;
/** How far in the past the emulator's clock starts (see the file comment). */
const OFFSET_MS = 29 * HOUR + 30 * MIN;
/** A tweet delivered before the gap: the Replay must not bring it again. */
const BEFORE_GAP = "tweet from before the outage";
const { alice } = DEMO_USERS;

describe("control plane end to end: webhook registration, revalidation and Replay", () => {
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
        accounts: PAY_PER_USE,
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

  describe("with alice subscribed and one tweet delivered before the outage", () => {
    // Setup, not under test (Sign in with X is covered in control-plane-subscriptions.test.ts):
    // the gap's events need a subscribed user, and the Replay check needs a tweet before the gap.
    beforeAll(async () => {
      await adminOk(stack, "/admin/apps/default/subscriptions", 201, post({ user_id: alice.id, token: alice.token, secret: alice.secret }));
      const emitted = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: BEFORE_GAP });
      expect(emitted.deliveries.map((d) => d.status)).toEqual([200]);
      await stack.sink.waitFor(isTweet(BEFORE_GAP));
    }, 60_000);

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
      expect(sinkCount(stack, BEFORE_GAP)).toBe(1);

      // X's replay_job_status closes the job in the Registry before the envelope is published.
      await stack.sink.waitFor((r) => r.envelope?.type === "replay_job_status");
      const after = await adminOk(stack, `/admin/apps/default/replay/${jobId}`, 200);
      expect(after.job).toMatchObject({ job_id: jobId, state: "Complete" });
      expect((await adminOk(stack, "/admin/apps/default", 200)).open_replay_job).toBeNull();
    });
  });
});

function sinkCount(stack: Stack, text: string): number {
  return stack.sink.received.filter((r) => r.envelope?.type === "tweet_create_events" && r.body.includes(text)).length;
}
