/**
 * Delivery gaps and Replay jobs: the Registry's SQL for them, as plain functions over the
 * object's SqlStorage. registry.ts keeps the RPC surface and calls these; it runs the
 * multi-statement ones inside `transactionSync`, so a job and the gaps it covers are written
 * together (revalidation can never see the job without its gaps marked, or the reverse).
 *
 * A gap's life: open (webhook invalid) -> closed (valid again, waiting) -> requested (a Replay
 * job covers it, `job_id` set) -> done / failed (X's `replay_job_status` Complete /
 * Incomplete), or skipped. Revalidation picks `closed` gaps, and `failed` ones again after a
 * back-off while they have tries left (`tries` counts the jobs linked to a gap), and moves a
 * failed gap it will not retry to `given_up` (revalidate-policy.ts decides, revalidate.ts acts).
 */
import { toGap, toReplayJob, type GapRow, type GapState, type NewReplayJob, type ReplayJobRow } from "./registry-schema.ts";

/**
 * A replay job with no `replay_job_status` after this long is no longer treated as blocking:
 * the status event may have been lost, and X itself answers 355 if one is really still running.
 */
export const REPLAY_JOB_ASSUMED_OVER_MS = 24 * 3600_000;

// ---- gaps -----------------------------------------------------------------------------------

export function listGaps(sql: SqlStorage): GapRow[] {
  return sql.exec("SELECT * FROM gaps ORDER BY id").toArray().map(toGap);
}

export function setGap(sql: SqlStorage, id: number, state: GapState, jobId: string | null, note: string | null): void {
  sql.exec("UPDATE gaps SET state = ?, job_id = ?, note = ? WHERE id = ?", state, jobId, note, id);
}

/**
 * The gap side of a validity observation: a valid webhook ends its open gap (at `nowIso`); an
 * invalid one without an open gap opens one starting at `lastOkIso`, the last moment it was
 * known good (events after it may be lost).
 */
export function trackGap(sql: SqlStorage, webhookId: string, valid: boolean, lastOkIso: string, nowIso: string): void {
  const open = sql.exec("SELECT id FROM gaps WHERE webhook_id = ? AND state = 'open'", webhookId).toArray()[0];
  if (valid && open) {
    sql.exec("UPDATE gaps SET state = 'closed', to_at = ? WHERE id = ?", nowIso, open.id);
  } else if (!valid && !open) {
    sql.exec("INSERT INTO gaps (webhook_id, from_at, state) VALUES (?, ?, 'open')", webhookId, lastOkIso);
  }
}

/** A deleted webhook's unreplayed gaps (failed ones included) can no longer be replayed (Replay is per webhook). */
export function skipWebhookGaps(sql: SqlStorage, webhookId: string, note: string): void {
  sql.exec("UPDATE gaps SET state = 'skipped', note = ? WHERE webhook_id = ? AND state IN ('open','closed','failed')", note, webhookId);
}

/** Gap states a new Replay job may take over: waiting for a first try, or for another one. */
const LINKABLE_STATES: ReadonlySet<GapState> = new Set(["closed", "failed"]);

/**
 * Pure: the ids of webhook `webhookId`'s `closed` or `failed` gaps lying entirely inside
 * [fromIso, toIso] (bounds included): a failed gap inside a new job's window is replayed by it
 * again (one more try, counted). A gap only partly inside is left out: events outside the
 * window would be lost if it were marked, so revalidation keeps handling it. Open gaps have no
 * end yet and are never covered; done, skipped and given_up gaps are final. Times are compared
 * as instants, not as text.
 */
export function coveredGapIds(gaps: readonly GapRow[], webhookId: string, fromIso: string, toIso: string): number[] {
  const from = Date.parse(fromIso);
  const to = Date.parse(toIso);
  if (Number.isNaN(from) || Number.isNaN(to)) return [];
  return gaps
    .filter((g) => {
      if (g.webhook_id !== webhookId || !LINKABLE_STATES.has(g.state) || g.to_at === null) return false;
      const gFrom = Date.parse(g.from_at);
      const gTo = Date.parse(g.to_at);
      return !Number.isNaN(gFrom) && !Number.isNaN(gTo) && from <= gFrom && gTo <= to;
    })
    .map((g) => g.id);
}

// ---- replay jobs ----------------------------------------------------------------------------

