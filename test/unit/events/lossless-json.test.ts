import { describe, expect, it } from "vitest";
import {
  isRawJson,
  MalformedJsonError,
  parseLossless,
  rawNumberText,
} from "../../../src/events/lossless-json.ts";

describe("parseLossless", () => {
  it("keeps a 64-bit id above 2^53 with its exact digits", () => {
    const text = '{"id":1924465506158878979,"id_str":"1924465506158878979"}';
    const parsed = parseLossless(text) as { id: unknown; id_str: unknown };

    // Plain JSON.parse rounds this id, which is what the receiver must not do.
    expect(JSON.stringify(JSON.parse(text))).toContain("1924465506158879000");
    expect(isRawJson(parsed.id)).toBe(true);
    expect(rawNumberText(parsed.id)).toBe("1924465506158878979");
    expect(parsed.id_str).toBe("1924465506158878979");
    expect(JSON.stringify(parsed)).toBe(text);
  });

  it("leaves numbers that round-trip as ordinary numbers", () => {
    const parsed = parseLossless(
      '{"a":1582853809,"b":-122.41942,"c":0,"d":1522082006140,"e":[9007199254740991]}',
    );
    expect(parsed).toEqual({ a: 1582853809, b: -122.41942, c: 0, d: 1522082006140, e: [9007199254740991] });
  });

  it("keeps every number whose text would change as raw text", () => {
    const text = '[9007199254740993,-9223372036854775808,1e400,1.0,0.10000000000000000001,1E5]';
    const parsed = parseLossless(text) as unknown[];
    expect(parsed.map(rawNumberText)).toEqual([
      "9007199254740993",
      "-9223372036854775808",
      "1e400",
      "1.0",
      "0.10000000000000000001",
      "1E5",
    ]);
    expect(JSON.stringify(parsed)).toBe(text);
  });

  it("parses strings, booleans, null and nesting like JSON.parse", () => {
    const text = '{"s":"x\\u00e9","t":true,"f":false,"n":null,"o":{"a":[{"b":"c"}]}}';
    expect(parseLossless(text)).toEqual(JSON.parse(text));
  });

  it("throws MalformedJsonError (reason syntax) on text that is not JSON", () => {
    for (const bad of ["", "{", '{"a":1,}', "nope", "{'a':1}", '{"a":01}']) {
      let caught: unknown;
      try {
        parseLossless(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught, bad).toBeInstanceOf(MalformedJsonError);
      expect((caught as MalformedJsonError).reason).toBe("syntax");
      expect((caught as MalformedJsonError).message).toMatch(/^not valid JSON: /);
    }
  });

  it("throws MalformedJsonError (reason too_deep), not a bare RangeError, on absurd nesting", () => {
    const depth = 100_000;
    expect(() => parseLossless("[".repeat(depth) + "]".repeat(depth))).toThrow(
      expect.objectContaining({ name: "MalformedJsonError", reason: "too_deep" }),
    );
  });
});
