/**
 * JSON built as text. X's payloads carry 64-bit ids as bare JSON numbers (`"id": 1924465506158878979`)
 * that a JS number cannot hold, so event bodies are assembled here with `RawJson` pieces that are
 * written verbatim instead of going through `JSON.stringify` on a parsed number.
 */

/** A fragment written into the output exactly as given (e.g. the digits of a 64-bit id). */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** A JSON number for a decimal id string, keeping every digit (ids above 2^53 included). */
export function idNumber(id: string): RawJson {
  if (!/^-?\d+$/.test(id)) throw new Error(`not a decimal id: ${id}`);
  return new RawJson(id);
}

export type JsonTextValue =
  | null
  | boolean
  | number
  | string
  | RawJson
  | readonly JsonTextValue[]
  | { readonly [key: string]: JsonTextValue | undefined };

/** Serialise compactly; `undefined` object members are skipped like JSON.stringify does. */
export function toJsonText(value: JsonTextValue): string {
  if (value === null) return "null";
  if (value instanceof RawJson) return value.text;
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("non-finite number in JSON text");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: JsonTextValue) => toJsonText(v)).join(",")}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${toJsonText(v)}`);
  }
  return `{${parts.join(",")}}`;
}
