/**
 * What the receiver saw of X's requests for one app, for revalidation and the admin re-check:
 * the Registry's signature-failure record plus this isolate's not-yet-written refusals and its
 * last CRC answer (a re-check's CRC often reaches the same isolate a moment before X answers).
 * Decisions are in signature-policy.ts (pure).
 */
import { secretName } from "../config.ts";
import type { SignatureFailureStats } from "../state/signature-failures.ts";
import { lastCrcAnsweredHere } from "../webhook/crc-record.ts";
import { isolateTally } from "../webhook/signature-failures.ts";
import { XApiError } from "../x-api/errors.ts";
import type { AppContext } from "../control/context.ts";
import { likelyCrcCause } from "./signature-policy.ts";

/** The app's refusal record, with this isolate's pending refusals folded in (read-only). */
export async function refusalsSeen(ctx: AppContext): Promise<SignatureFailureStats | null> {
  const stored = await ctx.registry.signatureFailures();
  const pending = isolateTally.pending(ctx.app.name);
  if (pending === null) return stored;
  if (stored === null) {
    return { total: pending.count, by_reason: { ...pending.by_reason }, first_at: pending.first_at, last_at: pending.last_at, streak_started_at: pending.first_at, streak_count: pending.count };
  }
  const by = { ...stored.by_reason };
  for (const [k, n] of Object.entries(pending.by_reason) as [keyof typeof by, number][]) by[k] = (by[k] ?? 0) + n;
  return { ...stored, total: stored.total + pending.count, by_reason: by, last_at: pending.last_at > stored.last_at ? pending.last_at : stored.last_at, streak_count: stored.streak_count + pending.count };
}

/**
 * A failed CRC re-check, its fix replaced by the likely cause when the receiver saw one (its own
 * refusals, or a CRC it answered that X rejected); otherwise the error as X's client made it.
 */
export async function diagnoseCrcFailure(ctx: AppContext, err: XApiError, startedMs: number): Promise<XApiError> {
  // A slow answer is its own cause (crc_latency's fix says so); only a refused or rejected CRC is diagnosed.
  if (!err.kind.startsWith("crc_") || err.kind === "crc_latency") return err;
  const cause = likelyCrcCause({
    secretName: secretName("X_CONSUMER_SECRET", ctx.app.name),
    stats: await refusalsSeen(ctx),
    refusedHereAt: isolateTally.lastRefusal(ctx.app.name)?.at ?? null,
    startedMs,
    // A non-200 means X never got a 200 answer from here (a 404 for a URL of another app, say):
    // a CRC this receiver answered for the app cannot explain it, only its own refusals can.
    crcAnsweredMs: err.kind === "crc_non_200" ? null : lastCrcAnsweredHere(ctx.app.name),
  });
  if (cause === null) return err;
  return new XApiError({ status: err.status, code: err.code, xMessage: err.xMessage, kind: err.kind, fix: cause, cause: err });
}
