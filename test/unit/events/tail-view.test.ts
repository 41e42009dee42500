/** The live tail's summaries and DM-text hiding (src/events/tail-view.ts), over the fixtures. */
import { describe, expect, it } from "vitest";
import { normaliseDelivery } from "../../../src/events/normalise.ts";
import { hideDmText, isDmType, summariseEnvelope } from "../../../src/events/tail-view.ts";
import { parseLossless } from "../../../src/events/lossless-json.ts";

const FIXTURES = import.meta.glob<string>("../../fixtures/payloads/*.json", { query: "?raw", import: "default", eager: true });
const fixture = (name: string): string => Object.entries(FIXTURES).find(([p]) => p.endsWith("/" + name))![1];
const envelopes = (name: string) => normaliseDelivery(fixture(name), { app: "default", received_at: "2026-12-04T12:00:00.000Z", delivery_id: "d" });

describe("tail summaries", () => {
  it("say who did what, in one short line, for every fixture", () => {
    for (const name of Object.keys(FIXTURES).map((p) => p.slice(p.lastIndexOf("/") + 1)).filter((n) => n !== "INDEX.json")) {
      for (const e of envelopes(name)) {
        const s = summariseEnvelope(e);
        expect(s.length, name).toBeGreaterThan(5);
        expect(s.length, name).toBeLessThanOrEqual(140);
        expect(s, name).not.toMatch(/\n/);
      }
    }
    // The full text of a long post (the fixture's user is a placeholder).
    expect(summariseEnvelope(envelopes("tweet_create_events.longform.docs.json")[0]!)).toMatch(/^someone: The Antikythera Mechanism/);
    expect(summariseEnvelope({ type: "tweet_create_events", event: { text: "hi  there\n", user: { screen_name: "alice" } } })).toBe("@alice: hi there");
    expect(summariseEnvelope(envelopes("replay_job_status.complete.json")[0]!)).toMatch(/^Replay job \S+: Complete/);
  });

  it("never carry DM text, and the envelope's DM text is hidden unless asked", () => {
    for (const name of ["direct_message_events.json", "xaa.dm.received.json"]) {
      const [e] = envelopes(name);
      expect(isDmType(e!.type)).toBe(true);
      const raw = JSON.stringify(e);
      const texts = [...raw.matchAll(/"text":"([^"]+)"/g)].map((m) => m[1]!);
      expect(texts.length, name).toBeGreaterThan(0);
      const hidden = JSON.stringify(hideDmText(parseLossless(raw)));
      const summary = summariseEnvelope(e!);
      for (const t of texts) {
        expect(hidden, name).not.toContain(`"${t}"`);
        expect(summary, name).not.toContain(t);
      }
      expect(hidden).toContain("(DM text hidden: ");
    }
  });

  it("keeps 64-bit numbers exact and leaves other envelopes alone", () => {
    const raw = '{"type":"direct_message_events","event":{"id":1924465506158878979,"message_create":{"message_data":{"text":"hi"}}}}';
    expect(JSON.stringify(hideDmText(parseLossless(raw)))).toBe('{"type":"direct_message_events","event":{"id":1924465506158878979,"message_create":{"message_data":{"text":"(DM text hidden: 2 characters)"}}}}');
    const tweet = parseLossless('{"type":"tweet_create_events","event":{"text":"public"}}');
    expect(hideDmText(tweet)).toBe(tweet);
  });

  it("keeps a __proto__ key as a plain key", () => {
    const e = hideDmText(parseLossless('{"type":"dm.received","event":{"__proto__":{"text":"x"}}}')) as { event: object };
    expect(Object.getPrototypeOf(e.event)).toBe(Object.prototype);
    expect(JSON.stringify(e)).toContain('"__proto__":{"text":"(DM text hidden: 1 characters)"}');
  });
});
