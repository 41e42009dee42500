/**
 * Issue 3 end to end: the X emulator, the real Worker (workerd via wrangler, with local Queues,
 * Durable Objects and KV) and a Standard Webhooks sink, over real loopback HTTP. Registration
 * and subscription go through the receiver's own admin API; activity comes from the emulator;
 * what the sink receives is checked with the reference `standardwebhooks` library.
 *
 * Nothing is mocked. The one staged failure (the Worker answering 503) is a second, real Worker
 * whose INGEST binding is replaced by a plain string, so its own hot path fails the queue send
 * and answers 503; a loopback relay decides which Worker X's webhook URL reaches (see
 * harness.ts `startRelay`).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { captureWorkerWarnings } from "./worker-logs.ts";
import { DEMO_SECRETS, DEMO_USERS, startReceiver, startRelay, startStack, type Relay, type SinkRecord, type Stack } from "./harness.ts";

const ENV = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
Object.assign(process.env, ENV);

const CRC_WRONG_TOKEN_MESSAGE = "Webhook URL does not meet the requirements. Invalid CRC token or json response format.";
const CRC_NON_200_MESSAGE = "Non-200 response code during CRC GET request (i.e. 404, 500, etc).";
const { alice, bob, carol } = DEMO_USERS;
/** Short retry timeline on the emulator's virtual clock (X's is 3 s, 27 s, 242 s). */
const RETRY_DELAYS_MS = [1000, 2000];

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

async function register(stack: Stack, url: string): Promise<Response> {
  return stack.admin("/admin/apps/default/webhooks", { method: "POST", body: JSON.stringify({ url }) });
}

