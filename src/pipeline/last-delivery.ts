/**
 * "When did this app last receive a delivery from X?": telemetry the ingest consumer records off
 * the webhook's hot path, for the admin status and the cron's silence alert (cron/silence-check.ts).
 *
 * Where: the app's Registry Durable Object meta (`last_delivery`), not the KV mirror. The silence
 * check reads it next to the app's subscriptions and webhook in the same object, strongly
 * consistent (KV's ~60 s lag is harmless here, but a read-modify-write through KV could let an
 * older batch overwrite a newer time; the Registry keeps the newest atomically), and it costs at
 * most one small RPC per app per minute.
 *
 * Cheap by construction: per batch the newest `received_at` (and the newest event `created_at`)
 * per app is merged into an in-isolate pending value, and an app's pending value is written at
 * most once per `LAST_DELIVERY_WRITE_INTERVAL_MS` per isolate. So the recorded time lags the
 * true last delivery by at most about that interval (a value still pending when the isolate is
 * evicted is lost; the next delivery replaces it). A failed write is logged and retried after the
 * interval; it never fails a batch or changes a message's ack or retry: the events matter, this
 * only informs.
 */
import type { Envelope } from "../events/envelope.ts";

/** Registry meta key of the app's `LastDelivery` (JSON). */
export const LAST_DELIVERY_META = "last_delivery";
/** At most one write per app per this interval (per isolate). */
export const LAST_DELIVERY_WRITE_INTERVAL_MS = 60_000;

export interface LastDelivery {
  /** `received_at` of the newest delivery seen (ISO 8601, when this receiver accepted it). */
  at: string;
  /** `created_at` of the newest event in the deliveries seen (X's time), or null if none had one. */
  event_created_at: string | null;
}

/** Pure: the later of two ISO times (either may be null; an unparseable one loses). */
export function laterIso(a: string | null, b: string | null): string | null {
  const am = a === null ? NaN : Date.parse(a);
  const bm = b === null ? NaN : Date.parse(b);
  if (Number.isNaN(am)) return Number.isNaN(bm) ? null : b;
  if (Number.isNaN(bm)) return a;
  return bm > am ? b : a;
}

/** Pure: merge two records field by field, keeping the newest of each. */
export function mergeLastDelivery(a: LastDelivery | null, b: LastDelivery | null): LastDelivery | null {
  if (a === null) return b;
  if (b === null) return a;
  return { at: laterIso(a.at, b.at) ?? a.at, event_created_at: laterIso(a.event_created_at, b.event_created_at) };
}

/** Pure: the newest `created_at` among envelopes, or null. */
export function newestCreatedAt(envelopes: readonly Pick<Envelope, "created_at">[]): string | null {
  let newest: string | null = null;
  for (const e of envelopes) newest = laterIso(newest, e.created_at);
  return newest;
}

/** What one batch saw, per app. Filled by the consumer while it handles the messages. */
export class BatchDeliveries {
  readonly byApp = new Map<string, LastDelivery>();

  /** A delivery of `app` received at `receivedAt`; `createdAt`: its newest event's time, if known. */
  note(app: string, receivedAt: string, createdAt: string | null = null): void {
    if (Number.isNaN(Date.parse(receivedAt))) return;
    const merged = mergeLastDelivery(this.byApp.get(app) ?? null, { at: receivedAt, event_created_at: createdAt });
    if (merged !== null) this.byApp.set(app, merged);
  }
}

/** Pure: whether an app last written at `lastWriteMs` (undefined: never, here) may be written now. */
export function writeDue(lastWriteMs: number | undefined, nowMs: number): boolean {
  return lastWriteMs === undefined || nowMs - lastWriteMs >= LAST_DELIVERY_WRITE_INTERVAL_MS;
}

/** Writes one app's record (merging with what is stored). Production: the app's Registry. */
export type LastDeliveryWriter = (app: string, value: LastDelivery) => Promise<unknown>;

/** The per-isolate throttle and pending values. One instance per isolate (`lastDeliveryRecorder`). */
export class LastDeliveryRecorder {
  private readonly pending = new Map<string, LastDelivery>();
  private readonly writtenAt = new Map<string, number>();
  private now: () => number;

  constructor(now: () => number = () => Date.now()) {
    this.now = now;
  }

  /**
   * Merge a batch's deliveries into the pending values, then write every app whose write is due.
   * Never throws: a failed write is logged and kept pending for the next interval.
   */
  async record(seen: BatchDeliveries, write: LastDeliveryWriter): Promise<void> {
    for (const [app, value] of seen.byApp) {
      const merged = mergeLastDelivery(this.pending.get(app) ?? null, value);
      if (merged !== null) this.pending.set(app, merged);
    }
    const nowMs = this.now();
    const due = [...this.pending].filter(([app]) => writeDue(this.writtenAt.get(app), nowMs));
    await Promise.all(due.map(async ([app, value]) => {
      // Counted as written even if it fails: a failing Registry is not asked again every batch.
      this.writtenAt.set(app, nowMs);
      try {
        await write(app, value);
        if (this.pending.get(app) === value) this.pending.delete(app);
      } catch (error) {
        console.warn(JSON.stringify({ msg: "last delivery not recorded (telemetry only; events unaffected)", app, error: String(error) }));
      }
    }));
  }

  /** Tests: forget the throttle and pending values, and optionally use another clock. */
  reset(now?: () => number): void {
    this.pending.clear();
    this.writtenAt.clear();
    if (now !== undefined) this.now = now;
  }
}

/** The isolate's recorder: the ingest consumer's throttle lives as long as the isolate. */
export const lastDeliveryRecorder = new LastDeliveryRecorder();
