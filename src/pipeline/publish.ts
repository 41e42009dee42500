/**
 * Publisher: envelopes onto EVENTS (and FORWARD when forwarding is configured).
 *
 * Wire format (docs/pipeline.md "What a consumer receives"): each EVENTS message is the envelope
 * serialised once by `serialiseEnvelope`, sent with `contentType: "text"`, so a consumer's
 * `message.body` is that JSON text, byte for byte. Why not "json" or the default "v8": envelopes
 * hold 64-bit ids as `JSON.rawJSON` values; structured clone ("v8") turns those into plain
 * `{rawJSON: "..."}` objects, and "json" hands the consumer a `JSON.parse`d object whose ids have
 * already been rounded. Text leaves the choice of parser (and every digit) to the consumer.
 *
 * Limits (QUEUE_LIMITS): at most 100 messages and 256 KB per sendBatch, 128 KB per message.
 * An envelope too large for one message is spilled to the app's Spool under `env:<id>` and a stub
 * (the envelope without `event`/`users`/`apps`/`includes`, plus `spill`) is sent instead; the full
 * text is served by the admin API (`readSpilledEnvelope`).
 */
import type { Envelope } from "../events/envelope.ts";
import { serialiseEnvelope } from "../events/normalise.ts";
import type { ForwardMessage } from "./messages.ts";
import { QUEUE_LIMITS } from "./messages.ts";

const UTF8 = new TextEncoder();

/** Room left in each message for the platform's own metadata. */
const MESSAGE_OVERHEAD_BYTES = 1024;
/** Largest body sent inline; larger envelopes are spilled. */
export const MAX_INLINE_ENVELOPE_BYTES = QUEUE_LIMITS.messageBytes - MESSAGE_OVERHEAD_BYTES;
/** Spilled envelopes outlive the queue's retention and the forwarder's retry horizon. */
export const SPILLED_ENVELOPE_TTL_SECONDS = 14 * 24 * 3600;
/**
 * Bytes a string takes in a "v8" (structured clone) queue message. V8 keeps a string one byte per
 * character only while every character is Latin-1; one character above U+00FF (an emoji, a CJK
 * character) makes the whole string two bytes per character. So a 70 KB ASCII envelope with one
 * emoji is a 140 KB FORWARD message, over the 128 KB limit, though its UTF-8 is 70 KB.
 */
export function v8StringBytes(text: string): number {
  return /[^\u0000-\u00ff]/.test(text) ? text.length * 2 : text.length;
}

/** Upper estimate of a ForwardMessage's size as a "v8" message: its strings plus 256 bytes of structure. */
export function forwardMessageBytes(m: ForwardMessage): number {
  const strings = [m.id, m.app, m.json ?? "", m.spill ?? "", m.held_since ?? ""];
  return strings.reduce((total, s) => total + v8StringBytes(s), 0) + 256;
}

/** The spill key of an envelope. */
export function envelopeSpillKey(id: string): string {
  return `env:${id}`;
}

/** What travels instead of an envelope too large for a queue message. */
export type SpilledEnvelopeStub = Omit<Envelope, "event" | "users" | "apps" | "includes"> & {
  event: null;
  /** Where the full envelope is: fetch it from the admin API with this app and key. */
  spill: { app: string; key: string; bytes: number };
};

export interface Sized<T> {
  item: T;
  bytes: number;
}

/**
 * Split items into sendBatch-sized groups, preserving order: each group has at most
 * `maxMessages` items and at most `maxBytes` bytes (each item costing `bytes + overheadBytes`).
 * Pure. An item larger than `maxBytes` on its own still gets a group (the caller keeps items
 * under the per-message limit, which is below `maxBytes`).
 */
