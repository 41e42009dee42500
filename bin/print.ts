/**
 * Human output for the CLI: every command's response goes through `render`, so a new command
 * gets aligned tables and readable dates without code of its own. Pure (the clock is passed
 * in); no colours, no dependencies. `--json` bypasses all of this.
 *
 * - an object prints as aligned `key  value` lines; a nested object as an indented section;
 * - an array of objects prints as a table, one row each, columns in first-seen order (nested
 *   values shown compactly), an empty array as "(none)";
 * - an ISO 8601 time prints absolute and relative: `2026-12-04 16:30:05Z (3 min ago)`;
 * - null prints as "-", booleans as yes/no.
 */

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** "3 min ago", "in 2 h", "just now": the largest unit that fits, rounded down. */
export function relativeTime(ms: number, nowMs: number): string {
  const d = nowMs - ms;
  const abs = Math.abs(d);
  if (abs < 5_000) return "just now";
  const units: [number, string][] = [[86_400_000, "d"], [3_600_000, "h"], [60_000, "min"], [1_000, "s"]];
  const [size, name] = units.find(([u]) => abs >= u) ?? units[units.length - 1]!;
  const n = Math.floor(abs / size);
  return d >= 0 ? `${n} ${name} ago` : `in ${n} ${name}`;
}

/** An ISO time as `2026-12-04 16:30:05Z (3 min ago)`; anything else unchanged (null: not a time). */
export function formatTime(value: string, nowMs: number): string | null {
  if (!ISO_TIME.test(value)) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  const abs = new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
  return `${abs} (${relativeTime(ms, nowMs)})`;
}

/** One value on one line. */
export function cell(value: unknown, nowMs: number): string {
  if (value === null || value === undefined) return "-";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") return formatTime(value, nowMs) ?? value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.every((v) => v === null || typeof v !== "object") ? value.map((v) => cell(v, nowMs)).join(", ") || "(none)" : `${value.length} item${value.length === 1 ? "" : "s"}`;
  const entries = Object.entries(value as Record<string, unknown>);
  return entries.length === 0 ? "-" : entries.map(([k, v]) => `${k}=${v !== null && typeof v === "object" ? JSON.stringify(v) : cell(v, nowMs)}`).join(" ");
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Rows as an aligned table with a header; columns in first-seen order. */
export function table(rows: readonly Record<string, unknown>[], nowMs: number, indent = ""): string {
  if (rows.length === 0) return `${indent}(none)`;
  const columns: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  const cells = rows.map((r) => columns.map((c) => cell(r[c], nowMs)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]): string => `${indent}${values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join("  ")}`.trimEnd();
  return [line(columns), ...cells.map(line)].join("\n");
}

/** Any response body, human-readable (see the file comment). */
export function render(value: unknown, nowMs: number, indent = ""): string {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every(isRecord)) return table(value, nowMs, indent);
    return `${indent}${cell(value, nowMs)}`;
  }
  if (!isRecord(value)) return `${indent}${cell(value, nowMs)}`;
  const entries = Object.entries(value);
  const scalars = entries.filter(([, v]) => !isRecord(v) && !(Array.isArray(v) && v.some((x) => x !== null && typeof x === "object")));
  const nested = entries.filter((e) => !scalars.includes(e));
  const width = Math.max(0, ...scalars.map(([k]) => k.length));
  const out = scalars.map(([k, v]) => `${indent}${k.padEnd(width)}  ${cell(v, nowMs)}`);
  for (const [k, v] of nested) {
    if (out.length > 0) out.push("");
    out.push(`${indent}${k}:`);
    out.push(render(v, nowMs, `${indent}  `));
  }
  return out.join("\n");
}

/**
 * Whether a successful response says the call changed nothing (the CLI then exits 3): e.g.
 * `removed: false` for a user who was not subscribed, `deleted: false`, `changed: false`.
 */
export function changedNothing(body: unknown): string | null {
  if (!isRecord(body)) return null;
  for (const key of ["changed", "removed", "deleted", "created"]) {
    if (body[key] === false) return typeof body.note === "string" ? body.note : `nothing changed (${key}: false)`;
  }
  return null;
}
