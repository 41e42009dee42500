/**
 * Spool: durable side storage for bodies too large for one queue message (QUEUE_LIMITS).
 *
 * The webhook POST path spills a big delivery here BEFORE sending its queue message (which then
 * carries only the key), so nothing is acknowledged to X that is not durably stored. The pipeline
 * reads it back with `getSpill` and removes it with `deleteSpill` once processed; anything left
 * behind (a message dead-lettered and never redriven) expires and an alarm prunes it.
 *
 * One object per app (`env.SPOOL.getByName(app)`). SQLite-backed: a value or row is at most 2 MB,
 * so bodies are stored in chunks of SPILL_CHUNK_BYTES across rows (docs/storage.md).
 */
import { DurableObject } from "cloudflare:workers";

/** Default lifetime of a spilled body: longer than the queue's retry horizon and the DLQ's. */
export const DEFAULT_SPILL_TTL_SECONDS = 7 * 24 * 3600;
/** Bytes per row, well under the 2 MB SQLite row limit of Durable Objects. */
export const SPILL_CHUNK_BYTES = 1_048_576;

export class Spool extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // Synchronous and idempotent: no request can run before the constructor returns.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS spill (
      key TEXT PRIMARY KEY,
      size INTEGER NOT NULL,
      chunks INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS spill_chunk (
      key TEXT NOT NULL,
      seq INTEGER NOT NULL,
      data BLOB NOT NULL,
      PRIMARY KEY (key, seq)
    )`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS spill_expires_at ON spill (expires_at)`);
  }

  /** Store (or replace) `body` under `key` for `ttlSeconds`. Resolves once durable. */
  async putSpill(key: string, body: ArrayBuffer, ttlSeconds: number = DEFAULT_SPILL_TTL_SECONDS): Promise<void> {
    if (key === "") throw new RangeError("spill key must not be empty");
    if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError("ttlSeconds must be positive");
    const expiresAt = Date.now() + Math.ceil(ttlSeconds * 1000);
    const chunks = Math.max(1, Math.ceil(body.byteLength / SPILL_CHUNK_BYTES));
    this.ctx.storage.transactionSync(() => {
      this.removeRows(key);
      this.sql.exec(
        "INSERT INTO spill (key, size, chunks, expires_at) VALUES (?, ?, ?, ?)",
        key,
        body.byteLength,
        chunks,
        expiresAt,
      );
      for (let seq = 0; seq < chunks; seq++) {
        const start = seq * SPILL_CHUNK_BYTES;
        this.sql.exec(
          "INSERT INTO spill_chunk (key, seq, data) VALUES (?, ?, ?)",
          key,
          seq,
          body.slice(start, Math.min(start + SPILL_CHUNK_BYTES, body.byteLength)),
        );
      }
    });
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > expiresAt) await this.ctx.storage.setAlarm(expiresAt);
  }

  /** The body stored under `key`, or null if there is none or it has expired. */
  async getSpill(key: string): Promise<ArrayBuffer | null> {
    const head = this.sql
      .exec<{ size: number; chunks: number; expires_at: number }>(
        "SELECT size, chunks, expires_at FROM spill WHERE key = ?",
        key,
      )
      .toArray()[0];
    if (head === undefined || head.expires_at <= Date.now()) return null;
    const out = new Uint8Array(head.size);
    let offset = 0;
    let seen = 0;
    for (const row of this.sql.exec<{ data: ArrayBuffer }>(
      "SELECT data FROM spill_chunk WHERE key = ? ORDER BY seq",
      key,
    )) {
      const part = new Uint8Array(row.data);
      if (offset + part.byteLength > head.size) throw new Error(`spill ${key}: chunks exceed recorded size`);
      out.set(part, offset);
      offset += part.byteLength;
      seen++;
    }
    // Rows are written in one transaction, so a mismatch means storage corruption, not a race.
    if (seen !== head.chunks || offset !== head.size) throw new Error(`spill ${key}: incomplete chunks`);
    return out.buffer;
  }

  /** Remove `key` (no error if absent). */
  async deleteSpill(key: string): Promise<void> {
    this.ctx.storage.transactionSync(() => this.removeRows(key));
  }

  /** Prune expired spills, then re-arm for the next expiry if any remain. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM spill_chunk WHERE key IN (SELECT key FROM spill WHERE expires_at <= ?)", now);
      this.sql.exec("DELETE FROM spill WHERE expires_at <= ?", now);
    });
    const next = this.sql
      .exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM spill")
      .toArray()[0]?.next;
    if (next !== undefined && next !== null) await this.ctx.storage.setAlarm(next);
  }

  private removeRows(key: string): void {
    this.sql.exec("DELETE FROM spill_chunk WHERE key = ?", key);
    this.sql.exec("DELETE FROM spill WHERE key = ?", key);
  }
}
