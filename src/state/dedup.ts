/**
 * Dedup: one shard of the strongly consistent "have we published this event?" set.
 *
 * KV cannot do this job (eventually consistent, one write per key per second); a SQLite Durable
 * Object serialises every request to its keys, so two consumers racing on the same event see one
 * winner. The protocol is lease, publish, commit:
 *   begin(keys)  -> "new" (lease taken: go publish) | "done" (already published: skip)
 *                   | "busy" (another consumer holds a live lease: try again shortly)
 *   commit(keys) -> published: remember for the dedup window
 *   release(keys)-> publish failed: drop the lease so a retry can take it at once
 * A key is committed only after its envelope was published, so a crash between the two gives a
 * duplicate (the lease expires, a retry publishes again), never a loss.
 *
 * Leases carry an owner (the queue message id, stable across retries of that message), so a
 * message retried after its consumer crashed takes its own lease back instead of waiting, and a
 * late `release` never drops a lease someone else took after ours expired.
 *
 * Expired rows are deleted by an alarm, set to the earliest expiry (at most one alarm pending).
 */
import { DurableObject } from "cloudflare:workers";

export type DedupStatus = "new" | "done" | "busy";

/** Rows beyond this are pruned over several alarm runs, so one alarm never runs long. */
const PRUNE_BATCH = 5000;
/** Coalesce alarms: prune no more often than this, even when keys expire every millisecond. */
const MIN_ALARM_GAP_MS = 60_000;

interface KeyRow extends Record<string, SqlStorageValue> {
  key: string;
  state: string;
  owner: string | null;
  expires_at: number;
}

export class Dedup extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS dedup_keys (
      key TEXT PRIMARY KEY,
      state TEXT NOT NULL CHECK (state IN ('lease', 'done')),
      owner TEXT,
      expires_at INTEGER NOT NULL
    )`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS dedup_keys_expiry ON dedup_keys (expires_at)`);
  }

  /** Try to take a lease on each key. Answers in the order of `keys`. */
  begin(keys: readonly string[], leaseMs: number, owner: string, now: number = Date.now()): DedupStatus[] {
    return this.ctx.storage.transactionSync(() =>
      keys.map((key): DedupStatus => {
        const row = this.sql
          .exec<KeyRow>(`SELECT key, state, owner, expires_at FROM dedup_keys WHERE key = ?`, key)
          .toArray()[0];
        if (row !== undefined && row.expires_at > now) {
          if (row.state === "done") return "done";
          if (row.owner !== owner) return "busy";
        }
        this.sql.exec(
          `INSERT INTO dedup_keys (key, state, owner, expires_at) VALUES (?, 'lease', ?, ?)
           ON CONFLICT (key) DO UPDATE SET state = 'lease', owner = excluded.owner, expires_at = excluded.expires_at`,
          key,
          owner,
          now + leaseMs,
        );
        return "new";
      }),
    );
  }

  /** Mark keys published; they answer "done" for `windowSeconds`. */
  async commit(keys: readonly string[], windowSeconds: number, now: number = Date.now()): Promise<void> {
    const expiresAt = now + windowSeconds * 1000;
    this.ctx.storage.transactionSync(() => {
      for (const key of keys) {
        this.sql.exec(
          `INSERT INTO dedup_keys (key, state, owner, expires_at) VALUES (?, 'done', NULL, ?)
           ON CONFLICT (key) DO UPDATE SET state = 'done', owner = NULL, expires_at = excluded.expires_at`,
          key,
          expiresAt,
        );
      }
    });
    await this.scheduleAlarm(expiresAt);
  }

  /** Drop our leases (publish failed). Done keys and other owners' leases are left alone. */
  release(keys: readonly string[], owner: string): void {
    this.ctx.storage.transactionSync(() => {
      for (const key of keys) {
        this.sql.exec(`DELETE FROM dedup_keys WHERE key = ? AND state = 'lease' AND owner = ?`, key, owner);
      }
    });
  }

  /** Number of rows held (tests and the admin status view). */
  size(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM dedup_keys`).one().n;
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec(
      `DELETE FROM dedup_keys WHERE key IN (SELECT key FROM dedup_keys WHERE expires_at <= ? LIMIT ?)`,
      now,
      PRUNE_BATCH,
    );
    const next = this.sql
      .exec<{ at: number | null }>(`SELECT MIN(expires_at) AS at FROM dedup_keys`)
      .one().at;
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, now + MIN_ALARM_GAP_MS));
  }

  /** Keep one alarm, at or before the earliest expiry we know of. */
  private async scheduleAlarm(expiresAt: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > expiresAt) await this.ctx.storage.setAlarm(expiresAt);
  }
}
