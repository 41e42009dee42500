/**
 * Refused signatures, made visible: a wrong consumer secret makes X's deliveries (and legacy X's
 * signed CRC) fail with 401, and before this nobody saw it. Every refusal is
 *
 * - logged: one line naming the app, what was refused (delivery or CRC) and why (missing,
 *   malformed, mismatch), never a header, a body or a secret;
 * - counted per app in this isolate, and the counts merged into the app's Registry (meta
 *   `signature_failures`) at most once a minute per isolate and app, handed to `ctx.waitUntil`
 *   so the 401 is never delayed. A flood of forged requests therefore costs at most one small
 *   RPC per isolate per minute, never a storage write per request. The first refusal after a
 *   quiet minute is written at once; refusals within the minute after a write wait in the
 *   isolate for the next refusal after it (a count still pending when the isolate is evicted
 *   is lost: these numbers inform, they are not data).
 *
 * The Registry keeps totals by reason, the first and last refusal, and the current streak
 * (refusals with no more than STREAK_GAP_MS between them). The admin API and `status` show it;
 * the cron's revalidation reads it to alert (`signature_failures`) and to never call a webhook
 * healthy while the receiver refuses what X sends (cron/signature-policy.ts).
 */
import type { RefusalReason, RefusedRequest, SignatureFailureBatch } from "../state/signature-failures.ts";
import type { SignatureFailure } from "./signature.ts";

export type { RefusalReason, RefusedRequest, SignatureFailureBatch, SignatureFailureStats } from "../state/signature-failures.ts";

/** At most one Registry write per app per this interval, per isolate. */
export const SIGNATURE_FLUSH_INTERVAL_MS = 60_000;

interface Pending {
  batch: SignatureFailureBatch | null;
  lastFlushMs: number | null;
  /** Newest refusal this isolate saw for the app (flushed or not): for diagnosis. */
  lastRefusal: { at: string; reason: RefusalReason } | null;
}

/**
 * Per-isolate tally. Memory is bounded by the number of configured apps: the routes only record
 * refusals for apps that exist in config (an unknown app is a 404 before any signature check).
 */
export class SignatureFailureTally {
  private readonly apps = new Map<string, Pending>();
  private readonly intervalMs: number;

  constructor(intervalMs = SIGNATURE_FLUSH_INTERVAL_MS) {
    this.intervalMs = intervalMs;
  }

  /** Count one refusal; returns the batch to write now, or null while the app's minute is not up. */
  record(app: string, reason: RefusalReason, nowMs: number): SignatureFailureBatch | null {
    let p = this.apps.get(app);
    if (p === undefined) {
      p = { batch: null, lastFlushMs: null, lastRefusal: null };
      this.apps.set(app, p);
    }
    const at = new Date(nowMs).toISOString();
    p.lastRefusal = { at, reason };
    const b = p.batch ?? { count: 0, by_reason: {}, first_at: at, last_at: at };
    b.count += 1;
    b.by_reason[reason] = (b.by_reason[reason] ?? 0) + 1;
    b.last_at = at;
    p.batch = b;
    if (p.lastFlushMs !== null && nowMs - p.lastFlushMs < this.intervalMs) return null;
    p.lastFlushMs = nowMs;
    p.batch = null;
    return b;
  }

  /** Refusals not yet written, for the app (null: none). */
  pending(app: string): SignatureFailureBatch | null {
    return this.apps.get(app)?.batch ?? null;
  }

  /** The newest refusal this isolate saw for the app, written or not. */
  lastRefusal(app: string): { at: string; reason: RefusalReason } | null {
    return this.apps.get(app)?.lastRefusal ?? null;
  }
}

/** The isolate's tally (module state: one per isolate, like the CRC record throttle). */
export const isolateTally = new SignatureFailureTally();

/** The one log line per refused request: app, what, why, and the caller's IP when the edge gave it. */
export function logRefusal(app: string, what: RefusedRequest, reason: SignatureFailure, ip: string | null): void {
  console.warn(JSON.stringify({
    msg: "webhook signature refused",
    app,
    request: what,
    reason,
    ...(ip ? { ip } : {}),
    hint: "X's requests are refused when X_CONSUMER_SECRET here differs from the app's consumer secret at X",
  }));
}

/** What the routes call on a refusal: log, count, and maybe hand one Registry write to waitUntil. */
export function recordRefusal(
  write: (batch: SignatureFailureBatch) => Promise<unknown>,
  ctx: ExecutionContext,
  app: string,
  what: RefusedRequest,
  reason: SignatureFailure,
  ip: string | null,
  nowMs: number,
  tally: SignatureFailureTally = isolateTally,
): void {
  logRefusal(app, what, reason, ip);
  const batch = tally.record(app, `${what}_${reason}`, nowMs);
  if (batch === null) return;
  ctx.waitUntil(
    write(batch).catch((err: unknown) => {
      console.error(JSON.stringify({ msg: "signature failure count write failed", app, error: err instanceof Error ? err.name : "unknown" }));
    }),
  );
}
