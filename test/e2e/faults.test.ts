/**
 * Issue 5 end to end: delivery guarantees under faults, on the real stack (the X emulator, the
 * Worker in workerd via wrangler with local Queues / Durable Objects / KV, and a Standard
 * Webhooks sink, all on loopback; see harness.ts). What is checked is the downstream effect:
 * which envelopes reached the sink with a 2xx, and how many times.
 *
 * Faults are real: the sink answers 500 or 410 or drops the connection unanswered, a correctly signed poison delivery is POSTed to
 * the Worker, the emulator retries after an answer lost on the way back (a loopback relay passes
 * the delivery to the Worker and answers X 503), and X's Replay re-sends events. A second stack
 * checks `collapse_across_users` (one envelope for all users' copies of an event).
 *
 * Forward retries use the Worker's real backoff (10 s base with jitter, docs/pipeline.md), so
 * the 500 and unreachable-sink cases take 5-10 s of real time each; nothing else waits on a timer.
 *
 * Clocks: the emulator's virtual clock starts two hours in the past and stays still (scale 0)
 * until the last test moves it to real time, so that its Replay window is at least 31 minutes
 * old for both X and the Worker (whose clock is real and cannot be moved).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sha256Signature } from "../../emulator/index.ts";
import { DEMO_SECRETS, DEMO_USERS, registerAndSubscribe, startRelay, startStack, type Relay, type SinkRecord, type Stack } from "./harness.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Short retry timeline on the emulator's virtual clock (X's is 3 s, 27 s, 242 s). */
const RETRY_DELAYS_MS = [1000, 2000];
const { alice, bob } = DEMO_USERS;

type Json = Record<string, any>; // Admin/emulator bodies are read loosely; every field used is asserted.

interface DeadLetterEntry {
  id: string;
  from: string;
  reason: string;
  summary: string;
}

async function adminJson(stack: Stack, path: string, init?: RequestInit): Promise<Json> {
  const res = await stack.admin(path, init);
  const text = await res.text();
  expect(res.status, `${path}: ${text}`).toBeLessThan(300);
  return JSON.parse(text) as Json;
}

/**
 * Poll the dead letters until one matches (the aae-dead-letter consumer stores them a moment
 * after the decision). Waits for an effect; the deadline only turns a hang into a clear failure.
 */
