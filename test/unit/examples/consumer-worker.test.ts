/**
 * examples/consumer-worker: the example consumer's queue handler fed real EVENTS messages, i.e.
 * envelopes made by the receiver's own `normaliseDelivery` + `serialiseEnvelope` from X's
 * documented payloads, through `createMessageBatch` / `getQueueResult`. Spilled envelopes are
 * read from the real Spool Durable Object of this project's wrangler.toml (the example binds the
 * same class cross-script).
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import consumer from "../../../examples/consumer-worker/src/index.ts";
import {
  createQueueHandler,
  PermanentError,
  retryDelaySeconds,
  type ConsumedEnvelope,
  type ConsumerEnv,
} from "../../../examples/consumer-worker/src/consumer.ts";
import { normaliseDelivery, serialiseEnvelope } from "../../../src/events/normalise.ts";
import { envelopeSpillKey, spilledStub } from "../../../src/pipeline/publish.ts";

const FIXTURES = import.meta.glob<string>("../../fixtures/payloads/*.json", { query: "?raw", import: "default", eager: true });
const PAYLOADS = Object.entries(FIXTURES)
  .filter(([path]) => !path.endsWith("/INDEX.json"))
  .map(([path, text]) => [path.slice(path.lastIndexOf("/") + 1), text] as const);

const META = { app: "default", received_at: "2026-11-24T12:00:00.000Z", delivery_id: "d-consumer-test" };
/** A mention as X really sends it: numeric ids above 2^53 next to their id_str. */
const BIG_ID_DELIVERY =
  '{"for_user_id":"1600000000000000003","user_has_blocked":false,"tweet_create_events":[{"created_at":"Mon May 19 14:01:46 +0000 2025","id":1924465506158878979,"id_str":"1924465506158878979","text":"@bob hi","user":{"id":1603419180975409153,"id_str":"1603419180975409153"},"timestamp_ms":"1747663306000"}]}';

/** Lets the receiver's `JSON.rawJSON` write a bigint back as its digits (not in the ES2024 lib). */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
const reserialise = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? rawJSON(v.toString()) : v));

let seq = 0;
function message(body: unknown, attempts = 1) {
  seq++;
  return { id: `m-${seq}`, timestamp: new Date(), attempts, body };
}

/** Run a handler over bodies; returns what was acked and retried, and with which delays. */
async function run(
  handler: (batch: MessageBatch<unknown>, env: ConsumerEnv) => Promise<void>,
  messages: ReturnType<typeof message>[],
  consumerEnv: ConsumerEnv = {},
) {
  const batch = createMessageBatch<unknown>("aae-events", messages);
  // getQueueResult (plugin 1.5) reports retried ids but drops their delay: record it here.
  const delays = new Map<string, number | undefined>();
  for (const m of batch.messages) {
    const original = m.retry.bind(m);
    Object.defineProperty(m, "retry", { value: (o?: QueueRetryOptions) => (delays.set(m.id, o?.delaySeconds), original(o)) });
  }
  const ctx = createExecutionContext();
  await handler(batch, consumerEnv);
  const result = await getQueueResult(batch, ctx);
  return { acked: result.explicitAcks.toSorted(), retried: result.retryMessages.map((r) => r.msgId).toSorted(), delays, ackAll: result.ackAll };
}

function recorder() {
  const seen: ConsumedEnvelope[] = [];
  const handler = createQueueHandler(async (e) => {
    seen.push(e);
  });
  return { seen, handler };
}

