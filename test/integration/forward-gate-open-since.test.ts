/**
 * When the forward destination's current outage began (`open_since` in the gate's table,
 * src/pipeline/forward-gate-store.ts): set when the circuit opens, unchanged by a failed probe,
 * cleared by a success; and the migration of a table created before the column existed. On the
 * real SQLite storage of DeadLetters Durable Objects, with the clock passed in.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BASE_COOL_DOWN_MS, FAILURE_THRESHOLD } from "../../src/pipeline/circuit-breaker.ts";
import { ForwardGateStore } from "../../src/pipeline/forward-gate-store.ts";

const DEST = "https://hooks.example.test/in/token";
const T0 = 1_800_000_000_000;
const FAIL = Array<boolean>(FAILURE_THRESHOLD).fill(false);

function unique(prefix: string): string {
  return `${prefix}-${Math.floor(Math.random() * 1e9)}`;
}

describe("forward gate open-since", () => {
  it("is set when the circuit opens, kept through a failed probe, cleared by a success", async () => {
    await runInDurableObject(env.DEAD_LETTERS.getByName(unique("gate-since")), (_i, state) => {
      const gate = new ForwardGateStore(state.storage.sql);
      gate.record(DEST, FAIL.slice(1), T0);
      expect(gate.inspect(DEST, T0)).toMatchObject({ phase: "closed", openSince: 0 });
      gate.record(DEST, [false], T0 + 1000);
      expect(gate.inspect(DEST, T0 + 1000)).toMatchObject({ phase: "open", openSince: T0 + 1000 });

      // Cool-down over: the probe is admitted, fails, the circuit re-opens: the same outage.
      const probeAt = T0 + 1000 + BASE_COOL_DOWN_MS;
      expect(gate.admit(DEST, 1, null, probeAt).allowed).toBe(1);
      gate.record(DEST, [false], probeAt);
      expect(gate.inspect(DEST, probeAt)).toMatchObject({ phase: "open", openSince: T0 + 1000 });

      const later = probeAt + 2 * BASE_COOL_DOWN_MS;
      expect(gate.admit(DEST, 1, null, later).allowed).toBe(1);
      gate.record(DEST, [true], later);
      expect(gate.inspect(DEST, later)).toMatchObject({ phase: "closed", openSince: 0 });

      // A new outage starts a new clock.
      gate.record(DEST, FAIL, later + 5000);
      expect(gate.inspect(DEST, later + 5000).openSince).toBe(later + 5000);
    });
  });

  it("gateInspect (the RPC the admin view and the cron read) reports it", async () => {
    const stub = env.DEAD_LETTERS.getByName(unique("gate-since-rpc"));
    await stub.gateRecord(DEST, FAIL);
    const seen = await stub.gateInspect(DEST);
    expect(seen.phase).toBe("open");
    expect(seen.openSince).toBeGreaterThan(0);
    expect(seen.openSince).toBe(seen.openUntil - seen.coolDownMs);
  });

  it("migrates a table created without the column: open rows get their last opening, closed rows 0", async () => {
    await runInDurableObject(env.DEAD_LETTERS.getByName(unique("gate-migrate")), (_i, state) => {
      const sql = state.storage.sql;
      // The table as the previous release created it.
      sql.exec(`DROP TABLE IF EXISTS forward_gate`);
      sql.exec(`CREATE TABLE forward_gate (
        destination TEXT PRIMARY KEY, failures INTEGER NOT NULL, open_until INTEGER NOT NULL,
        cool_down_ms INTEGER NOT NULL, probe_until INTEGER NOT NULL, tokens REAL NOT NULL, tokens_at INTEGER NOT NULL)`);
      sql.exec(`INSERT INTO forward_gate VALUES (?, 5, ?, 60000, 0, 1e9, ?)`, DEST, T0 + 60_000, T0);
      sql.exec(`INSERT INTO forward_gate VALUES ('https://fine.example.test/', 2, 0, 30000, 0, 1e9, ?)`, T0);

      const gate = new ForwardGateStore(sql);
      expect(gate.inspect(DEST, T0 + 1000)).toMatchObject({ phase: "open", failures: 5, openSince: T0 });
      expect(gate.inspect("https://fine.example.test/", T0)).toMatchObject({ phase: "closed", failures: 2, openSince: 0 });
      // Idempotent: a second construction neither fails nor changes the rows.
      expect(new ForwardGateStore(sql).inspect(DEST, T0 + 1000).openSince).toBe(T0);
      // And the migrated table keeps working: a success clears it.
      gate.record(DEST, [true], T0 + 120_000);
      expect(gate.inspect(DEST, T0 + 120_000).openSince).toBe(0);
    });
  });
});
