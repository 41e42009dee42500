/**
 * Runtime checks for queue message bodies. A queue body is whatever some producer sent (ours, an
 * older deploy's, the platform moving a message to the dead-letter queue, an operator's
 * `wrangler queues` test message), so consumers check the shape before trusting it.
 */
import type { DeadLetterMessage, ForwardMessage, IngestMessage } from "./messages.ts";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown): boolean {
  return v === undefined || typeof v === "string";
}

/**
 * `instanceof ArrayBuffer` fails for a buffer made in another realm (a queue message or RPC result
 * deserialised outside this module's context), so check the internal class tag instead.
 */
export function isArrayBuffer(v: unknown): v is ArrayBuffer {
  return Object.prototype.toString.call(v) === "[object ArrayBuffer]";
}

export function isIngestMessage(v: unknown): v is IngestMessage {
  if (!isRecord(v) || v.v !== 1) return false;
  if (typeof v.delivery_id !== "string" || typeof v.app !== "string" || typeof v.received_at !== "string") {
    return false;
  }
  if (!optionalString(v.spill)) return false;
  const hasBody = isArrayBuffer(v.body);
  if (v.body !== undefined && !hasBody) return false;
  return hasBody !== (typeof v.spill === "string");
}

/** `Date#toISOString` output, the only form we write: anything else is not our message. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** An ISO 8601 UTC timestamp that names a real instant (rejects 2026-13-45T...). */
export function isIsoTimestamp(v: unknown): v is string {
  return typeof v === "string" && ISO_UTC.test(v) && Number.isFinite(Date.parse(v));
}

export function isForwardMessage(v: unknown): v is ForwardMessage {
  if (!isRecord(v) || v.v !== 1) return false;
  if (typeof v.id !== "string" || typeof v.app !== "string") return false;
  if (!optionalString(v.json) || !optionalString(v.spill)) return false;
  if (v.held_since !== undefined && !isIsoTimestamp(v.held_since)) return false;
  return (typeof v.json === "string") !== (typeof v.spill === "string");
}

export function isDeadLetterMessage(v: unknown): v is DeadLetterMessage {
  if (!isRecord(v) || v.v !== 1) return false;
  if ((v.from !== "ingest" && v.from !== "forward") || typeof v.reason !== "string" || typeof v.at !== "string") {
    return false;
  }
  return v.from === "ingest" ? isIngestMessage(v.original) : isForwardMessage(v.original);
}