describe("example consumer Worker", () => {
  it("parses every fixture's envelopes losslessly and acks each message", async () => {
    const texts = PAYLOADS.flatMap(([, text]) => normaliseDelivery(text, META).map(serialiseEnvelope));
    texts.push(...normaliseDelivery(BIG_ID_DELIVERY, META).map(serialiseEnvelope));
    expect(texts.length).toBeGreaterThan(PAYLOADS.length);
    const { seen, handler } = recorder();
    const messages = texts.map((t) => message(t));
    const r = await run(handler, messages);
    expect(r.ackAll).toBe(false);
    expect(r.acked).toEqual(messages.map((m) => m.id).toSorted());
    expect(r.retried).toEqual([]);
    // Written back with bigints as digits, every envelope is the exact text it arrived as.
    expect(seen.map(reserialise).toSorted()).toEqual(texts.toSorted());
  });

  it("keeps 64-bit ids digit for digit (as bigint), where plain JSON.parse rounds them", async () => {
    const [text] = normaliseDelivery(BIG_ID_DELIVERY, META).map(serialiseEnvelope);
    const { seen, handler } = recorder();
    await run(handler, [message(text)]);
    const event = seen[0]!.event as { id: unknown; id_str: string; user: { id: unknown } };
    expect(event.id).toBe(1924465506158878979n);
    expect(String(event.id)).toBe(event.id_str);
    expect(event.user.id).toBe(1603419180975409153n);
    expect(seen[0]!.id).toBe("tweet_create_events:1600000000000000003:1924465506158878979");
    expect(String((JSON.parse(text!) as { event: { id: number } }).event.id)).not.toBe("1924465506158878979");
  });

  it("retries only the message whose processing failed, with a delay growing per attempt", async () => {
    const texts = PAYLOADS.slice(0, 3).map(([, t]) => serialiseEnvelope(normaliseDelivery(t, META)[0]!));
    const failing = (JSON.parse(texts[1]!) as { id: string }).id;
    const handler = createQueueHandler(async (e) => {
      if (e.id === failing) throw new Error("database unavailable");
    });
    const messages = [message(texts[0]), message(texts[1], 3), message(texts[2])];
    const r = await run(handler, messages);
    expect(r.retried).toEqual([messages[1]!.id]);
    expect(r.acked).toEqual([messages[0]!.id, messages[2]!.id].toSorted());
    expect(r.delays.get(messages[1]!.id)).toBe(retryDelaySeconds(3));
    expect(retryDelaySeconds(3)).toBeGreaterThan(retryDelaySeconds(1));
    expect(retryDelaySeconds(100)).toBe(600);
  });

  it("acks (drops, logged) what can never succeed: not text, not JSON, not an envelope, PermanentError", async () => {
    const good = serialiseEnvelope(normaliseDelivery(BIG_ID_DELIVERY, META)[0]!);
    const refuse = "tweet_create_events:1600000000000000003:1924465506158878979";
    const { seen, handler } = recorder();
    const strict = createQueueHandler(async (e) => {
      if (e.id === refuse) throw new PermanentError("not for us");
    });
    const bad = [message({ not: "text" }), message("{not json"), message('["array"]'), message('{"id":"x"}')];
    const r = await run(handler, [...bad, message(good)]);
    expect(r.acked).toHaveLength(5);
    expect(r.retried).toEqual([]);
    expect(seen.map((e) => e.id)).toEqual([refuse]);
    const p = await run(strict, [message(good)]);
    expect(p.acked).toHaveLength(1);
    expect(p.retried).toEqual([]);
  });

  it("reads a spilled envelope's full text from the receiver's Spool", async () => {
    const [full] = normaliseDelivery(BIG_ID_DELIVERY, { ...META, delivery_id: `spill-${crypto.randomUUID()}` });
    const text = serialiseEnvelope(full!);
    const key = envelopeSpillKey(`${full!.id}:${crypto.randomUUID()}`);
    await env.SPOOL.getByName("default").putSpill(key, new TextEncoder().encode(text).buffer as ArrayBuffer);
    const stub = JSON.stringify(spilledStub(full!, key, text.length));
    const goneStub = JSON.stringify(spilledStub(full!, envelopeSpillKey("never-stored"), text.length));
    const { seen, handler } = recorder();
    const spoolEnv: ConsumerEnv = { SPOOL: env.SPOOL };
    const ok = message(stub);
    const gone = message(goneStub);
    const r = await run(handler, [ok, gone], spoolEnv);
    expect(r.acked).toEqual([ok.id, gone.id].toSorted());
    expect(seen.map(reserialise)).toEqual([text]);
    // Without the binding a stub cannot be resolved yet: retried, not dropped.
    const noBinding = await run(handler, [message(stub)]);
    expect(noBinding.retried).toHaveLength(1);
    expect(seen).toHaveLength(1);
  });

  it("the default export is a queue handler that acks real envelopes", async () => {
    const text = serialiseEnvelope(normaliseDelivery(BIG_ID_DELIVERY, META)[0]!);
    const r = await run(consumer.queue, [message(text), message("{oops")]);
    expect(r.acked).toHaveLength(2);
    expect(r.retried).toEqual([]);
  });
});