export function chunkForSendBatch<T>(
  items: readonly Sized<T>[],
  maxMessages: number = QUEUE_LIMITS.batchMessages,
  maxBytes: number = QUEUE_LIMITS.batchBytes,
  overheadBytes: number = MESSAGE_OVERHEAD_BYTES,
): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const { item, bytes } of items) {
    const cost = bytes + overheadBytes;
    if (current.length > 0 && (current.length >= maxMessages || size + cost > maxBytes)) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += cost;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** The stub sent in place of a spilled envelope. */
export function spilledStub(envelope: Envelope, key: string, bytes: number): SpilledEnvelopeStub {
  const { event: _e, users: _u, apps: _a, includes: _i, ...rest } = envelope;
  return { ...rest, event: null, spill: { app: envelope.app, key, bytes } };
}

interface Prepared {
  envelope: Envelope;
  /** The full serialised envelope. */
  text: string;
  bytes: number;
  /** Set when the full text was spilled. */
  spillKey?: string;
  /** What goes on EVENTS: `text`, or the stub's JSON when spilled. */
  eventsBody: string;
  eventsBytes: number;
}

async function prepare(env: Env, envelope: Envelope): Promise<Prepared> {
  const text = serialiseEnvelope(envelope);
  const encoded = UTF8.encode(text);
  // EVENTS carries it as UTF-8 text, FORWARD inside a "v8" message: it must fit both.
  if (Math.max(encoded.byteLength, v8StringBytes(text)) <= MAX_INLINE_ENVELOPE_BYTES) {
    return { envelope, text, bytes: encoded.byteLength, eventsBody: text, eventsBytes: encoded.byteLength };
  }
  const key = envelopeSpillKey(envelope.id);
  await env.SPOOL.getByName(envelope.app).putSpill(key, new Uint8Array(encoded).buffer, SPILLED_ENVELOPE_TTL_SECONDS);
  const stub = JSON.stringify(spilledStub(envelope, key, encoded.byteLength));
  return {
    envelope,
    text,
    bytes: encoded.byteLength,
    spillKey: key,
    eventsBody: stub,
    eventsBytes: UTF8.encode(stub).byteLength,
  };
}

function forwardMessage(p: Prepared): ForwardMessage {
  return p.spillKey !== undefined
    ? { v: 1, id: p.envelope.id, app: p.envelope.app, spill: p.spillKey }
    : { v: 1, id: p.envelope.id, app: p.envelope.app, json: p.text };
}

/** One envelope's message on one queue, and the group (ingest message) it belongs to. */
interface Outgoing<K, T> {
  group: K;
  body: T;
  bytes: number;
}

/**
 * Publish the envelopes (already deduplicated) of a whole consumer batch, given as groups (one
 * per ingest message, each in delivery order): to EVENTS (unless `toEvents` is false:
 * `PUBLISH_EVENTS=false`, no consumer bound), and to FORWARD those `forwarding` accepts (per
 * envelope: its app's destination and `forward_types`, see `shouldForward`); an envelope no
 * destination wants makes no FORWARD hop.
 *
 * The sends are per batch, not per message: every group's EVENTS messages in batch order, chunked
 * to sendBatch's limits (100 messages, 256 KB), then the FORWARD messages the same way. A batch of
 * 50 one-event deliveries is one EVENTS and one FORWARD call, not 50 of each.
 *
 * Returns the keys of the groups that were NOT wholly published, with the error: a group whose spill failed,
 * or with a message in a chunk that failed or was not tried after an earlier chunk failed. The
 * caller releases their dedup leases and retries them (envelopes of theirs already sent may be
 * sent twice, never lost). Every other group is on every queue it should be on.
 */
export async function publishGroups<K>(
  env: Env,
  groups: readonly { key: K; envelopes: readonly Envelope[] }[],
  forwarding: (envelope: Envelope) => boolean,
  toEvents: boolean = true,
): Promise<Map<K, unknown>> {
  const failed = new Map<K, unknown>();
  // Spills are per group (rare); within a group sequential, so the sends keep the event order.
  const prepared = await Promise.all(
    groups.map(async ({ key, envelopes }) => {
      const out: Prepared[] = [];
      try {
        for (const e of envelopes) out.push(await prepare(env, e));
      } catch (error) {
        failed.set(key, error);
      }
      return { group: key, out };
    }),
  );

  const send = async <T>(outgoing: Outgoing<K, T>[], sendBatch: (chunk: Outgoing<K, T>[]) => Promise<unknown>): Promise<void> => {
    const chunks = chunkForSendBatch(outgoing.filter((o) => !failed.has(o.group)).map((o) => ({ item: o, bytes: o.bytes })));
    for (const [i, chunk] of chunks.entries()) {
      try {
        await sendBatch(chunk);
      } catch (error) {
        // This chunk and every later one: not (known to be) sent.
        for (const o of chunks.slice(i).flat()) if (!failed.has(o.group)) failed.set(o.group, error);
        return;
      }
    }
  };

  if (toEvents) {
    const events = prepared.flatMap(({ group, out }) => out.map((p) => ({ group, body: p.eventsBody, bytes: p.eventsBytes })));
    await send(events, (chunk) => env.EVENTS.sendBatch(chunk.map((o) => ({ body: o.body, contentType: "text" as const }))));
  }
  const forwards = prepared.flatMap(({ group, out }) =>
    out
      .filter((p) => forwarding(p.envelope))
      .map((p) => {
        const body = forwardMessage(p);
        return { group, body, bytes: forwardMessageBytes(body) };
      }),
  );
  await send(forwards, (chunk) => env.FORWARD.sendBatch(chunk.map((o) => ({ body: o.body, contentType: "v8" as const }))));
  return failed;
}

/**
 * The full text of a spilled envelope, for the admin endpoint that serves it to consumers who
 * received a stub (`spill.app`, `spill.key`), and for the forwarder. Null when it expired, never
 * existed, or the key is not an envelope key.
 */
export async function readSpilledEnvelope(env: Env, app: string, key: string): Promise<string | null> {
  // Only envelope spills: raw deliveries share the Spool but are not served through this door.
  if (!key.startsWith(envelopeSpillKey(""))) return null;
  const buf = await env.SPOOL.getByName(app).getSpill(key);
  return buf === null ? null : new TextDecoder("utf-8").decode(buf);
}
