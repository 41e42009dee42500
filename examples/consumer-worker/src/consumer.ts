/**
 * The queue handler of the example consumer Worker (src/index.ts is its main module and exports
 * only the handler: workerd treats every named export of a main module as an entrypoint, so
 * helpers and constants live here).
 *
 * Delivery is at least once: the receiver, Cloudflare Queues and X itself can each hand you the
 * same event twice. Make your effect idempotent on `envelope.id` (stable per X event and
 * subscribed user), e.g. `INSERT ... ON CONFLICT(id) DO NOTHING`; then at-least-once delivery
 * gives an exactly-once effect. Order is not guaranteed: use `created_at` if you need it.
 *
 * Each message is decided on its own:
 * - processed: `ack()`;
 * - can never succeed (not an envelope, spilled body expired, your code threw `PermanentError`):
 *   logged, then `ack()`, so it does not block the queue for `max_retries` attempts;
 * - anything else (your database is down, a bug you will fix): `retry()` with a growing delay;
 *   after `max_retries` Cloudflare moves it to this Worker's dead letter queue.
 */
import { isSpillStub, NotAnEnvelopeError, parseEnvelope, type ConsumedEnvelope } from "./envelope.ts";

export { parseEnvelope, isSpillStub, NotAnEnvelopeError, type ConsumedEnvelope } from "./envelope.ts";

/** The one method this Worker calls on the receiver's Spool Durable Object. */
export interface SpoolReader {
  getSpill(key: string): Promise<ArrayBuffer | null>;
}

export interface ConsumerEnv {
  /** The receiver's Spool (cross-script binding in wrangler.toml); only needed for spilled envelopes. */
  SPOOL?: { getByName(name: string): SpoolReader };
}

/** Throw this from your `process` function for input that no retry can fix. */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
}

/** Your effect for one envelope. Must be idempotent on `envelope.id` (see the file comment). */
export type ProcessEnvelope = (envelope: ConsumedEnvelope, env: ConsumerEnv) => Promise<void>;

/** Base and ceiling of the retry delay, seconds. */
export const RETRY_BASE_SECONDS = 5;
export const RETRY_MAX_SECONDS = 600;

/** Delay before the next attempt: doubles per attempt (1-based), capped. */
export function retryDelaySeconds(attempts: number): number {
  const exponent = Math.max(0, Math.min(attempts, 20) - 1);
  return Math.min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** exponent);
}

/** The full envelope for a stub, read from the receiver's Spool; null when it has expired. */
async function unspill(envelope: ConsumedEnvelope & { spill: { app: string; key: string } }, env: ConsumerEnv): Promise<ConsumedEnvelope | null> {
  // Missing binding is a deployment mistake you can fix: thrown, so the message is retried.
  if (env.SPOOL === undefined) throw new Error("SPOOL binding missing: cannot read a spilled envelope");
  const bytes = await env.SPOOL.getByName(envelope.spill.app).getSpill(envelope.spill.key);
  return bytes === null ? null : parseEnvelope(new TextDecoder("utf-8").decode(bytes));
}

type Decision = { ack: true; reason?: string } | { ack: false; error: string };

async function decide(message: Message<unknown>, env: ConsumerEnv, process: ProcessEnvelope): Promise<Decision> {
  try {
    let envelope = parseEnvelope(message.body);
    if (isSpillStub(envelope)) {
      const full = await unspill(envelope, env);
      if (full === null) return { ack: true, reason: `spilled envelope ${envelope.id} is gone (kept 14 days)` };
      envelope = full;
    }
    await process(envelope, env);
    return { ack: true };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    // Only these two mean "never": anything else may work next time.
    if (error instanceof PermanentError || error instanceof NotAnEnvelopeError) return { ack: true, reason: text };
    return { ack: false, error: text };
  }
}

/** A queue handler that runs `process` once per envelope and acks or retries each message. */
export function createQueueHandler(process: ProcessEnvelope) {
  return async (batch: MessageBatch<unknown>, env: ConsumerEnv): Promise<void> => {
    await Promise.all(
      batch.messages.map(async (message) => {
        const decision = await decide(message, env, process);
        if (decision.ack) {
          if (decision.reason !== undefined) console.error(`dropping message ${message.id}: ${decision.reason}`);
          message.ack();
        } else {
          const delaySeconds = retryDelaySeconds(message.attempts);
          console.warn(`retrying message ${message.id} (attempt ${message.attempts}) in ${delaySeconds}s: ${decision.error}`);
          message.retry({ delaySeconds });
        }
      }),
    );
  };
}

/** The example's effect: one log line per event ("consumed <type> <id> ..."). Replace it with yours. */
export const logEnvelope: ProcessEnvelope = async (envelope) => {
  console.log(`consumed ${envelope.type} ${envelope.id} for ${envelope.for_user_id ?? "-"} at ${envelope.created_at ?? "?"}`);
};

