/**
 * Dead letters end to end: the aae-dead-letter consumer stores them in the DeadLetters DO, and
 * the admin helpers list, get, redrive and purge them. Redrive sends to the real INGEST/FORWARD
 * queues, whose real consumers (this Worker, run by Miniflare) process them again: a poison
 * delivery comes straight back as a new dead letter, which is what the test waits for. Also: the
 * per-app column (and its migration from the first release's table) and the cron's marker.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, reset, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { handleQueue } from "../../src/pipeline/queue.ts";
import {
  getDeadLetter,
  listDeadLetters,
  MAX_RETRIES_REASON,
  purgeDeadLetters,
  redriveDeadLetters,
  UNKNOWN_APP,
} from "../../src/pipeline/dead-letter.ts";
import { ensureDeadLetterSchema } from "../../src/state/dead-letters-schema.ts";
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
        app: "default",
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

describe("dead letters by app", () => {
  it("records each letter's app (from our message shapes; _unknown otherwise) and filters by it", async () => {
    const shop = letter({ v: 1, id: "e-shop", app: "shop", json: "{}" }, "HTTP 410");
    const { ids } = await consume("aae-dead-letter", [letter(ingestMessage("{"), "a"), shop, { junk: true }]);
    const all = await listDeadLetters(env);
    expect(all.entries.map((e) => [e.id, e.app])).toEqual([[ids[0], "default"], [ids[1], "shop"], [ids[2], UNKNOWN_APP]]);
    expect(all.counts).toEqual({ total: 3, by_app: { default: 1, shop: 1, [UNKNOWN_APP]: 1 }, by_from: { ingest: 1, forward: 1, unknown: 1 } });
    const page = await listDeadLetters(env, { app: "shop" });
    expect(page.entries.map((e) => e.id)).toEqual([ids[1]]);
    expect(page.counts).toEqual({ total: 1, by_app: { shop: 1 }, by_from: { forward: 1 } });
    expect((await getDeadLetter(env, ids[1]!))!.app).toBe("shop");
  });

  it("migrates a table from before the app column: adds it, fills it from the originals, indexes it", async () => {
    // A fresh instance, its table replaced by the first release's schema and rows.
    const stub = env.DEAD_LETTERS.getByName(`migration-${crypto.randomUUID()}`);
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(`DROP TABLE dead_letters`);
      sql.exec(`CREATE TABLE dead_letters (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
        reason TEXT NOT NULL, at TEXT NOT NULL, summary TEXT NOT NULL, original TEXT NOT NULL, body BLOB)`);
      const row = `INSERT INTO dead_letters (id, source, reason, at, summary, original) VALUES (?, ?, 'r', '2026-01-01T00:00:00.000Z', 's', ?)`;
      sql.exec(row, "f", "forward", JSON.stringify({ v: 1, id: "e", app: "shop", json: "{}" }));
      sql.exec(row, "i", "ingest", JSON.stringify({ v: 1, delivery_id: "d", app: "default", received_at: "x" }));
      sql.exec(row, "u", "unknown", JSON.stringify({ app: "shop", junk: true }));
      sql.exec(row, "bad", "forward", "not json");
      ensureDeadLetterSchema(sql);
      ensureDeadLetterSchema(sql); // idempotent
      const apps = sql.exec<{ id: string; app: string }>(`SELECT id, app FROM dead_letters ORDER BY seq`).toArray();
      expect(apps.map((r) => [r.id, r.app])).toEqual([["f", "shop"], ["i", "default"], ["u", UNKNOWN_APP], ["bad", UNKNOWN_APP]]);
      const plan = sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT * FROM dead_letters WHERE seq > 0 AND app = 'shop' ORDER BY seq`).toArray();
      expect(plan.map((p) => p.detail).join(" ")).toContain("dead_letters_app");
    });
    expect((await stub.list({ app: "shop" })).entries.map((e) => e.id)).toEqual(["f"]);
  });

  it("reports letters stored after a sequence number, for the cron's alert, and keeps its marker", async () => {
    const store = env.DEAD_LETTERS.getByName("dead-letters");
    expect(await store.alertMarker()).toEqual({ seq: 0, alerted_at: null, checked_at: null });
    await consume("aae-dead-letter", [letter(ingestMessage("{"), "a"), letter({ v: 1, id: "e", app: "default", json: "{}" }, "b")]);
    const fresh = await store.newSince(0);
    expect(fresh).toMatchObject({ total: 2, by_from: { ingest: 1, forward: 1 }, by_app: { default: 2 }, first_at: "2026-11-24T12:00:00.000Z" });
    await store.saveAlertMarker({ seq: fresh.max_seq, alerted_at: "2026-11-24T12:10:00.000Z", checked_at: "2026-11-24T12:10:00.000Z" });
    expect((await store.newSince((await store.alertMarker()).seq)).total).toBe(0);
    await consume("aae-dead-letter", [letter(ingestMessage("{"), "c")]);
    expect((await store.newSince((await store.alertMarker()).seq)).total).toBe(1);
  });
});
