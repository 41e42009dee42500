/**
 * Dedup: one shard of the strongly consistent "have we published this event?" set.
 *
 * KV cannot do this job (eventually consistent, one write per key per second); a Durable Object
 * serialises every request to its keys, so two consumers racing on the same event see one
 * winner. The protocol is lease, publish, commit:
 *   begin(keys)  -> "new" (lease taken: go publish) | "done" (already published: skip)
 *                   | "busy" (another consumer holds a live lease: try again shortly)
 *   commit(keys) -> published: remember for the dedup window
 *   release(keys)-> publish failed: drop the lease so a retry can take it at once
 * A key is committed only after its envelope was published, so a crash between the two gives a
 * duplicate (the retry publishes again), never a loss.
 *
 * Cost (docs/pipeline.md "Cost per event"): SQLite rows written are billed, so a key costs ONE
 * row written, at commit.
 * - Leases live in this object's memory, not in SQLite. A lease only stops two live consumers
 *   publishing the same event at once; if the object restarts, its leases are gone and the worst
 *   case is the one the protocol already allows: both publish, a duplicate. Leases carry an owner
 *   (the queue message id, stable across retries), so a retried message takes its own lease back
 *   at once, and a late `release` never drops a lease someone else took after ours expired.
 * - Done keys go into day-bucket tables (`done_<bucket start, epoch seconds>`, WITHOUT ROWID, the
 *   key the only column and the primary key: no second index). A key is stored as the first 16
 *   bytes of its SHA-256 (a collision among even 10^10 keys has odds near 10^-19), not its ~70
 *   characters of text: about 40 bytes a key on disk instead of 160, which is what keeps one hot
 *   user's shard under the 10 GB object limit (docs/pipeline.md "Ceilings"). A bucket holds the keys committed
 *   in its span (one day, or the window if shorter) and is dropped whole once its newest key is
 *   older than the window: no per-row prune, so expiry keeps up at any rate, and the object holds
 *   at most window + one bucket of keys. A key therefore answers "done" for at least the window
 *   and at most one bucket longer.
 * - `dedup_buckets` lists the buckets and when each may be dropped; one alarm drops them.
 * - Short-window commits (family "short": the canonical claims of pair-keyed events while an app
 *   migrates, docs/migration.md) go to their own bucket family, `short_<start>_<span>` tables
 *   listed in `dedup_short_buckets` (created at the first such commit), with a span of their own
 *   window. Their row carries its own expiry (`until`), so such a key answers "done" for exactly
 *   its window, and never shares a table with the long-window keys (which would keep it a day).
 *   Same cost per key: one row written; a table per span (every 15 minutes) only while something
 *   commits there.
 * - `dedup_keys`, the table of the previous design (a row per key with lease/done state and an
 *   expiry index), is still read for done keys until its last one has expired, then dropped.
 *
 * Re-sharding is never silent (docs/pipeline.md "Changing the shard layout"): each commit says
 * under which layout (`key:<shards>`) it was made, and `dedup_layouts` keeps, per layout, until
 * when its keys are live. `beginBatch` answers with the OTHER layouts still live here, so a
 * consumer that runs a new layout (another DEDUP_SHARDS, or after per-user sharding, which the
 * `dedup_keys` table stands for as layout "user") also asks the shard the old layout gave each
 * key, until the old keys have expired.
 */
import { DurableObject } from "cloudflare:workers";

export type DedupStatus = "new" | "done" | "busy";

const DAY_MS = 86_400_000;
/** Above this many leases in memory, expired ones are swept (a crashed consumer's leases). */
const MAX_LEASES = 20_000;

interface Lease {
  owner: string;
  until: number;
}

/**
 * Which bucket family a commit goes to: "window" (the deployment's dedup window, `done_<start>`
 * tables) or "short" (a shorter window of its own, `short_<start>_<span>` tables).
 */
export type DedupFamily = "window" | "short";

interface Bucket {
  start: number;
  dropAt: number;
  /** Null for the "window" family; the span (ms) of a "short" bucket. */
  span: number | null;
}

