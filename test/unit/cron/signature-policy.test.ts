/**
 * The pure rules behind signature-failure visibility: how batches merge into the Registry's
 * record (streaks), when the receiver counts as refusing now and when that persists enough to
 * alert, the likely cause of a failed re-check, and the isolate tally's once-a-minute writes.
 */
import { describe, expect, it } from "vitest";
import { likelyCrcCause, refusalState } from "../../../src/cron/signature-policy.ts";
import { mergeSignatureFailures, parseSignatureFailures, STREAK_GAP_MS, type SignatureFailureStats } from "../../../src/state/signature-failures.ts";
import { SignatureFailureTally } from "../../../src/webhook/signature-failures.ts";

const M = 60_000;
const T0 = Date.parse("2026-12-04T10:00:00.000Z");
const iso = (ms: number): string => new Date(ms).toISOString();
const batch = (fromMs: number, toMs: number, count: number) => ({ count, by_reason: { delivery_mismatch: count }, first_at: iso(fromMs), last_at: iso(toMs) });

describe("mergeSignatureFailures", () => {
  it("adds counts by reason and extends the streak while refusals keep coming", () => {
    const a = mergeSignatureFailures(null, batch(T0, T0 + M, 2));
    const b = mergeSignatureFailures(a, { count: 1, by_reason: { crc_mismatch: 1 }, first_at: iso(T0 + 5 * M), last_at: iso(T0 + 5 * M) });
    expect(b).toEqual({ total: 3, by_reason: { delivery_mismatch: 2, crc_mismatch: 1 }, first_at: iso(T0), last_at: iso(T0 + 5 * M), streak_started_at: iso(T0), streak_count: 3 });
  });

  it("starts a new streak after a quiet gap, keeping the totals", () => {
    const a = mergeSignatureFailures(null, batch(T0, T0, 5));
    const later = T0 + STREAK_GAP_MS + M;
    const b = mergeSignatureFailures(a, batch(later, later, 1));
    expect(b).toMatchObject({ total: 6, streak_started_at: iso(later), streak_count: 1, first_at: iso(T0) });
  });

  it("a late batch never moves last_at back", () => {
    const a = mergeSignatureFailures(null, batch(T0 + 10 * M, T0 + 10 * M, 1));
    expect(mergeSignatureFailures(a, batch(T0, T0, 1)).last_at).toBe(iso(T0 + 10 * M));
  });

  it("parses back what it stored, and null for junk", () => {
    const a = mergeSignatureFailures(null, batch(T0, T0, 1));
    expect(parseSignatureFailures(JSON.stringify(a))).toEqual(a);
    expect(parseSignatureFailures("not json")).toBeNull();
    expect(parseSignatureFailures('{"total":"x"}')).toBeNull();
  });
});

describe("refusalState", () => {
  const stats = (startMs: number, lastMs: number, count: number): SignatureFailureStats => ({ total: count, by_reason: { delivery_mismatch: count }, first_at: iso(startMs), last_at: iso(lastMs), streak_started_at: iso(startMs), streak_count: count });

  it("refusing when the last refusal is recent and no delivery was accepted since", () => {
    expect(refusalState(stats(T0, T0 + M, 2), null, T0 + 2 * M)).toEqual({ refusing: true, persisting: false });
    expect(refusalState(stats(T0, T0 + M, 2), iso(T0), T0 + 2 * M)).toEqual({ refusing: true, persisting: false });
  });

  it("persisting after 5 minutes and 3 refusals", () => {
    expect(refusalState(stats(T0, T0 + 6 * M, 3), null, T0 + 6 * M)).toEqual({ refusing: true, persisting: true });
    expect(refusalState(stats(T0, T0 + 6 * M, 2), null, T0 + 6 * M).persisting).toBe(false);
    expect(refusalState(stats(T0, T0 + 4 * M, 9), null, T0 + 4 * M).persisting).toBe(false);
  });

  it("not refusing once a delivery was accepted after the last refusal, or after 30 quiet minutes", () => {
    expect(refusalState(stats(T0, T0 + M, 9), iso(T0 + 2 * M), T0 + 3 * M).refusing).toBe(false);
    expect(refusalState(stats(T0, T0 + M, 9), null, T0 + 32 * M).refusing).toBe(false);
    expect(refusalState(null, null, T0).refusing).toBe(false);
  });
});

describe("likelyCrcCause", () => {
  const base = { secretName: "X_CONSUMER_SECRET_ACME", stats: null, refusedHereAt: null, startedMs: T0, crcAnsweredMs: null };

  it("refusals seen (stored or only in this isolate): the consumer secret, named", () => {
    expect(likelyCrcCause({ ...base, refusedHereAt: iso(T0 + 100) })).toMatch(/refused X's signed requests: the consumer secret here probably differs from the app's\. Set X_CONSUMER_SECRET_ACME/);
    const stats = mergeSignatureFailures(null, batch(T0 - 5 * M, T0 - M, 4));
    expect(likelyCrcCause({ ...base, stats })).toMatch(/4 refused since/);
  });

  it("a CRC answered during the re-check that X still rejected: the secret too", () => {
    expect(likelyCrcCause({ ...base, crcAnsweredMs: T0 + 200 })).toMatch(/answered X's CRC, but X rejected the answer/);
  });

  it("nothing seen: null (X's own advice, unreachable or wrong URL, stands)", () => {
    expect(likelyCrcCause({ ...base, crcAnsweredMs: T0 - 10 * M })).toBeNull();
    expect(likelyCrcCause({ ...base, stats: mergeSignatureFailures(null, batch(T0 - 90 * M, T0 - 60 * M, 4)) })).toBeNull();
  });
});

describe("SignatureFailureTally", () => {
  it("hands out the first refusal at once, then at most one batch per interval with everything in between", () => {
    const t = new SignatureFailureTally(M);
    expect(t.record("a", "delivery_mismatch", T0)).toMatchObject({ count: 1 });
    for (let i = 1; i <= 10; i++) expect(t.record("a", "delivery_mismatch", T0 + i * 1000)).toBeNull();
    expect(t.pending("a")).toMatchObject({ count: 10 });
    expect(t.record("a", "crc_missing", T0 + M)).toMatchObject({ count: 11, by_reason: { delivery_mismatch: 10, crc_missing: 1 } });
    expect(t.pending("a")).toBeNull();
    expect(t.record("b", "delivery_missing", T0 + M)).toMatchObject({ count: 1 }); // per app
    expect(t.lastRefusal("a")).toEqual({ at: iso(T0 + M), reason: "crc_missing" });
  });
});