async function subscribe(stack: Stack, user: { id: string; token: string; secret: string }): Promise<void> {
  const res = await stack.admin("/admin/apps/default/subscriptions", {
    method: "POST",
    body: JSON.stringify({ user_id: user.id, token: user.token, secret: user.secret }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

/**
 * Emit one more event and wait until it reaches the sink. The pipeline is FIFO queues, so by
 * then anything sent to the Worker earlier (a duplicate, a forged delivery) has been processed
 * too: counts read afterwards are final, without sleeping.
 */
async function drain(stack: Stack, text: string): Promise<void> {
  const r = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text });
  expect(r.deliveries.map((d) => d.status)).toEqual([200]);
  await stack.sink.waitFor((rec) => rec.envelope?.type === "tweet_create_events" && rec.body.includes(text));
}

describe("registration through the admin API", () => {
  test("the emulator's CRC passes and the webhook is valid, on X and in the registry", async () => {
    const stack = await startStack();
    try {
      const res = await register(stack, stack.webhookUrl());
      expect(res.status).toBe(201);
      const body = await json(res);
      const webhook = body.webhook as { id: string; valid: boolean; url: string };
      expect(webhook).toMatchObject({ valid: true, url: stack.webhookUrl() });
      const onX = stack.emulator.state.webhooks.get(webhook.id);
      expect(onX?.valid).toBe(true);
      // The CRC X ran on register reached the Worker and was answered correctly.
      const crcs = stack.emulator.state.crcChecks.filter((c) => c.webhookId === webhook.id || c.url === stack.webhookUrl());
      expect(crcs.length).toBeGreaterThan(0);
      expect(crcs.every((c) => c.ok)).toBe(true);
      const list = await json(await stack.admin("/admin/apps/default/webhooks?source=registry"));
      expect(list.registry).toEqual([expect.objectContaining({ id: webhook.id, valid: true })]);
    } finally {
      await stack.stop();
    }
  });

  // v2 X sends a bare CRC GET: the Worker answers it with a token signed by the wrong secret.
  // Legacy X also signs the CRC GET itself: the Worker refuses that signature (401) first.
  test.each([
    { crc: "v2 (unsigned CRC GET)", legacyNonce: false, verdict: "wrong_token", message: CRC_WRONG_TOKEN_MESSAGE },
    { crc: "legacy (signed CRC GET)", legacyNonce: true, verdict: "non_200", message: CRC_NON_200_MESSAGE },
  ])("a wrong consumer secret in the Worker fails register with X's 214: $crc", async ({ legacyNonce, verdict, message }) => {
    const warnings = captureWorkerWarnings();
    const stack = await startStack({
      secrets: { X_CONSUMER_SECRET: "not-the-emulator-consumer-secret" },
      emulator: { crc: { legacyNonce } },
    });
    try {
      const res = await register(stack, stack.webhookUrl());
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const body = (await json(res)) as { error: { x_code: number; message: string } };
      expect(body.error.x_code).toBe(214);
      expect(body.error.message).toBe(message);
      // A failed register saves nothing, on X's side and on ours.
      expect(stack.emulator.state.webhooks.size).toBe(0);
      expect(stack.emulator.state.crcChecks.map((c) => c.verdict)).toEqual([verdict]);
      const list = await json(await stack.admin("/admin/apps/default/webhooks?source=registry"));
      expect(list.registry).toEqual([]);
      // Legacy X signs its CRC GET: the receiver refused it, and said so in its log.
      if (legacyNonce) await warnings.waitFor(/webhook signature refused.*"request":"crc","reason":"mismatch"/);
    } finally {
      await stack.stop();
      warnings.restore();
    }
  });
});

/** What one emitted activity must produce at the sink: one envelope per entry. */
interface Expected {
  type: string;
  forUserId: string | null;
  /** Tells this activity's envelope apart from others of the same type and user. */
  match: (r: SinkRecord) => boolean;
}

describe("every emulator event type reaches the sink once, signed", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ emulator: { delivery: { retryDelaysMs: RETRY_DELAYS_MS } } });
    expect((await register(stack, stack.webhookUrl())).status).toBe(201);
    for (const u of [alice, bob, carol]) await subscribe(stack, u);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("tweets, mentions, deletes, likes, follows, blocks, mutes, DMs, typing, reads, revokes, unknown types", async () => {
    const relationship = (kind: string, type: string, src: string, dst: string, users: string[]): [Record<string, unknown>, Expected[]] => [
      { type: kind, source_id: src, target_id: dst },
      users.map((u) => ({
        type,
        forUserId: u,
        match: (r) => r.envelope.event?.type === kind && r.envelope.event?.target?.id_str === dst,
      })),
    ];
    const cases: [Record<string, unknown>, Expected[]][] = [
      // A mentions B with both subscribed: one envelope each, with different ids.
      [
        { type: "tweet", user_id: alice.id, text: "hello @bob", mention_ids: [bob.id] },
        [alice.id, bob.id].map((u) => ({ type: "tweet_create_events", forUserId: u, match: (r: SinkRecord) => r.body.includes("hello @bob") })),
      ],
      [
        { type: "tweet_delete", user_id: alice.id, tweet_id: "1931000000000000001" },
        [{ type: "tweet_delete_events", forUserId: alice.id, match: (r) => r.body.includes("1931000000000000001") }],
      ],
      [
        { type: "favorite", user_id: alice.id, tweet_author_id: bob.id, tweet_id: "1931000000000000002" },
        [alice.id, bob.id].map((u) => ({ type: "favorite_events", forUserId: u, match: (r: SinkRecord) => r.body.includes("1931000000000000002") })),
      ],
      relationship("follow", "follow_events", alice.id, bob.id, [alice.id, bob.id]),
      relationship("unfollow", "follow_events", alice.id, bob.id, [alice.id]),
      relationship("block", "block_events", bob.id, alice.id, [bob.id]),
      relationship("unblock", "block_events", bob.id, alice.id, [bob.id]),
      relationship("mute", "mute_events", alice.id, carol.id, [alice.id]),
      relationship("unmute", "mute_events", alice.id, carol.id, [alice.id]),
      [
        { type: "direct_message", sender_id: alice.id, recipient_id: bob.id, text: "dm from alice" },
        [alice.id, bob.id].map((u) => ({ type: "direct_message_events", forUserId: u, match: (r: SinkRecord) => r.body.includes("dm from alice") })),
      ],
      [
        { type: "typing", sender_id: alice.id, recipient_id: bob.id },
        [{ type: "direct_message_indicate_typing_events", forUserId: bob.id, match: () => true }],
      ],
      [
        { type: "read", sender_id: bob.id, recipient_id: alice.id, last_read_event_id: "1931000000000000003" },
        [{ type: "direct_message_mark_read_events", forUserId: alice.id, match: (r) => r.body.includes("1931000000000000003") }],
      ],
      // A type this version does not know still reaches consumers, as `unknown`.
      [
        { type: "raw", for_user_id: alice.id, body: `{"for_user_id":"${alice.id}","bookmark_events":[{"id":"1931000000000000004"}]}` },
        [{ type: "unknown", forUserId: alice.id, match: (r) => r.body.includes("1931000000000000004") }],
      ],
      // Last: X drops carol's subscription after telling us she revoked the app.
      [
        { type: "revoke", user_id: carol.id, app: "default" },
        [{ type: "user_event", forUserId: null, match: (r) => r.body.includes(carol.id) }],
      ],
    ];
    const coveredKinds = new Set(cases.map(([a]) => a.type));
    // Every activity type the emulator documents (docs/emulator.md "Making activity happen").
    for (const kind of ["tweet", "tweet_delete", "favorite", "follow", "unfollow", "block", "unblock", "mute", "unmute", "direct_message", "typing", "read", "revoke", "raw"]) {
      expect(coveredKinds, kind).toContain(kind);
    }

    for (const [activity, expected] of cases) {
      const result = await stack.emulator.emit(activity);
      // X's view: one delivery per subscribed user involved, each answered 200 at once.
      expect(result.deliveries.map((d) => [d.for_user_id, d.status]), JSON.stringify(activity)).toEqual(
        expected.map((e) => [e.forUserId, 200]),
      );
    }
    const all = cases.flatMap(([, e]) => e);
    await stack.sink.waitFor(() => true, all.length);
    await drain(stack, "sentinel after every type");

    const received = stack.sink.received;
    expect(received.length).toBe(all.length + 1);
    expect(received.every((r) => r.verified)).toBe(true);
    for (const e of all) {
      const hits = received.filter((r) => r.envelope?.type === e.type && r.envelope?.for_user_id === e.forUserId && e.match(r));
      expect(hits.length, `${e.type} for ${e.forUserId}`).toBe(1);
      // The Standard Webhooks id is the envelope's stable id.
      expect(hits[0]!.id).toBe(hits[0]!.envelope.id);
    }
    expect(new Set(received.map((r) => r.id)).size).toBe(received.length);
    const mention = received.filter((r) => r.body.includes("hello @bob"));
    expect(mention.map((r) => r.envelope.event_key)).toEqual([mention[0]!.envelope.event_key, mention[0]!.envelope.event_key]);
  });

  test("a forged delivery is refused 401 and nothing reaches the sink", async () => {
    const warnings = captureWorkerWarnings();
    const before = stack.sink.received.length;
    const forged = `{"for_user_id":"${alice.id}","tweet_create_events":[{"id":1,"id_str":"1","text":"forged"}]}`;
    const res = await fetch(stack.webhookUrl(), {
      method: "POST",
      headers: { "content-type": "application/json", "x-twitter-webhooks-signature": "sha256=" + Buffer.alloc(32, 7).toString("base64") },
      body: forged,
    });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).not.toContain(DEMO_SECRETS.X_CONSUMER_SECRET);
    // One log line names the app and the reason (never the secret).
    const line = await warnings.waitFor(/webhook signature refused.*"app":"default","request":"delivery","reason":"mismatch"/);
    expect(line).not.toContain(DEMO_SECRETS.X_CONSUMER_SECRET);
    warnings.restore();
    await drain(stack, "sentinel after the forgery");
    const after = stack.sink.received.slice(before);
    expect(after.length).toBe(1);
    expect(stack.sink.received.some((r) => r.body.includes("forged"))).toBe(false);
  });
});

