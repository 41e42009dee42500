/**
 * Delivery signatures: one test per failure mode, then every `delivery_signature` vector from
 * test/fixtures/vectors.json (copied from /work/shared/fixtures; sources named per vector).
 */
import { describe, expect, it } from "vitest";
import vectors from "../../fixtures/vectors.json";
// `?raw`: the file's exact text, which is what the vector signs (workerd tests cannot read files).
import favoriteRaw from "../../fixtures/payloads/favorite_events.json?raw";
import { parseSignatureHeader, sign, verifySignature } from "../../../src/webhook/signature.ts";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const BODY = utf8('{"for_user_id":"2244994945","follow_events":[]}');
const SECRET = "current-secret";
const PREVIOUS = "previous-secret";

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("verifySignature failure modes", () => {
  it("a missing header is 'missing'", async () => {
    expect(await verifySignature(null, BODY, [SECRET])).toEqual({ ok: false, reason: "missing" });
    expect(await verifySignature("", BODY, [SECRET])).toEqual({ ok: false, reason: "missing" });
  });

  it("a wrong prefix is 'malformed', even around a correct MAC", async () => {
    const good = await sign(SECRET, BODY);
    const mac = good.slice("sha256=".length);
    for (const header of [`SHA256=${mac}`, `sha1=${mac}`, `sha256:${mac}`, mac, ` sha256=${mac}`]) {
      expect(await verifySignature(header, BODY, [SECRET]), header).toEqual({ ok: false, reason: "malformed" });
    }
    // Control: the same MAC with the right prefix verifies, so the prefix alone decided.
    expect(await verifySignature(`sha256=${mac}`, BODY, [SECRET])).toEqual({ ok: true, secretIndex: 0 });
  });

  it("bad base64 is 'malformed'", async () => {
    const good = await sign(SECRET, BODY);
    const broken = `${good.slice(0, 10)}!${good.slice(11)}`;
    // base64url characters are not X's alphabet.
    const urlSafe = `${good.slice(0, 10)}-${good.slice(11, 20)}_${good.slice(21)}`;
    expect(await verifySignature(broken, BODY, [SECRET])).toEqual({ ok: false, reason: "malformed" });
    expect(await verifySignature(urlSafe, BODY, [SECRET])).toEqual({ ok: false, reason: "malformed" });
    expect(await verifySignature("sha256=", BODY, [SECRET])).toEqual({ ok: false, reason: "malformed" });
  });

  it("a truncated or padded-away MAC is 'malformed'", async () => {
    const good = await sign(SECRET, BODY);
    expect(await verifySignature(good.slice(0, -4), BODY, [SECRET])).toEqual({ ok: false, reason: "malformed" });
    expect(await verifySignature(good.slice(0, -1), BODY, [SECRET])).toEqual({ ok: false, reason: "malformed" });
    expect(await verifySignature(`${good}AAAA`, BODY, [SECRET])).toEqual({ ok: false, reason: "malformed" });
  });

  it("non-canonical base64 (non-zero padding bits) is 'malformed'", async () => {
    const good = await sign(SECRET, BODY);
    const last = good.at(-2)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // Same decoded bytes (atob ignores the padding bits) but a different spelling.
    const sibling = alphabet[alphabet.indexOf(last) + 1]!;
    const nonCanonical = `${good.slice(0, -2)}${sibling}=`;
    expect(atob(nonCanonical.slice(7))).toBe(atob(good.slice(7)));
    expect(await verifySignature(nonCanonical, BODY, [SECRET])).toEqual({ ok: false, reason: "malformed" });
  });

  it("a MAC made with another secret is 'mismatch'", async () => {
    const header = await sign("attacker-guess", BODY);
    expect(await verifySignature(header, BODY, [SECRET])).toEqual({ ok: false, reason: "mismatch" });
  });

  it("a MAC over other bytes is 'mismatch' (one changed byte)", async () => {
    const header = await sign(SECRET, BODY);
    const tampered = BODY.slice();
    tampered[5] = tampered[5]! ^ 1;
    expect(await verifySignature(header, tampered, [SECRET])).toEqual({ ok: false, reason: "mismatch" });
  });

  it("an empty body verifies against its own MAC and not against another body's", async () => {
    const empty = new Uint8Array(0);
    const header = await sign(SECRET, empty);
    expect(await verifySignature(header, empty, [SECRET])).toEqual({ ok: true, secretIndex: 0 });
    expect(await verifySignature(await sign(SECRET, BODY), empty, [SECRET])).toEqual({ ok: false, reason: "mismatch" });
  });

  it("the previous (rotated-out) secret is accepted and reported as index 1", async () => {
    const header = await sign(PREVIOUS, BODY);
    expect(await verifySignature(header, BODY, [SECRET, PREVIOUS])).toEqual({ ok: true, secretIndex: 1 });
    expect(await verifySignature(header, BODY, [SECRET])).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifySignature(await sign(SECRET, BODY), BODY, [SECRET, PREVIOUS])).toEqual({ ok: true, secretIndex: 0 });
  });

  it("several sha256= values in one header are 'malformed', even if one is right", async () => {
    const good = await sign(SECRET, BODY);
    const other = await sign("other", BODY);
    for (const header of [`${other}, ${good}`, `${good},${good}`, `${good} ${other}`]) {
      expect(await verifySignature(header, BODY, [SECRET]), header).toEqual({ ok: false, reason: "malformed" });
    }
    // Two header lines reach the Worker joined with ", ": also malformed.
    const h = new Headers();
    h.append("x-twitter-webhooks-signature", good);
    h.append("x-twitter-webhooks-signature", good);
    expect(await verifySignature(h.get("x-twitter-webhooks-signature"), BODY, [SECRET])).toEqual({
      ok: false,
      reason: "malformed",
    });
  });

  it("no secrets (or an empty one) means 'mismatch', never an exception", async () => {
    const header = await sign(SECRET, BODY);
    expect(await verifySignature(header, BODY, [])).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifySignature(header, BODY, [""])).toEqual({ ok: false, reason: "mismatch" });
  });
});

