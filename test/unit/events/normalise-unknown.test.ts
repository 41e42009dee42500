import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../src/events/envelope.ts";
import { normaliseDelivery, PoisonPayloadError, serialiseEnvelope } from "../../../src/events/normalise.ts";
import { fnv1a64 } from "../../../src/events/stable-hash.ts";

const META = { app: "main", received_at: "2026-11-24T17:00:00.000Z", delivery_id: "d-1" };

function poison(text: string): PoisonPayloadError {
  try {
    normaliseDelivery(text, META);
  } catch (error) {
    if (error instanceof PoisonPayloadError) return error;
    throw error;
  }
  throw new Error(`no PoisonPayloadError for ${JSON.stringify(text)}`);
}

describe("what this version does not recognise is kept as type unknown", () => {
  it("an unknown top-level key gives one unknown envelope with the whole body, digits intact", () => {
    const text = '{"for_user_id":"42","poll_vote_events":[{"id":1924465506158878979,"choice":"a"}]}';
    const [envelope, ...rest] = normaliseDelivery(text, META);
    expect(rest).toHaveLength(0);
    expect(envelope?.type).toBe("unknown");
    expect(envelope?.format).toBe("aaa");
    expect(envelope?.for_user_id).toBe("42");
    expect(envelope?.created_at).toBeNull();
    expect(envelope?.id).toBe(`unknown:42:hash:${fnv1a64(text)}`);
    expect(envelope?.event_key).toBe(`unknown:hash:${fnv1a64(text)}`);
    expect(serialiseEnvelope(envelope as Envelope)).toContain(`"event":${text}`);
  });

  it("a known key next to an unknown one gives the known events plus one unknown envelope", () => {
    const text = '{"for_user_id":"42","favorite_events":[{"id":"f1"}],"new_thing":{"x":1}}';
    const envelopes = normaliseDelivery(text, META);
    expect(envelopes.map((e) => e.type)).toEqual(["favorite_events", "unknown"]);
    expect(envelopes[1]?.event).toEqual(JSON.parse(text));
  });

  const unrecognised: [string, string, Envelope["format"]][] = [
    ["an empty object", "{}", "unknown"],
    ["an empty event array", '{"for_user_id":"1","tweet_create_events":[]}', "aaa"],
    ["an event array holding a non-object", '{"for_user_id":"1","favorite_events":["x"]}', "aaa"],
    ["an array type sent as an object", '{"for_user_id":"1","follow_events":{"type":"follow"}}', "aaa"],
    ["XAA data without event_type", '{"data":{"event_uuid":"1","payload":{}}}', "xaa"],
    ["XAA data that is not an object", '{"data":[1,2]}', "xaa"],
    ["only meta keys", '{"for_user_id":"1","users":{}}', "aaa"],
  ];
  for (const [name, text, format] of unrecognised) {
    it(`${name} gives a single unknown envelope carrying the body`, () => {
      const envelopes = normaliseDelivery(text, META);
      expect(envelopes).toHaveLength(1);
      expect(envelopes[0]?.type).toBe("unknown");
      expect(envelopes[0]?.format).toBe(format);
      expect(envelopes[0]?.event).toEqual(JSON.parse(text));
      expect(envelopes[0]?.event_key).toBe(`unknown:hash:${fnv1a64(text)}`);
    });
  }

  it("gives an unknown body the same id on X's retry and a different one for other bytes", () => {
    const text = '{"for_user_id":"42","mystery":[1]}';
    const first = normaliseDelivery(text, META)[0];
    const retry = normaliseDelivery(text, { ...META, delivery_id: "d-2" })[0];
    const other = normaliseDelivery('{"for_user_id":"42","mystery":[2]}', META)[0];
    expect(retry?.id).toBe(first?.id);
    expect(other?.id).not.toBe(first?.id);
  });

  it("an XAA event without event_uuid keeps its type and gets a hash id", () => {
    const text = '{"data":{"event_type":"like.create","filter":{"user_id":"5"},"payload":{}}}';
    const [envelope] = normaliseDelivery(text, META);
    expect(envelope?.type).toBe("like.create");
    expect(envelope?.id).toMatch(/^like\.create:5:hash:[0-9a-f]{16}$/);
  });
});

describe("bodies that can never be normalised throw PoisonPayloadError", () => {
  for (const text of ["", "not json", '{"for_user_id":"1",', "{'a':1}", '{"a":1}{"b":2}']) {
    it(`malformed JSON ${JSON.stringify(text)}`, () => {
      const error = poison(text);
      expect(error.reason).toBe("malformed_json");
      expect(error.message).toMatch(/^delivery body is not valid JSON: /);
    });
  }

  it("JSON nested deeper than the parser's stack", () => {
    const depth = 100_000;
    const error = poison(`{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`);
    expect(error.reason).toBe("too_deep");
    expect(error.message).toBe("delivery body nests too deeply to parse");
  });

  const nonObjects: [string, string][] = [
    ["[]", "an array"],
    ['[{"for_user_id":"1"}]', "an array"],
    ["null", "null"],
    ["42", "a number"],
    ['"tweet_create_events"', "a string"],
    ["true", "a boolean"],
  ];
  for (const [text, kind] of nonObjects) {
    it(`JSON that is ${kind} (${text})`, () => {
      const error = poison(text);
      expect(error.reason).toBe("not_an_object");
      expect(error.message).toBe(`delivery body is JSON but ${kind}, not an object`);
    });
  }
});
