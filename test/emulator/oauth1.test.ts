import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticate } from "../../emulator/auth.ts";
import { buildConfig } from "../../emulator/config-load.ts";
import type { Req } from "../../emulator/http.ts";
import {
  formPairs,
  hmacSha1,
  oauthAuthorizationHeader,
  parseOAuthHeader,
  percentEncode,
  signatureBaseString,
} from "../../emulator/oauth1.ts";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { EmulatorState } from "../../emulator/state.ts";
import { appNamed, call, firstError, rawRequest } from "./helpers.ts";

interface OAuthVector {
  provenance: string;
  method?: string;
  url?: string;
  body_form?: string;
  params?: Record<string, string>;
  consumer_secret?: string;
  token_secret?: string;
  signature_base_string?: string;
  expected_signature?: string;
  expected_authorization_header?: string;
}

const vectors = JSON.parse(readFileSync(new URL("../fixtures/vectors.json", import.meta.url), "utf8")) as {
  oauth1_hmac_sha1: { vectors: OAuthVector[] };
  percent_encoding: { vectors: { in: string; out: string }[] };
};
// The "Authorizing a request" page prints a signature that matches neither host: excluded on purpose.
const usable = vectors.oauth1_hmac_sha1.vectors.filter((v) => !v.provenance.includes("NOT reproducible"));

const VECTOR_KEY = "xvz1evFS4wEEPTGEFPHBog";
const VECTOR_TOKEN = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";

describe("OAuth 1.0a vectors (pure)", () => {
  it("uses every reproducible vector and skips only the unreproducible one", () => {
    expect(usable.length).toBe(vectors.oauth1_hmac_sha1.vectors.length - 1);
    expect(usable.length).toBeGreaterThanOrEqual(6);
  });

  for (const v of usable) {
    it(`${v.method} ${v.url}: base string and signature`, () => {
      const pairs = Object.entries(v.params ?? {});
      const base = signatureBaseString(v.method!, v.url!, pairs);
      expect(base).toBe(v.signature_base_string);
      expect(hmacSha1(base, v.consumer_secret!, v.token_secret!)).toBe(v.expected_signature);
    });
  }

  it("the same request signed for api.x.com and api.twitter.com gives different signatures", () => {
    const [x, twitter] = usable;
    expect(x!.url).toContain("api.x.com");
    expect(twitter!.url).toContain("api.twitter.com");
    expect(x!.expected_signature).not.toBe(twitter!.expected_signature);
  });

  for (const p of vectors.percent_encoding.vectors) {
    it(`percent-encodes ${JSON.stringify(p.in)}`, () => expect(percentEncode(p.in)).toBe(p.out));
  }

  it("parses X's documented Authorization header", () => {
    const parsed = parseOAuthHeader(usable[0]!.expected_authorization_header);
    expect(parsed?.oauth_signature).toBe("Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");
    expect(parsed?.oauth_token).toBe(VECTOR_TOKEN);
    expect(parseOAuthHeader('OAuth oauth_nonce="x" garbage')).toBeNull();
    expect(parseOAuthHeader("Basic abc")).toBeNull();
  });

  it("builds the documented Authorization header from the documented inputs", () => {
    const v = usable[0]!;
    const header = oauthAuthorizationHeader({
      method: "POST",
      url: v.url!,
      consumerKey: VECTOR_KEY,
      consumerSecret: v.consumer_secret!,
      token: VECTOR_TOKEN,
      tokenSecret: v.token_secret!,
      form: Object.fromEntries(formPairs(v.body_form!)),
      nonce: v.params!.oauth_nonce!,
      timestamp: 1318622958,
    });
    expect(header).toBe(v.expected_authorization_header);
  });
});

/** A world holding the docs' consumer key and token, with the timestamp window off (the vectors are from 2011). */
function vectorWorld(): { state: EmulatorState; config: ReturnType<typeof buildConfig> } {
  const config = buildConfig({
    demo: false,
    apps: [{ name: "docs", consumerKey: VECTOR_KEY, consumerSecret: usable[0]!.consumer_secret!, envName: "dev" }],
    users: [{ id: "370773112", screenName: "docs_user", accessToken: VECTOR_TOKEN, accessTokenSecret: usable[0]!.token_secret! }],
    auth: { timestampWindowSec: 0 },
  });
  return { state: new EmulatorState(config), config };
}

describe("authenticate() accepts the documented requests", () => {
  for (const v of usable.filter((x) => x.expected_authorization_header)) {
    const u = new URL(v.url!);
    it(`verifies the official vector for ${u.host} only against its own host`, () => {
      const { state, config } = vectorWorld();
      const req = (origin: string): Req => ({
        method: v.method!,
        path: u.pathname,
        rawQuery: u.search.slice(1),
        query: u.searchParams,
        headers: { authorization: v.expected_authorization_header!, "content-type": "application/x-www-form-urlencoded" },
        body: Buffer.from(v.body_form!),
        origin,
        params: {},
      });
      expect(authenticate(req(`https://${u.host}`), state, config)).toMatchObject({ kind: "user", userId: "370773112" });
      const other = u.host === "api.x.com" ? "https://api.twitter.com" : "https://api.x.com";
      expect(() => authenticate(req(other), vectorWorld().state, config)).toThrow("Could not authenticate you.");
    });
  }
});

