/**
 * Dead letters end to end: the aae-dead-letter consumer stores them in the DeadLetters DO, and
 * the admin helpers list, get, redrive and purge them. Redrive sends to the real INGEST/FORWARD
 * queues, whose real consumers (this Worker, run by Miniflare) process them again: a poison
 * delivery comes straight back as a new dead letter, which is what the test waits for.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { handleQueue } from "../../src/pipeline/queue.ts";
import {
  getDeadLetter,
  listDeadLetters,
  MAX_RETRIES_REASON,
  purgeDeadLetters,
  redriveDeadLetters,
} from "../../src/pipeline/dead-letter.ts";
import type { DeadLetterMessage, ForwardMessage, IngestMessage } from "../../src/pipeline/messages.ts";
import { ingestMessage, queued, testEnv } from "./pipeline-helpers.ts";

async function consume(queue: string, bodies: unknown[]) {
  const messages = bodies.map((b) => queued(b));
  const batch = createMessageBatch(queue, messages);
  const ctx = createExecutionContext();
  await handleQueue(batch, env, ctx);
  return { result: await getQueueResult(batch, ctx), ids: messages.map((m) => m.id) };
}

const letter = (original: IngestMessage | ForwardMessage, reason: string): DeadLetterMessage => ({
  v: 1,
  from: "delivery_id" in original ? "ingest" : "forward",
  reason,
  at: "2026-11-24T12:00:00.000Z",
  original,
});

const WAIT = { timeout: 15_000, interval: 100 };

beforeEach(async () => {
  await reset();
});

describe("dead letters", () => {
  it("stores our dead letters with their reason and the original, byte for byte", async () => {
    const poison = ingestMessage("{oops");
    const { result, ids } = await consume("aae-dead-letter", [letter(poison, "poison payload (malformed_json): x")]);
    expect(result.explicitAcks).toEqual(ids);
    const page = await listDeadLetters(env);
    expect(page.entries).toEqual([
      {
        id: ids[0],
        from: "ingest",
        reason: "poison payload (malformed_json): x",
        at: "2026-11-24T12:00:00.000Z",
        summary: `app default, delivery ${poison.delivery_id}, received ${poison.received_at}, 5 bytes`,
      },
    ]);
    const detail = await getDeadLetter(env, ids[0]!);
    expect(new TextDecoder().decode((detail!.original as IngestMessage).body!)).toBe("{oops");
    expect((detail!.original as IngestMessage).delivery_id).toBe(poison.delivery_id);
  });

  it("wraps raw messages moved by the platform after max_retries", async () => {
    const ingest = ingestMessage("{}");
    const forward: ForwardMessage = { v: 1, id: "e1", app: "default", json: "{}" };
    const { ids } = await consume("aae-dead-letter", [ingest, forward, { something: "else" }]);
    const page = await listDeadLetters(env);
    expect(page.entries.map((e) => [e.id, e.from, e.reason])).toEqual([
      [ids[0], "ingest", MAX_RETRIES_REASON],
      [ids[1], "forward", MAX_RETRIES_REASON],
      [ids[2], "unknown", `${MAX_RETRIES_REASON} (unrecognised message)`],
    ]);
    expect((await getDeadLetter(env, ids[1]!))!.original).toEqual(forward);
  });

  it("stores a redelivered dead-letter message once", async () => {
    const body = letter(ingestMessage("{x"), "r");
    const batch = createMessageBatch("aae-dead-letter", [{ id: "same", timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await handleQueue(batch, env, ctx);
    await getQueueResult(batch, ctx);
    const again = createMessageBatch("aae-dead-letter", [{ id: "same", timestamp: new Date(), attempts: 2, body }]);
    const ctx2 = createExecutionContext();
    await handleQueue(again, env, ctx2);
    await getQueueResult(again, ctx2);
    expect((await listDeadLetters(env)).entries).toHaveLength(1);
  });

  it("lists in pages, oldest first, filtered by origin", async () => {
    const bodies = Array.from({ length: 5 }, (_, i) =>
      i % 2 === 0 ? letter(ingestMessage("{"), `r${i}`) : letter({ v: 1, id: `e${i}`, app: "default", json: "{}" }, `r${i}`),
    );
    await consume("aae-dead-letter", bodies);
    const first = await listDeadLetters(env, { limit: 2 });
    expect(first.entries.map((e) => e.reason)).toEqual(["r0", "r1"]);
    const second = await listDeadLetters(env, { limit: 2, cursor: first.cursor });
    expect(second.entries.map((e) => e.reason)).toEqual(["r2", "r3"]);
    const third = await listDeadLetters(env, { limit: 2, cursor: second.cursor });
    expect(third.entries.map((e) => e.reason)).toEqual(["r4"]);
    expect(third.cursor).toBeNull();
    const forwards = await listDeadLetters(env, { from: "forward" });
    expect(forwards.entries.map((e) => e.reason)).toEqual(["r1", "r3"]);
  });

  it("purges by id", async () => {
    const { ids } = await consume("aae-dead-letter", [letter(ingestMessage("{"), "a"), letter(ingestMessage("{"), "b")]);
    expect(await purgeDeadLetters(env, [ids[0]!, "missing"])).toEqual({ purged: 1 });
    expect((await listDeadLetters(env)).entries.map((e) => e.reason)).toEqual(["b"]);
  });

  it("a poison delivery travels through the real DEAD_LETTER queue into the store", async () => {
    const t = testEnv({}, { deadLetterPassThrough: true });
    const poison = ingestMessage("[1]");
    const batch = createMessageBatch("aae-ingest", [queued(poison)]);
    const ctx = createExecutionContext();
    await handleQueue(batch, t.env, ctx);
    await getQueueResult(batch, ctx);
    await vi.waitFor(async () => {
      const page = await listDeadLetters(env);
      expect(page.entries.map((e) => e.summary)).toEqual([expect.stringContaining(poison.delivery_id)]);
      expect(page.entries[0]!.reason).toMatch(/^poison payload \(not_an_object\)/);
    }, WAIT);
  }, 20_000);

  it("redrive re-sends the originals to their queues and removes them", async () => {
    const poison = ingestMessage("{still poison");
    const forward: ForwardMessage = { v: 1, id: "e-redrive", app: "default", json: "{}" };
    const { ids } = await consume("aae-dead-letter", [letter(poison, "first time"), letter(forward, "HTTP 410")]);
    const out = await redriveDeadLetters(env, [...ids, "missing"]);
    expect(out).toEqual({ redriven: ids, skipped: ["missing"] });
    // The real consumers process the redriven messages: the poison delivery is dead-lettered again
    // (a new entry, same delivery), and the forward message too (FORWARD_URL is empty here).
    await vi.waitFor(async () => {
      const page = await listDeadLetters(env);
      expect(page.entries.map((e) => e.id).filter((id) => ids.includes(id))).toEqual([]);
      expect(page.entries.some((e) => e.summary.includes(poison.delivery_id) && e.reason.startsWith("poison payload"))).toBe(true);
      expect(page.entries.some((e) => e.summary.includes("envelope e-redrive") && e.reason.includes("FORWARD_URL"))).toBe(true);
    }, WAIT);
  }, 20_000);

  it("does not redrive an unknown entry", async () => {
    const { ids } = await consume("aae-dead-letter", [{ junk: true }]);
    expect(await redriveDeadLetters(env, ids)).toEqual({ redriven: [], skipped: ids });
    expect((await listDeadLetters(env)).entries).toHaveLength(1);
  });
});
