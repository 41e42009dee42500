/**
 * Hostile input on the CRC surface (GET /webhooks/:app?crc_token=...). Extend this file when
 * the CRC path changes. The attack it guards against (issue 10, case 1): a receiver that signs
 * any token is a signing oracle, since a CRC answer for a JSON body IS that body's delivery
 * signature. Closed twice: a configured pattern that could match such a body is refused at config
 * time, and whatever the pattern, a token that could be a body is never signed.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index.ts";
import { ConfigError, DEFAULT_CRC_TOKEN_PATTERN, parseConfig } from "../../../src/config.ts";
import { crcTokenRefusal } from "../../../src/webhook/crc.ts";
import { CRC_FORBIDDEN_CHARS, crcPatternProblem, isForbiddenCrcToken } from "../../../src/webhook/crc-pattern.ts";
import { sign } from "../../../src/webhook/signature.ts";
import favoriteRaw from "../../fixtures/payloads/favorite_events.json?raw";
import followRaw from "../../fixtures/payloads/follow_events.follow.json?raw";

const BASE = "https://receiver.example";
const SECRET = "test-consumer-secret";
const FORGED = '{"for_user_id":"1","follow_events":[]}';

const call = (path: string, e: object, init?: RequestInit) =>
  worker.fetch!(new Request(`${BASE}${path}`, init) as Request<unknown, IncomingRequestCfProperties>, e as Env, createExecutionContext());

/** Patterns that could accept a JSON body or a token with `{`, `"` or whitespace. */
const UNSAFE_PATTERNS: readonly string[] = [
  "[A-Za-z0-9+/=_-]{16,128}", // the attack run's pattern: the default minus its anchors
  "^[A-Za-z0-9+/=_-]{16,128}", // no end anchor
  "[A-Za-z0-9+/=_-]{16,128}$", // no start anchor
  "^[a-z]+$|^.*$", // a top-level alternative escapes the anchors
  "^.{16,128}$",
  "^[^a]+$",
  "^[^]+$",
  "^\\S+$",
  "^\\W+$",
  "^\\D+$",
  "^[\\w{]+$",
  '^[\\w"]+$',
  "^[\\w ]+$",
  "^[\\w\\t]+$",
  "^[ -~]{16,}$",
  "^[\\x00-\\x7f]+$",
  "^[\\0-\\x7f]+$",
  "^\\x7b?[a-z]+$",
  "^\\u007b?[a-z]+$",
  "^\\173?[a-z]+$",
  "^\\42?[a-z]+$",
  "^\\12?[a-z]+$",
  "^[a-z]+\\s?$",
  "^a{?[a-z]+$",
  "^(?:[a-z]|\\s)+$",
  "^(?<t>[a-z\\u3000]+)$",
  "^(?i:[a-z])+$",
  "^[a-z]+(?=x)$x",
];

/** Patterns the rule accepts: anchored, and no atom can match a forbidden character. */
const SAFE_PATTERNS: readonly string[] = [
  DEFAULT_CRC_TOKEN_PATTERN,
  "^[a-z]{4}$",
  "^[A-Za-z0-9_-]{16,128}$",
  "^\\w{16,}$",
  "^(?:[a-f0-9]{32}|[A-Z]{8})$",
  "^[A-Za-z0-9+/]{22}={0,2}$",
  "^(?<tok>[A-Za-z0-9]{8})-\\k<tok>$",
];

