/** The Dedup Durable Object through its real RPC surface, on Miniflare's SQLite storage. */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Dedup } from "../../src/state/dedup.ts";

const shard = (name: string) => env.DEDUP.getByName(name);
const WINDOW = 3600;

describe("Dedup shard", () => {
  it("answers new, then done once committed", async () => {
    const s = shard("dedup-test-basic");
    expect(await s.begin(["a:1", "a:2"], 30_000, "m1")).toEqual(["new", "new"]);
    await s.commit(["a:1", "a:2"], WINDOW);
    expect(await s.begin(["a:1", "a:2", "a:3"], 30_000, "m2")).toEqual(["done", "done", "new"]);
  });

  it("answers busy while another owner holds a live lease", async () => {
    const s = shard("dedup-test-busy");
    expect(await s.begin(["k"], 30_000, "owner-1")).toEqual(["new"]);
    expect(await s.begin(["k"], 30_000, "owner-2")).toEqual(["busy"]);
  });

  it("gives the same owner its lease back (a retried message after a crash)", async () => {
    const s = shard("dedup-test-same-owner");
    expect(await s.begin(["k"], 30_000, "owner-1")).toEqual(["new"]);
    expect(await s.begin(["k"], 30_000, "owner-1")).toEqual(["new"]);
  });

  it("lets anyone take an expired lease", async () => {
    const s = shard("dedup-test-expired-lease");
    const t = Date.now();
    expect(await s.begin(["k"], 1000, "owner-1", t)).toEqual(["new"]);
    expect(await s.begin(["k"], 1000, "owner-2", t + 999)).toEqual(["busy"]);
    expect(await s.begin(["k"], 1000, "owner-2", t + 1000)).toEqual(["new"]);
  });

  it("release drops only the caller's own lease, never a done key", async () => {
    const s = shard("dedup-test-release");
    await s.begin(["mine", "theirs", "done"], 30_000, "me");
    await s.commit(["done"], WINDOW);
    // "theirs" is taken over by another owner after ours expired (simulated with `now`).
    await s.begin(["theirs"], 30_000, "other", Date.now() + 60_000);
    await s.release(["mine", "theirs", "done"], "me");
    expect(await s.begin(["mine"], 30_000, "someone")).toEqual(["new"]);
    expect(await s.begin(["theirs"], 30_000, "someone", Date.now() + 61_000)).toEqual(["busy"]);
    expect(await s.begin(["done"], 30_000, "someone")).toEqual(["done"]);
  });

  it("forgets a done key once its bucket's window has passed (at least the window, at most one bucket more)", async () => {
    const s = shard("dedup-test-window");
    const t = Date.now();
    await s.commit(["k"], 60, t);
    // A 60 s window has 60 s buckets: the key is done for at least 60 s and less than 120 s.
    expect(await s.begin(["k"], 1000, "x", t + 59_999)).toEqual(["done"]);
    expect(await s.begin(["k"], 1000, "x", t + 120_000)).toEqual(["new"]);
    await runInDurableObject(s, async (_i: Dedup, state) => state.storage.deleteAlarm());
  });

  it("keeps short-window keys (a migrating app's pair claims) in their own family, for exactly their window", async () => {
    const s = shard("dedup-test-short");
    // At the start of yesterday (and of a 15-minute span): the long and short buckets share a start.
    const t = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;
    await s.commit(["long"], 86_400, t, "key:16");
    await s.commit(["pair"], 900, t + 1000, "key:16", "short");
    await s.commit(["late-pair"], 900, t + 800_000, "key:16", "short");
    expect(await s.begin(["long", "pair", "late-pair"], 1000, "x", t + 900_999)).toEqual(["done", "done", "done"]);
    // 15 minutes after its commit a pair key is new again; the long key, in its day bucket, is not.
    expect(await s.begin(["long", "pair", "late-pair"], 1000, "y", t + 901_000)).toEqual(["done", "new", "done"]);
    expect(await s.begin(["late-pair"], 1000, "z", t + 1_700_000)).toEqual(["new"]);
    const tables = await runInDurableObject(s, async (_i: Dedup, state) =>
      state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'done_%' OR name LIKE 'short_%') ORDER BY name`).toArray().map((r) => r.name),
    );
    expect(tables).toEqual([`done_${t / 1000}`, `short_${t / 1000}_900`]);
    // A restarted object reads both families back; the alarm drops the short bucket, keeps the day.
    expect(await runInDurableObject(s, async (_i: Dedup, state) => new Dedup(state, env).bucketCount())).toBe(2);
    expect(await runDurableObjectAlarm(s)).toBe(true);
    expect(await s.bucketCount()).toBe(1);
    expect(await s.begin(["long"], 1000, "w")).toEqual(["done"]);
    await runInDurableObject(s, async (_i: Dedup, state) => state.storage.deleteAlarm());
  });

  it("takes leases without writing to storage: only a commit writes, one row per key", async () => {
    const s = shard("dedup-test-rows");
    await s.commit(["warm"], WINDOW);
    const rows = () =>
      runInDurableObject(s, async (_i: Dedup, state) => {
        const names = state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'done_%'`).toArray();
        return names.reduce((n, { name }) => n + state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${name}`).one().n, 0);
      });
    expect(await rows()).toBe(1);
    expect(await s.begin(["a", "b", "c"], 30_000, ["m1", "m2", "m3"])).toEqual(["new", "new", "new"]);
    expect(await rows()).toBe(1);
    await s.commit(["a", "b", "c"], WINDOW);
    expect(await rows()).toBe(4);
    await runInDurableObject(s, async (_i: Dedup, state) => state.storage.deleteAlarm());
  });

  it("answers per key for several owners in one call (one call per shard per batch)", async () => {
    const s = shard("dedup-test-owners");
    expect(await s.begin(["x", "y"], 30_000, ["m1", "m2"])).toEqual(["new", "new"]);
    expect(await s.begin(["x", "y"], 30_000, ["m1", "m3"])).toEqual(["new", "busy"]);
  });

  it("a restarted object has lost its leases: another consumer may publish too (a duplicate, never a loss)", async () => {
    const s = shard("dedup-test-restart");
    expect(await s.begin(["k"], 30_000, "m1")).toEqual(["new"]);
    const fresh = await runInDurableObject(s, async (_i: Dedup, state) => new Dedup(state, env).begin(["k"], 30_000, "m2"));
    expect(fresh).toEqual(["new"]);
  });

  it("drops a bucket whole once its window has passed, and keeps the live ones", async () => {
    const s = shard("dedup-test-alarm");
    const now = Date.now();
    await s.commit(["old-1", "old-2"], WINDOW, now - 3 * 3600_000);
    await s.commit(["live"], WINDOW, now);
    expect(await s.size()).toBe(3);
    expect(await s.bucketCount()).toBe(2);
    expect(await runDurableObjectAlarm(s)).toBe(true);
    expect(await s.size()).toBe(1);
    expect(await s.bucketCount()).toBe(1);
    expect(await s.begin(["live", "old-1"], 1000, "x")).toEqual(["done", "new"]);
    const tables = await runInDurableObject(s, async (_i: Dedup, state) =>
      state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'done_%'`).toArray().length,
    );
    expect(tables).toBe(1);
    // The next alarm is the live bucket's drop; delete it (alarms outlive a test file's storage).
    const next = await runInDurableObject(s, async (_i: Dedup, state) => state.storage.getAlarm());
    expect(next!).toBeGreaterThan(now + WINDOW * 1000);
    await runInDurableObject(s, async (_i: Dedup, state) => state.storage.deleteAlarm());
  });

  it("holds at most window + one bucket of keys at any sustained rate", async () => {
    const s = shard("dedup-test-bounded");
    const t0 = Date.now() - 10 * 24 * 3600_000;
    // Ten days of commits, one every 4 hours, with a one-day window: old buckets are dropped as we go.
    for (let h = 0; h < 240; h += 4) {
      await s.commit([`k${h}`], 86_400, t0 + h * 3600_000);
      if (h % 24 === 20) await runDurableObjectAlarm(s);
    }
    await runDurableObjectAlarm(s);
    // Only buckets whose drop time is still ahead remain: at most 2 one-day buckets.
    expect(await s.bucketCount()).toBeLessThanOrEqual(2);
    expect(await s.size()).toBeLessThanOrEqual(12);
    await runInDurableObject(s, async (_i: Dedup, state) => state.storage.deleteAlarm());
  });

  it("still answers done for keys in the previous design's table, and drops it once they expire", async () => {
    const s = shard("dedup-test-legacy");
    const now = Date.now();
    const answers = await runInDurableObject(s, async (_i: Dedup, state) => {
      state.storage.sql.exec(`CREATE TABLE dedup_keys (key TEXT PRIMARY KEY, state TEXT NOT NULL, owner TEXT, expires_at INTEGER NOT NULL)`);
      state.storage.sql.exec(`INSERT INTO dedup_keys VALUES ('old-done', 'done', NULL, ?), ('old-lease', 'lease', 'm', ?)`, now + 3600_000, now + 3600_000);
      const upgraded = new Dedup(state, env);
      const before = await upgraded.begin(["old-done", "old-lease"], 1000, "x", now);
      const whileLive = upgraded.size();
      await upgraded.alarm(); // keys still live: the table stays
      const kept = state.storage.sql.exec(`SELECT 1 FROM sqlite_master WHERE name = 'dedup_keys'`).toArray().length;
      state.storage.sql.exec(`UPDATE dedup_keys SET expires_at = ?`, now - 1);
      await upgraded.alarm();
      const dropped = state.storage.sql.exec(`SELECT 1 FROM sqlite_master WHERE name = 'dedup_keys'`).toArray().length;
      await state.storage.deleteAlarm();
      return { before, whileLive, kept, dropped };
    });
    expect(answers).toEqual({ before: ["done", "new"], whileLive: 1, kept: 1, dropped: 0 });
  });
});
