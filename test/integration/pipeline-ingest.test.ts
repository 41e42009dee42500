/**
 * The aae-ingest consumer through the Worker's real queue handler (`handleQueue`), with real
 * Dedup and Spool Durable Objects and a real EVENTS queue. EVENTS/FORWARD/DEAD_LETTER are wrapped
 * by `recordingQueue` so the test can see what was sent (and make a send fail); see
 * pipeline-helpers.ts.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { normaliseDelivery, serialiseEnvelope } from "../../src/events/normalise.ts";
import { handleQueue } from "../../src/pipeline/queue.ts";
import type { DeadLetterMessage, ForwardMessage, IngestMessage } from "../../src/pipeline/messages.ts";
import { BUSY_RETRY_SECONDS, DEDUP_LEASE_MS } from "../../src/pipeline/ingest.ts";
import { dedupKey, dedupShard, dedupShardName } from "../../src/pipeline/dedup-keys.ts";
import { MAX_INLINE_ENVELOPE_BYTES, readSpilledEnvelope, type SpilledEnvelopeStub } from "../../src/pipeline/publish.ts";
import { ingestMessage, queued, recordRetryDelays, testEnv, type TestEnv } from "./pipeline-helpers.ts";

const FIXTURES = import.meta.glob<string>("../fixtures/payloads/*.json", { query: "?raw", import: "default", eager: true });
const PAYLOADS = Object.entries(FIXTURES)
  .filter(([path]) => !path.endsWith("/INDEX.json"))
  .map(([path, text]) => [path.slice(path.lastIndexOf("/") + 1), text] as const);
const fixture = (name: string): string => {
  const hit = PAYLOADS.find(([n]) => n === name);
  if (hit === undefined) throw new Error(`fixture ${name} missing`);
  return hit[1];
};

async function runIngest(t: TestEnv, messages: ReturnType<typeof queued<IngestMessage>>[]) {
  const batch = createMessageBatch("aae-ingest", messages);
  const delays = recordRetryDelays(batch);
  const ctx = createExecutionContext();
  await handleQueue(batch, t.env, ctx);
  return { ...(await getQueueResult(batch, ctx)), delays };
}

function expectedTexts(m: IngestMessage, text: string): string[] {
  return normaliseDelivery(text, { app: m.app, received_at: m.received_at, delivery_id: m.delivery_id }).map(serialiseEnvelope);
}

beforeEach(async () => {
  await reset();
});

describe("ingest consumer", () => {
  it.each(PAYLOADS)("publishes the envelopes of %s once, as JSON text, and acks", async (_name, text) => {
    const t = testEnv();
    const m = ingestMessage(text);
    const q = queued(m);
    const result = await runIngest(t, [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(result.retryMessages).toEqual([]);
    expect(t.events.sent.map((s) => s.body)).toEqual(expectedTexts(m, text));
    expect(t.events.sent.every((s) => s.contentType === "text")).toBe(true);
    // FORWARD_URL is empty in wrangler.toml: nothing to forward.
    expect(t.forward.sent).toEqual([]);
  });

  it("keeps every digit of a 64-bit id in the message a consumer receives", async () => {
    // The docs' own numeric id was already rounded by JavaScript; put the true value back so the
    // number does not survive a float round trip and only a lossless path can keep it.
    const text = fixture("tweet_create_events.longform.docs.json").replace('"id": 1924465506158879000', '"id": 1924465506158878979');
    expect(text).toContain('"id": 1924465506158878979');
    const t = testEnv();
    await runIngest(t, [queued(ingestMessage(text))]);
    expect(t.events.sent).toHaveLength(1);
    const body = t.events.sent[0]!.body;
    expect(typeof body).toBe("string");
    // As a number, not a string, with all 19 digits (JSON.parse would have made ...879000).
    expect(body as string).toMatch(/"id":1924465506158878979[,}]/);
    expect(body as string).toContain('"id_str":"1924465506158878979"');
  });

  it("publishes the same delivery once when it arrives twice (X retry), even in one batch", async () => {
    const text = fixture("favorite_events.json");
    const t = testEnv();
    const first = await runIngest(t, [queued(ingestMessage(text))]);
    const again = await runIngest(t, [queued(ingestMessage(text)), queued(ingestMessage(text))]);
    expect(first.explicitAcks).toHaveLength(1);
    // The second batch: one copy may meet the other's lease ("busy": retried), none is published.
    expect(again.explicitAcks.length + again.retryMessages.length).toBe(2);
    expect(t.events.sent).toHaveLength(1);
  });

  it("keeps a second user's copy separate", async () => {
    const text = fixture("favorite_events.json");
    const other = text.replace('"for_user_id": "2244994945"', '"for_user_id": "3805104374"');
    const t = testEnv();
    await runIngest(t, [queued(ingestMessage(text))]);
    await runIngest(t, [queued(ingestMessage(other))]);
    expect(t.events.sent).toHaveLength(2);
    const users = t.events.sent.map((s) => (JSON.parse(s.body as string) as { for_user_id: string }).for_user_id);
    expect(users).toEqual(["2244994945", "3805104374"]);
  });

  it("collapses the copies when the app has collapse_across_users", async () => {
    const text = fixture("favorite_events.json");
    const other = text.replace('"for_user_id": "2244994945"', '"for_user_id": "3805104374"');
    const t = testEnv({
      APPS: JSON.stringify([{ name: "default" }, { name: "shared", collapse_across_users: true }]),
      X_CONSUMER_SECRET_SHARED: "shared-secret",
    });
    await runIngest(t, [queued(ingestMessage(text, { app: "shared" }))]);
    await runIngest(t, [queued(ingestMessage(other, { app: "shared" }))]);
    expect(t.events.sent).toHaveLength(1);
  });

  it("retries with a short delay when another consumer holds the event's lease", async () => {
    const text = fixture("favorite_events.json");
    const m = ingestMessage(text);
    const [envelope] = normaliseDelivery(text, { app: m.app, received_at: m.received_at, delivery_id: m.delivery_id });
    const shard = env.DEDUP.getByName(dedupShardName(dedupShard(envelope!, false, 16)));
    expect(await shard.begin([dedupKey(envelope!, false)], DEDUP_LEASE_MS, "another-consumer")).toEqual(["new"]);
    const t = testEnv();
    const q = queued(m);
    const result = await runIngest(t, [q]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: q.id }]);
    expect(result.delays.get(q.id)).toBe(BUSY_RETRY_SECONDS);
    expect(t.events.sent).toEqual([]);
  });

  it("on a publish failure retries, does not commit, and publishes once on the retry", async () => {
    const text = fixture("direct_message_events.json");
    const t = testEnv();
    t.events.failNext = 1;
    const m = ingestMessage(text);
    const q1 = queued(m, 1);
    const failed = await runIngest(t, [q1]);
    expect(failed.explicitAcks).toEqual([]);
    expect(failed.retryMessages).toHaveLength(1);
    // First attempt on the ingest schedule: between 1 and 2 s (base 2 s, equal jitter).
    expect(failed.delays.get(q1.id)).toBeGreaterThanOrEqual(1);
    expect(failed.delays.get(q1.id)).toBeLessThanOrEqual(2);
    expect(t.events.sent).toEqual([]);
    // The key was released, not committed: the same message's retry publishes...
    const retried = await runIngest(t, [{ ...q1, attempts: 2 }]);
    expect(retried.explicitAcks).toEqual([q1.id]);
    expect(t.events.sent.map((s) => s.body)).toEqual(expectedTexts(m, text));
    // ...and a later duplicate does not.
    await runIngest(t, [queued(ingestMessage(text))]);
    expect(t.events.sent).toHaveLength(1);
  });

  it("a released lease is free at once for another consumer (no wait for expiry)", async () => {
    const text = fixture("follow_events.follow.json");
    const t = testEnv();
    t.events.failNext = 1;
    await runIngest(t, [queued(ingestMessage(text))]);
    const other = await runIngest(t, [queued(ingestMessage(text))]);
    expect(other.explicitAcks).toHaveLength(1);
    expect(t.events.sent).toHaveLength(1);
  });

  it("dead-letters a poison delivery with its reason and acks it, without disturbing the rest", async () => {
    const t = testEnv();
    const good = queued(ingestMessage(fixture("favorite_events.json")));
    const poison = queued(ingestMessage("{not json"));
    const notObject = queued(ingestMessage("[1,2,3]"));
    const badUtf8 = queued(ingestMessage(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])));
    const unknownApp = queued(ingestMessage(fixture("favorite_events.json"), { app: "nope" }));
    const result = await runIngest(t, [good, poison, notObject, badUtf8, unknownApp]);
    expect(new Set(result.explicitAcks)).toEqual(new Set([good.id, poison.id, notObject.id, badUtf8.id, unknownApp.id]));
    expect(result.retryMessages).toEqual([]);
    expect(t.events.sent).toHaveLength(1);
    const letters = t.deadLetter.sent.map((s) => s.body as DeadLetterMessage);
    const byDelivery = new Map(letters.map((l) => [(l.original as IngestMessage).delivery_id, l]));
    expect(letters.every((l) => l.from === "ingest" && l.v === 1 && !Number.isNaN(Date.parse(l.at)))).toBe(true);
    expect(byDelivery.get(poison.body.delivery_id)?.reason).toMatch(/^poison payload \(malformed_json\)/);
    expect(byDelivery.get(notObject.body.delivery_id)?.reason).toMatch(/^poison payload \(not_an_object\)/);
    expect(byDelivery.get(badUtf8.body.delivery_id)?.reason).toBe("delivery body is not valid UTF-8");
    expect(byDelivery.get(unknownApp.body.delivery_id)?.reason).toBe('unknown app "nope"');
    // The original travels whole, so it can be redriven byte for byte.
    expect(new Uint8Array((byDelivery.get(badUtf8.body.delivery_id)!.original as IngestMessage).body!)).toEqual(
      new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    );
    expect(letters).toHaveLength(4);
    // Sent as "v8": the "json" content type would turn the ArrayBuffer body into {}.
    expect(t.deadLetter.sent.every((x) => x.contentType === "v8")).toBe(true);
  });

  it("retries (never acks) a poison delivery whose dead-letter send fails", async () => {
    const t = testEnv();
    t.deadLetter.failNext = 1;
    const poison = queued(ingestMessage("{not json"));
    const result = await runIngest(t, [poison]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual([poison.id]);
  });

  it("reads a spilled body from the Spool, publishes it, then deletes the spill", async () => {
    const text = fixture("tweet_delete_events.json");
    const m = ingestMessage(text);
    const key = `ingest:${m.delivery_id}`;
    const spool = env.SPOOL.getByName("default");
    await spool.putSpill(key, new Uint8Array(new TextEncoder().encode(text)).buffer);
    const { body: _b, ...spilled } = m;
    const t = testEnv();
    const q = queued<IngestMessage>({ ...spilled, spill: key });
    const result = await runIngest(t, [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(t.events.sent.map((s) => s.body)).toEqual(expectedTexts(m, text));
    expect(await spool.getSpill(key)).toBeNull();
  });

  it("spills an envelope too large for a queue message and sends a stub that points at it", async () => {
    const big = "x".repeat(MAX_INLINE_ENVELOPE_BYTES + 10);
    const text = JSON.stringify({ for_user_id: "2244994945", tweet_create_events: [{ id_str: "1924465506158878979", text: big }] });
    const t = testEnv({ FORWARD_URL: "https://sink.example/hook" });
    const m = ingestMessage(text);
    const q = queued(m);
    // The delivery itself would have been spilled by the webhook; here only the envelope matters.
    const result = await runIngest(t, [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(t.events.sent).toHaveLength(1);
    const stub = JSON.parse(t.events.sent[0]!.body as string) as SpilledEnvelopeStub;
    const [full] = expectedTexts(m, text);
    expect(stub.event).toBeNull();
    expect(stub.spill.key).toBe(`env:${stub.id}`);
    expect(stub.spill.bytes).toBe(new TextEncoder().encode(full!).byteLength);
    expect((t.events.sent[0]!.body as string).length).toBeLessThan(4096);
    expect(await readSpilledEnvelope(t.env, stub.spill.app, stub.spill.key)).toBe(full);
    // The forwarder gets the spill reference too, not the oversized text.
    expect(t.forward.sent.map((s) => s.body as ForwardMessage)).toEqual([{ v: 1, id: stub.id, app: "default", spill: stub.spill.key }]);
    // Raw delivery spills are not served through the envelope door.
    expect(await readSpilledEnvelope(t.env, "default", `ingest:${m.delivery_id}`)).toBeNull();
  });

  it("sizes FORWARD messages as V8 stores them: one emoji doubles a string's size, so a 70 KB envelope with one is spilled", async () => {
    // 70 KB of ASCII fits a 128 KB message as UTF-8 text and as a one-byte V8 string; with one
    // emoji V8 stores the whole string at two bytes per character (140 KB), which the queue refuses.
    const t = testEnv({ FORWARD_URL: "https://sink.example/hook" });
    const ascii = ingestMessage(JSON.stringify({ for_user_id: "2244994945", tweet_create_events: [{ id_str: "1924465506158878980", text: "x".repeat(70_000) }] }));
    const emoji = ingestMessage(JSON.stringify({ for_user_id: "2244994945", tweet_create_events: [{ id_str: "1924465506158878981", text: `${"x".repeat(70_000)} \u{1F600}` }] }));
    const result = await runIngest(t, [queued(ascii), queued(emoji)]);
    expect(result.explicitAcks).toHaveLength(2);
    const sent = t.forward.sent.map((s) => s.body as ForwardMessage);
    const inline = sent.find((m) => m.id.endsWith(":1924465506158878980"));
    const spilled = sent.find((m) => m.id.endsWith(":1924465506158878981"));
    expect(inline!.json).toBeDefined();
    expect(spilled!.json).toBeUndefined();
    expect(spilled!.spill).toBe(`env:${spilled!.id}`);
    expect(await readSpilledEnvelope(t.env, "default", spilled!.spill!)).toContain("\u{1F600}");
    // Both as sent are accepted by the real local queue (the inline one was near the edge).
    for (const body of [inline!, spilled!]) await env.FORWARD.send(body, { contentType: "v8" });
    // And the inline one with the emoji would not have been: what the spill avoids.
    await expect(env.FORWARD.send({ ...inline!, json: `${inline!.json!}\u{1F600}` }, { contentType: "v8" })).rejects.toThrow();
  });

  it("sends one ForwardMessage per published envelope when FORWARD_URL is set", async () => {
    const text = fixture("direct_message_events.json");
    const t = testEnv({ FORWARD_URL: "https://sink.example/hook" });
    const m = ingestMessage(text);
    await runIngest(t, [queued(m)]);
    const expected = normaliseDelivery(text, { app: m.app, received_at: m.received_at, delivery_id: m.delivery_id });
    expect(t.forward.sent.map((s) => s.body)).toEqual(
      expected.map((e) => ({ v: 1, id: e.id, app: "default", json: serialiseEnvelope(e) })),
    );
  });

  it("retries a batch from an unknown queue instead of dropping it", async () => {
    const batch = createMessageBatch("someone-elses-queue", [queued({ hello: "world" })]);
    const ctx = createExecutionContext();
    await handleQueue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toHaveLength(1);
  });
});
