/**
 * The DeadLetters tables and their migrations, plus the counting queries the listing and the
 * cron's dead-letter alert use. Kept apart from the Durable Object class so the migration can be
 * run (and tested) against a table created by an older version.
 */

/**
 * The `app` of a dead letter whose body is none of our message shapes: no app can be trusted
 * from it. Not a valid app name (those start with a letter or digit), so it never collides.
 */
export const UNKNOWN_APP = "_unknown";

export interface DeadLetterCounts {
  total: number;
  /** App name -> count; `_unknown` (UNKNOWN_APP) for bodies of unknown shape. */
  by_app: Record<string, number>;
  /** Origin ("ingest", "forward", "unknown") -> count. */
  by_from: Record<string, number>;
}

/** Letters stored after a given sequence number, for the cron's alert. */
export interface NewDeadLetters extends DeadLetterCounts {
  /** The highest sequence number counted (the next check starts after it); the input when none. */
  max_seq: number;
  /** The earliest `at` among them; null when none. */
  first_at: string | null;
}

/** What the cron's dead-letter check remembers between runs (one row in `dead_letters_meta`). */
export interface DeadLetterAlertMarker {
  /** Letters up to this sequence number have been alerted about. */
  seq: number;
  /** When the last dead-letter alert was raised (ISO 8601); null: never. */
  alerted_at: string | null;
  /** When the cron last checked (ISO 8601); null: never. */
  checked_at: string | null;
}

export interface CountFilter {
  app?: string;
  from?: string;
}

const ALERT_MARKER_KEY = "alert_marker";

/**
 * Create the tables, or bring an older one up to date. The `app` column was added after the
 * first release: an existing table gets it with its value taken from each stored original (our
 * message shapes all carry `app`), then the index. Idempotent, cheap when nothing is to do.
 */
export function ensureDeadLetterSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    summary TEXT NOT NULL,
    original TEXT NOT NULL,
    body BLOB,
    app TEXT NOT NULL DEFAULT '${UNKNOWN_APP}'
  )`);
  const columns = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('dead_letters')`).toArray();
  if (!columns.some((c) => c.name === "app")) {
    sql.exec(`ALTER TABLE dead_letters ADD COLUMN app TEXT NOT NULL DEFAULT '${UNKNOWN_APP}'`);
    // json_valid first: json_extract throws on malformed text, and an old row must not stop the migration.
    sql.exec(
      `UPDATE dead_letters SET app = json_extract(original, '$.app')
       WHERE source != 'unknown' AND json_valid(original) AND json_type(original, '$.app') = 'text'`,
    );
  }
  sql.exec(`CREATE INDEX IF NOT EXISTS dead_letters_source ON dead_letters (source, seq)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS dead_letters_app ON dead_letters (app, seq)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS dead_letters_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
}

/** The WHERE clause (with a leading AND) and its bindings for an app/origin filter. */
export function filterClause(filter: CountFilter): { clause: string; bindings: string[] } {
  let clause = "";
  const bindings: string[] = [];
  if (filter.app !== undefined) {
    clause += " AND app = ?";
    bindings.push(filter.app);
  }
  if (filter.from !== undefined) {
    clause += " AND source = ?";
    bindings.push(filter.from);
  }
  return { clause, bindings };
}

interface GroupRow extends Record<string, SqlStorageValue> {
  app: string;
  source: string;
  n: number;
}

interface NewRow extends GroupRow {
  max_seq: number;
  first_at: string;
}

function tally(rows: readonly GroupRow[]): DeadLetterCounts {
  // Keyed by app names (any configured name, "constructor" included) and origins read back from
  // storage: tallied in Maps, so no name finds an inherited member (issue 10), then written out
  // as own properties (`Object.fromEntries`; a null-prototype object would not cross RPC).
  let total = 0;
  const byApp = new Map<string, number>();
  const byFrom = new Map<string, number>();
  for (const r of rows) {
    total += r.n;
    byApp.set(r.app, (byApp.get(r.app) ?? 0) + r.n);
    byFrom.set(r.source, (byFrom.get(r.source) ?? 0) + r.n);
  }
  return { total, by_app: Object.fromEntries(byApp), by_from: Object.fromEntries(byFrom) };
}

/** Counts of the letters matching the filter (all of them, not one page). */
export function countDeadLetters(sql: SqlStorage, filter: CountFilter = {}): DeadLetterCounts {
  const { clause, bindings } = filterClause(filter);
  const rows = sql
    .exec<GroupRow>(`SELECT app, source, COUNT(*) AS n FROM dead_letters WHERE 1 = 1${clause} GROUP BY app, source`, ...bindings)
    .toArray();
  return tally(rows);
}

/** Counts of the letters stored after sequence number `afterSeq` (still stored: purged ones are gone). */
export function newDeadLetters(sql: SqlStorage, afterSeq: number): NewDeadLetters {
  const rows = sql
    .exec<NewRow>(
      `SELECT app, source, COUNT(*) AS n, MAX(seq) AS max_seq, MIN(at) AS first_at FROM dead_letters WHERE seq > ? GROUP BY app, source`,
      afterSeq,
    )
    .toArray();
  let maxSeq = afterSeq;
  let firstAt: string | null = null;
  for (const r of rows) {
    maxSeq = Math.max(maxSeq, r.max_seq);
    if (firstAt === null || r.first_at < firstAt) firstAt = r.first_at;
  }
  return { ...tally(rows), max_seq: maxSeq, first_at: firstAt };
}

export function readAlertMarker(sql: SqlStorage): DeadLetterAlertMarker {
  const row = sql.exec<{ value: string }>(`SELECT value FROM dead_letters_meta WHERE key = ?`, ALERT_MARKER_KEY).toArray()[0];
  if (row === undefined) return { seq: 0, alerted_at: null, checked_at: null };
  return JSON.parse(row.value) as DeadLetterAlertMarker;
}

export function writeAlertMarker(sql: SqlStorage, marker: DeadLetterAlertMarker): void {
  sql.exec(
    `INSERT INTO dead_letters_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    ALERT_MARKER_KEY,
    JSON.stringify(marker),
  );
}
