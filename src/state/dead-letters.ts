/**
 * DeadLetters: every message that could not be processed, with the reason, kept until an
 * operator redrives or purges it (/admin and the CLI call the helpers in
 * src/pipeline/dead-letter.ts). One SQLite Durable Object instance, `dead-letters`: dead letters
 * are rare, so one object is plenty, and one object gives a consistent listing.
 *
 * The class also hosts the forwarding gate (circuit breaker and rate limit, instance
 * `forward-gate`): see src/pipeline/forward-gate-store.ts for why.
 *
 * Entries are keyed by an id the caller supplies (the dead-letter queue's message id), so a
 * redelivered dead-letter message is stored once. Each names its app (a column, indexed, so the
 * per-app listing does not scan): the schema and its migration are in dead-letters-schema.ts.
 */
import { DurableObject } from "cloudflare:workers";
import type { DeadLetterMessage, ForwardMessage, IngestMessage } from "../pipeline/messages.ts";
import { ForwardGateStore, type GateAdmission, type GateInspection } from "../pipeline/forward-gate-store.ts";
import type { BreakerPhase } from "../pipeline/circuit-breaker.ts";
import {
  countDeadLetters,
  ensureDeadLetterSchema,
  filterClause,
  newDeadLetters,
  readAlertMarker,
  UNKNOWN_APP,
  writeAlertMarker,
  type DeadLetterAlertMarker,
  type DeadLetterCounts,
  type NewDeadLetters,
} from "./dead-letters-schema.ts";

export { UNKNOWN_APP, type DeadLetterAlertMarker, type DeadLetterCounts, type NewDeadLetters } from "./dead-letters-schema.ts";

/** Where an entry came from; "unknown" for a body no producer of ours would send (kept, not redrivable). */
export type DeadLetterSource = "ingest" | "forward" | "unknown";

export interface DeadLetterEntry {
  id: string;
  from: DeadLetterSource;
  /** The app the message belonged to; UNKNOWN_APP (`_unknown`) for a body of unknown shape. */
  app: string;
  reason: string;
  /** ISO 8601 time it was dead-lettered. */
  at: string;
  /** One line for humans: app, delivery or envelope id, size. */
  summary: string;
}

export interface DeadLetterDetail extends DeadLetterEntry {
  /** The original message, as it was on its queue (null for "unknown": see `raw`). */
  original: IngestMessage | ForwardMessage | null;
  /** For "unknown" entries: the body as JSON text (best effort). */
  raw?: string;
}

export interface DeadLetterPage {
  entries: DeadLetterEntry[];
  /** Pass back as `cursor` for the next page; null at the end. */
  cursor: string | null;
  /** All letters matching the filters (every page), by app and by origin. */
  counts: DeadLetterCounts;
}

export interface ListOptions {
  limit?: number;
  cursor?: string | null;
  from?: DeadLetterSource;
  /** Only this app's letters (UNKNOWN_APP: those of unknown shape). */
  app?: string;
}

const MAX_PAGE = 500;

interface Row extends Record<string, SqlStorageValue> {
  seq: number;
  id: string;
  source: string;
  reason: string;
  at: string;
  summary: string;
  original: string;
  body: ArrayBuffer | null;
  app: string;
}

function summarise(from: DeadLetterSource, original: unknown): string {
  if (from === "ingest") {
    const m = original as IngestMessage;
    const size = m.body !== undefined ? `${m.body.byteLength} bytes` : `spilled as ${m.spill}`;
    return `app ${m.app}, delivery ${m.delivery_id}, received ${m.received_at}, ${size}`;
  }
  if (from === "forward") {
    const m = original as ForwardMessage;
    return `app ${m.app}, envelope ${m.id}${m.spill !== undefined ? " (spilled)" : ""}`;
  }
  return "unrecognised message";
}

/** The app a stored message belongs to: our shapes carry it (checked by the guards before storing). */
function appOf(from: DeadLetterSource, original: unknown): string {
  if (from === "unknown" || typeof original !== "object" || original === null) return UNKNOWN_APP;
  const app = (original as { app?: unknown }).app;
  return typeof app === "string" && app !== "" ? app : UNKNOWN_APP;
}

/** A redriven original, with any forward hold cleared (see `DeadLetters.redrive`). Pure. */
export function withoutHold<T extends object>(original: T): T {
  if (!("held_since" in original)) return original;
  const { held_since: _heldSince, ...rest } = original as T & { held_since?: string };
  return rest as T;
}

