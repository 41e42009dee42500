/**
 * Hostile input on the ingest surface: correctly signed delivery bodies an attacker (or a
 * careless X) can shape freely, through the Worker's POST handler and the real ingest consumer
 * (`handleQueue`, real Dedup/Spool Durable Objects, recording queues from pipeline-helpers.ts).
 * Extend this file when the hot path or normalisation changes.
 *
 * Issue 10, case 2: top-level keys named after Object.prototype members (`constructor`,
 * `__proto__`, `toString`, ...) were looked up in the per-type rule table, found the inherited
 * member, and crashed normalisation (`rule.keyParts is not a function`): the delivery was retried
 * for 15 minutes and dead-lettered. docs/envelope.md promises an `unknown` envelope instead.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { normaliseDelivery } from "../../../src/events/normalise.ts";
import { handleQueue } from "../../../src/pipeline/queue.ts";
import type { DeadLetterMessage, IngestMessage } from "../../../src/pipeline/messages.ts";
import { sign } from "../../../src/webhook/signature.ts";
import favoriteRaw from "../../fixtures/payloads/favorite_events.json?raw";
import { ingestMessage, queued, testEnv, type TestEnv } from "../pipeline-helpers.ts";

const SECRET = "test-consumer-secret";
const BASE = "https://receiver.example";

/** Every own property name of Object.prototype, `__proto__` included. */
const PROTOTYPE_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype);

async function runIngest(t: TestEnv, messages: ReturnType<typeof queued<IngestMessage>>[]) {
  const batch = createMessageBatch("aae-ingest", messages);
  const ctx = createExecutionContext();
  await handleQueue(batch, t.env, ctx);
  return getQueueResult(batch, ctx);
}

beforeEach(async () => {
  await reset();
});

describe("prototype-named keys in a signed delivery", () => {
  it("the names under test include the ones the attack run used", () => {
    for (const n of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) expect(PROTOTYPE_NAMES).toContain(n);
  });

  it.each(PROTOTYPE_NAMES)("{%s: [...]} is published as one unknown envelope and acked, never dead-lettered", async (name) => {
    const text = `{"${name}":[{"a":1}],"for_user_id":"1"}`;
    const t = testEnv();
    const q = queued(ingestMessage(text));
    const result = await runIngest(t, [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(result.retryMessages).toEqual([]);
    expect(t.deadLetter.sent).toEqual([]);
    expect(t.events.sent).toHaveLength(1);
    const envelope = JSON.parse(t.events.sent[0]!.body as string) as { type: string; for_user_id: string; event: Record<string, unknown> };
    expect(envelope.type).toBe("unknown");
    expect(envelope.for_user_id).toBe("1");
    expect(Object.hasOwn(envelope.event, name)).toBe(true);
  });

  it.each(["constructor", "__proto__", "toString"])("a known event beside %s keeps its own envelope, plus one unknown", (name) => {
    const body = JSON.parse(favoriteRaw) as Record<string, unknown>;
    const text = `{"${name}":[{"x":1}],${JSON.stringify(body).slice(1)}`;
    const envelopes = normaliseDelivery(text, { app: "default", received_at: "2026-12-04T00:00:00.000Z", delivery_id: "d1" });
    expect(envelopes.map((e) => e.type).sort()).toEqual(["favorite_events", "unknown"]);
  });

  it("an object under __proto__ pollutes nothing", () => {
    const text = '{"__proto__":{"polluted":"yes","keyParts":1},"for_user_id":"1","favorite_events":{"__proto__":{"id":"x"}}}';
    const envelopes = normaliseDelivery(text, { app: "default", received_at: "2026-12-04T00:00:00.000Z", delivery_id: "d2" });
    expect(envelopes.map((e) => e.type)).toEqual(["unknown"]);
    expect((Object.prototype as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(({} as Record<string, unknown>)["keyParts"]).toBeUndefined();
  });

  it("an XAA body whose data is named like a prototype member is unknown, not a crash", () => {
    for (const type of ["constructor", "__proto__", "toString"]) {
      const text = JSON.stringify({ data: { event_type: type, event_uuid: "u1", filter: { user_id: "1" }, payload: {} } });
      const envelopes = normaliseDelivery(text, { app: "default", received_at: "2026-12-04T00:00:00.000Z", delivery_id: "d3" });
      expect(envelopes).toHaveLength(1);
    }
  });

  it("the hot path accepts the signed body (200): the receiver acknowledges it, so it must not be lost", async () => {
    const text = '{"constructor":[{"a":1}],"for_user_id":"1"}';
    const res = await exports.default.fetch(`${BASE}/webhooks/default`, {
      method: "POST",
      body: text,
      headers: { "content-type": "application/json", "x-twitter-webhooks-signature": await sign(SECRET, text) },
    });
    expect(res.status).toBe(200);
  });
});

describe("bodies that cannot be normalised are dead-lettered at once, with their reason", () => {
  it.each([
    ["too deep", "[".repeat(100_000) + "]".repeat(100_000), "too_deep"],
    ["not JSON", "{not json", "malformed_json"],
    ["not an object", "[1,2,3]", "not_an_object"],
  ])("%s", async (_label, text, reason) => {
    const t = testEnv();
    const q = queued(ingestMessage(text));
    const result = await runIngest(t, [q]);
    expect(result.explicitAcks).toEqual([q.id]);
    expect(result.retryMessages).toEqual([]);
    expect(t.events.sent).toEqual([]);
    // A dead letter too large for a queue message goes straight to the store instead (dead-letter.ts).
    if (text.length < 64 * 1024) {
      expect(t.deadLetter.sent).toHaveLength(1);
      expect(JSON.stringify(t.deadLetter.sent[0]!.body as DeadLetterMessage)).toContain(reason);
    }
  });
});

void env;
