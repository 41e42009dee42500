/** The Dedup Durable Object through its real RPC surface, on Miniflare's SQLite storage. */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Dedup } from "../../src/state/dedup.ts";

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

  it("forgets a done key after the window", async () => {
    const s = shard("dedup-test-window");
    const t = Date.now();
    await s.commit(["k"], 60, t);
    expect(await s.begin(["k"], 1000, "x", t + 59_999)).toEqual(["done"]);
    expect(await s.begin(["k"], 1000, "x", t + 60_000)).toEqual(["new"]);
    await runInDurableObject(s, async (_i: Dedup, state) => state.storage.deleteAlarm());
  });

  it("the alarm prunes expired keys and keeps live ones", async () => {
    const s = shard("dedup-test-alarm");
    await s.commit(["live"], WINDOW);
    // Rows whose window ended ten minutes ago, written directly so that no alarm fires on its own
    // before the test runs it (the live key's alarm is an hour away).
    const past = Date.now() - 10 * 60_000;
    await runInDurableObject(s, async (_i: Dedup, state) => {
      for (const key of ["old-1", "old-2"]) {
        state.storage.sql.exec(`INSERT INTO dedup_keys (key, state, owner, expires_at) VALUES (?, 'done', NULL, ?)`, key, past);
      }
    });
    expect(await s.size()).toBe(3);
    expect(await runDurableObjectAlarm(s)).toBe(true);
    expect(await s.size()).toBe(1);
    expect(await s.begin(["live"], 1000, "x")).toEqual(["done"]);
    // The next alarm is set for the live key's expiry; delete it (alarms outlive a test file's storage).
    const next = await runInDurableObject(s, async (_i: Dedup, state) => state.storage.getAlarm());
    expect(next).not.toBeNull();
    expect(next!).toBeGreaterThan(Date.now() + (WINDOW - 60) * 1000);
    await runInDurableObject(s, async (_i: Dedup, state) => state.storage.deleteAlarm());
  });

  it("keeps one alarm at the earliest expiry", async () => {
    const s = shard("dedup-test-alarm-earliest");
    const t = Date.now();
    await s.commit(["late"], 7200, t);
    await s.commit(["early"], 600, t);
    await s.commit(["later"], 9000, t);
    const alarm = await runInDurableObject(s, async (_i: Dedup, state) => state.storage.getAlarm());
    expect(alarm).toBe(t + 600_000);
    await runInDurableObject(s, async (_i: Dedup, state) => state.storage.deleteAlarm());
  });
});
