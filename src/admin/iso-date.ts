/**
 * The one date-time parser of the admin API (Replay windows; the CLI and the dashboard send
 * their text through it). Pure.
 *
 * Strict: `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with `Z` or `±HH:MM`, and every field in range:
 * month 01-12, day within that month (February has 29 days in years divisible by 4, except
 * centuries not divisible by 400), hour 00-23, minute and second 00-59, offset up to ±23:59.
 * `new Date()` would roll `2026-02-30` over to 2 March and `T24:00` to the next midnight; a
 * Replay window built from a date the operator did not mean is refused here instead (issue 10).
 */

const FORMAT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

export type IsoDateResult = { ok: true; date: Date } | { ok: false; problem: string };

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Parses `text` strictly (see above), or says in words what is wrong with it. */
export function parseIsoDateTime(text: string): IsoDateResult {
  const m = FORMAT.exec(text);
  if (m === null) return { ok: false, problem: "must be an ISO 8601 date-time with a zone, such as 2026-01-31T12:00Z" };
  const n = (i: number): number => Number(m[i] ?? "0");
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  if (month < 1 || month > 12) return { ok: false, problem: `has month ${m[2]}: months are 01 to 12` };
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) return { ok: false, problem: `has day ${m[3]}: ${MONTHS[month - 1]} ${year} has ${days} days` };
  if (hour > 23) return { ok: false, problem: `has hour ${m[4]}: hours are 00 to 23 (midnight is 00:00 of the next day)` };
  if (minute > 59) return { ok: false, problem: `has minute ${m[5]}: minutes are 00 to 59` };
  if (second > 59) return { ok: false, problem: `has second ${m[6]}: seconds are 00 to 59` };
  let offsetMinutes = 0;
  if (m[8] !== "Z") {
    const oh = n(10);
    const om = n(11);
    if (oh > 23 || om > 59) return { ok: false, problem: `has zone offset ${m[8]}: at most ±23:59` };
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const millis = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, millis);
  return { ok: true, date: new Date(d.getTime() - offsetMinutes * 60_000) };
}
