import { describe, expect, it } from "vitest";
import { declaredLength, readBodyCapped } from "../../../src/webhook/read-body.ts";

/** A stream of the given chunks with no length: what a chunked upload looks like. */
function chunked(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
}

describe("readBodyCapped", () => {
  it("joins chunks into one exact buffer", async () => {
    const r = await readBodyCapped(chunked(new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4, 5])), 5);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([...r.bytes]).toEqual([1, 2, 3, 4, 5]);
    expect(r.bytes.buffer.byteLength).toBe(5);
  });

  it("a single chunk that is a view into a larger buffer is copied to an exact buffer", async () => {
    const big = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const r = await readBodyCapped(chunked(big.subarray(2, 5)), 10);
    expect(r.ok && [...new Uint8Array(r.bytes.buffer)]).toEqual([1, 2, 3]);
  });

  it("refuses a stream that crosses the cap, without needing a length", async () => {
    const r = await readBodyCapped(chunked(new Uint8Array(3), new Uint8Array(3)), 5);
    expect(r).toEqual({ ok: false, reason: "too_large" });
  });

  it("a stream that errors mid-way (sender aborted) is 'unreadable', not an exception", async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(3));
      },
      pull(c) {
        c.error(new Error("connection reset"));
      },
    });
    expect(await readBodyCapped(broken, 100)).toEqual({ ok: false, reason: "unreadable" });
  });

  it("no body is an empty body", async () => {
    const r = await readBodyCapped(null, 5);
    expect(r.ok && r.bytes.byteLength).toBe(0);
  });
});

describe("declaredLength", () => {
  it("reads plain decimals and ignores anything else", () => {
    expect(declaredLength("42")).toBe(42);
    expect(declaredLength(null)).toBeNull();
    expect(declaredLength("-1")).toBeNull();
    expect(declaredLength("1e9")).toBeNull();
    expect(declaredLength(" 5")).toBeNull();
  });
});
