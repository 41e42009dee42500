/**
 * APPS `xaa_tier` and `xaa_profiles` (src/config-xaa.ts): the tier's cap, profile validation with
 * errors naming the setting, and the same validator for admin-made profiles.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config.ts";
import { parseXaaProfile, XAA_TIER_CAPS } from "../../src/config-xaa.ts";

const base = { X_CONSUMER_SECRET_A: "s" };
const cfg = (app: Record<string, unknown>) => parseConfig({ ...base, APPS: JSON.stringify([{ name: "a", ...app }]) });

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("APPS xaa settings", () => {
  it("an XAA app defaults to self-serve (1,500); each tier has X's cap", () => {
    expect(cfg({ flavour: "xaa" }).apps.get("a")!.xaa).toStrictEqual({ tier: "self-serve", cap: 1500, profiles: [] });
    expect(cfg({ flavour: "xaa", xaa_tier: "enterprise" }).apps.get("a")!.xaa?.cap).toBe(75_000);
    expect(cfg({ flavour: "xaa", xaa_tier: "partner" }).apps.get("a")!.xaa?.cap).toBe(150_000);
    expect(XAA_TIER_CAPS).toStrictEqual({ "self-serve": 1500, enterprise: 75_000, partner: 150_000 });
    expect(configError(() => cfg({ flavour: "xaa", xaa_tier: "gold" })).setting).toBe("APPS[0].xaa_tier");
  });

  it("profiles are parsed: aliases resolved, duplicates dropped, direction and tag kept", () => {
    const app = cfg({ flavour: "xaa", xaa_profiles: { likes: { event_types: ["like.create", "chat.conversation_join", "like.create"], direction: "inbound", tag: "t" } } }).apps.get("a")!;
    expect(app.xaa?.profiles).toStrictEqual([{ name: "likes", event_types: ["like.create", "chat.conversation.join"], direction: "inbound", tag: "t" }]);
  });

  it("xaa settings on an AAA app are refused unless it is migrating, with a message naming the setting", () => {
    const e = configError(() => cfg({ flavour: "v2", xaa_profiles: {} }));
    expect(e.setting).toBe("APPS[0].xaa_profiles");
    expect(e.message).toContain("migrating");
    expect(configError(() => cfg({ flavour: "v2", migrating: false, xaa_tier: "enterprise" })).setting).toBe("APPS[0].xaa_tier");
  });

  it("a migrating AAA app may carry xaa_tier and xaa_profiles, and gets the XAA settings", () => {
    const app = cfg({ flavour: "v2", migrating: true, xaa_tier: "enterprise", xaa_profiles: { private: { event_types: ["post.mention.create", "like.create"] } } }).apps.get("a")!;
    expect(app.xaa).toStrictEqual({ tier: "enterprise", cap: 75_000, profiles: [{ name: "private", event_types: ["post.mention.create", "like.create"] }] });
    expect(cfg({ flavour: "v1.1-enterprise", migrating: true }).apps.get("a")!.xaa).toStrictEqual({ tier: "self-serve", cap: 1500, profiles: [] });
    expect(cfg({ flavour: "v2" }).apps.get("a")!.xaa).toBeUndefined();
    expect(configError(() => cfg({ flavour: "v2", migrating: true, xaa_profiles: { p: { event_types: ["nope"] } } })).setting).toMatch(/^APPS\[0\]\.xaa_profiles\.p/);
  });

  it("each bad profile field is named", () => {
    const cases: [unknown, string][] = [
      [{ event_types: [] }, "APPS[0].xaa_profiles.p.event_types"],
      [{ event_types: ["like.destroy"] }, "APPS[0].xaa_profiles.p.event_types[0]"],
      [{ event_types: ["oauth.revoke"] }, "APPS[0].xaa_profiles.p.event_types[0]"],
      [{ event_types: ["post.create"], direction: "inbound" }, "APPS[0].xaa_profiles.p.direction"],
      [{ event_types: ["like.create"], direction: "both" }, "APPS[0].xaa_profiles.p.direction"],
      [{ event_types: ["post.create"], tag: "" }, "APPS[0].xaa_profiles.p.tag"],
      [{ event_types: ["post.create"], tag: "x".repeat(201) }, "APPS[0].xaa_profiles.p.tag"],
      [{ event_types: ["post.create"], filter: {} }, "APPS[0].xaa_profiles.p.filter"],
      ["post.create", "APPS[0].xaa_profiles.p"],
    ];
    for (const [spec, setting] of cases) expect(configError(() => cfg({ flavour: "xaa", xaa_profiles: { p: spec } })).setting).toBe(setting);
  });

  it("profile names are path-safe; prototype names are ordinary names, not lookups", () => {
    expect(configError(() => parseXaaProfile("body", "Bad Name", { event_types: ["post.create"] })).setting).toBe("body");
    expect(configError(() => parseXaaProfile("body", "x", { event_types: ["__proto__"] })).setting).toBe("body.event_types[0]");
    expect(configError(() => cfg({ flavour: "xaa", xaa_tier: "constructor" })).setting).toBe("APPS[0].xaa_tier");
  });
});
