/**
 * What the receiver's own refusals of X's signatures mean for revalidation, as pure functions:
 * whether the app is being refused right now, whether that has lasted long enough to alert
 * (`signature_failures`), and the likely cause of a failed CRC re-check from what the receiver
 * itself saw (refusals, or a CRC it answered that X still rejected).
 *
 * Why the receiver must look at this: X's webhook list can say `valid` while every delivery gets
 * a 401 here (X invalidates only after its CRCs fail for hours), so trusting X's flag alone
 * reported a webhook healthy while nothing arrived.
 */
import type { SignatureFailureStats } from "../state/signature-failures.ts";

const MINUTE = 60_000;

/** Refusals newer than this count as "happening now". */
export const REFUSING_WINDOW_MS = 30 * MINUTE;
/** A streak must have lasted this long, with at least PERSIST_MIN_COUNT refusals, to alert. */
export const PERSIST_MIN_MS = 5 * MINUTE;
export const PERSIST_MIN_COUNT = 3;

export const SIGNATURE_ALERT_MESSAGE = "X's deliveries are being refused: the consumer secret here probably differs from the app's";

export interface RefusalState {
  /** The receiver refused X's requests recently and no delivery has been accepted since. */
  refusing: boolean;
  /** Refusing, for long enough and often enough to alert. */
  persisting: boolean;
}

/**
 * Pure. `lastAcceptedAt`: the newest delivery the receiver accepted (the ingest consumer's
 * `last_delivery.at`), which shows the secret matches again after a refusal.
 */
export function refusalState(stats: SignatureFailureStats | null, lastAcceptedAt: string | null, nowMs: number): RefusalState {
  if (stats === null) return { refusing: false, persisting: false };
  const last = Date.parse(stats.last_at);
  if (Number.isNaN(last) || nowMs - last > REFUSING_WINDOW_MS) return { refusing: false, persisting: false };
  if (lastAcceptedAt !== null && lastAcceptedAt > stats.last_at) return { refusing: false, persisting: false };
  const since = Date.parse(stats.streak_started_at);
  const persisting = stats.streak_count >= PERSIST_MIN_COUNT && !Number.isNaN(since) && nowMs - since >= PERSIST_MIN_MS;
  return { refusing: true, persisting };
}

/** "12 refused since 2026-12-04T10:00:00.000Z (delivery_mismatch 10, crc_mismatch 2)". */
export function describeRefusals(stats: SignatureFailureStats): string {
  const reasons = Object.entries(stats.by_reason)
    .filter((e): e is [string, number] => typeof e[1] === "number" && e[1] > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  return `${stats.streak_count} refused since ${stats.streak_started_at}, last at ${stats.last_at} (${reasons})`;
}

export interface CrcDiagnosisInput {
  /** The secret that signs CRC answers and verifies deliveries for this app (its name only). */
  secretName: string;
  stats: SignatureFailureStats | null;
  /** The newest refusal this isolate saw but may not have written yet (ISO), or null. */
  refusedHereAt: string | null;
  /** When the re-check started (ms): refusals and CRC answers at or after it happened during it. */
  startedMs: number;
  /** When the receiver last answered a CRC (ms), or null. */
  crcAnsweredMs: number | null;
  /** How far back a refusal still explains a failure. */
  windowMs?: number;
}

/**
 * Pure: the likely cause of a failed CRC re-check from what the receiver saw, or null when it
 * saw nothing (then X's own advice stands: the receiver is unreachable or the URL is wrong).
 */
export function likelyCrcCause(input: CrcDiagnosisInput): string | null {
  const window = input.windowMs ?? REFUSING_WINDOW_MS;
  const recentRefusal = [input.stats?.last_at ?? null, input.refusedHereAt]
    .map((at) => (at === null ? NaN : Date.parse(at)))
    .some((ms) => !Number.isNaN(ms) && input.startedMs - ms <= window);
  const secretFix = `Set ${input.secretName} to the app's consumer secret (API secret) from X's developer portal, then re-check.`;
  if (recentRefusal) {
    const seen = input.stats === null ? "" : ` (${describeRefusals(input.stats)})`;
    return `The receiver refused X's signed requests${seen}: the consumer secret here probably differs from the app's. ${secretFix}`;
  }
  if (input.crcAnsweredMs !== null && input.crcAnsweredMs >= input.startedMs - 1000) {
    return `The receiver answered X's CRC, but X rejected the answer: the consumer secret here probably differs from the app's (the response_token is signed with it). ${secretFix}`;
  }
  return null;
}
