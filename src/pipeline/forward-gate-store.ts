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
  /**
   * Consecutive failures counted so far (0 after any success). A forwarder may trust a closed
   * gate with no failures and no rate limit for a few seconds without asking again (forward.ts).
   */
  failures: number;
}

interface GateRow extends Record<string, SqlStorageValue> {
  failures: number;
  open_until: number;
  cool_down_ms: number;
  probe_until: number;
  tokens: number;
  tokens_at: number;
  open_since: number;
}

/** What `inspect` reports: the breaker, its phase, and when the current outage began. */
export interface GateInspection extends BreakerState {
  phase: BreakerPhase;
  /**
   * Epoch ms the circuit first opened in the current outage (kept through half-open probes that
   * fail and re-open it); 0 while closed. The cron's `forward_destination_down` alert reads it.
   */
  openSince: number;
}

/**
 * Bring a table created before `open_since` existed up to date. A row whose circuit is open at
 * that moment gets the time it last (re-)opened (`open_until - cool_down_ms`): the outage began
 * no later than that, so the alert can come late but never early.
 */
export function ensureForwardGateSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS forward_gate (
      destination TEXT PRIMARY KEY,
      failures INTEGER NOT NULL,
      open_until INTEGER NOT NULL,
      cool_down_ms INTEGER NOT NULL,
      probe_until INTEGER NOT NULL,
      tokens REAL NOT NULL,
      tokens_at INTEGER NOT NULL,
      open_since INTEGER NOT NULL DEFAULT 0
    )`);
  const columns = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('forward_gate')`).toArray();
  if (!columns.some((c) => c.name === "open_since")) {
    sql.exec(`ALTER TABLE forward_gate ADD COLUMN open_since INTEGER NOT NULL DEFAULT 0`);
    sql.exec(`UPDATE forward_gate SET open_since = MAX(open_until - cool_down_ms, 1) WHERE open_until > 0`);
  }
}

export class ForwardGateStore {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    ensureForwardGateSchema(sql);
  }

  private load(destination: string, now: number): { breaker: BreakerState; tokens: number; tokensAt: number; openSince: number } {
    const row = this.sql
      .exec<GateRow>(
        `SELECT failures, open_until, cool_down_ms, probe_until, tokens, tokens_at, open_since FROM forward_gate WHERE destination = ?`,
        destination,
      )
      .toArray()[0];
    if (row === undefined) return { breaker: { ...CLOSED }, tokens: Number.POSITIVE_INFINITY, tokensAt: now, openSince: 0 };
    return {
      openSince: row.open_since,
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

  private save(destination: string, b: BreakerState, tokens: number, tokensAt: number, openSince: number): void {
    this.sql.exec(
      `INSERT INTO forward_gate (destination, failures, open_until, cool_down_ms, probe_until, tokens, tokens_at, open_since)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (destination) DO UPDATE SET failures = excluded.failures, open_until = excluded.open_until,
         cool_down_ms = excluded.cool_down_ms, probe_until = excluded.probe_until,
         tokens = excluded.tokens, tokens_at = excluded.tokens_at, open_since = excluded.open_since`,
      destination,
      b.failures,
      b.openUntil,
      b.coolDownMs,
      b.probeUntil,
      Number.isFinite(tokens) ? tokens : 1e9,
      tokensAt,
      openSince,
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
    // Admission never opens or closes the circuit (only `record` does): the outage start stands.
    // Nothing changed (closed, no rate limit): no write. Rows written are billed per row.
    if (ratePerSecond !== null || !sameBreaker(gate.state, cur.breaker)) this.save(destination, gate.state, bucket, now, cur.openSince);
    return {
      allowed: gate.allowed,
      retryAfterMs: Math.max(gate.retryAfterMs, rateWaitMs, gate.allowed < wanted ? 1000 : 0),
      phase: phase(gate.state, now),
      failures: gate.state.failures,
    };
  }

  /** Record the health outcomes (true = healthy) of requests that were sent, in order. */
  record(destination: string, outcomes: readonly boolean[], now: number): BreakerPhase {
    const cur = this.load(destination, now);
    const next = record(cur.breaker, outcomes, now);
    const openSince = nextOpenSince(cur.breaker, next, cur.openSince, now);
    // Successes on a closed, clean circuit change nothing: no write.
    if (!sameBreaker(next, cur.breaker) || openSince !== cur.openSince) this.save(destination, next, cur.tokens, cur.tokensAt, openSince);
    return phase(next, now);
  }

  /** Breaker state for tests, the admin pipeline view and the cron's alert. */
  inspect(destination: string, now: number): GateInspection {
    const { breaker, openSince } = this.load(destination, now);
    return { ...breaker, phase: phase(breaker, now), openSince };
  }
}

function sameBreaker(a: BreakerState, b: BreakerState): boolean {
  return a.failures === b.failures && a.openUntil === b.openUntil && a.coolDownMs === b.coolDownMs && a.probeUntil === b.probeUntil;
}

/**
 * When the current outage began, after `record` moved the breaker from `prev` to `next`: set when
 * a closed circuit opens, kept while it stays open or half-open (a failed probe re-opens it: the
 * same outage), cleared (0) once it closes. Pure.
 */
export function nextOpenSince(prev: BreakerState, next: BreakerState, openSince: number, now: number): number {
  if (next.openUntil === 0) return 0;
  if (prev.openUntil === 0 || openSince === 0) return now;
  return openSince;
}
