/**
 * Revalidation decisions as pure functions (state in, action out), so every rule can be tested
 * without X: when to trigger a CRC re-check, and whether and which Replay window to request for
 * a period the webhook was down, when to retry one whose Replay ended Incomplete and when to
 * give up on it. Rules from PROTOCOL.md ("CRC", "Replay") and seeds/001.
 */
import { DEFAULT_CRC_STALE_AFTER_SECONDS, type Config, type Flavour } from "../config.ts";
import type { GapRow } from "../state/registry-schema.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface RevalidationSettings {
  /**
   * Re-check when X has not sent a CRC for this long. X re-checks every ~24 h (v2: every 30 min
   * while none succeeded in 24 h) and invalidates after 28 h: 25 h leaves time to recover.
   */
  crcStaleAfterMs: number;
  /** Never trigger re-checks closer together than this (v1.1 allows 15 webhook calls / 15 min). */
  minRecheckIntervalMs: number;
  /** A full run (list + decisions) more often than this returns the last outcome instead. */
  minRunIntervalMs: number;
  /** Alert again about the same problem no sooner than this. */
  alertRepeatMs: number;
}

export const DEFAULT_SETTINGS: RevalidationSettings = {
  crcStaleAfterMs: DEFAULT_CRC_STALE_AFTER_SECONDS * 1000,
  minRecheckIntervalMs: 5 * MINUTE,
  minRunIntervalMs: MINUTE,
  alertRepeatMs: 6 * HOUR,
};

/** X's Replay rules: events are replayable ~10 min after they happen. */
export const REPLAY_TO_MIN_AGE_MS = 10 * MINUTE;
export const REPLAY_FROM_MIN_AGE_MS = 31 * MINUTE;
/** Stay this far inside the lookback so a request is not refused for being a minute too old. */
const LOOKBACK_MARGIN_MS = 5 * MINUTE;

export function replaySupported(flavour: Flavour): boolean {
  return flavour !== "v1.1-premium";
}

/** How far back Replay reaches: 5 days (v1.1 Enterprise), 24 h (v2 pages; XAA uses v2's). */
export function replayLookbackMs(flavour: Flavour): number {
  return flavour === "v1.1-enterprise" ? 5 * 24 * HOUR : 24 * HOUR;
}

export type RecheckReason = "invalid" | "crc_stale" | "no_crc_seen" | "signatures_refused";

export interface RecheckInput {
  valid: boolean;
  createdAt: string;
  lastCrcAt: string | null;
  lastRecheckAt: string | null;
  nowMs: number;
  settings: RevalidationSettings;
  /**
   * The receiver is refusing X's signed requests right now (signature-policy.ts refusalState):
   * X's `valid` may be stale, so a valid webhook is re-checked too (X's CRC then tells).
   */
  refusing?: boolean;
}

export type RecheckDecision =
  | { recheck: true; reason: RecheckReason }
  | { recheck: false; reason: RecheckReason | null; deferredUntil?: string };

/** Re-check when X says invalid, or X's CRCs stopped arriving, at most once per interval. */
export function decideRecheck(input: RecheckInput): RecheckDecision {
  const { nowMs, settings } = input;
  let reason: RecheckReason | null = null;
  if (!input.valid) reason = "invalid";
  else if (input.refusing === true) reason = "signatures_refused";
  else {
    const ref = Date.parse(input.lastCrcAt ?? input.createdAt);
    if (Number.isNaN(ref) || nowMs - ref > settings.crcStaleAfterMs) reason = input.lastCrcAt ? "crc_stale" : "no_crc_seen";
  }
  if (reason === null) return { recheck: false, reason: null };
  const last = input.lastRecheckAt === null ? NaN : Date.parse(input.lastRecheckAt);
  if (!Number.isNaN(last) && nowMs - last < settings.minRecheckIntervalMs) {
    return { recheck: false, reason, deferredUntil: new Date(last + settings.minRecheckIntervalMs).toISOString() };
  }
  return { recheck: true, reason };
}

/**
 * Replay jobs (tries) spent on one gap at most, the first included. X's Replay can end
 * Incomplete for reasons on X's side, so a failed gap is retried; Replay calls are scarce (one
 * job per webhook at a time, a monthly allowance), so only a few times.
 */
export const MAX_REPLAY_TRIES = 3;
/** Wait after the n-th failure (index n - 1) before trying again; the last entry for any later one. */
export const REPLAY_RETRY_BACKOFF_MS: readonly number[] = [HOUR, 4 * HOUR];

/** Pure: how long to wait after a gap's `failures`-th Incomplete before the next try. */
export function replayRetryBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return REPLAY_RETRY_BACKOFF_MS[Math.min(failures, REPLAY_RETRY_BACKOFF_MS.length) - 1]!;
}

export type RetryDecision =
  | { kind: "retry" }
  | { kind: "backoff"; until: string }
  | { kind: "give_up"; reason: string };

/**
 * The earliest instant a Replay window may start at now: the lookback, less a margin so a
 * request is not refused for being a minute too old. Shared by first tries and retries.
 */
function earliestReplayMs(flavour: Flavour, nowMs: number): number {
  return nowMs - replayLookbackMs(flavour) + LOOKBACK_MARGIN_MS;
}

/**
 * Pure: whether a `failed` gap (its Replay ended Incomplete) is tried again now. Given up when
 * it already had MAX_REPLAY_TRIES tries, or its window has wholly left X's Replay lookback
 * (a window partly inside is retried, clipped like a first try); otherwise retried once the
 * back-off after its last failure has passed. A failed gap with no `failed_at` (failed before
 * that was recorded) counts as past its back-off: it is still bounded by its tries.
 */
