import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../src/events/envelope.ts";
import { normaliseDelivery, serialiseEnvelope } from "../../../src/events/normalise.ts";
import longformRaw from "../../fixtures/payloads/tweet_create_events.longform.docs.json?raw";
import dmRaw from "../../fixtures/payloads/direct_message_events.json?raw";

const META = { app: "main", received_at: "2026-11-24T17:00:00.000Z", delivery_id: "d-1" };

function only(envelopes: Envelope[]): Envelope {
  expect(envelopes).toHaveLength(1);
  return envelopes[0] as Envelope;
}

/** A v1.1 tweet as X delivers it: numeric ids carry their full 64-bit digits. */
function tweet(idStr: string, extra = ""): string {
  return `{"created_at":"Mon May 19 14:01:46 +0000 2025","id":${idStr},"id_str":"${idStr}","text":"hi @b"${extra}}`;
}

describe("64-bit ids survive normalisation", () => {
  // X's docs print the numeric ids already rounded by a JS float (1924465506158879000); a real
  // delivery carries the exact digits, so put them back before normalising.
  const realDelivery = longformRaw
    .replace('"id": 1924465506158879000', '"id": 1924465506158878979')
    .replace('"id": 1661523610111193000', '"id": 1661523610111193088');

  it("the fixture text really carries the exact digits (guards the replace above)", () => {
    expect(realDelivery).toContain('"id": 1924465506158878979');
    expect(realDelivery).toContain('"id": 1661523610111193088');
    // What plain JSON.parse would do to them: the loss the docs show.
    expect(JSON.stringify(JSON.parse(realDelivery))).toContain('"id":1924465506158879000');
  });

  it("serialising the envelope reproduces the post id and the mention id digit for digit", () => {
    const wire = serialiseEnvelope(only(normaliseDelivery(realDelivery, META)));
    expect(wire).toContain('"id":1924465506158878979');
    expect(wire).toContain('"id":1661523610111193088');
    expect(wire).not.toContain("1924465506158879000");
    expect(wire).not.toContain("1661523610111193000");
    expect(wire).toContain('"id":"tweet_create_events:1603419180975409153:1924465506158878979"');
  });

  it("serialising the docs' own (already rounded) text changes nothing either", () => {
    const wire = serialiseEnvelope(only(normaliseDelivery(longformRaw, META)));
    expect(wire).toContain('"id":1924465506158879000');
    expect(wire).toContain('"id_str":"1924465506158878979"');
  });

  it("keys on the raw digits when X sends only a numeric id", () => {
    const text = '{"for_user_id":"1","tweet_create_events":[{"id":1924465506158878979,"text":"x"}]}';
    expect(only(normaliseDelivery(text, META)).event_key).toBe("tweet_create_events:1924465506158878979");
  });
});

describe("one event, several subscribed users", () => {
  it("A mentions B: the two deliveries differ in id and share event_key", () => {
    const forA = `{"for_user_id":"111","tweet_create_events":[${tweet("1924465506158878979")}]}`;
    const forB = `{"for_user_id":"222","user_has_blocked":false,"tweet_create_events":[${tweet("1924465506158878979")}]}`;
    const a = only(normaliseDelivery(forA, META));
    const b = only(normaliseDelivery(forB, { ...META, delivery_id: "d-2" }));
    expect(a.id).toBe("tweet_create_events:111:1924465506158878979");
    expect(b.id).toBe("tweet_create_events:222:1924465506158878979");
    expect(a.event_key).toBe("tweet_create_events:1924465506158878979");
    expect(b.event_key).toBe(a.event_key);
  });

  it("shares event_key even when the event has no key fields and falls back to a hash", () => {
    const event = '{"type":"follow","created_timestamp":"1517588749178","source":{},"target":{}}';
    const a = only(normaliseDelivery(`{"for_user_id":"111","follow_events":[${event}]}`, META));
    const b = only(normaliseDelivery(`{"for_user_id":"222","follow_events":[${event}]}`, META));
    expect(a.id).not.toBe(b.id);
    expect(a.event_key).toBe(b.event_key);
    expect(a.event_key).toMatch(/^follow_events:hash:[0-9a-f]{16}$/);
  });
});