describe("the emulator verifies signatures over HTTP", () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({
      clock: { scale: 0 },
      crc: { timeoutMs: 300 },
      apps: [{ name: "docs", consumerKey: VECTOR_KEY, consumerSecret: usable[0]!.consumer_secret!, envName: "dev", flavour: "v1.1-premium" }],
      users: [{ id: "370773112", screenName: "docs_user", accessToken: VECTOR_TOKEN, accessTokenSecret: usable[0]!.token_secret! }],
      auth: { timestampWindowSec: 0 },
    });
  });
  afterAll(() => emu.stop());

  // The computed AAA vectors, sent byte for byte with the Host they were signed for: a verified
  // signature gets past authentication (to 404 code 34 or a CRC 214), a bad one would get 32.
  for (const v of usable.filter((x) => x.url?.includes("account_activity"))) {
    it(`accepts ${v.method} ${v.url}`, async () => {
      emu.reset(); // the vectors share one nonce and timestamp: forget the previous test's nonce
      const u = new URL(v.url!);
      const header = oauthAuthorizationHeader({
        method: v.method!,
        url: v.url!,
        consumerKey: VECTOR_KEY,
        consumerSecret: v.consumer_secret!,
        token: VECTOR_TOKEN,
        tokenSecret: v.token_secret!,
        nonce: v.params!.oauth_nonce!,
        timestamp: Number(v.params!.oauth_timestamp),
      });
      expect(parseOAuthHeader(header)?.oauth_signature).toBe(v.expected_signature);
      const r = await rawRequest(`${emu.url}${u.pathname}${u.search}`, v.method!, { host: u.host, "x-forwarded-proto": "https", authorization: header });
      const e = firstError(r) as { code?: number; reason?: string; message: string };
      expect(e.message).not.toBe("Could not authenticate you.");
      // Past authentication: the webhook is unknown (v1.1 code 34 / 214, v2 reason WebhookIdInvalid).
      expect([34, 214, "WebhookIdInvalid"]).toContain(e.code ?? e.reason);
      // The same request again is a replayed nonce.
      const again = await rawRequest(`${emu.url}${u.pathname}${u.search}`, v.method!, { host: u.host, "x-forwarded-proto": "https", authorization: header });
      expect([again.status, firstError(again).message]).toEqual([401, "Could not authenticate you."]);
    });
  }
});

describe("authentication failures", () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0 } });
  });
  afterAll(() => emu.stop());
  const path = "/1.1/account_activity/webhooks/1.json";

  it("a valid owner signature passes authentication", async () => {
    const r = await call(emu, { method: "PUT", path, app: appNamed(emu, "legacy") });
    expect(firstError(r).code).toBe(34);
  });

  it("a tampered signature is 401 code 32", async () => {
    const app = appNamed(emu, "legacy");
    const url = `${emu.url}${path}`;
    const header = oauthAuthorizationHeader({ method: "PUT", url, consumerKey: app.consumerKey, consumerSecret: "wrong", token: app.accessToken, tokenSecret: app.accessTokenSecret });
    const r = await rawRequest(url, "PUT", { authorization: header });
    expect(r.status).toBe(401);
    expect(firstError(r)).toEqual({ code: 32, message: "Could not authenticate you." });
  });

  it("an unknown consumer key or access token is 401 code 32", async () => {
    const app = appNamed(emu, "legacy");
    const url = `${emu.url}${path}`;
    for (const [key, token] of [["nobody", app.accessToken], [app.consumerKey, "no-such-token"]] as const) {
      const header = oauthAuthorizationHeader({ method: "PUT", url, consumerKey: key, consumerSecret: app.consumerSecret, token, tokenSecret: app.accessTokenSecret });
      const r = await rawRequest(url, "PUT", { authorization: header });
      expect([r.status, firstError(r).code]).toEqual([401, 32]);
    }
  });

  it("a timestamp outside the window is refused", async () => {
    const app = appNamed(emu, "legacy");
    const url = `${emu.url}${path}`;
    const header = oauthAuthorizationHeader({ method: "PUT", url, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, token: app.accessToken, tokenSecret: app.accessTokenSecret, timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const r = await rawRequest(url, "PUT", { authorization: header });
    expect([r.status, firstError(r).code]).toEqual([401, 135]);
  });

  it("an unknown bearer is 401 code 89, no credentials 400 code 215, a malformed header 401 code 32", async () => {
    const r1 = await call(emu, { method: "GET", path: "/1.1/account_activity/webhooks.json", as: { bearer: "nope" } });
    expect([r1.status, firstError(r1).code]).toEqual([401, 89]);
    const r2 = await call(emu, { method: "GET", path: "/1.1/account_activity/webhooks.json", as: { none: true } });
    expect([r2.status, firstError(r2).code]).toEqual([400, 215]);
    const r3 = await rawRequest(`${emu.url}/1.1/account_activity/webhooks.json`, "GET", { authorization: 'OAuth oauth_consumer_key="x", junk' });
    expect([r3.status, firstError(r3).code]).toEqual([401, 32]);
  });
});
