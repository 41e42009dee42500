/**
 * Spool Durable Object against Miniflare's real SQLite storage: round trip, chunking past the
 * 2 MB row limit, replace, delete, expiry on read, and alarm pruning.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SPILL_CHUNK_BYTES, type Spool } from "../../src/state/spool.ts";

function bytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  // A 251-byte (prime) pattern repeated: chunk boundaries never line up with it, so a misordered
  // or shifted chunk changes the bytes.
  const pattern = new Uint8Array(251);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 31 + seed) & 0xff;
  const out = new Uint8Array(new ArrayBuffer(n));
  for (let i = 0; i < n; i += pattern.length) out.set(pattern.subarray(0, Math.min(pattern.length, n - i)), i);
  return out;
}

async function digest(data: ArrayBuffer | Uint8Array<ArrayBuffer>): Promise<string> {
  return btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", data))));
}

const stub = (name: string) => env.SPOOL.getByName(name);

describe("Spool", () => {
  it("stores and returns a body byte for byte", async () => {
    const s = stub("spool-roundtrip");
    const body = bytes(300_000, 1);
    await s.putSpill("k1", body.buffer);
    const got = await s.getSpill("k1");
    expect(got && new Uint8Array(got)).toEqual(body);
    expect(await s.getSpill("absent")).toBeNull();
  });

  it("an empty body round-trips as empty, not as missing", async () => {
    const s = stub("spool-empty");
    await s.putSpill("e", new ArrayBuffer(0));
    const got = await s.getSpill("e");
    expect(got).not.toBeNull();
    expect(got!.byteLength).toBe(0);
  });

  it("bodies over the 2 MB value limit are chunked across rows and reassembled", async () => {
    const s = stub("spool-chunked");
    const body = bytes(5 * 1_048_576 + 123, 7);
    await s.putSpill("big", body.buffer);
    const got = await s.getSpill("big");
    expect(got?.byteLength).toBe(body.byteLength);
    // Digests instead of a 5 MB element-by-element diff: same verdict, far faster.
    expect(await digest(got!)).toBe(await digest(body));
    const rows = await runInDurableObject(s, (_o: Spool, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM spill_chunk WHERE key = 'big'").one().n,
    );
    expect(rows).toBe(Math.ceil(body.byteLength / SPILL_CHUNK_BYTES));
  });

  it("putting the same key again replaces the body (no stale chunks)", async () => {
    const s = stub("spool-replace");
    await s.putSpill("k", bytes(3 * SPILL_CHUNK_BYTES, 1).buffer);
    const small = bytes(10, 2);
    await s.putSpill("k", small.buffer);
    const got = await s.getSpill("k");
    expect(got && new Uint8Array(got)).toEqual(small);
  });

  it("deleteSpill removes it; deleting an absent key is fine", async () => {
    const s = stub("spool-delete");
    await s.putSpill("d", bytes(2 * SPILL_CHUNK_BYTES + 1, 3).buffer);
    await s.deleteSpill("d");
    await s.deleteSpill("never-there");
    expect(await s.getSpill("d")).toBeNull();
    const left = await runInDurableObject(s, (_o: Spool, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM spill_chunk").one().n,
    );
    expect(left).toBe(0);
  });

  it("refuses a non-positive TTL", async () => {
    // Called on the instance: an error thrown across RPC is reported as unhandled by the test pool.
    const message = await runInDurableObject(stub("spool-ttl"), (o: Spool) =>
      o.putSpill("x", new ArrayBuffer(1), 0).then(() => "stored", (e: unknown) => String(e)),
    );
    expect(message).toMatch(/ttlSeconds/);
  });

  it("an expired spill reads as null, and the alarm prunes it while keeping live ones", async () => {
    const s = stub("spool-expiry");
    await s.putSpill("old", bytes(SPILL_CHUNK_BYTES + 5, 4).buffer);
    const live = bytes(100, 5);
    await s.putSpill("live", live.buffer);
    // Age "old" past its TTL by rewriting its expiry (no waiting: tests are not timed).
    await runInDurableObject(s, (_o: Spool, state) => {
      state.storage.sql.exec("UPDATE spill SET expires_at = ? WHERE key = 'old'", Date.now() - 1);
    });
    expect(await s.getSpill("old")).toBeNull();
    expect(await runDurableObjectAlarm(s)).toBe(true);
    const keys = await runInDurableObject(s, (_o: Spool, state) => ({
      heads: state.storage.sql.exec<{ key: string }>("SELECT key FROM spill ORDER BY key").toArray().map((r) => r.key),
      chunks: state.storage.sql.exec<{ key: string }>("SELECT DISTINCT key FROM spill_chunk").toArray().map((r) => r.key),
    }));
    expect(keys).toEqual({ heads: ["live"], chunks: ["live"] });
    const got = await s.getSpill("live");
    expect(got && new Uint8Array(got)).toEqual(live);
    // Re-armed for the live spill's expiry.
    const alarm = await runInDurableObject(s, (_o: Spool, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
  });
});
