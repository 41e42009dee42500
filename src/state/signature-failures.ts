/**
 * The per-app record of refused webhook signatures kept in the app's Registry (meta
 * `signature_failures`, docs/storage.md), and the pure merge the Registry applies to each batch
 * an isolate writes. Counting and logging happen on the hot path (webhook/signature-failures.ts).
 */
/** Registry meta key of the app's `SignatureFailureStats` (JSON). */
export const SIGNATURE_FAILURES_META = "signature_failures";
/** Refusals further apart than this start a new streak. */
export const STREAK_GAP_MS = 30 * 60_000;

/** What was refused: an event delivery (POST) or a signed CRC (GET, legacy X signs it). */
export type RefusedRequest = "delivery" | "crc";
/** `<request>_<why>`, why being webhook/signature.ts's SignatureFailure (missing, malformed, mismatch). */
export type RefusalReason = `${RefusedRequest}_${"missing" | "malformed" | "mismatch"}`;

/** Refusals seen by one isolate since its last write for the app. */
export interface SignatureFailureBatch {
  count: number;
  by_reason: Partial<Record<RefusalReason, number>>;
  first_at: string;
  last_at: string;
}

/** What the Registry keeps per app (and the admin API shows as `signature_failures`). */
export interface SignatureFailureStats {
  total: number;
  by_reason: Partial<Record<RefusalReason, number>>;
  first_at: string;
  last_at: string;
  /** Start of the current streak (refusals no more than STREAK_GAP_MS apart) and its size. */
  streak_started_at: string;
  streak_count: number;
}

/** Pure: fold a batch into the stored stats (null: none yet). Order-tolerant: a late batch never moves `last_at` back. */
export function mergeSignatureFailures(stored: SignatureFailureStats | null, batch: SignatureFailureBatch): SignatureFailureStats {
  if (stored === null) {
    return { total: batch.count, by_reason: { ...batch.by_reason }, first_at: batch.first_at, last_at: batch.last_at, streak_started_at: batch.first_at, streak_count: batch.count };
  }
  const by: Partial<Record<RefusalReason, number>> = { ...stored.by_reason };
  for (const [k, n] of Object.entries(batch.by_reason) as [RefusalReason, number][]) by[k] = (by[k] ?? 0) + n;
  const newStreak = Date.parse(batch.first_at) - Date.parse(stored.last_at) > STREAK_GAP_MS;
  return {
    total: stored.total + batch.count,
    by_reason: by,
    first_at: batch.first_at < stored.first_at ? batch.first_at : stored.first_at,
    last_at: batch.last_at > stored.last_at ? batch.last_at : stored.last_at,
    streak_started_at: newStreak ? batch.first_at : stored.streak_started_at,
    streak_count: newStreak ? batch.count : stored.streak_count + batch.count,
  };
}

/** Pure: read stored stats back (tolerates a missing or foreign value: null). */
export function parseSignatureFailures(raw: string | null): SignatureFailureStats | null {
  if (raw === null) return null;
  try {
    const v = JSON.parse(raw) as Partial<SignatureFailureStats>;
    if (typeof v.total !== "number" || typeof v.last_at !== "string" || typeof v.first_at !== "string") return null;
    return {
      total: v.total,
      by_reason: typeof v.by_reason === "object" && v.by_reason !== null ? v.by_reason : {},
      first_at: v.first_at,
      last_at: v.last_at,
      streak_started_at: typeof v.streak_started_at === "string" ? v.streak_started_at : v.first_at,
      streak_count: typeof v.streak_count === "number" ? v.streak_count : v.total,
    };
  } catch {
    return null;
  }
}

