/**
 * Per-destination forwarding gate: circuit breaker state plus an optional token-bucket rate
 * limit, stored in SQLite inside a Durable Object so every isolate agrees. It lives in the
 * DeadLetters class (instance `forward-gate`, see `forwardGate`) rather than a class of its own:
 * the traffic is two small RPCs per forward batch, and it spares a binding and a migration.
 */
import { admit, CLOSED, record, type BreakerState, phase, type BreakerPhase } from "./circuit-breaker.ts";

export interface GateAdmission {
  /** How many of the wanted requests may be sent now. */
  allowed: number;
  /** For the rest: wait at least this long (ms) before trying again. */
  retryAfterMs: number;
  phase: BreakerPhase;
}

interface GateRow extends Record<string, SqlStorageValue> {
  failures: number;
  open_until: number;
  cool_down_ms: number;
  probe_until: number;
  tokens: number;
  tokens_at: number;
}

export class ForwardGateStore {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS forward_gate (
      destination TEXT PRIMARY KEY,
      failures INTEGER NOT NULL,
      open_until INTEGER NOT NULL,
      cool_down_ms INTEGER NOT NULL,
      probe_until INTEGER NOT NULL,
      tokens REAL NOT NULL,
      tokens_at INTEGER NOT NULL
    )`);
  }

  private load(destination: string, now: number): { breaker: BreakerState; tokens: number; tokensAt: number } {
    const row = this.sql
      .exec<GateRow>(
        `SELECT failures, open_until, cool_down_ms, probe_until, tokens, tokens_at FROM forward_gate WHERE destination = ?`,
        destination,
      )
      .toArray()[0];
    if (row === undefined) return { breaker: { ...CLOSED }, tokens: Number.POSITIVE_INFINITY, tokensAt: now };
    return {
      breaker: {
        failures: row.failures,
        openUntil: row.open_until,
        coolDownMs: row.cool_down_ms,
        probeUntil: row.probe_until,
      },
      tokens: row.tokens,
      tokensAt: row.tokens_at,
    };
  }

  private save(destination: string, b: BreakerState, tokens: number, tokensAt: number): void {
    this.sql.exec(
      `INSERT INTO forward_gate (destination, failures, open_until, cool_down_ms, probe_until, tokens, tokens_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (destination) DO UPDATE SET failures = excluded.failures, open_until = excluded.open_until,
         cool_down_ms = excluded.cool_down_ms, probe_until = excluded.probe_until,
         tokens = excluded.tokens, tokens_at = excluded.tokens_at`,
      destination,
      b.failures,
      b.openUntil,
      b.coolDownMs,
      b.probeUntil,
      Number.isFinite(tokens) ? tokens : 1e9,
      tokensAt,
    );
  }

  /**
   * Admit up to `wanted` requests. `ratePerSecond` null: no rate limit. The bucket holds one
   * second of requests (burst = rate), and at least one request, so a rate below 1 (e.g. 0.5:
   * one every 2 s) still lets a request through once a whole token has refilled. It refills
   * continuously.
   */
  admit(destination: string, wanted: number, ratePerSecond: number | null, now: number): GateAdmission {
    const cur = this.load(destination, now);
    let tokens = wanted;
    let rateWaitMs = 0;
    let bucket = cur.tokens;
    if (ratePerSecond !== null) {
      const burst = Math.max(1, ratePerSecond);
      bucket = Math.min(burst, cur.tokens + ((now - cur.tokensAt) / 1000) * ratePerSecond);
      tokens = Math.min(wanted, Math.floor(bucket));
      if (tokens < wanted) rateWaitMs = Math.ceil(((wanted - tokens) / ratePerSecond) * 1000);
    }
    const gate = admit(cur.breaker, tokens, now);
    if (ratePerSecond !== null) bucket -= gate.allowed;
    this.save(destination, gate.state, bucket, now);
    return {
      allowed: gate.allowed,
      retryAfterMs: Math.max(gate.retryAfterMs, rateWaitMs, gate.allowed < wanted ? 1000 : 0),
      phase: phase(gate.state, now),
    };
  }

  /** Record the health outcomes (true = healthy) of requests that were sent, in order. */
  record(destination: string, outcomes: readonly boolean[], now: number): BreakerPhase {
    const cur = this.load(destination, now);
    const next = record(cur.breaker, outcomes, now);
    this.save(destination, next, cur.tokens, cur.tokensAt);
    return phase(next, now);
  }

  /** Breaker state for tests and the admin status view. */
  inspect(destination: string, now: number): BreakerState & { phase: BreakerPhase } {
    const { breaker } = this.load(destination, now);
    return { ...breaker, phase: phase(breaker, now) };
  }
}