/** gap ids by job id, for the jobs' `gap_ids`. */
function gapIdsByJob(sql: SqlStorage): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of sql.exec("SELECT id, job_id FROM gaps WHERE job_id IS NOT NULL ORDER BY id").toArray()) {
    const key = String(r.job_id);
    const ids = out.get(key) ?? [];
    ids.push(Number(r.id));
    out.set(key, ids);
  }
  return out;
}

/**
 * Record a job X accepted and link its gaps: `gapId` (the gap revalidation asked for, linked
 * even when its window was clipped to the lookback) plus every closed or failed gap of the
 * job's webhook inside the job's window. Each linked gap's `tries` goes up by one: linking is
 * what spends a Replay call on it. Run inside one transaction. A job id already recorded and
 * closed links nothing (its gaps would wait for a status that already came), and linking the
 * same open job again does not count again (only gaps not yet `requested` by it are linked).
 */
export function insertReplayJob(sql: SqlStorage, job: NewReplayJob, gapId: number | null): ReplayJobRow {
  sql.exec(
    "INSERT OR IGNORE INTO replay_jobs (job_id, webhook_id, from_date, to_date, requested_at, requested_by, state) VALUES (?, ?, ?, ?, ?, ?, 'open')",
    job.job_id, job.webhook_id, job.from_date, job.to_date, job.requested_at, job.requested_by,
  );
  const row = getReplayJob(sql, job.job_id)!;
  if (row.state === "open") {
    const linkable = sql.exec("SELECT * FROM gaps WHERE webhook_id = ? AND state IN ('closed','failed')", row.webhook_id).toArray().map(toGap);
    const ids = new Set(coveredGapIds(linkable, row.webhook_id, row.from_date, row.to_date));
    if (gapId !== null) ids.add(gapId);
    for (const id of ids) {
      sql.exec(
        "UPDATE gaps SET state = 'requested', job_id = ?, note = NULL, tries = tries + 1 WHERE id = ? AND NOT (state = 'requested' AND job_id = ?)",
        row.job_id, id, row.job_id,
      );
    }
  }
  return getReplayJob(sql, job.job_id)!;
}

export function getReplayJob(sql: SqlStorage, jobId: string): ReplayJobRow | null {
  const r = sql.exec("SELECT * FROM replay_jobs WHERE job_id = ?", jobId).toArray()[0];
  if (!r) return null;
  const ids = sql.exec("SELECT id FROM gaps WHERE job_id = ? ORDER BY id", jobId).toArray().map((g) => Number(g.id));
  return toReplayJob(r, ids);
}

export function listReplayJobs(sql: SqlStorage): ReplayJobRow[] {
  const gaps = gapIdsByJob(sql);
  return sql.exec("SELECT * FROM replay_jobs ORDER BY requested_at DESC").toArray().map((r) => toReplayJob(r, gaps.get(String(r.job_id)) ?? []));
}

/** The job X is (as far as we know) still running, which blocks another request. */
export function openReplayJob(sql: SqlStorage, nowMs: number): ReplayJobRow | null {
  const since = new Date(nowMs - REPLAY_JOB_ASSUMED_OVER_MS).toISOString();
  const r = sql.exec("SELECT job_id FROM replay_jobs WHERE state = 'open' AND requested_at > ? ORDER BY requested_at DESC", since).toArray()[0];
  return r ? getReplayJob(sql, String(r.job_id)) : null;
}

/**
 * From X's `replay_job_status`: close the job and move every gap still `requested` by it to
 * `done` (Complete) or `failed` (Incomplete, with X's description as the note and `failed_at`
 * = `nowIso`, from which revalidation counts the back-off before a retry). Idempotent: a
 * closed job stays as first closed and its gaps are not touched again. Run inside one
 * transaction. Returns whether the job was open.
 */
export function closeReplayJob(sql: SqlStorage, jobId: string, state: "Complete" | "Incomplete", description: string | null, nowIso: string): boolean {
  const n = sql.exec("UPDATE replay_jobs SET state = ?, state_description = ?, closed_at = ? WHERE job_id = ? AND state = 'open'", state, description, nowIso, jobId).rowsWritten;
  if (n === 0) return false;
  const gapState: GapState = state === "Complete" ? "done" : "failed";
  const note = state === "Complete" ? null : `replay job Incomplete${description ? `: ${description}` : ""}`;
  const failedAt = state === "Complete" ? null : nowIso;
  sql.exec("UPDATE gaps SET state = ?, note = ?, failed_at = COALESCE(?, failed_at) WHERE job_id = ? AND state = 'requested'", gapState, note, failedAt, jobId);
  return true;
}