describe("CRC_TOKEN_PATTERN is refused at config time when it could match a JSON body", () => {
  it.each(UNSAFE_PATTERNS)("refuses %s, naming the setting", (pattern) => {
    let error: unknown;
    try {
      parseConfig({ X_CONSUMER_SECRET: "s", CRC_TOKEN_PATTERN: pattern });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe("CRC_TOKEN_PATTERN");
    expect((error as ConfigError).message).toContain("CRC_TOKEN_PATTERN");
  });

  it.each(SAFE_PATTERNS)("accepts %s", (pattern) => {
    expect(crcPatternProblem(pattern)).toBeNull();
    expect(parseConfig({ X_CONSUMER_SECRET: "s", CRC_TOKEN_PATTERN: pattern }).crcTokenPattern?.source).toBe(new RegExp(pattern).source);
  });

  it("cross-check: no accepted pattern matches a forbidden character placed anywhere in a token it accepts", () => {
    const samples: Record<string, string> = {
      [DEFAULT_CRC_TOKEN_PATTERN]: "a".repeat(20),
      "^[a-z]{4}$": "abcd",
      "^[A-Za-z0-9_-]{16,128}$": "a".repeat(20),
      "^\\w{16,}$": "a".repeat(20),
      "^(?:[a-f0-9]{32}|[A-Z]{8})$": "ABCDEFGH",
      "^[A-Za-z0-9+/]{22}={0,2}$": "a".repeat(22),
      "^(?<tok>[A-Za-z0-9]{8})-\\k<tok>$": "abcdefgh-abcdefgh",
    };
    for (const pattern of SAFE_PATTERNS) {
      const re = new RegExp(pattern);
      const sample = samples[pattern]!;
      expect(re.test(sample), pattern).toBe(true);
      for (const ch of CRC_FORBIDDEN_CHARS) {
        for (let at = 0; at <= sample.length; at++) {
          expect(re.test(sample.slice(0, at) + ch + sample.slice(at)), `${pattern} with U+${ch.charCodeAt(0).toString(16)} at ${at}`).toBe(false);
          expect(re.test(sample.slice(0, at) + ch + sample.slice(at + 1)), `${pattern} with U+${ch.charCodeAt(0).toString(16)} replacing ${at}`).toBe(false);
        }
      }
      for (const body of [FORGED, favoriteRaw, followRaw]) expect(re.test(body), pattern).toBe(false);
    }
  });

  it("a Worker deployed with the attack run's pattern fails fast (500, no signature) instead of signing", async () => {
    const e = { ...env, CRC_TOKEN_PATTERN: "[A-Za-z0-9+/=_-]{16,128}" };
    const res = await call(`/webhooks/default?crc_token=${encodeURIComponent(FORGED)}`, e);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("response_token");
    expect(text).not.toContain("sha256=");
  });
});

describe("the CRC path never signs a token that could be a delivery body, whatever the pattern", () => {
  const HOSTILE_TOKENS: readonly string[] = [
    FORGED,
    favoriteRaw,
    ` ${FORGED}`,
    "1234567890123456", // parses as JSON (a number)
    '"aaaaaaaaaaaaaaaa"',
    "aaaaaaaa aaaaaaaa",
    "aaaaaaaa\taaaaaaaa",
    "aaaaaaaa\naaaaaaaa",
    "aaaaaaaa\u00a0aaaaaaaa",
    "{aaaaaaaaaaaaaaaa",
    "true",
    "null",
  ];

  it("refuses every hostile token with the pattern off, and with a deliberately wide RegExp", () => {
    for (const token of HOSTILE_TOKENS) {
      expect(crcTokenRefusal(token, null), JSON.stringify(token)).toBe("pattern");
      expect(crcTokenRefusal(token, /[\s\S]*/), JSON.stringify(token)).toBe("pattern");
    }
  });

  it("with CRC_TOKEN_PATTERN=off the Worker answers 400 crc_token_refused and signs nothing", async () => {
    const e = { ...env, CRC_TOKEN_PATTERN: "off" };
    for (const token of HOSTILE_TOKENS) {
      const res = await call(`/webhooks/default?crc_token=${encodeURIComponent(token)}`, e);
      expect(res.status, JSON.stringify(token)).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "crc_token_refused" } });
    }
    // An ordinary opaque token is still answered with the pattern off.
    const ok = await call("/webhooks/default?crc_token=abcdefghijklmnopqrst", e);
    expect(await ok.json()).toEqual({ response_token: await sign(SECRET, "abcdefghijklmnopqrst") });
  });

  it("the oracle round trip fails: no CRC answer for a body exists to replay as its signature", async () => {
    const e = { ...env, CRC_TOKEN_PATTERN: "off" };
    const crc = await call(`/webhooks/default?crc_token=${encodeURIComponent(FORGED)}`, e);
    expect(crc.status).toBe(400);
    // What an attacker would have replayed is refused on the POST path, as any unsigned body is.
    const post = await exports.default.fetch(`${BASE}/webhooks/default`, {
      method: "POST",
      body: FORGED,
      headers: { "content-type": "application/json", "x-twitter-webhooks-signature": "sha256=AAAA" },
    });
    expect(post.status).toBe(401);
  });

  it("hostile query shapes never make a 500", async () => {
    const queries = [
      "crc_token=%",
      "crc_token=%ZZ",
      "crc_token=%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00",
      "crc_token=a&crc_token=%7B%7D",
      `crc_token=${"a".repeat(100_000)}`,
      "crc_token=%F0%9F%98%80".repeat(10),
      "crc_token[]=x",
      "__proto__=x&crc_token=abcdefghijklmnopqrst",
    ];
    for (const q of queries) {
      const res = await exports.default.fetch(`${BASE}/webhooks/default?${q}`);
      expect(res.status, q).toBeLessThan(500);
    }
  });
});

describe("isForbiddenCrcToken (the structural rule, decided without JSON.parse on the hot path)", () => {
  const parses = (t: string): boolean => {
    try {
      JSON.parse(t);
      return true;
    } catch {
      return false;
    }
  };

  it("a character is forbidden exactly when it is in CRC_FORBIDDEN_CHARS (all of UTF-16)", () => {
    const forbidden = new Set(CRC_FORBIDDEN_CHARS);
    for (let code = 0; code <= 0xffff; code++) {
      const ch = String.fromCharCode(code);
      expect(isForbiddenCrcToken(`abc${ch}def`), `U+${code.toString(16)}`).toBe(forbidden.has(ch));
    }
  });

  it("agrees with JSON.parse on JSON-like tokens (deterministic fuzz)", () => {
    const alphabet = ["[", "]", ",", "-", "+", ".", "e", "E", "0", "1", "9", "true", "false", "null", "t", "n", "a", "x"];
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const cases = ["[]", "[[]]", "[1,]", "[,1]", "01", "-0", "1e5", "1E+5", "1.", ".5", "-", "[1,[2,[3]]]", "[[[]", "truex", "nul", "0x10", "1e", "[true,false,null]"];
    for (let i = 0; i < 20_000; i++) {
      let t = "";
      const len = 1 + next(8);
      for (let j = 0; j < len; j++) t += alphabet[next(alphabet.length)];
      cases.push(t);
    }
    for (const t of cases) expect(isForbiddenCrcToken(t), t).toBe(parses(t));
  });
});

