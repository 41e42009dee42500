/**
 * What a redrive sends back: a forward original loses `held_since`, so the redriven message
 * starts a new hold period instead of expiring at once (src/state/dead-letters.ts).
 */
import { describe, expect, it } from "vitest";
import type { ForwardMessage, IngestMessage } from "../../../src/pipeline/messages.ts";
import { withoutHold } from "../../../src/state/dead-letters.ts";

describe("withoutHold", () => {
  it("drops held_since from a forward original and keeps every other field", () => {
    const held: ForwardMessage = { v: 1, id: "e1", app: "default", json: "{}", held_since: "2026-11-20T00:00:00.000Z" };
    expect(withoutHold(held)).toEqual({ v: 1, id: "e1", app: "default", json: "{}" });
    expect("held_since" in withoutHold(held)).toBe(false);
  });

  it("returns originals without a hold unchanged", () => {
    const forward: ForwardMessage = { v: 1, id: "e2", app: "default", spill: "env:e2" };
    const ingest: IngestMessage = { v: 1, delivery_id: "d1", app: "default", received_at: "2026-11-24T00:00:00.000Z", body: new ArrayBuffer(2) };
    expect(withoutHold(forward)).toBe(forward);
    expect(withoutHold(ingest)).toBe(ingest);
  });
});