async function waitForDeadLetter(stack: Stack, from: string, pred: (e: DeadLetterEntry) => boolean): Promise<DeadLetterEntry> {
  const deadline = Date.now() + 30_000;
  let last: DeadLetterEntry[] = [];
  while (Date.now() < deadline) {
    last = (await adminJson(stack, `/admin/dead-letters?from=${from}&limit=500`)).entries as DeadLetterEntry[];
    const hit = last.find(pred);
    if (hit !== undefined) return hit;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no ${from} dead letter matched; have: ${JSON.stringify(last)}`);
}

const withText = (text: string) => (r: SinkRecord): boolean => r.body.includes(text);

/**
 * Emit one more event and wait until it reaches the sink. The queues are FIFO here, so anything
 * accepted earlier and not held back by a retry delay has been processed by then.
 */
async function drain(stack: Stack, text: string): Promise<void> {
  const r = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text });
  expect(r.deliveries.map((d) => d.status)).toEqual([200]);
  await stack.sink.waitFor(withText(text));
}

/** How many of these records each webhook id has. */
function countById(records: SinkRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  return counts;
}

describe("delivery guarantees under faults", () => {
  let stack: Stack;
  let relay: Relay;

  beforeAll(async () => {
    stack = await startStack({
      emulator: { clock: { scale: 0, start: Date.now() - 2 * HOUR }, delivery: { retryDelaysMs: RETRY_DELAYS_MS } },
    });
    relay = await startRelay(stack.workerUrl);
    await registerAndSubscribe(stack, `${relay.url}/webhooks/default`, [alice, bob]);
  });
  afterAll(async () => {
    await relay?.stop();
    await stack?.stop();
  });

  test("the sink answers 500 for a while: each envelope is delivered exactly once after it recovers", async () => {
    const texts = ["outage one", "outage two", "outage three"];
    stack.sink.respondWith(500);
    for (const text of texts) {
      const r = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text });
      expect(r.deliveries.map((d) => d.status)).toEqual([200]);
    }
    // Every envelope was tried and refused at least once.
    const failed = await stack.sink.waitFor((r) => texts.some((t) => r.body.includes(t)), texts.length);
    const failedIds = new Set(failed.map((r) => r.id));
    expect(failedIds.size).toBe(texts.length);
    // Records from here on were answered 200 (the sink reads its status per response).
    const cut = stack.sink.received.length;
    stack.sink.respondWith(null);

    const isOutage = (r: SinkRecord): boolean => texts.some((t) => r.body.includes(t));
    const after = (): SinkRecord[] => stack.sink.received.slice(cut).filter(isOutage);
    await stack.sink.waitFor((r) => stack.sink.received.indexOf(r) >= cut && isOutage(r), texts.length, 60_000);
    await drain(stack, "sentinel after the outage");

    const delivered = countById(after());
    expect([...delivered.keys()].sort()).toEqual([...failedIds].sort());
    expect([...delivered.values()]).toEqual([1, 1, 1]);
    expect(after().every((r) => r.verified)).toBe(true);
  });

  test("the sink is gone from the network (connections dropped unanswered): retried, then delivered exactly once when it is back", async () => {
    const text = "while the sink was unreachable";
    stack.sink.respondWith("drop");
    const r = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text });
    expect(r.deliveries.map((d) => d.status)).toEqual([200]);
    // The forwarder reached the sink and got no answer: a network error, which is transient.
    const [dropped] = await stack.sink.waitFor(withText(text));
    const cut = stack.sink.received.length;
    stack.sink.respondWith(null);

    const [back] = await stack.sink.waitFor((x) => stack.sink.received.indexOf(x) >= cut && x.id === dropped!.id, 1, 60_000);
    expect(back!.body).toBe(dropped!.body);
    expect(back!.verified).toBe(true);
    await drain(stack, "sentinel after the unreachable sink");
    expect(stack.sink.received.slice(cut).filter((x) => x.id === dropped!.id)).toHaveLength(1);
    // Retried, not given up on: nothing of it is in the dead letters.
    const letters = (await adminJson(stack, "/admin/dead-letters?from=forward&limit=500")).entries as DeadLetterEntry[];
    expect(letters.filter((e) => e.summary.includes(dropped!.id))).toEqual([]);
  });

  test("the sink answers 410: dead-lettered with the reason, then a redrive delivers it once", async () => {
    stack.sink.respondWith(410);
    const r = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: "refused by the sink" });
    expect(r.deliveries.map((d) => d.status)).toEqual([200]);
    const [refused] = await stack.sink.waitFor(withText("refused by the sink"));
    stack.sink.respondWith(null);

    const letter = await waitForDeadLetter(stack, "forward", (e) => e.summary.includes(refused!.id));
    expect(letter.reason).toBe("destination refused the envelope: HTTP 410");
    const detail = await adminJson(stack, `/admin/dead-letters/${encodeURIComponent(letter.id)}`);
    expect(detail.original).toMatchObject({ id: refused!.id, app: "default" });
    // Not retried on its own: a 410 means "never", until an operator says otherwise.
    await drain(stack, "sentinel after the 410");
    expect(stack.sink.received.filter((x) => x.id === refused!.id)).toHaveLength(1);

    const redrive = await adminJson(stack, "/admin/dead-letters/redrive", { method: "POST", body: JSON.stringify({ ids: [letter.id] }) });
    expect(redrive).toMatchObject({ redriven: [letter.id] });
    const both = await stack.sink.waitFor((x) => x.id === refused!.id, 2);
    expect(both[1]!.body).toBe(refused!.body);
    expect(both[1]!.verified).toBe(true);
    await drain(stack, "sentinel after the redrive");
    expect(stack.sink.received.filter((x) => x.id === refused!.id)).toHaveLength(2);
    const left = (await adminJson(stack, "/admin/dead-letters?from=forward")).entries as DeadLetterEntry[];
    expect(left.map((e) => e.id)).not.toContain(letter.id);
  });

  /*
   * Poison that gets past the hot path: the hot path checks only that the body is a JSON object
   * (plain JSON.parse, which V8 runs without recursion), while normalisation parses losslessly
   * with a reviver, which recurses and overflows on absurd nesting. So a correctly signed object
   * nested 100,000 deep is accepted with a 200 and then fails in the pipeline as `too_deep`.
   * (Non-JSON, non-object and invalid UTF-8 bodies are refused 400 by the hot path and never
   * reach the pipeline; their pipeline handling is covered in test/integration/pipeline-*.test.ts.)
   */
  test("a signed poison delivery is dead-lettered with its reason; deliveries around it are unaffected", async () => {
    const depth = 100_000;
    const poison = `{"for_user_id":"${alice.id}","tweet_create_events":[{"id_str":"1931999999999999999","text":"poison","deep":${"[".repeat(depth)}${"]".repeat(depth)}}]}`;
    const before = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: "before the poison" });
    expect(before.deliveries.map((d) => d.status)).toEqual([200]);
    const [res, during] = await Promise.all([
      fetch(stack.webhookUrl(), {
        method: "POST",
        headers: { "content-type": "application/json", "x-twitter-webhooks-signature": sha256Signature(DEMO_SECRETS.X_CONSUMER_SECRET!, poison) },
        body: poison,
      }),
      stack.emulator.emit({ type: "tweet", user_id: bob.id, text: "alongside the poison" }),
    ]);
    expect(res.status, await res.text()).toBe(200);
    expect(during.deliveries.map((d) => d.status)).toEqual([200]);

    const letter = await waitForDeadLetter(stack, "ingest", (e) => e.reason.includes("too_deep"));
    expect(letter.reason).toBe("poison payload (too_deep): delivery body nests too deeply to parse");
    expect(letter.summary).toContain("app default");

    const after = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: "after the poison" });
    expect(after.deliveries.map((d) => d.status)).toEqual([200]);
    for (const text of ["before the poison", "alongside the poison", "after the poison"]) {
      const hits = await stack.sink.waitFor(withText(text));
      expect(hits, text).toHaveLength(1);
    }
    await drain(stack, "sentinel: poison case done");
    for (const text of ["before the poison", "alongside the poison", "after the poison"]) {
      expect(stack.sink.received.filter(withText(text)), text).toHaveLength(1);
    }
    expect(stack.sink.received.some(withText("1931999999999999999"))).toBe(false);
  });

  test("X sends one mention three ways (retry after a lost answer, per-user fan-out, Replay): one envelope per user", async () => {
    // Keep earlier tests' events out of the Replay window.
    await stack.emulator.advance(20 * MIN);
    const text = "three ways @bob";
    relay.loseNextAnswers(1);
    const emitted = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text, mention_ids: [bob.id] });
    // Fan-out: one delivery per subscribed user involved; the first one's 200 is lost on the way back.
    expect(emitted.deliveries.map((d) => d.for_user_id).sort()).toEqual([alice.id, bob.id].sort());
    expect(emitted.deliveries.map((d) => d.status).sort()).toEqual([200, 503]);
    const lost = emitted.deliveries.find((d) => d.status === 503)!;
    expect(relay.log.filter((l) => l.method === "POST" && l.status === 503).at(-1)).toMatchObject({ targetStatus: 200 });
    await stack.emulator.advance(RETRY_DELAYS_MS[0]!);
    const attempts = stack.emulator.state.deliveries.filter((d) => d.deliveryId === lost.delivery_id);
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([[1, 503], [2, 200]]);
    await stack.sink.waitFor(withText(text), 2);

    // Replay: both clocks agree from here, and the window is old enough for X and the Worker.
    const events = (await (await fetch(`${stack.emulator.url}/_emulator/events?for_user_id=${alice.id}`)).json()) as Json[];
    const stored = events.filter((e) => JSON.stringify(e).includes("three ways"));
    expect(stored).toHaveLength(1);
    const at = stored[0]!.createdAt as number;
    await stack.emulator.advance(Date.now() - stack.emulator.clock.now());
    const window = { from: new Date(at - 2 * MIN).toISOString(), to: new Date(at + 2 * MIN).toISOString() };
    const requested = await adminJson(stack, "/admin/apps/default/replay", { method: "POST", body: JSON.stringify(window) });
    const jobId = requested.job.job_id as string;
    await stack.emulator.settle();
    await stack.sink.waitFor((r) => r.envelope?.type === "replay_job_status" && r.body.includes(jobId));
    const replayed = stack.emulator.state.deliveries.filter((d) => d.replayJobId === jobId && d.body.includes("three ways"));
    expect(replayed.map((d) => d.status)).toEqual([200, 200]);
    await drain(stack, "sentinel after the replay");

    // Five deliveries reached the Worker (2 live, 1 retry, 2 replayed): one envelope per user.
    const hits = stack.sink.received.filter(withText(text));
    expect(hits.map((r) => r.envelope.for_user_id).sort()).toEqual([alice.id, bob.id].sort());
    expect(new Set(hits.map((r) => r.id)).size).toBe(2);
    expect(new Set(hits.map((r) => r.envelope.event_key)).size).toBe(1);
    expect(hits.every((r) => r.verified)).toBe(true);
  });
});

describe("with collapse_across_users", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vars: { APPS: JSON.stringify([{ name: "default", collapse_across_users: true }]) } });
    await registerAndSubscribe(stack, stack.webhookUrl(), [alice, bob]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  test("the two users' copies of one mention become one envelope downstream", async () => {
    const text = "collapsed @bob";
    const emitted = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text, mention_ids: [bob.id] });
    expect(emitted.deliveries.map((d) => d.status)).toEqual([200, 200]);
    await stack.sink.waitFor(withText(text));
    await drain(stack, "sentinel after the collapsed mention");
    const hits = stack.sink.received.filter(withText(text));
    expect(hits).toHaveLength(1);
    expect(hits[0]!.verified).toBe(true);
  });
});