describe("AAA shapes", () => {
  it("gives one envelope per element of a multi-event array, in order", () => {
    const text = `{"for_user_id":"9","tweet_create_events":[${tweet("1000000000000000001")},${tweet("1000000000000000002")},${tweet("1000000000000000003")}]}`;
    const envelopes = normaliseDelivery(text, META);
    expect(envelopes.map((e) => e.id)).toEqual([
      "tweet_create_events:9:1000000000000000001",
      "tweet_create_events:9:1000000000000000002",
      "tweet_create_events:9:1000000000000000003",
    ]);
    expect(new Set(envelopes.map((e) => e.delivery_id))).toEqual(new Set(["d-1"]));
  });

  it("builds the composite relationship key from the users' id_str", () => {
    const text =
      '{"for_user_id":"2244994945","follow_events":[{"type":"follow","created_timestamp":"1517588749178",' +
      '"source":{"id":3001969357,"id_str":"3001969357"},"target":{"id":2244994945,"id_str":"2244994945"}}]}';
    const envelope = only(normaliseDelivery(text, META));
    expect(envelope.id).toBe("follow_events:2244994945:follow:3001969357:2244994945:1517588749178");
    expect(envelope.event_key).toBe("follow_events:follow:3001969357:2244994945:1517588749178");
  });

  for (const key of ["unfollow_events", "unblock_events", "unmute_events"]) {
    it(`accepts the alias key ${key} with the relationship id rule`, () => {
      const kind = key.replace("_events", "");
      const text =
        `{"for_user_id":"7","${key}":[{"type":"${kind}","created_timestamp":"1518127020304",` +
        '"source":{"id_str":"7"},"target":{"id_str":"8"}}]}';
      const envelope = only(normaliseDelivery(text, META));
      expect(envelope.type).toBe(key);
      expect(envelope.format).toBe("aaa");
      expect(envelope.id).toBe(`${key}:7:${kind}:7:8:1518127020304`);
      expect(envelope.created_at).toBe("2018-02-08T21:57:00.304Z");
    });
  }

  const blockedCases: [string, boolean | undefined][] = [
    ['"true"', true],
    ['"false"', false],
    ["true", true],
    ["false", false],
    ['"yes"', undefined],
  ];
  for (const [raw, expected] of blockedCases) {
    it(`reads user_has_blocked ${raw} as ${String(expected)}`, () => {
      const text = `{"for_user_id":"2","user_has_blocked":${raw},"tweet_create_events":[${tweet("5")}]}`;
      const envelope = only(normaliseDelivery(text, META));
      if (expected === undefined) expect(envelope).not.toHaveProperty("user_has_blocked");
      else expect(envelope.user_has_blocked).toBe(expected);
    });
  }

  it("sets user_has_blocked only on posts", () => {
    const text = '{"for_user_id":"2","user_has_blocked":true,"favorite_events":[{"id":"f1"}]}';
    expect(only(normaliseDelivery(text, META))).not.toHaveProperty("user_has_blocked");
  });

  it("carries users but no apps for a DM delivered without apps", () => {
    const body = JSON.parse(dmRaw) as Record<string, unknown>;
    delete body["apps"];
    const envelope = only(normaliseDelivery(JSON.stringify(body), META));
    expect(envelope.id).toBe("direct_message_events:4337869213:954491830116155396");
    expect(envelope).not.toHaveProperty("apps");
    expect(envelope.users).toEqual(body["users"]);
  });

  it("does not scope a revoke by user and leaves for_user_id null", () => {
    const text = '{"user_event":{"revoke":{"date_time":"2018-05-24T09:48:12+00:00","target":{"app_id":"1"},"source":{"user_id":"2"}}}}';
    const envelope = only(normaliseDelivery(text, META));
    expect(envelope.for_user_id).toBeNull();
    expect(envelope.id).toBe(envelope.event_key);
    expect(envelope.id).toBe("user_event:2:1:2018-05-24T09:48:12+00:00");
  });
});

describe("ids are stable and distinct", () => {
  it("gives the same ids for the same input on every call, whatever the delivery", () => {
    const first = normaliseDelivery(dmRaw, META);
    const again = normaliseDelivery(dmRaw, { app: "main", received_at: "2027-01-01T00:00:00.000Z", delivery_id: "d-9" });
    expect(again.map((e) => [e.id, e.event_key])).toEqual(first.map((e) => [e.id, e.event_key]));
  });

  it("gives different ids to different events of one type", () => {
    const a = only(normaliseDelivery(dmRaw, META));
    const b = only(normaliseDelivery(dmRaw.replace('"id": "954491830116155396"', '"id": "954491830116155397"'), META));
    expect(a.id).not.toBe(b.id);
  });

  it("keeps an event missing its key fields, with distinct hash ids per event", () => {
    const text =
      '{"for_user_id":"3","follow_events":[{"type":"follow","created_timestamp":"1","target":{"id_str":"9"}},' +
      '{"type":"follow","created_timestamp":"2","target":{"id_str":"9"}}]}';
    const envelopes = normaliseDelivery(text, META);
    expect(envelopes).toHaveLength(2);
    expect(envelopes[0]?.id).toMatch(/^follow_events:3:hash:[0-9a-f]{16}$/);
    expect(envelopes[1]?.id).toMatch(/^follow_events:3:hash:[0-9a-f]{16}$/);
    expect(envelopes[0]?.id).not.toBe(envelopes[1]?.id);
    expect(envelopes.map((e) => e.created_at)).toEqual(["1970-01-01T00:00:00.001Z", "1970-01-01T00:00:00.002Z"]);
  });

  it("does not put an unsafe id part (spaces, control characters) into an id", () => {
    const text = '{"for_user_id":"3","direct_message_events":[{"id":"a b\\n","created_timestamp":"1"}]}';
    expect(only(normaliseDelivery(text, META)).id).toMatch(/^direct_message_events:3:hash:[0-9a-f]{16}$/);
  });
});
