/**
 * The Registry's webhook SQL, as plain functions over its SqlStorage (the Durable Object in
 * registry.ts calls them and then refreshes the KV mirror): X's view of each webhook, CRCs seen,
 * re-check outcomes, and the validity changes that open and close delivery gaps.
 */
import * as replay from "./registry-replay.ts";
import { toWebhook, type WebhookRow } from "./registry-schema.ts";

/** What X says about a webhook (its list, a register answer, a re-check). */
export interface WebhookObservation {
  id: string;
  url: string;
  valid: boolean;
  created_at: string;
}

/** Newest first: the first is the app's current webhook. */
export function listWebhooks(sql: SqlStorage): WebhookRow[] {
  return sql.exec("SELECT * FROM webhooks ORDER BY created_at DESC").toArray().map(toWebhook);
}

export function webhook(sql: SqlStorage, id: string): WebhookRow | null {
  const r = sql.exec("SELECT * FROM webhooks WHERE id = ?", id).toArray()[0];
  return r ? toWebhook(r) : null;
}

/**
 * Record a webhook's validity. A valid webhook ends any open gap; a newly invalid one opens a
 * gap starting at the last moment it was known good (events after it may be lost).
 */
export function applyValidity(sql: SqlStorage, w: WebhookObservation, valid: boolean, nowIso: string): void {
  const prev = webhook(sql, w.id);
  if (prev === null) {
    sql.exec(
      "INSERT INTO webhooks (id, url, valid, created_at, invalid_since, last_ok_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      w.id, w.url, valid ? 1 : 0, w.created_at, valid ? null : nowIso, valid ? nowIso : null, nowIso,
    );
  } else {
    sql.exec(
      "UPDATE webhooks SET url = ?, valid = ?, invalid_since = ?, last_ok_at = ?, updated_at = ? WHERE id = ?",
      w.url, valid ? 1 : 0, valid ? null : (prev.invalid_since ?? nowIso), valid ? nowIso : prev.last_ok_at, nowIso, w.id,
    );
  }
  replay.trackGap(sql, w.id, valid, prev?.last_ok_at ?? nowIso, nowIso);
}

/** Replace our list with X's: rows X no longer has are removed. */
export function syncWebhooks(sql: SqlStorage, list: readonly WebhookObservation[], nowIso: string): void {
  const ids = new Set(list.map((w) => w.id));
  for (const row of listWebhooks(sql)) if (!ids.has(row.id)) sql.exec("DELETE FROM webhooks WHERE id = ?", row.id);
  for (const w of list) applyValidity(sql, w, w.valid, nowIso);
}

/** Delete a webhook; its unfinished gaps are skipped (nothing can replay them any more). */
export function removeWebhook(sql: SqlStorage, id: string): boolean {
  const n = sql.exec("DELETE FROM webhooks WHERE id = ?", id).rowsWritten;
  replay.skipWebhookGaps(sql, id, "webhook deleted");
  return n > 0;
}

/** A CRC from X arrived; an older report (CRCs are recorded asynchronously) never moves it back. */
export function recordCrcSeen(sql: SqlStorage, id: string, atIso: string, ip: string | null): void {
  sql.exec("UPDATE webhooks SET last_crc_at = ?, last_crc_ip = ? WHERE id = ? AND (last_crc_at IS NULL OR last_crc_at < ?)", atIso, ip, id, atIso);
}

/** Outcome of a PUT re-check. `error` is the XApiError kind and fix, never a secret. Null: unknown webhook. */
export function recordRecheck(sql: SqlStorage, id: string, ok: boolean, error: string | null, nowIso: string): WebhookRow | null {
  const row = webhook(sql, id);
  if (row === null) return null;
  sql.exec("UPDATE webhooks SET last_recheck_at = ?, last_recheck_result = ?, last_recheck_error = ? WHERE id = ?", nowIso, ok ? "ok" : "failed", error, id);
  applyValidity(sql, row, ok, nowIso);
  return webhook(sql, id);
}
