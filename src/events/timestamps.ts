/**
 * X's event timestamps, in the formats it actually uses, turned into ISO 8601 (UTC, ms).
 * Anything else yields null rather than a guess: `Date.parse` accepts far more than X sends and
 * its leniency differs between engines, so each format is matched explicitly first.
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** v1.1 `created_at`: `Mon May 19 14:01:46 +0000 2025`. */
const TWITTER_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) (\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$/;

/** RFC 3339 / ISO 8601 with a zone: revoke `date_time`, XAA `created_at`. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Epoch milliseconds as text: `timestamp_ms` (sometimes), `created_timestamp`. */
const EPOCH_MS_TEXT = /^\d{1,16}$/;

function fromEpochMs(ms: number): string | null {
  if (!Number.isSafeInteger(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function fromTwitterDate(text: string): string | null {
  const m = TWITTER_DATE.exec(text);
  if (!m) return null;
  const [, mon, day, hh, mm, ss, sign, offH, offM, year] = m;
  const month = MONTHS.indexOf(mon ?? "");
  if (month < 0) return null;
  const offsetMinutes = (sign === "-" ? -1 : 1) * (Number(offH) * 60 + Number(offM));
  const utc =
    Date.UTC(Number(year), month, Number(day), Number(hh), Number(mm), Number(ss)) -
    offsetMinutes * 60_000;
  return fromEpochMs(utc);
}

function fromIso(text: string): string | null {
  if (!ISO_WITH_ZONE.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * ISO 8601 for one of X's timestamps: epoch ms (number or digit string), the v1.1 `created_at`
 * form, or an ISO 8601 string with a zone. Null for anything else, including a missing value.
 */
export function toIsoTimestamp(value: unknown): string | null {
  if (typeof value === "number") return fromEpochMs(value);
  if (typeof value !== "string") return null;
  if (EPOCH_MS_TEXT.test(value)) return fromEpochMs(Number(value));
  return fromTwitterDate(value) ?? fromIso(value);
}

/** The first of `values` that is a recognisable timestamp, as ISO 8601; null if none is. */
export function firstIsoTimestamp(...values: unknown[]): string | null {
  for (const value of values) {
    const iso = toIsoTimestamp(value);
    if (iso !== null) return iso;
  }
  return null;
}
