/**
 * examples/forward-receiver/verify.ts (the snippet docs/consuming.md quotes): the maintained
 * `standardwebhooks` library verifies what our forwarder signs (src/pipeline/standard-webhooks.ts),
 * and refuses anything altered. Bodies are real envelopes from `normaliseDelivery`.
 */
import { describe, expect, it } from "vitest";
import { RecentIds, verifyForwarded, WebhookVerificationError } from "../../../examples/forward-receiver/verify.ts";
import { normaliseDelivery, serialiseEnvelope } from "../../../src/events/normalise.ts";
import { standardWebhookHeaders } from "../../../src/pipeline/standard-webhooks.ts";

const SECRET = "whsec_dGVzdC1mb3J3YXJkLXNlY3JldA==";
const DELIVERY =
  '{"for_user_id":"1600000000000000003","tweet_create_events":[{"id":1924465506158878979,"id_str":"1924465506158878979","text":"hi","user":{"id":1603419180975409153,"id_str":"1603419180975409153"},"timestamp_ms":"1747663306000"}]}';
const ENVELOPE = normaliseDelivery(DELIVERY, { app: "default", received_at: "2026-11-24T12:00:00.000Z", delivery_id: "d1" })[0]!;
const BODY = serialiseEnvelope(ENVELOPE);
const now = (): number => Math.floor(Date.now() / 1000);

async function signed(overrides: { secret?: string; ts?: number; body?: string } = {}): Promise<Record<string, string>> {
  return standardWebhookHeaders(overrides.secret ?? SECRET, ENVELOPE.id, overrides.ts ?? now(), overrides.body ?? BODY);
}

describe("verifyForwarded (standardwebhooks) against our forward signer", () => {
  it("accepts our signature and returns the webhook id and a lossless envelope", async () => {
    const f = verifyForwarded(SECRET, BODY, await signed());
    expect(f.id).toBe(ENVELOPE.id);
    expect(f.body).toBe(BODY);
    const event = f.envelope.event as { id: unknown; user: { id: unknown } };
    expect(event.id).toBe(1924465506158878979n);
    expect(event.user.id).toBe(1603419180975409153n);
  });

  it("accepts header names in any case and a signature list with an old key's entry first", async () => {
    const h = await signed();
    const old = await signed({ secret: "whsec_b2xkLXNlY3JldC1ub3QtY3VycmVudA==" });
    const mixed = {
      "Webhook-Id": h["webhook-id"]!,
      "Webhook-Timestamp": h["webhook-timestamp"]!,
      "Webhook-Signature": `${old["webhook-signature"]} ${h["webhook-signature"]}`,
    };
    expect(verifyForwarded(SECRET, BODY, mixed).id).toBe(ENVELOPE.id);
  });

  it.each([
    ["a changed body", async () => [BODY.replace("hi", "ho"), await signed()] as const],
    ["another secret", async () => [BODY, await signed({ secret: "whsec_b3RoZXItc2VjcmV0" })] as const],
    ["a timestamp 10 minutes old", async () => [BODY, await signed({ ts: now() - 600 })] as const],
    ["a timestamp 10 minutes ahead", async () => [BODY, await signed({ ts: now() + 600 })] as const],
    ["a missing signature header", async () => {
      const { "webhook-signature": _drop, ...rest } = await signed();
      return [BODY, rest] as const;
    }],
  ])("refuses %s", async (_name, make) => {
    const [body, headers] = await make();
    expect(() => verifyForwarded(SECRET, body, headers)).toThrow(WebhookVerificationError);
  });
});

describe("RecentIds", () => {
  it("reports an id as handled only after add, and forgets the oldest past its capacity", () => {
    const ids = new RecentIds(2);
    expect(ids.has("a")).toBe(false);
    ids.add("a");
    expect(ids.has("a")).toBe(true);
    ids.add("b");
    ids.add("c");
    expect([ids.has("a"), ids.has("b"), ids.has("c")]).toEqual([false, true, true]);
  });
});
