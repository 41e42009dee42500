/**
 * Deciding, once at config time, whether a configured CRC_TOKEN_PATTERN keeps the signing-oracle
 * guard closed (see crc.ts). Pure: no env, no I/O.
 *
 * The rule (docs/operations.md "Security"): a pattern is accepted only if no string it matches
 * can contain `{`, `"` or any whitespace. Every delivery body the receiver accepts is a JSON
 * object, so it contains `{`; a token without `{` can never be replayed as a delivery signature.
 *
 * Deciding that soundly, without a full regex theory:
 * 1. The pattern must be anchored: it starts with `^`, ends with an unescaped `$`, and has no `|`
 *    outside a group. Compiled without flags (so `^`/`$` are the string's ends), every match then
 *    spans the whole token: the token is made only of characters some atom consumed.
 * 2. Every atom that can consume a character (a literal, an escape, a class, `.`) is checked on
 *    its own against each forbidden character, by compiling the atom alone and letting the engine
 *    decide class membership (ranges, negation, `\s`, `\W`, octal and hex escapes, ...). Atoms
 *    inside lookarounds are checked too, which can only refuse more. Backreferences repeat text
 *    a group already consumed, which was checked.
 * 3. Anything the checker does not model (inline modifiers `(?i:`, `\c` without a letter) is
 *    refused rather than guessed at.
 * The check can refuse a harmless pattern; it never accepts one that matches a forbidden
 * character. Probe strings in the tests cross-check it.
 */

/** Whitespace as JavaScript's `\s` knows it (a superset of JSON's four). */
const WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";

/** Characters no CRC token may contain, and no accepted pattern may match. */
export const CRC_FORBIDDEN_CHARS: readonly string[] = ['{', '"', ...WHITESPACE];

const FORBIDDEN = new Set(CRC_FORBIDDEN_CHARS);

/** How a forbidden character is named in a message (whitespace is invisible). */
function describe(ch: string): string {
  return FORBIDDEN.has(ch) && ch.trim() === "" ? `whitespace U+${ch.charCodeAt(0).toString(16).padStart(4, "0")}` : `'${ch}'`;
}

/** The first forbidden character a single-character atom can match, or null. */
function forbiddenMatch(atom: string): string | null {
  const re = new RegExp(`^(?:${atom})$`);
  for (const ch of CRC_FORBIDDEN_CHARS) if (re.test(ch)) return ch;
  return null;
}

const HEX2 = /^[0-9A-Fa-f]{2}/;
const HEX4 = /^[0-9A-Fa-f]{4}/;
const QUANTIFIER_BRACES = /^\{\d+(?:,\d*)?\}/;

/** Length of the escape starting at `s[i]` (a backslash), or null when the checker refuses it. */
function escapeLength(s: string, i: number): number | null {
  const n = s[i + 1];
  if (n === undefined) return null;
  if (n >= "0" && n <= "7") {
    // Legacy octal (Annex B), as the escape reads when the pattern alone is compiled: up to three
    // octal digits when the first is 0-3, else two. A real backreference is harmless either way.
    const max = n <= "3" ? 3 : 2;
    let len = 1;
    while (len < max && /[0-7]/.test(s[i + 1 + len] ?? "")) len++;
    return 1 + len;
  }
  if (n === "x") return HEX2.test(s.slice(i + 2)) ? 4 : 2;
  if (n === "u") return HEX4.test(s.slice(i + 2)) ? 6 : 2;
  if (n === "c") return /[A-Za-z]/.test(s[i + 2] ?? "") ? 3 : null;
  return 2;
}

/** Length of a class `[...]` starting at `s[i]`, up to and including its `]`, or null if open. */
function classLength(s: string, i: number): number | null {
  let j = i + 1;
  if (s[j] === "^") j++;
  for (; j < s.length; j++) {
    if (s[j] === "\\") j++;
    else if (s[j] === "]") return j - i + 1;
  }
  return null;
}

/** Length of a group opener `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`, or null. */
function groupOpenLength(s: string, i: number): number | null {
  if (s[i + 1] !== "?") return 1;
  const rest = s.slice(i + 2);
  if (rest.startsWith(":") || rest.startsWith("=") || rest.startsWith("!")) return 3;
  if (rest.startsWith("<=") || rest.startsWith("<!")) return 4;
  const named = /^<[A-Za-z_$][A-Za-z0-9_$]*>/.exec(rest);
  return named === null ? null : 2 + named[0].length;
}