/** A shard layout other than the caller's whose keys are still live in this object. */
export interface LiveLayout {
  /** `key:<shards>` (hash-of-key sharding), or `user` (the per-user sharding before it). */
  tag: string;
  /** Epoch ms until which keys committed under it may still be live. */
  until: number;
}

export interface BeginAnswer {
  statuses: DedupStatus[];
  /** Other layouts with live keys here: ask them too (read only, `seen`) until `until`. */
  otherLayouts: LiveLayout[];
}

/** Bucket span for a window: a day, or the window itself when shorter (a bucket never outlives 2 windows). */
export function bucketSpanMs(windowSeconds: number): number {
  return Math.max(1000, Math.min(DAY_MS, windowSeconds * 1000));
}

const UTF8 = new TextEncoder();

/** The 16-byte digest a done key is stored as (see the file comment). */
export async function storedKey(key: string): Promise<ArrayBuffer> {
  return (await crypto.subtle.digest("SHA-256", UTF8.encode(key))).slice(0, 16);
}

/**
 * Digests of many keys. Computed BEFORE a method's check-and-set: after this await the rest of
 * the method runs without yielding, so no other request interleaves with its decisions.
 */
function storedKeys(keys: readonly string[]): Promise<ArrayBuffer[]> {
  return Promise.all(keys.map(storedKey));
}

/** Table name of the bucket starting at `startMs`. Only digits come from the numbers. */
function table(startMs: number, span: number | null = null): string {
  const start = Math.floor(startMs / 1000);
  return span === null ? `done_${start}` : `short_${start}_${Math.floor(span / 1000)}`;
}

function bucketTable(b: Bucket): string {
  return table(b.start, b.span);
}

/** Newest first; a "window" bucket before a "short" one of the same start. */
function byStartDesc(a: Bucket, b: Bucket): number {
  return b.start - a.start || (a.span ?? 0) - (b.span ?? 0);
}