export function decideRetry(gap: GapRow, flavour: Flavour, nowMs: number): RetryDecision {
  const tries = Math.max(gap.tries, 1); // failed means at least one job ran
  if (!replaySupported(flavour)) return { kind: "give_up", reason: `the ${flavour} flavour has no Replay API` };
  if (tries >= MAX_REPLAY_TRIES) return { kind: "give_up", reason: `Replay ended Incomplete ${tries} times (at most ${MAX_REPLAY_TRIES} tries)` };
  const toRaw = gap.to_at === null ? NaN : Date.parse(gap.to_at);
  if (Number.isNaN(toRaw)) return { kind: "give_up", reason: "gap has no usable window" };
  if (toRaw <= earliestReplayMs(flavour, nowMs)) {
    return { kind: "give_up", reason: `the gap has left X's Replay lookback (${replayLookbackMs(flavour) / HOUR} hours) after ${tries} failed ${tries === 1 ? "try" : "tries"}` };
  }
  const failedAt = gap.failed_at === null ? NaN : Date.parse(gap.failed_at);
  if (!Number.isNaN(failedAt)) {
    const until = failedAt + replayRetryBackoffMs(tries);
    if (nowMs < until) return { kind: "backoff", until: new Date(until).toISOString() };
  }
  return { kind: "retry" };
}

/** Pure: the failed gaps to mark `given_up` now (each alerted once), with why. */
export function gapsToGiveUp(flavour: Flavour, gaps: readonly GapRow[], nowMs: number): { gapId: number; reason: string }[] {
  const out: { gapId: number; reason: string }[] = [];
  for (const g of gaps) {
    if (g.state !== "failed") continue;
    const d = decideRetry(g, flavour, nowMs);
    if (d.kind === "give_up") out.push({ gapId: g.id, reason: d.reason });
  }
  return out;
}

export type ReplayPlan =
  | { kind: "none" }
  | { kind: "request"; gapId: number; from: Date; to: Date; clipped: boolean }
  | { kind: "wait"; gapId: number; reason: string }
  | { kind: "skip"; gapId: number; reason: string };

export interface ReplayInput {
  flavour: Flavour;
  gaps: readonly GapRow[];
  /** A Replay job is open for the app's webhook (one job per webhook at a time). */
  jobOpen: boolean;
  nowMs: number;
}

const floorMinute = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;
const ceilMinute = (ms: number): number => Math.ceil(ms / MINUTE) * MINUTE;

/**
 * The next Replay to request: the oldest closed gap (the webhook is valid again) or failed gap
 * due for a retry (decideRetry), once its window is old enough for X (`to` >= 10 min ago,
 * `from` >= 31 min ago, in whole minutes), clipped to the lookback, one job at a time. Failed
 * gaps to give up are left to gapsToGiveUp; one still backing off is a `wait` when nothing
 * else is due.
 */
export function planReplay(input: ReplayInput): ReplayPlan {
  const retry = (g: GapRow) => g.state === "failed" && decideRetry(g, input.flavour, input.nowMs).kind === "retry";
  const gap = input.gaps.find((g) => (g.state === "closed" && g.to_at !== null) || retry(g));
  if (gap === undefined) {
    for (const g of input.gaps) {
      if (g.state !== "failed") continue;
      const d = decideRetry(g, input.flavour, input.nowMs);
      if (d.kind === "backoff") return { kind: "wait", gapId: g.id, reason: `retry of a failed Replay backs off until ${d.until}` };
    }
    return { kind: "none" };
  }
  if (!replaySupported(input.flavour)) return { kind: "skip", gapId: gap.id, reason: `the ${input.flavour} flavour has no Replay API` };
  const fromRaw = Date.parse(gap.from_at);
  const toRaw = Date.parse(gap.to_at!);
  if (Number.isNaN(fromRaw) || Number.isNaN(toRaw) || toRaw < fromRaw) return { kind: "skip", gapId: gap.id, reason: "gap has no usable window" };
  const earliest = earliestReplayMs(input.flavour, input.nowMs);
  if (toRaw <= earliest) return { kind: "skip", gapId: gap.id, reason: "gap is older than the Replay lookback" };
  const clipped = fromRaw < earliest;
  let from = floorMinute(Math.max(fromRaw, earliest));
  if (from < earliest) from += MINUTE;
  let to = ceilMinute(toRaw);
  if (to === from) to += MINUTE;
  if (input.nowMs - to < REPLAY_TO_MIN_AGE_MS) return { kind: "wait", gapId: gap.id, reason: "window end is less than 10 minutes ago" };
  if (input.nowMs - from < REPLAY_FROM_MIN_AGE_MS) return { kind: "wait", gapId: gap.id, reason: "window start is less than 31 minutes ago" };
  if (input.jobOpen) return { kind: "wait", gapId: gap.id, reason: "a Replay job is already open for this webhook" };
  return { kind: "request", gapId: gap.id, from: new Date(from), to: new Date(to), clipped };
}

/** Whether to raise an alert for a problem last alerted at `lastMs` (null: never). */
export function shouldAlert(lastMs: number | null, nowMs: number, settings: Pick<RevalidationSettings, "alertRepeatMs">): boolean {
  return lastMs === null || nowMs - lastMs >= settings.alertRepeatMs;
}

/** The settings for a deployment: `CRC_STALE_AFTER_SECONDS` is validated by parseConfig. */
export function settingsFrom(config: Pick<Config, "crcStaleAfterSeconds">): RevalidationSettings {
  return { ...DEFAULT_SETTINGS, crcStaleAfterMs: config.crcStaleAfterSeconds * 1000 };
}
