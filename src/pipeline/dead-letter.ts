/**
 * Dead letters: sending them (from the ingest and forward consumers), storing them (the
 * aae-dead-letter consumer), and the helpers /admin and the CLI call to list, redrive and purge.
 */
import type { DeadLetterMessage, ForwardMessage, IngestMessage } from "./messages.ts";
import { QUEUE_LIMITS } from "./messages.ts";
import { isDeadLetterMessage, isForwardMessage, isIngestMessage } from "./message-guards.ts";
import { backoffSeconds, INGEST_BACKOFF } from "./retry.ts";
import { BatchMetrics, flushBatchMetrics } from "./batch-metrics.ts";
import type { DeadLetterDetail, DeadLetterPage, DeadLetters, ListOptions } from "../state/dead-letters.ts";

export type { DeadLetterCounts, DeadLetterDetail, DeadLetterEntry, DeadLetterPage, ListOptions } from "../state/dead-letters.ts";
export { UNKNOWN_APP } from "../state/dead-letters-schema.ts";

/** The one DeadLetters instance holding the dead letters. */
export const DEAD_LETTERS_INSTANCE = "dead-letters";
/** Reason recorded for messages the platform moved after the consumer's `max_retries`. */
export const MAX_RETRIES_REASON = "max retries exceeded";

export function deadLetterStore(env: Env): DurableObjectStub<DeadLetters> {
  return env.DEAD_LETTERS.getByName(DEAD_LETTERS_INSTANCE);
}

/** Rough structured-clone size of a message body: its bytes plus its JSON fields. */
function approxSize(original: IngestMessage | ForwardMessage): number {
  if ("delivery_id" in original) {
    const { body, ...rest } = original;
    return (body?.byteLength ?? 0) + JSON.stringify(rest).length * 3;
  }
  return JSON.stringify(original).length * 3;
}

/** Room kept for the wrapper fields and the platform's per-message overhead. */
const DEAD_LETTER_HEADROOM = 4 * 1024;

/**
 * Dead-letter one message: through the DEAD_LETTER queue (durable, decoupled from the store), or,
 * when the original plus the reason would not fit in a queue message (a body just under the
 * 128 KB limit), straight into the store. Throws on failure: the caller then retries the original
 * message instead of acking it, so nothing is lost.
 */
export async function sendDeadLetter(
  env: Env,
  from: "ingest" | "forward",
  reason: string,
  original: IngestMessage | ForwardMessage,
  now: Date,
): Promise<void> {
  const letter: DeadLetterMessage = { v: 1, from, reason, at: now.toISOString(), original };
  if (approxSize(original) + DEAD_LETTER_HEADROOM <= QUEUE_LIMITS.messageBytes) {
    // "v8" explicitly: the original may hold an ArrayBuffer body, which "json" would turn into {}.
    await env.DEAD_LETTER.send(letter, { contentType: "v8" });
  } else {
    await deadLetterStore(env).store(crypto.randomUUID(), letter);
  }
}

/**
 * The aae-dead-letter consumer: store each message. Our own DeadLetterMessages are stored as they
 * are; anything else reached this queue because the platform moved it after `max_retries`, so it
 * is the raw original: recognised and wrapped with `MAX_RETRIES_REASON`.
 */
export async function handleDeadLetterBatch(batch: MessageBatch, env: Env): Promise<void> {
  const store = deadLetterStore(env);
  const metrics = new BatchMetrics();
  await Promise.all(
    batch.messages.map(async (msg) => {
      const body: unknown = msg.body;
      const at = new Date().toISOString();
      try {
        if (isDeadLetterMessage(body)) await store.store(msg.id, body);
        else if (isIngestMessage(body)) await store.storeRaw(msg.id, "ingest", MAX_RETRIES_REASON, at, body);
        else if (isForwardMessage(body)) await store.storeRaw(msg.id, "forward", MAX_RETRIES_REASON, at, body);
        else {
          console.warn(JSON.stringify({ msg: "dead letter of unknown shape stored", id: msg.id }));
          await store.storeRaw(msg.id, "unknown", `${MAX_RETRIES_REASON} (unrecognised message)`, at, body);
        }
      } catch (error) {
        console.error(JSON.stringify({ msg: "dead letter store failed; retrying", id: msg.id, error: String(error) }));
        msg.retry({ delaySeconds: backoffSeconds(msg.attempts, INGEST_BACKOFF, Math.random()) });
        return;
      }
      msg.ack();
      metrics.count(deadLetterApp(body), "dead_letter", isDeadLetterMessage(body) ? body.from : isIngestMessage(body) ? "ingest" : isForwardMessage(body) ? "forward" : "unknown");
    }),
  );
  await flushBatchMetrics(env, metrics); // the dashboard's charts: one call per batch, never throws
}

/** The app a dead letter belongs to, for the charts ("_unknown" when its shape says none). */
function deadLetterApp(body: unknown): string {
  const original = isDeadLetterMessage(body) ? body.original : body;
  return isIngestMessage(original) || isForwardMessage(original) ? original.app : "_unknown";
}

/** One page, oldest first, filtered by app and/or origin, with the counts of all that match. */
export async function listDeadLetters(env: Env, opts: ListOptions = {}): Promise<DeadLetterPage> {
  return deadLetterStore(env).list(opts);
}

export async function getDeadLetter(env: Env, id: string): Promise<DeadLetterDetail | null> {
  return deadLetterStore(env).get(id);
}

/** Re-send the originals to their queues and remove them. Ids not found (or not redrivable) are `skipped`. */
export async function redriveDeadLetters(
  env: Env,
  ids: readonly string[],
): Promise<{ redriven: string[]; skipped: string[] }> {
  return deadLetterStore(env).redrive(ids);
}

export async function purgeDeadLetters(env: Env, ids: readonly string[]): Promise<{ purged: number }> {
  return deadLetterStore(env).purge(ids);
}
