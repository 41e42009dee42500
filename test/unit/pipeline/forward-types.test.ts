/** The per-app `forward_types` filter (pure): which envelope types reach FORWARD. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.ts";
import { matchesForwardTypes, shouldForward } from "../../../src/pipeline/forward-policy.ts";

describe("matchesForwardTypes", () => {
  it("lets every type through when the app has no forward_types", () => {
    for (const t of ["tweet_create_events", "dm.received", "unknown", ""]) expect(matchesForwardTypes(undefined, t)).toBe(true);
  });

  it("matches exact names only, case sensitive", () => {
    const p = ["direct_message_events", "dm.received"];
    expect(matchesForwardTypes(p, "direct_message_events")).toBe(true);
    expect(matchesForwardTypes(p, "dm.received")).toBe(true);
    expect(matchesForwardTypes(p, "direct_message_indicate_typing_events")).toBe(false);
    expect(matchesForwardTypes(p, "DM.received")).toBe(false);
    expect(matchesForwardTypes(p, "dm.received.extra")).toBe(false);
    expect(matchesForwardTypes(p, "favorite_events")).toBe(false);
  });

  it("a trailing * matches by prefix: dm.* is every XAA DM type, direct_message* every AAA DM key", () => {
    expect(matchesForwardTypes(["dm.*"], "dm.received")).toBe(true);
    expect(matchesForwardTypes(["dm.*"], "dm.sent")).toBe(true);
    expect(matchesForwardTypes(["dm.*"], "dm")).toBe(false);
    expect(matchesForwardTypes(["dm.*"], "post.create")).toBe(false);
    expect(matchesForwardTypes(["direct_message*"], "direct_message_events")).toBe(true);
    expect(matchesForwardTypes(["direct_message*"], "direct_message_mark_read_events")).toBe(true);
    expect(matchesForwardTypes(["direct_message*"], "tweet_create_events")).toBe(false);
    expect(matchesForwardTypes(["*"], "anything")).toBe(true);
  });

  it("a typo matches nothing (documented: it silently forwards nothing of that type)", () => {
    expect(matchesForwardTypes(["tweet_create_event"], "tweet_create_events")).toBe(false);
  });
});

describe("shouldForward", () => {
  const config = parseConfig({
    X_CONSUMER_SECRET: "cs",
    X_CONSUMER_SECRET_ACME: "cs-a",
    X_CONSUMER_SECRET_OFF: "cs-o",
    FORWARD_URL: "https://shared.example/e",
    FORWARD_SECRET: "whsec_s",
    APPS: JSON.stringify([{ name: "default" }, { name: "acme", forward_types: ["dm.*", "direct_message_events"] }, { name: "off", forward_url: null }]),
  });

  it("needs a destination and a matching type", () => {
    expect(shouldForward(config, "default", "favorite_events")).toBe(true);
    expect(shouldForward(config, "acme", "dm.received")).toBe(true);
    expect(shouldForward(config, "acme", "direct_message_events")).toBe(true);
    expect(shouldForward(config, "acme", "tweet_create_events")).toBe(false);
    expect(shouldForward(config, "off", "dm.received")).toBe(false);
    expect(shouldForward(config, "not-configured", "dm.received")).toBe(false);
  });
});