describe("parseSignatureHeader", () => {
  it("returns the 32 MAC bytes of a canonical header", async () => {
    const header = await sign(SECRET, BODY);
    const mac = parseSignatureHeader(header);
    expect(mac?.byteLength).toBe(32);
    expect(`sha256=${btoa(String.fromCharCode(...mac!))}`).toBe(header);
  });
});

describe("delivery_signature vectors", () => {
  const all = vectors.delivery_signature.vectors;

  it("the raw-bytes fixture is byte-identical to the file the vector signed", async () => {
    const v = all.find((x) => "raw_body_file" in x)!;
    expect(await sha256Hex(utf8(favoriteRaw))).toBe((v as { raw_body_sha256: string }).raw_body_sha256);
  });

  const positive = all.filter((v) => "header" in v) as Array<{
    source: string;
    consumer_secret: string;
    raw_body?: string;
    raw_body_utf8?: string;
    raw_body_file?: string;
    header: { "x-twitter-webhooks-signature": string };
  }>;
  it("covers every positive vector in the file", () => {
    expect(positive.length).toBe(5);
  });

  for (const v of positive) {
    it(`verifies and reproduces: ${v.source}`, async () => {
      const body = utf8(v.raw_body ?? v.raw_body_utf8 ?? (v.raw_body_file === "payloads/favorite_events.json" ? favoriteRaw : ""));
      expect(body.byteLength).toBeGreaterThan(0);
      const header = v.header["x-twitter-webhooks-signature"];
      expect(await verifySignature(header, body, [v.consumer_secret])).toEqual({ ok: true, secretIndex: 0 });
      expect(await sign(v.consumer_secret, body)).toBe(header);
      expect(await verifySignature(header, body, ["not-" + v.consumer_secret])).toEqual({ ok: false, reason: "mismatch" });
    });
  }

  it("the re-serialised body does not verify against the original's signature", async () => {
    const v = all.find((x) => "header_from_previous_vector_must_fail" in x) as {
      consumer_secret: string;
      raw_body_utf8: string;
      header_from_previous_vector_must_fail: string;
      correct_signature_for_this_body: string;
    };
    const body = utf8(v.raw_body_utf8);
    expect(await verifySignature(v.header_from_previous_vector_must_fail, body, [v.consumer_secret])).toEqual({
      ok: false,
      reason: "mismatch",
    });
    expect(await verifySignature(v.correct_signature_for_this_body, body, [v.consumer_secret])).toEqual({
      ok: true,
      secretIndex: 0,
    });
  });
});
