/**
 * Shapes of the messages on this Worker's queues. Versioned (`v`) so a consumer can tell an old
 * message from a new one across a deploy.
 */

/** INGEST: one verified HTTP delivery from X, as received. Sent before X gets its 200. */
export interface IngestMessage {
  v: 1;
  /** Unique per HTTP delivery (a UUID made on receipt). */
  delivery_id: string;
  app: string;
  /** ISO 8601 time the Worker accepted the delivery. */
  received_at: string;
  /** The exact request body bytes X signed. Absent when the body was spilled (see `spill`). */
  body?: ArrayBuffer;
  /**
   * Set when the body was too large for one queue message: it was stored durably under this key
   * (in the app's Spool Durable Object, `env.SPOOL.getByName(app)`) before the message was sent.
   */
  spill?: string;
}

/** FORWARD: one envelope to POST to FORWARD_URL. */
export interface ForwardMessage {
  v: 1;
  /** Envelope id; becomes the Standard Webhooks `webhook-id`. */
  id: string;
  app: string;
  /** The envelope serialised once, lossless: posted byte for byte. Absent when spilled. */
  json?: string;
  /** Key of a spilled envelope too large for one queue message. */
  spill?: string;
  /**
   * ISO 8601 (`Date#toISOString`, UTC) time the forward gate first held this envelope back
   * (circuit open or rate limited). Set on the copy the forwarder re-sends instead of retrying,
   * so holds use no queue attempts; the forwarder dead-letters a message held longer than
   * `FORWARD_MAX_HOLD_HOURS`. Absent until the first hold (and on messages from older deploys).
   */
  held_since?: string;
}

/**
 * DEAD_LETTER: a message that can never succeed, with the reason, for listing and redrive.
 * Send it with `contentType: "v8"`: an ingest original holds an ArrayBuffer, which "json" drops.
 */
export interface DeadLetterMessage {
  v: 1;
  /** Which queue it came from. */
  from: "ingest" | "forward";
  reason: string;
  /** ISO 8601 time it was dead-lettered. */
  at: string;
  /** The original message body. */
  original: IngestMessage | ForwardMessage;
}

/** Cloudflare Queues limits (https://developers.cloudflare.com/queues/platform/limits/). */
export const QUEUE_LIMITS = {
  /** Largest single message, bytes. */
  messageBytes: 128 * 1024,
  /** Most messages in one sendBatch. */
  batchMessages: 100,
  /** Largest sendBatch, bytes. */
  batchBytes: 256 * 1024,
} as const;
