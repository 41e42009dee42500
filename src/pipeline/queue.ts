/**
 * The Worker's `queue()` handler: route a batch to its consumer by queue name. Names are matched
 * by prefix so a deployment can suffix its queues (`aae-ingest-staging`) without code changes.
 */
import { handleIngestBatch } from "./ingest.ts";
import { handleForwardBatch } from "./forward.ts";
import { handleDeadLetterBatch } from "./dead-letter.ts";

/** Retry delay for a batch from a queue this Worker does not know (a binding mistake). */
const UNKNOWN_QUEUE_RETRY_SECONDS = 300;

export async function handleQueue(batch: MessageBatch, env: Env, _ctx: ExecutionContext): Promise<void> {
  // Most specific first: "aae-dead-letter" must not be mistaken for another prefix.
  if (batch.queue.startsWith("aae-dead-letter")) return handleDeadLetterBatch(batch, env);
  if (batch.queue.startsWith("aae-ingest")) return handleIngestBatch(batch, env);
  if (batch.queue.startsWith("aae-forward")) return handleForwardBatch(batch, env);
  // Not ours to drop: retry (the platform dead-letters it after max_retries, if configured).
  console.error(JSON.stringify({ msg: "batch from unknown queue; retrying", queue: batch.queue, size: batch.messages.length }));
  for (const msg of batch.messages) msg.retry({ delaySeconds: UNKNOWN_QUEUE_RETRY_SECONDS });
}
