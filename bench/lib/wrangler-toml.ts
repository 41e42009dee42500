/**
 * Reads the bindings the Worker needs out of wrangler.toml, so the benchmark's workerd config
 * follows the real one as bindings are added instead of drifting from a hand-kept copy.
 *
 * A deliberately small TOML subset: `[table]`, `[[array.of.tables]]`, and `key = value` where the
 * value is a basic or literal string, a number, a boolean, or an array of those (which may span
 * lines). That is everything wrangler.toml uses; anything else throws, naming the line.
 */

type Scalar = string | number | boolean;
type Value = Scalar | Scalar[];
type Table = Record<string, Value>;

export interface WorkerBindings {
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Plain-text vars, as wrangler.toml sets them. */
  vars: Record<string, string>;
  /** Names of the secrets the Worker requires (`[secrets] required`). */
  secrets: string[];
  kvNamespaces: string[];
  durableObjects: { binding: string; className: string }[];
  /** Classes created with `new_sqlite_classes`: their namespaces need the SQL API. */
  sqliteClasses: string[];
  queueProducers: { binding: string; queue: string }[];
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== null) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#") return line.slice(0, i);
  }
  return line;
}

function parseScalar(raw: string, where: string): Scalar {
  const s = raw.trim();
  if (s.startsWith('"')) return JSON.parse(s) as string;
  if (s.startsWith("'") && s.endsWith("'") && s.length >= 2) return s.slice(1, -1);
  if (s === "true" || s === "false") return s === "true";
  if (/^-?\d[\d_]*(\.\d+)?$/.test(s)) return Number(s.replace(/_/g, ""));
  throw new Error(`wrangler.toml: unsupported value at ${where}: ${s}`);
}

/** Split an array literal's inside on commas outside quotes. */
function splitItems(inner: string): string[] {
  const items: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (quote !== null) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ",") {
      items.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  items.push(inner.slice(start));
  return items.map((x) => x.trim()).filter((x) => x !== "");
}

/** Parse the TOML subset into `path -> tables` (a plain `[table]` is a one-element list). */
export function parseTomlSubset(text: string): Map<string, Table[]> {
  const out = new Map<string, Table[]>([["", [{}]]]);
  let current: Table = out.get("")![0]!;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    let line = stripComment(lines[n] ?? "").trim();
    if (line === "") continue;
    const where = `line ${n + 1}`;
    const header = /^(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?$/.exec(line);
    if (header) {
      const path = header[2]!;
      const list = out.get(path) ?? [];
      if (header[1] === "[" && list.length > 0) throw new Error(`wrangler.toml: [${path}] twice (${where})`);
      current = {};
      list.push(current);
      out.set(path, list);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`wrangler.toml: cannot read ${where}: ${line}`);
    const key = line.slice(0, eq).trim().replace(/^"(.*)"$/, "$1");
    let raw = line.slice(eq + 1).trim();
    if (raw.startsWith("[")) {
      while (!stripComment(raw).trim().endsWith("]")) {
        n++;
        if (n >= lines.length) throw new Error(`wrangler.toml: unterminated array for ${key}`);
        raw += " " + stripComment(lines[n] ?? "").trim();
      }
      line = stripComment(raw).trim();
      current[key] = splitItems(line.slice(1, -1)).map((item) => parseScalar(item, where));
    } else {
      current[key] = parseScalar(raw, where);
    }
  }
  return out;
}

function strings(v: Value | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

function required(t: Table, key: string, section: string): string {
  const v = t[key];
  if (typeof v !== "string" || v === "") throw new Error(`wrangler.toml: [[${section}]] needs ${key}`);
  return v;
}

/** The bindings, vars and compatibility settings workerd needs to load the Worker. */
export function readWorkerBindings(text: string): WorkerBindings {
  const toml = parseTomlSubset(text);
  const top = toml.get("")![0]!;
  const tables = (path: string): Table[] => toml.get(path) ?? [];
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(tables("vars")[0] ?? {})) {
    if (Array.isArray(v)) throw new Error(`wrangler.toml: var ${k} is not a plain value`);
    vars[k] = String(v);
  }
  const compatibilityDate = top.compatibility_date;
  if (typeof compatibilityDate !== "string") throw new Error("wrangler.toml: compatibility_date is missing");
  return {
    compatibilityDate,
    compatibilityFlags: strings(top.compatibility_flags),
    vars,
    secrets: strings(tables("secrets")[0]?.required),
    kvNamespaces: tables("kv_namespaces").map((t) => required(t, "binding", "kv_namespaces")),
    durableObjects: tables("durable_objects.bindings").map((t) => ({
      binding: required(t, "name", "durable_objects.bindings"),
      className: required(t, "class_name", "durable_objects.bindings"),
    })),
    sqliteClasses: tables("migrations").flatMap((t) => strings(t.new_sqlite_classes)),
    queueProducers: tables("queues.producers").map((t) => ({
      binding: required(t, "binding", "queues.producers"),
      queue: required(t, "queue", "queues.producers"),
    })),
  };
}
