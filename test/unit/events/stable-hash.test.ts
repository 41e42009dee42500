import { describe, expect, it } from "vitest";
import { fnv1a64 } from "../../../src/events/stable-hash.ts";

/** Straightforward BigInt FNV-1a 64, to check the limb arithmetic against. */
function referenceFnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}

describe("fnv1a64", () => {
  it("matches the published FNV-1a 64 test vectors", () => {
    // Vectors from the FNV reference test suite (isthe.com/chongo/tech/comp/fnv).
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c");
    expect(fnv1a64("foobar")).toBe("85944171f73967e8");
  });

  it("agrees with a BigInt implementation on longer and non-ASCII text", () => {
    const samples = [
      '{"for_user_id":"2244994945","follow_events":[{"type":"follow"}]}',
      "héllo ✓ 🐦",
      "x".repeat(5000),
    ];
    for (const sample of samples) expect(fnv1a64(sample)).toBe(referenceFnv1a64(sample));
  });

  it("differs for texts that differ by one byte", () => {
    expect(fnv1a64('{"a":1}')).not.toBe(fnv1a64('{"a":2}'));
  });
});
