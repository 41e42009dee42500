import { describe, expect, it } from "vitest";
import { firstIsoTimestamp, toIsoTimestamp } from "../../../src/events/timestamps.ts";

describe("toIsoTimestamp", () => {
  it("reads the v1.1 created_at form, honouring its offset", () => {
    expect(toIsoTimestamp("Mon May 19 14:01:46 +0000 2025")).toBe("2025-05-19T14:01:46.000Z");
    expect(toIsoTimestamp("Mon Mar 26 16:33:26 +0200 2018")).toBe("2018-03-26T14:33:26.000Z");
  });

  it("reads epoch milliseconds as a number or a digit string", () => {
    expect(toIsoTimestamp(1522082006140)).toBe("2018-03-26T16:33:26.140Z");
    expect(toIsoTimestamp("1432228155593")).toBe("2015-05-21T17:09:15.593Z");
  });

  it("reads ISO 8601 with a zone", () => {
    expect(toIsoTimestamp("2018-05-24T09:48:12+00:00")).toBe("2018-05-24T09:48:12.000Z");
    expect(toIsoTimestamp("2026-07-24T21:05:48.000Z")).toBe("2026-07-24T21:05:48.000Z");
  });

  it("returns null for anything else", () => {
    for (const value of [undefined, null, "", "yesterday", "2018-05-24", "Mon Foo 19 14:01:46 +0000 2025", 1.5, true, {}]) {
      expect(toIsoTimestamp(value)).toBeNull();
    }
  });

  it("firstIsoTimestamp takes the first usable value", () => {
    expect(firstIsoTimestamp(undefined, "bad", "1432228155593")).toBe("2015-05-21T17:09:15.593Z");
    expect(firstIsoTimestamp(undefined, null)).toBeNull();
  });
});