describe("X retries a delivery the Worker did not take", () => {
  let stack: Stack;
  let relay: Relay;
  let broken: { url: string; dispose(): Promise<void> };
  beforeAll(async () => {
    stack = await startStack({ emulator: { delivery: { retryDelaysMs: RETRY_DELAYS_MS } } });
    relay = await startRelay(stack.workerUrl);
    // The same Worker code and secrets, but INGEST is a string, not a queue: the hot path's
    // `env.INGEST.send` throws and it answers 503 "enqueue_failed", as when Queues is down.
    broken = await startReceiver({
      vars: { X_API_BASE_URL: stack.emulator.url, FORWARD_URL: stack.sink.url },
      secrets: { ...DEMO_SECRETS },
      overrides: { INGEST: { type: "plain_text", value: "unavailable" } },
    });
    expect((await register(stack, `${relay.url}/webhooks/default`)).status).toBe(201);
    await subscribe(stack, alice);
  });
  afterAll(async () => {
    await broken?.dispose();
    await relay?.stop();
    await stack?.stop();
  });

  test("the Worker answers 503; the emulator retries; the event arrives once", async () => {
    relay.setTarget(broken.url);
    const first = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: "after a 503" });
    expect(first.deliveries.map((d) => [d.status, d.outcome])).toEqual([[503, "retrying"]]);
    expect(relay.log.at(-1)).toMatchObject({ method: "POST", targetStatus: 503 });

    relay.setTarget(stack.workerUrl);
    await stack.emulator.advance(RETRY_DELAYS_MS[0]!);
    const attempts = stack.emulator.state.deliveries.filter((d) => d.deliveryId === first.deliveries[0]!.delivery_id);
    expect(attempts.map((a) => [a.attempt, a.status, a.outcome])).toEqual([[1, 503, "retrying"], [2, 200, "delivered"]]);

    await drain(stack, "sentinel after the retry");
    const hits = stack.sink.received.filter((r) => r.body.includes("after a 503"));
    expect(hits.length).toBe(1);
    expect(hits[0]).toMatchObject({ verified: true });
    expect(hits[0]!.envelope).toMatchObject({ type: "tweet_create_events", for_user_id: alice.id });
  });

  test("the Worker took it but X never saw the 200: the retry is deduplicated, the event arrives once", async () => {
    relay.setTarget(stack.workerUrl);
    relay.loseNextAnswers(1);
    const first = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: "answer lost" });
    expect(first.deliveries.map((d) => d.status)).toEqual([503]);
    expect(relay.log.at(-1)).toMatchObject({ method: "POST", targetStatus: 200, status: 503 });

    await stack.emulator.advance(RETRY_DELAYS_MS[0]!);
    expect(relay.log.at(-1)).toMatchObject({ method: "POST", targetStatus: 200, status: 200 });

    await drain(stack, "sentinel after the lost answer");
    const hits = stack.sink.received.filter((r) => r.body.includes("answer lost"));
    expect(hits.length).toBe(1);
    expect(hits[0]).toMatchObject({ verified: true });
  });
});