export class Dedup extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Live leases, in memory only (see the file comment). */
  private readonly leases = new Map<string, Lease>();
  /** The buckets, mirrored from `dedup_buckets`, newest first. */
  private buckets: Bucket[];
  /** Whether `dedup_short_buckets` exists (created at the first "short" commit). */
  private shortFamily: boolean;
  /** Whether the previous design's `dedup_keys` table still exists. */
  private legacy: boolean;
  /** Layout tag -> until when its keys are live (mirrors `dedup_layouts`; `user` for `dedup_keys`). */
  private readonly layouts = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS dedup_buckets (start INTEGER PRIMARY KEY, drop_at INTEGER NOT NULL)`);
    this.buckets = this.sql
      .exec<{ start: number; drop_at: number }>(`SELECT start, drop_at FROM dedup_buckets ORDER BY start DESC`)
      .toArray()
      .map((r) => ({ start: r.start, dropAt: r.drop_at, span: null }));
    this.shortFamily = this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dedup_short_buckets'`).toArray().length > 0;
    if (this.shortFamily) {
      for (const r of this.sql.exec<{ start: number; span: number; drop_at: number }>(`SELECT start, span, drop_at FROM dedup_short_buckets`)) {
        this.buckets.push({ start: r.start, dropAt: r.drop_at, span: r.span });
      }
      this.buckets.sort(byStartDesc);
    }
    this.legacy = this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dedup_keys'`).toArray().length > 0;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS dedup_layouts (tag TEXT PRIMARY KEY, until INTEGER NOT NULL)`);
    for (const r of this.sql.exec<{ tag: string; until: number }>(`SELECT tag, until FROM dedup_layouts`)) this.layouts.set(r.tag, r.until);
    if (this.legacy) {
      const until = this.sql.exec<{ at: number | null }>(`SELECT MAX(expires_at) AS at FROM dedup_keys WHERE state = 'done'`).one().at;
      if (until !== null) this.layouts.set("user", until);
    }
  }

  /** Whether `key` was committed and its bucket (or legacy row) is still live. */
  private isDone(key: string, stored: ArrayBuffer, now: number): boolean {
    for (const b of this.buckets) {
      if (b.dropAt <= now) continue;
      const hit =
        b.span === null
          ? this.sql.exec(`SELECT 1 FROM ${bucketTable(b)} WHERE key = ?`, stored)
          : this.sql.exec(`SELECT 1 FROM ${bucketTable(b)} WHERE key = ? AND until > ?`, stored, now);
      if (hit.toArray().length > 0) return true;
    }
    if (this.legacy) {
      const row = this.sql
        .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM dedup_keys WHERE key = ? AND state = 'done' AND expires_at > ?`, key, now)
        .one();
      if (row.n > 0) return true;
    }
    return false;
  }

  /**
   * Try to take a lease on each key. Answers in the order of `keys`. `owners` is one owner for
   * every key, or one per key (a consumer batch asks for several messages' keys in one call).
   * Writes nothing to storage.
   */
  async begin(keys: readonly string[], leaseMs: number, owners: string | readonly string[], now: number = Date.now()): Promise<DedupStatus[]> {
    const stored = await storedKeys(keys);
    // From here on nothing yields: the check-and-set of every lease is atomic.
    if (this.leases.size > MAX_LEASES) {
      // Leases of consumers that crashed before commit or release: expired, drop them.
      for (const [key, lease] of this.leases) if (lease.until <= now) this.leases.delete(key);
    }
    return keys.map((key, i): DedupStatus => {
      const owner = typeof owners === "string" ? owners : (owners[i] ?? "");
      if (this.isDone(key, stored[i]!, now)) return "done";
      const lease = this.leases.get(key);
      if (lease !== undefined && lease.until > now && lease.owner !== owner) return "busy";
      this.leases.set(key, { owner, until: now + leaseMs });
      return "new";
    });
  }

  /** `begin`, plus the other shard layouts whose keys are still live here (see the file comment). */
  async beginBatch(keys: readonly string[], leaseMs: number, owners: readonly string[], layout: string, now: number = Date.now()): Promise<BeginAnswer> {
    const statuses = await this.begin(keys, leaseMs, owners, now);
    const otherLayouts: LiveLayout[] = [];
    for (const [tag, until] of this.layouts) if (tag !== layout && until > now) otherLayouts.push({ tag, until });
    return { statuses, otherLayouts };
  }

  /** Read only: which keys are done (the previous shard layout is asked this during a migration). */
  async seen(keys: readonly string[], now: number = Date.now()): Promise<boolean[]> {
    const stored = await storedKeys(keys);
    return keys.map((key, i) => this.isDone(key, stored[i]!, now));
  }

  /**
   * Mark keys published; they answer "done" for at least `windowSeconds`. One row written per key
   * (plus, once per bucket, the bucket's and the layout's own rows). `layout`: the caller's shard
   * layout tag (`key:<shards>`). `family` "short": a window shorter than the deployment's, kept in
   * its own buckets so the key is forgotten after at most twice `windowSeconds` (file comment).
   */
  async commit(
    keys: readonly string[],
    windowSeconds: number,
    now: number = Date.now(),
    layout?: string,
    family: DedupFamily = "window",
  ): Promise<void> {
    if (keys.length === 0) return;
    const stored = await storedKeys(keys);
    for (const key of keys) this.leases.delete(key);
    const span = bucketSpanMs(windowSeconds);
    const start = Math.floor(now / span) * span;
    const dropAt = start + span + windowSeconds * 1000;
    const short = family === "short" ? span : null;
    let bucket = this.buckets.find((b) => b.start === start && b.span === short);
    const fresh = bucket === undefined || bucket.dropAt < dropAt;
    const newLayout = layout !== undefined && (this.layouts.get(layout) ?? 0) < dropAt;
    const name = table(start, short);
    this.ctx.storage.transactionSync(() => {
      if (newLayout) {
        this.sql.exec(`INSERT INTO dedup_layouts (tag, until) VALUES (?, ?) ON CONFLICT (tag) DO UPDATE SET until = MAX(until, excluded.until)`, layout, dropAt);
      }
      if (fresh) {
        const columns = short === null ? "key BLOB PRIMARY KEY" : "key BLOB PRIMARY KEY, until INTEGER NOT NULL";
        this.sql.exec(`CREATE TABLE IF NOT EXISTS ${name} (${columns}) WITHOUT ROWID`);
        if (short === null) {
          this.sql.exec(
            `INSERT INTO dedup_buckets (start, drop_at) VALUES (?, ?) ON CONFLICT (start) DO UPDATE SET drop_at = MAX(drop_at, excluded.drop_at)`,
            start,
            dropAt,
          );
        } else {
          if (!this.shortFamily) {
            this.sql.exec(
              `CREATE TABLE IF NOT EXISTS dedup_short_buckets (start INTEGER NOT NULL, span INTEGER NOT NULL, drop_at INTEGER NOT NULL, PRIMARY KEY (start, span)) WITHOUT ROWID`,
            );
          }
          this.sql.exec(
            `INSERT INTO dedup_short_buckets (start, span, drop_at) VALUES (?, ?, ?) ON CONFLICT (start, span) DO UPDATE SET drop_at = MAX(drop_at, excluded.drop_at)`,
            start,
            short,
            dropAt,
          );
        }
      }
      if (short === null) for (const key of stored) this.sql.exec(`INSERT OR IGNORE INTO ${name} (key) VALUES (?)`, key);
      else {
        const until = now + windowSeconds * 1000;
        for (const key of stored) {
          this.sql.exec(`INSERT INTO ${name} (key, until) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until = MAX(until, excluded.until)`, key, until);
        }
      }
    });
    if (short !== null) this.shortFamily = true;
    if (newLayout) this.layouts.set(layout, dropAt);
    if (fresh) {
      if (bucket === undefined) {
        bucket = { start, dropAt, span: short };
        this.buckets = [bucket, ...this.buckets].sort(byStartDesc);
      } else bucket.dropAt = dropAt;
      await this.scheduleAlarm(now);
    }
  }

  /** Drop our leases (publish failed). Done keys and other owners' leases are left alone. */
  release(keys: readonly string[], owner: string): void {
    for (const key of keys) {
      if (this.leases.get(key)?.owner === owner) this.leases.delete(key);
    }
  }

  /** Done keys held (tests and the admin status view). */
  size(): number {
    let n = 0;
    for (const b of this.buckets) n += this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${bucketTable(b)}`).one().n;
    if (this.legacy) n += this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM dedup_keys WHERE state = 'done'`).one().n;
    return n;
  }

  /** Buckets held, oldest first (tests; docs/pipeline.md "Storage per shard"). */
  bucketCount(): number {
    return this.buckets.length;
  }

  /** Drop every bucket whose window has passed, and the legacy table once it holds nothing live. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const due = this.buckets.filter((b) => b.dropAt <= now);
    this.ctx.storage.transactionSync(() => {
      for (const b of due) {
        this.sql.exec(`DROP TABLE IF EXISTS ${bucketTable(b)}`);
        if (b.span === null) this.sql.exec(`DELETE FROM dedup_buckets WHERE start = ?`, b.start);
        else this.sql.exec(`DELETE FROM dedup_short_buckets WHERE start = ? AND span = ?`, b.start, b.span);
      }
      if (this.legacy) {
        const live = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM dedup_keys WHERE state = 'done' AND expires_at > ?`, now).one().n;
        if (live === 0) {
          this.sql.exec(`DROP TABLE dedup_keys`);
          this.legacy = false;
          this.layouts.delete("user");
        }
      }
      this.sql.exec(`DELETE FROM dedup_layouts WHERE until <= ?`, now);
    });
    for (const [tag, until] of this.layouts) if (until <= now && tag !== "user") this.layouts.delete(tag);
    this.buckets = this.buckets.filter((b) => b.dropAt > now);
    await this.scheduleAlarm(now);
  }

  /** One alarm at the earliest drop (legacy keys: re-checked daily until the table is gone). */
  private async scheduleAlarm(now: number): Promise<void> {
    const drops = this.buckets.map((b) => b.dropAt);
    if (this.legacy) drops.push(now + DAY_MS);
    if (drops.length === 0) return;
    const next = Math.min(...drops);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next || current <= now) await this.ctx.storage.setAlarm(next);
  }
}
