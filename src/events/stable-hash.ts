/**
 * A small synchronous, deterministic hash for fallback event ids.
 *
 * Why not `crypto.subtle.digest("SHA-256")`: it is async, and normalisation is a pure synchronous
 * function (called per message in the consumer, and directly in tests). The hash only has to be
 * stable (same bytes, same id, in every isolate and version) and spread well enough that two
 * different events in one dedup window do not collide; it is not a security boundary (deliveries
 * are authenticated by their HMAC signature before they get here). FNV-1a 64 over UTF-8 fits.
 */

const UTF8 = new TextEncoder();

/**
 * FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3), over the UTF-8 bytes of
 * `text`, as 16 lowercase hex digits. Computed in four 16-bit limbs so every intermediate stays an
 * exact integer (no BigInt in the per-byte loop).
 */
export function fnv1a64(text: string): string {
  const bytes = UTF8.encode(text);
  // Little-endian 16-bit limbs of the offset basis.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (const byte of bytes) {
    h0 ^= byte;
    // h * prime mod 2^64, prime = 2^40 + 0x1b3: limb 0 is 0x1b3 and limb 2 is 0x100.
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return [h3, h2, h1, h0].map((limb) => limb.toString(16).padStart(4, "0")).join("");
}
