/**
 * Read a request body with a byte cap, so a chunked upload with no Content-Length (or a lying
 * one) cannot make the Worker buffer more than `maxBytes`. Reading stops at the first chunk that
 * crosses the cap and the stream is cancelled.
 */

export type CappedBody =
  | { ok: true; bytes: Uint8Array<ArrayBuffer> }
  | { ok: false; reason: "too_large" }
  /** The sender aborted or the stream errored: the caller's fault, never a 500. */
  | { ok: false; reason: "unreadable" };

/**
 * The whole body as one Uint8Array whose `buffer` is exactly its bytes (so it can go into a
 * queue message or an RPC call as an ArrayBuffer without copying again).
 */
export async function readBodyCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<CappedBody> {
  if (body === null) return { ok: true, bytes: new Uint8Array(new ArrayBuffer(0)) };
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      return { ok: false, reason: "unreadable" };
    }
    const { done, value } = chunk;
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Nothing more is needed from the sender; cancelling may fail if the stream already errored.
      await reader.cancel().catch(() => undefined);
      return { ok: false, reason: "too_large" };
    }
    parts.push(value);
  }
  const only = parts.length === 1 ? parts[0]! : undefined;
  if (only !== undefined && only.buffer instanceof ArrayBuffer && only.byteOffset === 0 && only.buffer.byteLength === total) {
    return { ok: true, bytes: new Uint8Array(only.buffer) };
  }
  const bytes = new Uint8Array(new ArrayBuffer(total));
  let offset = 0;
  for (const p of parts) {
    bytes.set(p, offset);
    offset += p.byteLength;
  }
  return { ok: true, bytes };
}

/**
 * The declared Content-Length if it is a plain decimal number, else null (absent or garbage:
 * the streaming cap still applies, so a bad header is never trusted either way).
 */
export function declaredLength(header: string | null): number | null {
  if (header === null || !/^\d{1,15}$/.test(header)) return null;
  return Number(header);
}
