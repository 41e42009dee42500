/**
 * CRC: every `crc` and `crc_get_signature` vector from test/fixtures/vectors.json (copied from
 * /work/shared/fixtures; sources named per vector), and the signing-oracle guard.
 */
import { describe, expect, it } from "vitest";
import vectors from "../../fixtures/vectors.json";
import favoriteRaw from "../../fixtures/payloads/favorite_events.json?raw";
import { crcResponseBody, crcResponseToken, crcTokenRefusal, rawQueryString } from "../../../src/webhook/crc.ts";
import { DEFAULT_CRC_TOKEN_PATTERN } from "../../../src/config.ts";
import { parseSignatureHeader, verifySignature } from "../../../src/webhook/signature.ts";

const DEFAULT_PATTERN = new RegExp(DEFAULT_CRC_TOKEN_PATTERN);

describe("crc vectors", () => {
  const withSecret = vectors.crc.vectors.filter((v) => v.consumer_secret !== null);
  const withoutSecret = vectors.crc.vectors.filter((v) => v.consumer_secret === null);

  it("covers every vector in the file", () => {
    expect(withSecret.length).toBe(5);
    expect(withoutSecret.length).toBe(1);
  });

  for (const v of withSecret) {
    it(`reproduces ${v.crc_token} under ${v.source}`, async () => {
      expect(await crcResponseToken(v.consumer_secret!, v.crc_token)).toBe(v.response_body.response_token);
      expect(JSON.parse(await crcResponseBody(v.consumer_secret!, v.crc_token))).toEqual(v.response_body);
    });
  }

  it("the official vector (secret unpublished) has the shape our answers have", async () => {
    const official = withoutSecret[0]!;
    expect(Object.keys(official.response_body)).toEqual(["response_token"]);
    expect(parseSignatureHeader(official.response_body.response_token)?.byteLength).toBe(32);
    const ours = await crcResponseBody("any-secret", official.crc_token);
    expect(Object.keys(JSON.parse(ours))).toEqual(["response_token"]);
    expect(parseSignatureHeader(JSON.parse(ours).response_token)?.byteLength).toBe(32);
  });

  it("the body is exactly {\"response_token\":\"sha256=...\"} with no whitespace", async () => {
    const v = withSecret[0]!;
    expect(await crcResponseBody(v.consumer_secret!, v.crc_token)).toBe(
      `{"response_token":"${v.response_body.response_token}"}`,
    );
  });

  it("a token containing '=' is signed after URL-decoding, whether '=' was escaped or not", async () => {
    const v = withSecret.find((x) => x.crc_token.includes("="))!;
    for (const query of [`crc_token=${encodeURIComponent(v.crc_token)}`, `crc_token=${v.crc_token}`]) {
      const token = new URLSearchParams(query).get("crc_token")!;
      expect(token).toBe(v.crc_token);
      expect(await crcResponseToken(v.consumer_secret!, token)).toBe(v.response_body.response_token);
    }
  });
});

describe("crc_get_signature vector", () => {
  for (const v of vectors.crc_get_signature.vectors) {
    it("verifies the GET signature over the raw query string and answers the token", async () => {
      const url = `https://hooks.example/webhooks/default?${v.raw_query}`;
      const raw = rawQueryString(url);
      expect(raw).toBe(v.raw_query);
      const header = v.header["x-twitter-webhooks-signature"];
      const bytes = new TextEncoder().encode(raw);
      expect(await verifySignature(header, bytes, [v.consumer_secret])).toEqual({ ok: true, secretIndex: 0 });
      expect(await verifySignature(header, bytes, ["wrong"])).toEqual({ ok: false, reason: "mismatch" });
      const token = new URL(url).searchParams.get("crc_token")!;
      expect(await crcResponseToken(v.consumer_secret, token)).toBe(v.crc_response.response_token);
    });
  }
});

describe("rawQueryString", () => {
  it("keeps the query undecoded and drops the fragment", () => {
    expect(rawQueryString("https://h/p?crc_token=a%3Db&nonce=x#frag")).toBe("crc_token=a%3Db&nonce=x");
    expect(rawQueryString("https://h/p")).toBe("");
    expect(rawQueryString("https://h/p?")).toBe("");
  });
});

describe("crcTokenRefusal (signing-oracle guard)", () => {
  it("refuses a JSON event body as token under the default pattern", () => {
    expect(crcTokenRefusal(favoriteRaw, DEFAULT_PATTERN)).toBe("pattern");
    expect(crcTokenRefusal('{"for_user_id":"1","follow_events":[]}', DEFAULT_PATTERN)).toBe("pattern");
  });

  it("with the pattern off, the same body is still refused (its answer WOULD be a delivery signature)", async () => {
    expect(crcTokenRefusal(favoriteRaw, null)).toBe("pattern");
    // Why the guard exists: the CRC answer for a body verifies as that body's delivery signature.
    const answer = await crcResponseToken("s3cret", favoriteRaw);
    expect(await verifySignature(answer, new TextEncoder().encode(favoriteRaw), ["s3cret"])).toEqual({
      ok: true,
      secretIndex: 0,
    });
  });

  it("accepts every vector token of 16+ characters and refuses short or long ones", () => {
    for (const v of vectors.crc.vectors) {
      expect(crcTokenRefusal(v.crc_token, DEFAULT_PATTERN)).toBe(v.crc_token.length >= 16 ? null : "pattern");
    }
    expect(crcTokenRefusal("a".repeat(15), DEFAULT_PATTERN)).toBe("pattern");
    expect(crcTokenRefusal("a".repeat(16), DEFAULT_PATTERN)).toBeNull();
    expect(crcTokenRefusal("a".repeat(128), DEFAULT_PATTERN)).toBeNull();
    expect(crcTokenRefusal("a".repeat(129), DEFAULT_PATTERN)).toBe("pattern");
    expect(crcTokenRefusal("abcdefghijklmnop\n", DEFAULT_PATTERN)).toBe("pattern");
  });

  it("a missing or empty token is refused even with the pattern off", () => {
    expect(crcTokenRefusal(null, DEFAULT_PATTERN)).toBe("missing");
    expect(crcTokenRefusal("", null)).toBe("missing");
  });

  it("a stateful (global) pattern gives the same answer twice", () => {
    const g = new RegExp(DEFAULT_CRC_TOKEN_PATTERN, "g");
    expect(crcTokenRefusal("a".repeat(20), g)).toBeNull();
    expect(crcTokenRefusal("a".repeat(20), g)).toBeNull();
  });
});
