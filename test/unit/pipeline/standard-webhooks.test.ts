/**
 * Cross-checked two ways: the reference library's own fixed vector (standard-webhooks/
 * standard-webhooks, libraries/javascript/src/webhook.test.ts, "sign function works"),
 * recomputed by hand with Python's hmac module, and the maintained `standardwebhooks` npm
 * package verifying headers we made.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  secretKeyBytes,
  signStandardWebhook,
  standardWebhookHeaders,
  StandardWebhooksSecretError,
  verifyStandardWebhook,
} from "../../../src/pipeline/standard-webhooks.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = 1614265330;
const PAYLOAD = '{"test": 2432232314}';
const EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

describe("signStandardWebhook", () => {
  it("matches the reference library's vector", async () => {
    expect(await signStandardWebhook(SECRET, MSG_ID, TS, PAYLOAD)).toBe(EXPECTED);
  });

  it("accepts the secret without its whsec_ prefix, as the reference library does", async () => {
    expect(await signStandardWebhook(SECRET.slice(6), MSG_ID, TS, PAYLOAD)).toBe(EXPECTED);
  });

  it("signs id, timestamp and body: changing any one changes the signature", async () => {
    expect(await signStandardWebhook(SECRET, "msg_other", TS, PAYLOAD)).not.toBe(EXPECTED);
    expect(await signStandardWebhook(SECRET, MSG_ID, TS + 1, PAYLOAD)).not.toBe(EXPECTED);
    expect(await signStandardWebhook(SECRET, MSG_ID, TS, PAYLOAD + " ")).not.toBe(EXPECTED);
  });

  it("refuses a secret that is not base64, without echoing it", () => {
    try {
      secretKeyBytes("whsec_not base64!!");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StandardWebhooksSecretError);
      expect(String(error)).not.toContain("not base64!!");
    }
    expect(() => secretKeyBytes("whsec_")).toThrow(StandardWebhooksSecretError);
  });
});

describe("standardWebhookHeaders", () => {
  it("sets the three Standard Webhooks headers and the JSON content type", async () => {
    const h = await standardWebhookHeaders(SECRET, MSG_ID, TS, PAYLOAD);
    expect(h).toEqual({
      "content-type": "application/json",
      "webhook-id": MSG_ID,
      "webhook-timestamp": String(TS),
      "webhook-signature": EXPECTED,
    });
  });
});

describe("verifyStandardWebhook", () => {
  const headers = { id: MSG_ID, timestamp: String(TS), signature: EXPECTED };

  it("accepts the reference vector within the tolerance", async () => {
    expect(await verifyStandardWebhook(SECRET, headers, PAYLOAD, TS + 60)).toEqual({ ok: true });
  });

  it("accepts when one of several space-separated signatures matches", async () => {
    const signature = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,xyz ${EXPECTED}`;
    expect(await verifyStandardWebhook(SECRET, { ...headers, signature }, PAYLOAD, TS)).toEqual({ ok: true });
  });

  it("names each failure", async () => {
    expect(await verifyStandardWebhook(SECRET, { ...headers, id: null }, PAYLOAD, TS)).toEqual({ ok: false, reason: "missing_header" });
    expect(await verifyStandardWebhook(SECRET, { ...headers, timestamp: "soon" }, PAYLOAD, TS)).toEqual({ ok: false, reason: "bad_timestamp" });
    expect(await verifyStandardWebhook(SECRET, headers, PAYLOAD, TS + 301)).toEqual({ ok: false, reason: "stale_timestamp" });
    expect(await verifyStandardWebhook(SECRET, headers, PAYLOAD + "x", TS)).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verifyStandardWebhook(SECRET, { ...headers, signature: EXPECTED.slice(0, 8) }, PAYLOAD, TS)).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verifyStandardWebhook(SECRET, { ...headers, signature: "v1," }, PAYLOAD, TS)).toEqual({ ok: false, reason: "bad_signature" });
  });
});

describe("interoperability with the standardwebhooks package", () => {
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const body = '{"id":"tweet_create_events:1:2","event":{"id":1924465506158878979}}';

  it("verifies the headers we sign, and refuses them for a changed body", async () => {
    const now = Math.floor(Date.now() / 1000);
    const headers = await standardWebhookHeaders(secret, "msg_1", now, body);
    const wh = new Webhook(secret);
    expect(() => wh.verify(body, headers)).not.toThrow();
    expect(() => wh.verify(body.replace("1924465506158878979", "1924465506158879000"), headers)).toThrow();
  });
});
