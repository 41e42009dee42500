/**
 * Metrics: the dashboard's charts and live tail, for the whole deployment, in one SQLite Durable
 * Object (`env.METRICS.getByName(METRICS_INSTANCE)`).
 *
 * Cheap by construction (docs/storage.md, docs/pipeline.md "Cost"): the consumers never call it
 * per event. Each consumer batch aggregates its own counts per app, minute and key, a latency
 * histogram per app and minute, and at most TAIL_PER_BATCH envelopes, and sends them in one
 * `record` call at the end of the batch (pipeline/batch-metrics.ts). Here that is one upsert per
 * (minute, app, kind, key), one per latency histogram, and one tail row: a few row writes per
 * app-minute per batch, whatever the batch size.
 *
 * Kept for RETENTION_MS (7 days) of counts and latencies (pruned at most once an hour, by the
 * minute column that leads the primary key), and the newest TAIL_ROWS tail rows.
 * This is telemetry: losing a batch's record (the call failed) never changes what was delivered.
 */
import { DurableObject } from "cloudflare:workers";
import { mergeHistograms, type Histogram } from "./metrics-histogram.ts";

export const METRICS_INSTANCE = "metrics";
export const RETENTION_MS = 7 * 24 * 3600_000;
/** Newest tail rows kept (one per ingest batch that published something). */
export const TAIL_ROWS = 200;
/** Envelopes per batch kept for the tail (the newest of the batch). */
export const TAIL_PER_BATCH = 20;
const PRUNE_EVERY_MS = 3600_000;

/** What a count counts: published events by type, forward outcomes, dead letters by origin. */
export type CountKind = "event" | "forward" | "dead_letter";
/** Where a latency was measured from `received_at`: publish to EVENTS, or a forward delivered. */
export type LatencyKind = "publish" | "forward";

export interface CountDelta {
  app: string;
  kind: CountKind;
  key: string;
  n: number;
}
export interface LatencyDelta {
  app: string;
  kind: LatencyKind;
  histogram: Histogram;
}
/** One envelope in the live tail; `json` is the serialised envelope (lossless). */
export interface TailEntry {
  id: string;
  app: string;
  type: string;
  for_user_id: string | null;
  received_at: string;
  summary: string;
  json: string;
}
/** One consumer batch's record: everything happened in the minute of `at` (ms since epoch). */
export interface MetricsRecord {
  at: number;
  counts: CountDelta[];
  latencies: LatencyDelta[];
  tail: TailEntry[];
}

export interface CountRow {
  minute: number;
  app: string;
  kind: CountKind;
  key: string;
  n: number;
}
export interface LatencyRow {
  minute: number;
  app: string;
  kind: LatencyKind;
  histogram: Histogram;
}

export class Metrics extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private lastPruneMs = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS counts (
      minute INTEGER NOT NULL, app TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL,
      PRIMARY KEY (minute, app, kind, key)
    ) WITHOUT ROWID`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS latency (
      minute INTEGER NOT NULL, app TEXT NOT NULL, kind TEXT NOT NULL, histogram TEXT NOT NULL,
      PRIMARY KEY (minute, app, kind)
    ) WITHOUT ROWID`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS tail (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, entries TEXT NOT NULL
    )`);
  }

  /** Add one batch's counts, latencies and tail envelopes. */
  async record(r: MetricsRecord): Promise<void> {
    const minute = Math.floor(r.at / 60_000);
    this.ctx.storage.transactionSync(() => {
      for (const c of r.counts) {
        if (!(c.n > 0)) continue;
        this.sql.exec(
          `INSERT INTO counts (minute, app, kind, key, n) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (minute, app, kind, key) DO UPDATE SET n = n + excluded.n`,
          minute, c.app, c.kind, c.key, Math.floor(c.n),
        );
      }
      for (const l of r.latencies) {
        const old = this.sql.exec<{ histogram: string }>(
          "SELECT histogram FROM latency WHERE minute = ? AND app = ? AND kind = ?", minute, l.app, l.kind,
        ).toArray()[0];
        const merged = mergeHistograms(old === undefined ? {} : (JSON.parse(old.histogram) as Histogram), l.histogram);
        this.sql.exec(
          "INSERT OR REPLACE INTO latency (minute, app, kind, histogram) VALUES (?, ?, ?, ?)",
          minute, l.app, l.kind, JSON.stringify(merged),
        );
      }
      if (r.tail.length > 0) {
        this.sql.exec("INSERT INTO tail (at, entries) VALUES (?, ?)", r.at, JSON.stringify(r.tail.slice(-TAIL_PER_BATCH)));
        this.sql.exec("DELETE FROM tail WHERE seq <= (SELECT MAX(seq) FROM tail) - ?", TAIL_ROWS);
      }
      if (r.at - this.lastPruneMs >= PRUNE_EVERY_MS) {
        const cutoff = Math.floor((r.at - RETENTION_MS) / 60_000);
        this.sql.exec("DELETE FROM counts WHERE minute < ?", cutoff);
        this.sql.exec("DELETE FROM latency WHERE minute < ?", cutoff);
        this.lastPruneMs = r.at;
      }
    });
  }

  /** Counts and latency histograms for minutes in [fromMinute, toMinute], of one app or all. */
  async series(fromMinute: number, toMinute: number, app: string | null): Promise<{ counts: CountRow[]; latencies: LatencyRow[] }> {
    const where = app === null ? "minute BETWEEN ? AND ?" : "minute BETWEEN ? AND ? AND app = ?";
    const args = app === null ? [fromMinute, toMinute] : [fromMinute, toMinute, app];
    const counts = this.sql.exec<{ minute: number; app: string; kind: string; key: string; n: number }>(
      `SELECT minute, app, kind, key, n FROM counts WHERE ${where} ORDER BY minute`, ...args,
    ).toArray().map((r) => ({ ...r, kind: r.kind as CountKind }));
    const latencies = this.sql.exec<{ minute: number; app: string; kind: string; histogram: string }>(
      `SELECT minute, app, kind, histogram FROM latency WHERE ${where} ORDER BY minute`, ...args,
    ).toArray().map((r) => ({ minute: r.minute, app: r.app, kind: r.kind as LatencyKind, histogram: JSON.parse(r.histogram) as Histogram }));
    return { counts, latencies };
  }

  /** The newest tail entries first, optionally of one app and/or type, at most `limit`. */
  async recentEnvelopes(limit: number, app: string | null, type: string | null): Promise<TailEntry[]> {
    const out: TailEntry[] = [];
    for (const row of this.sql.exec<{ entries: string }>("SELECT entries FROM tail ORDER BY seq DESC")) {
      const entries = JSON.parse(row.entries) as TailEntry[];
      for (let i = entries.length - 1; i >= 0 && out.length < limit; i--) {
        const e = entries[i]!;
        if ((app === null || e.app === app) && (type === null || e.type === type)) out.push(e);
      }
      if (out.length >= limit) break;
    }
    return out;
  }
}