/**
 * Null when `source` (a valid RegExp source, compiled without flags) is a safe CRC token
 * pattern under the rule above, else why not, in words for an operator.
 */
export function crcPatternProblem(source: string): string | null {
  if (!source.startsWith("^")) return "must start with ^ (anchored at the token's start)";
  let depth = 0;
  let lastWasAtom = false;
  let endsWithDollar = false;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    let len = 1;
    let atom: string | null = null;
    let quantifiable = false;
    endsWithDollar = false;
    if (c === "\\") {
      const l = escapeLength(source, i);
      if (l === null) return `has an escape at position ${i} the safety check does not accept`;
      len = l;
      atom = source.slice(i, i + len);
      quantifiable = true;
    } else if (c === "[") {
      const l = classLength(source, i);
      if (l === null) return "has an unclosed character class";
      len = l;
      atom = source.slice(i, i + len);
      quantifiable = true;
    } else if (c === "(") {
      const l = groupOpenLength(source, i);
      if (l === null) return `has a group form at position ${i} the safety check does not accept (such as an inline modifier)`;
      len = l;
      depth++;
    } else if (c === ")") {
      depth--;
      quantifiable = true;
    } else if (c === "|") {
      if (depth === 0) return "has a top-level | (each alternative must be anchored: wrap them in a group between ^ and $)";
    } else if (c === "*" || c === "+" || c === "?") {
      // A quantifier repeats what came before; it adds no characters of its own.
    } else if (c === "{" && lastWasAtom && QUANTIFIER_BRACES.test(source.slice(i))) {
      len = QUANTIFIER_BRACES.exec(source.slice(i))![0].length;
    } else if (c === "^") {
      // Start assertion: consumes nothing.
    } else if (c === "$") {
      endsWithDollar = true;
    } else if (c === ".") {
      return "uses . (any character), which matches '{', '\"' and whitespace";
    } else {
      atom = c; // A literal character (including a `{` that is not a quantifier).
      quantifiable = true;
    }
    if (atom !== null) {
      const bad = atom.length === 1 ? (FORBIDDEN.has(atom) ? atom : null) : forbiddenMatch(atom);
      if (bad !== null) return `can match ${describe(bad)} (via ${JSON.stringify(atom)}), so it could accept a JSON event body`;
    }
    lastWasAtom = quantifiable;
    i += len;
  }
  if (!endsWithDollar) return "must end with $ (anchored at the token's end)";
  return null;
}

/** A JSON number or literal, matched at `lastIndex` (sticky). */
const JSON_SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/**
 * Whether `text`, known to hold no `{`, `"` or whitespace, is a JSON text: then it can only be a
 * number, a literal, or arrays of those. Decided in one pass without `JSON.parse`, whose thrown
 * SyntaxError costs about 25 µs per ordinary token on the CRC hot path (the tests check this
 * agrees with `JSON.parse`).
 */
function isBareJsonText(text: string): boolean {
  let i = 0;
  let depth = 0;
  let expectValue = true;
  let mayClose = false; // right after "[": an empty array
  // Most tokens fail at once: a JSON text starts with "[", "-", a digit, "t", "f" or "n".
  if (!/^[-[0-9tfn]/.test(text)) return false;
  while (i < text.length) {
    const c = text[i];
    if (expectValue) {
      if (c === "[") {
        depth++;
        i++;
        mayClose = true;
        continue;
      }
      if (c === "]" && mayClose) {
        depth--;
        i++;
        expectValue = false;
        mayClose = false;
        continue;
      }
      JSON_SCALAR.lastIndex = i;
      if (!JSON_SCALAR.test(text)) return false;
      i = JSON_SCALAR.lastIndex;
      expectValue = false;
      mayClose = false;
      continue;
    }
    if (depth === 0) return false;
    if (c === ",") expectValue = true;
    else if (c === "]") depth--;
    else return false;
    i++;
  }
  return !expectValue && depth === 0;
}

/**
 * True when a CRC token must never be signed, whatever the configured pattern (see crc.ts): it
 * contains `{`, `"` or whitespace, or it parses as JSON.
 */
export function isForbiddenCrcToken(token: string): boolean {
  return FORBIDDEN_IN_TOKEN.test(token) || isBareJsonText(token);
}

/** The same characters as CRC_FORBIDDEN_CHARS: JavaScript's `\s` is exactly that whitespace. */
const FORBIDDEN_IN_TOKEN = /[{"\s]/;
