/**
 * The emulator's activity generator builds, for one activity, the AAA body and the XAA body X
 * would send each user involved. Normalised by the receiver (src/events), the two must name the
 * same event: equal `activity`, `object_key` and `for_user_id` for every family with a twin, as
 * cross-API dedup during a migration relies on (test/unit/events/canonical-pairs.test.ts does the
 * same from X's documented examples).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildActivity } from "../../emulator/activity.ts";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { normaliseDelivery } from "../../src/events/normalise.ts";

const ALICE = "1600000000000000002";
const BOB = "1600000000000000003";
const META = { app: "default", received_at: "2026-12-04T12:00:00.000Z", delivery_id: "d" };

function one(text: string) {
  const envelopes = normaliseDelivery(text, META);
  expect(envelopes).toHaveLength(1);
  return envelopes[0]!;
}

describe("one activity through AAA and XAA, as the emulator builds it", () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, clock: { scale: 0, start: Date.UTC(2026, 11, 4, 12) } });
  });
  afterAll(async () => {
    await emu.stop();
  });

  const activities: [string, (e: RunningEmulator) => Record<string, unknown>][] = [
    ["own post", () => ({ type: "tweet", user_id: ALICE })],
    ["mention", () => ({ type: "tweet", user_id: BOB, mention_ids: [ALICE] })],
    ["reply", () => ({ type: "tweet", user_id: BOB, in_reply_to_status_id: "1900000000000000001", in_reply_to_user_id: ALICE })],
    ["quote", () => ({ type: "tweet", user_id: BOB, quoted_status_id: "1900000000000000001", quoted_user_id: ALICE })],
    ["repost", () => ({ type: "tweet", user_id: BOB, retweeted_status_id: "1900000000000000001", retweeted_user_id: ALICE })],
    ["delete", () => ({ type: "tweet_delete", user_id: ALICE, tweet_id: "1900000000000000002" })],
    ["like", () => ({ type: "favorite", user_id: ALICE, tweet_author_id: BOB })],
    ["follow", () => ({ type: "follow", source_id: ALICE, target_id: BOB })],
    ["unfollow", () => ({ type: "unfollow", source_id: ALICE, target_id: BOB })],
    ["block", () => ({ type: "block", source_id: ALICE, target_id: BOB })],
    ["unmute", () => ({ type: "unmute", source_id: ALICE, target_id: BOB })],
    ["DM", () => ({ type: "direct_message", sender_id: ALICE, recipient_id: BOB })],
    ["typing", () => ({ type: "typing", sender_id: BOB, recipient_id: ALICE })],
    ["read receipt", () => ({ type: "read", sender_id: BOB, recipient_id: ALICE })],
    ["revoke", () => ({ type: "revoke", user_id: ALICE, app: "default" })],
  ];

  for (const [name, input] of activities) {
    it(`${name}: every user's AAA and XAA copies name one event`, () => {
      const activity = buildActivity(emu, input(emu));
      const pairs = activity.items.filter((i) => i.xaaBody !== null);
      expect(pairs.length).toBeGreaterThan(0);
      for (const item of pairs) {
        const a = one(item.aaaBody);
        const x = one(item.xaaBody!);
        expect(a.format).toBe("aaa");
        expect(x.format).toBe("xaa");
        expect(a.activity, `${name} for ${item.userId}`).toBe(x.activity);
        expect(a.object_key, `${name} for ${item.userId}`).toBe(x.object_key);
        expect(a.object_key).not.toBe(a.event_key);
        expect(a.for_user_id).toBe(x.for_user_id);
        if (a.activity === "like.create") expect(a.direction).toBe(x.direction);
      }
    });
  }
});