export class DeadLetters extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private gate: ForwardGateStore | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ensureDeadLetterSchema(this.sql);
  }

  /** Store one dead letter; a second store under the same id is ignored. */
  store(id: string, letter: DeadLetterMessage): void {
    this.insert(id, letter.from, letter.reason, letter.at, letter.original);
  }

  /** Store a body that is not a DeadLetterMessage (e.g. moved by the platform), with a reason. */
  storeRaw(id: string, from: DeadLetterSource, reason: string, at: string, body: unknown): void {
    this.insert(id, from, reason, at, body);
  }

  private insert(id: string, from: DeadLetterSource, reason: string, at: string, original: unknown): void {
    let json: string;
    let body: ArrayBuffer | null = null;
    if (from === "ingest") {
      const { body: bytes, ...rest } = original as IngestMessage;
      json = JSON.stringify(rest);
      body = bytes ?? null;
    } else {
      try {
        json = JSON.stringify(original) ?? "null";
      } catch {
        json = JSON.stringify(String(original));
      }
    }
    this.sql.exec(
      `INSERT INTO dead_letters (id, source, reason, at, summary, original, body, app) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
      id,
      from,
      reason,
      at,
      summarise(from, original),
      json,
      body,
      appOf(from, original),
    );
  }

  list(opts: ListOptions = {}): DeadLetterPage {
    const limit = Math.min(Math.max(Math.floor(opts.limit ?? 50), 1), MAX_PAGE);
    const after = opts.cursor != null && /^\d+$/.test(opts.cursor) ? Number(opts.cursor) : 0;
    const filter = { ...(opts.app !== undefined ? { app: opts.app } : {}), ...(opts.from !== undefined ? { from: opts.from } : {}) };
    const { clause, bindings } = filterClause(filter);
    const rows = this.sql
      .exec<Row>(`SELECT * FROM dead_letters WHERE seq > ?${clause} ORDER BY seq LIMIT ?`, after, ...bindings, limit + 1)
      .toArray();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      entries: page.map((r) => ({
        id: r.id,
        from: r.source as DeadLetterSource,
        app: r.app,
        reason: r.reason,
        at: r.at,
        summary: r.summary,
      })),
      cursor: rows.length > limit && last !== undefined ? String(last.seq) : null,
      counts: countDeadLetters(this.sql, filter),
    };
  }

  get(id: string): DeadLetterDetail | null {
    const r = this.sql.exec<Row>(`SELECT * FROM dead_letters WHERE id = ?`, id).toArray()[0];
    if (r === undefined) return null;
    const from = r.source as DeadLetterSource;
    const base = { id: r.id, from, app: r.app, reason: r.reason, at: r.at, summary: r.summary };
    if (from === "unknown") return { ...base, original: null, raw: r.original };
    const parsed = JSON.parse(r.original) as IngestMessage | ForwardMessage;
    if (from === "ingest" && r.body !== null) (parsed as IngestMessage).body = r.body;
    return { ...base, original: parsed };
  }

  /**
   * Send each original back to its queue (INGEST or FORWARD), then delete it. A forward original
   * goes back without `held_since`: a redrive starts a new hold period, else a message the
   * platform dead-lettered mid-hold could expire again at once. Sent before deleted:
   * a crash in between redrives twice, which dedup (ingest) or the receiver's `webhook-id` check
   * (forward) absorbs. "unknown" entries are not redriven.
   */
  async redrive(ids: readonly string[]): Promise<{ redriven: string[]; skipped: string[] }> {
    const redriven: string[] = [];
    const skipped: string[] = [];
    for (const id of ids) {
      const d = this.get(id);
      if (d === null || d.original === null) {
        skipped.push(id);
        continue;
      }
      // "v8" explicitly: an ingest body is an ArrayBuffer, which the "json" content type drops.
      if (d.from === "ingest") await this.env.INGEST.send(d.original, { contentType: "v8" });
      else await this.env.FORWARD.send(withoutHold(d.original), { contentType: "v8" });
      this.sql.exec(`DELETE FROM dead_letters WHERE id = ?`, id);
      redriven.push(id);
    }
    return { redriven, skipped };
  }

  purge(ids: readonly string[]): { purged: number } {
    let purged = 0;
    for (const id of ids) {
      purged += this.sql.exec(`DELETE FROM dead_letters WHERE id = ? RETURNING id`, id).toArray().length;
    }
    return { purged };
  }

  count(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM dead_letters`).one().n;
  }

  // The cron's dead-letter alert (src/cron/dead-letter-check.ts): what arrived since it last looked.

  newSince(afterSeq: number): NewDeadLetters {
    return newDeadLetters(this.sql, afterSeq);
  }

  alertMarker(): DeadLetterAlertMarker {
    return readAlertMarker(this.sql);
  }

  saveAlertMarker(marker: DeadLetterAlertMarker): void {
    writeAlertMarker(this.sql, marker);
  }

  /**
   * One `dead_letters_meta` value by key (null: never written), for other cron checks' markers
   * (src/cron/pipeline-check.ts): they live beside the dead-letter alert's marker.
   */
  meta(key: string): string | null {
    return this.sql.exec<{ value: string }>(`SELECT value FROM dead_letters_meta WHERE key = ?`, key).toArray()[0]?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec(`INSERT INTO dead_letters_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value);
  }

  // Forwarding gate (instance `forward-gate` only).

  private gateStore(): ForwardGateStore {
    this.gate ??= new ForwardGateStore(this.sql);
    return this.gate;
  }

  gateAdmit(destination: string, wanted: number, ratePerSecond: number | null): GateAdmission {
    return this.gateStore().admit(destination, wanted, ratePerSecond, Date.now());
  }

  gateRecord(destination: string, outcomes: readonly boolean[]): BreakerPhase {
    return this.gateStore().record(destination, outcomes, Date.now());
  }

  gateInspect(destination: string): GateInspection {
    return this.gateStore().inspect(destination, Date.now());
  }
}
