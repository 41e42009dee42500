/**
 * OAuth 1.0a signing against X's published vectors (../shared/fixtures/vectors.json names the
 * source of each) and the percent-encoding vectors from X's "Percent encoding parameters" page.
 */
import { describe, expect, it } from "vitest";
import vectors from "../../fixtures/vectors.json";
import {
  authorizationHeader,
  baseStringUri,
  percentEncode,
  signatureBaseString,
  signingKey,
  signRequest,
} from "../../../src/x-api/oauth1.ts";

interface SigningVector {
  provenance: string;
  source: string;
  method?: string;
  url?: string;
  body_form?: string;
  params?: Record<string, string>;
  consumer_secret?: string;
  token_secret?: string;
  signing_key?: string;
  signature_base_string?: string;
  expected_signature?: string;
  expected_authorization_header?: string;
  note?: string;
}

const all = vectors.oauth1_hmac_sha1.vectors as SigningVector[];
const reproducible = all.filter((v) => v.expected_signature !== undefined);
const notReproducible = all.filter((v) => v.provenance.includes("NOT reproducible"));

describe("percentEncode (RFC 3986, X's vectors)", () => {
  it.each(vectors.percent_encoding.vectors)("encodes $in as $out", ({ in: input, out }) => {
    expect(percentEncode(input)).toBe(out);
  });

  it("leaves exactly the unreserved set alone and uses uppercase hex", () => {
    expect(percentEncode("AZaz09-._~")).toBe("AZaz09-._~");
    expect(percentEncode("!*'()")).toBe("%21%2A%27%28%29");
    expect(percentEncode("/?=&+ ")).toBe("%2F%3F%3D%26%2B%20");
    expect(percentEncode("é")).toBe("%C3%A9");
  });
});

describe("oauth1_hmac_sha1 vectors", () => {
  it("has vectors for both hosts, and they disagree (the host is signed)", () => {
    const hosts = new Set(reproducible.map((v) => new URL(v.url!).host));
    expect(hosts).toEqual(new Set(["api.x.com", "api.twitter.com"]));
    const [x, tw] = reproducible.slice(0, 2);
    expect(x!.expected_signature).not.toBe(tw!.expected_signature);
  });

  // "Authorizing a request" prints tnnArxj06cWHq44gCs1OSKk/jLY= for the same inputs, but that
  // value matches neither host's documented base string and key: it cannot be reproduced, so
  // it is not used as an expected value. This test only pins that we skip it on purpose.
  it("skips the published value marked NOT reproducible", () => {
    expect(notReproducible).toHaveLength(1);
    expect(notReproducible[0]!.expected_signature).toBeUndefined();
  });

  describe.each(reproducible.map((v) => [`${v.method} ${v.url} (${v.provenance.split(" ")[0]})`, v] as const))("%s", (_name, v) => {
    const form = v.body_form === undefined ? [] : [...new URLSearchParams(v.body_form).entries()];
    const oauth = Object.fromEntries(Object.entries(v.params!).filter(([k]) => k.startsWith("oauth_")));

    it("builds the documented signature base string", () => {
      const params = [...new URL(v.url!).searchParams.entries(), ...form, ...Object.entries(oauth)];
      expect(signatureBaseString(v.method!, v.url!, params)).toBe(v.signature_base_string);
    });

    it("derives the signing key", () => {
      expect(signingKey(v.consumer_secret!, v.token_secret!)).toBe(
        v.signing_key ?? `${v.consumer_secret}&${v.token_secret}`,
      );
    });

    it("produces the expected signature and header", async () => {
      const signed = await signRequest({
        method: v.method!,
        url: v.url!,
        form,
        consumerKey: oauth.oauth_consumer_key!,
        consumerSecret: v.consumer_secret!,
        token: oauth.oauth_token!,
        tokenSecret: v.token_secret!,
        nonce: oauth.oauth_nonce!,
        timestamp: Number(oauth.oauth_timestamp),
      });
      expect(signed.baseString).toBe(v.signature_base_string);
      expect(signed.signature).toBe(v.expected_signature);
      if (v.expected_authorization_header !== undefined) {
        expect(signed.authorization).toBe(v.expected_authorization_header);
      }
    });
  });
});

describe("signRequest details", () => {
  const base = {
    consumerKey: "ck",
    consumerSecret: "cs",
    nonce: "n0nce",
    timestamp: 1700000000,
  };

  it("does not sign a JSON body: only query and oauth params enter the base string", async () => {
    const signed = await signRequest({ ...base, method: "POST", url: "https://api.x.com/2/webhooks", token: "t", tokenSecret: "ts" });
    expect(signed.baseString).toBe(
      "POST&https%3A%2F%2Fapi.x.com%2F2%2Fwebhooks&oauth_consumer_key%3Dck%26oauth_nonce%3Dn0nce%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1700000000%26oauth_token%3Dt%26oauth_version%3D1.0",
    );
  });

  it("signs oauth_callback for request_token, with no token and an empty token secret", async () => {
    const signed = await signRequest({ ...base, method: "POST", url: "https://api.x.com/oauth/request_token", callback: "https://edge.example/oauth/a/callback?x=1" });
    expect(signed.baseString).toContain("oauth_callback%3Dhttps%253A%252F%252Fedge.example%252Foauth%252Fa%252Fcallback%253Fx%253D1");
    expect(signed.baseString).not.toContain("oauth_token");
    expect(signed.authorization).toMatch(/^OAuth oauth_callback="https%3A%2F%2Fedge\.example%2Foauth%2Fa%2Fcallback%3Fx%3D1", oauth_consumer_key="ck"/);
    // Key is "cs&" (empty token secret): recompute independently to check it.
    const other = await signRequest({ ...base, method: "POST", url: "https://api.x.com/oauth/request_token", callback: "https://edge.example/oauth/a/callback?x=1", tokenSecret: "" });
    expect(other.signature).toBe(signed.signature);
  });

  it("signs oauth_verifier and oauth_token for access_token, with the request token secret", async () => {
    const a = await signRequest({ ...base, method: "POST", url: "https://api.x.com/oauth/access_token", token: "rt", tokenSecret: "rts", verifier: "v123" });
    const b = await signRequest({ ...base, method: "POST", url: "https://api.x.com/oauth/access_token", token: "rt", tokenSecret: "other", verifier: "v123" });
    expect(a.baseString).toContain("oauth_token%3Drt");
    expect(a.baseString).toContain("oauth_verifier%3Dv123");
    expect(a.authorization).toContain('oauth_verifier="v123"');
    expect(a.signature).not.toBe(b.signature);
  });

  it("normalises the base URI: lowercase host, default port dropped, query removed", () => {
    expect(baseStringUri("HTTPS://API.X.COM:443/1.1/a.json?b=1#f")).toBe("https://api.x.com/1.1/a.json");
    expect(baseStringUri("http://127.0.0.1:8788/2/webhooks")).toBe("http://127.0.0.1:8788/2/webhooks");
  });

  it("sorts params by name then value and encodes duplicates separately", () => {
    expect(signatureBaseString("get", "https://h/p", [["b", "2"], ["a", "z"], ["a", "y"]])).toBe("GET&https%3A%2F%2Fh%2Fp&a%3Dy%26a%3Dz%26b%3D2");
  });

  it("formats the header: sorted names, percent-encoded quoted values, comma-space separated", () => {
    expect(authorizationHeader({ oauth_token: "a b", oauth_consumer_key: "k/+=" })).toBe('OAuth oauth_consumer_key="k%2F%2B%3D", oauth_token="a%20b"');
  });
});
