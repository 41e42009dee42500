/** parseConfig: defaults, app layouts, and that every bad setting is named (never its value). */
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DEFAULT_CRC_STALE_AFTER_SECONDS,
  DEFAULT_CRC_TOKEN_PATTERN,
  DEFAULT_DEDUP_SHARDS,
  DEFAULT_DEDUP_WINDOW_SECONDS,
  DEFAULT_FORWARD_MAX_HOLD_HOURS,
  DEFAULT_MAX_BODY_BYTES,
  MAX_FORWARD_MAX_HOLD_HOURS,
  MAX_FORWARD_TYPES,
  forwardDestinations,
  forwardFor,
  getConfig,
  parseConfig,
  secretName,
  type ConfigSource,
} from "../../src/config.ts";

const BASE = { X_CONSUMER_SECRET: "cs-default" } as const;

/** The ConfigError thrown by `parseConfig(src)`; fails the test if none is thrown. */
function configError(src: ConfigSource): ConfigError {
  try {
    parseConfig(src);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  it("fills every optional setting", () => {
    const c = parseConfig(BASE);
    expect(c.xApiBaseUrl).toBe("https://api.x.com");
    expect(c.maxBodyBytes).toBe(DEFAULT_MAX_BODY_BYTES);
    expect(c.crcTokenPattern?.source).toBe(new RegExp(DEFAULT_CRC_TOKEN_PATTERN).source);
    expect(c.forward).toBeNull();
    expect(c.dedup).toEqual({ windowSeconds: DEFAULT_DEDUP_WINDOW_SECONDS, shards: DEFAULT_DEDUP_SHARDS, previous: null });
    expect(c.publishEvents).toBe(true);
    expect(c.ingestQueues).toBe(1);
    expect(c.alertUrl).toBeNull();
    expect(c.adminToken).toBeNull();
    expect(c.tokenEncryptionKey).toBeNull();
  });

  it("empty strings (wrangler.toml's blank vars) count as unset", () => {
    const c = parseConfig({ ...BASE, APPS: "", FORWARD_URL: "", ALERT_URL: " ", MAX_BODY_BYTES: "" });
    expect([...c.apps.keys()]).toEqual(["default"]);
    expect(c.forward).toBeNull();
    expect(c.alertUrl).toBeNull();
    expect(c.maxBodyBytes).toBe(DEFAULT_MAX_BODY_BYTES);
  });

  it("a blank CRC_TOKEN_PATTERN keeps the default guard (only 'off' disables it)", () => {
    expect(parseConfig({ ...BASE, CRC_TOKEN_PATTERN: "" }).crcTokenPattern?.source).toBe(
      new RegExp(DEFAULT_CRC_TOKEN_PATTERN).source,
    );
  });

  it("CRC_TOKEN_PATTERN=off disables the guard; a custom pattern is used as given", () => {
    expect(parseConfig({ ...BASE, CRC_TOKEN_PATTERN: "off" }).crcTokenPattern).toBeNull();
    expect(parseConfig({ ...BASE, CRC_TOKEN_PATTERN: "^[a-z]{4}$" }).crcTokenPattern?.test("abcd")).toBe(true);
  });
});

describe("apps", () => {
  it("no APPS: one app called default, v2, reading the bare secret names", () => {
    const c = parseConfig({ ...BASE, X_BEARER_TOKEN: "bt", X_CONSUMER_KEY: "ck" });
    const app = c.apps.get("default");
    expect(c.apps.size).toBe(1);
    expect(app).toMatchObject({
      name: "default",
      flavour: "v2",
      consumerSecret: "cs-default",
      credentials: { bearerToken: "bt", consumerKey: "ck" },
      collapseAcrossUsers: false,
    });
    expect(app?.previousConsumerSecret).toBeUndefined();
  });

  it("multi-app APPS reads each app's suffixed secrets", () => {
    const c = parseConfig({
      APPS: JSON.stringify([
        { name: "acme-prod", flavour: "v1.1-premium", env_name: "prod" },
        { name: "beta", flavour: "xaa", collapse_across_users: true, webhook_url: "https://h.example/webhooks/beta/" },
      ]),
      X_CONSUMER_SECRET_ACME_PROD: "cs-acme",
      X_CONSUMER_SECRET_BETA: "cs-beta",
      X_ACCESS_TOKEN_BETA: "at-beta",
      X_CONSUMER_SECRET: "ignored-for-named-apps",
    });
    expect([...c.apps.keys()]).toEqual(["acme-prod", "beta"]);
    expect(c.apps.get("acme-prod")).toMatchObject({ consumerSecret: "cs-acme", flavour: "v1.1-premium", envName: "prod" });
    expect(c.apps.get("beta")).toMatchObject({
      consumerSecret: "cs-beta",
      flavour: "xaa",
      collapseAcrossUsers: true,
      webhookUrl: "https://h.example/webhooks/beta",
      credentials: { accessToken: "at-beta" },
    });
  });

  it("reads APPS migrating (cross-API dedup), absent unless true", () => {
    const c = parseConfig({ ...BASE, APPS: '[{"name":"default","migrating":true},{"name":"b","migrating":false}]', X_CONSUMER_SECRET_B: "x" });
    expect(c.apps.get("default")?.migrating).toBe(true);
    expect(c.apps.get("b")).not.toHaveProperty("migrating");
  });

  it("secretName suffixes upper-cased app names, bare for default", () => {
    expect(secretName("X_CONSUMER_SECRET", "default")).toBe("X_CONSUMER_SECRET");
    expect(secretName("X_CONSUMER_SECRET", "acme-prod")).toBe("X_CONSUMER_SECRET_ACME_PROD");
  });

  it("reads the previous (rotation) secret, per app", () => {
    expect(parseConfig({ ...BASE, X_CONSUMER_SECRET_PREVIOUS: "old" }).apps.get("default")?.previousConsumerSecret).toBe("old");
    const multi = parseConfig({
      APPS: '[{"name":"a1"}]',
      X_CONSUMER_SECRET_A1: "new",
      X_CONSUMER_SECRET_PREVIOUS_A1: "old-a1",
    });
    expect(multi.apps.get("a1")?.previousConsumerSecret).toBe("old-a1");
  });
});

describe("each bad setting is named, and no secret value appears in the message", () => {
  const cases: Array<[string, ConfigSource, string]> = [
    ["missing default secret", {}, "X_CONSUMER_SECRET"],
    ["missing suffixed secret", { APPS: '[{"name":"acme"}]' }, "X_CONSUMER_SECRET_ACME"],
    ["APPS not JSON", { ...BASE, APPS: "[{" }, "APPS"],
    ["APPS empty array", { ...BASE, APPS: "[]" }, "APPS"],
    ["APPS item not object", { ...BASE, APPS: '["x"]' }, "APPS[0]"],
    ["unknown app key", { ...BASE, APPS: '[{"name":"default","secret":"x"}]' }, "APPS[0].secret"],
    ["bad app name", { ...BASE, APPS: '[{"name":"Bad Name"}]' }, "APPS[0].name"],
    ["duplicate app", { ...BASE, APPS: '[{"name":"default"},{"name":"default"}]' }, "APPS[1].name"],
    ["bad flavour", { ...BASE, APPS: '[{"name":"default","flavour":"v3"}]' }, "APPS[0].flavour"],
    ["premium without env", { ...BASE, APPS: '[{"name":"default","flavour":"v1.1-premium"}]' }, "APPS[0].env_name"],
    ["bad collapse flag", { ...BASE, APPS: '[{"name":"default","collapse_across_users":"yes"}]' }, "APPS[0].collapse_across_users"],
    ["bad migrating flag", { ...BASE, APPS: '[{"name":"default","migrating":1}]' }, "APPS[0].migrating"],
    ["bad webhook_url", { ...BASE, APPS: '[{"name":"default","webhook_url":"ftp://x"}]' }, "APPS[0].webhook_url"],
    ["MAX_BODY_BYTES not a number", { ...BASE, MAX_BODY_BYTES: "1MB" }, "MAX_BODY_BYTES"],
    ["MAX_BODY_BYTES too small", { ...BASE, MAX_BODY_BYTES: "10" }, "MAX_BODY_BYTES"],
    ["DEDUP_SHARDS zero", { ...BASE, DEDUP_SHARDS: "0" }, "DEDUP_SHARDS"],
    ["DEDUP_WINDOW_SECONDS too long", { ...BASE, DEDUP_WINDOW_SECONDS: "99999999" }, "DEDUP_WINDOW_SECONDS"],
    ["CRC_TOKEN_PATTERN invalid", { ...BASE, CRC_TOKEN_PATTERN: "([" }, "CRC_TOKEN_PATTERN"],
    ["X_API_BASE_URL invalid", { ...BASE, X_API_BASE_URL: "not a url" }, "X_API_BASE_URL"],
    ["ALERT_URL not http", { ...BASE, ALERT_URL: "mailto:ops@example.com" }, "ALERT_URL"],
    ["secret not a string", { X_CONSUMER_SECRET: 42 }, "X_CONSUMER_SECRET"],
    ["FORWARD_URL without FORWARD_SECRET", { ...BASE, FORWARD_URL: "https://sink.example/events" }, "FORWARD_SECRET"],
    ["FORWARD_RATE_LIMIT zero", { ...BASE, FORWARD_RATE_LIMIT: "0" }, "FORWARD_RATE_LIMIT"],
    ["FORWARD_RATE_LIMIT negative", { ...BASE, FORWARD_RATE_LIMIT: "-5" }, "FORWARD_RATE_LIMIT"],
    ["FORWARD_RATE_LIMIT not a number", { ...BASE, FORWARD_RATE_LIMIT: "10/s" }, "FORWARD_RATE_LIMIT"],
    ["FORWARD_MAX_HOLD_HOURS zero", { ...BASE, FORWARD_MAX_HOLD_HOURS: "0" }, "FORWARD_MAX_HOLD_HOURS"],
    ["FORWARD_MAX_HOLD_HOURS past the spill retention", { ...BASE, FORWARD_MAX_HOLD_HOURS: String(MAX_FORWARD_MAX_HOLD_HOURS + 1) }, "FORWARD_MAX_HOLD_HOURS"],
    ["FORWARD_MAX_HOLD_HOURS not whole", { ...BASE, FORWARD_MAX_HOLD_HOURS: "1.5" }, "FORWARD_MAX_HOLD_HOURS"],
    ["FORWARD_MAX_HOLD_HOURS with a unit", { ...BASE, FORWARD_MAX_HOLD_HOURS: "96h" }, "FORWARD_MAX_HOLD_HOURS"],
    ["FORWARD_MAX_HOLD_HOURS negative", { ...BASE, FORWARD_MAX_HOLD_HOURS: "-1" }, "FORWARD_MAX_HOLD_HOURS"],
    ["CRC_STALE_AFTER_SECONDS past X's 28 h", { ...BASE, CRC_STALE_AFTER_SECONDS: String(28 * 3600) }, "CRC_STALE_AFTER_SECONDS"],
    ["CRC_STALE_AFTER_SECONDS under 1 h", { ...BASE, CRC_STALE_AFTER_SECONDS: "3599" }, "CRC_STALE_AFTER_SECONDS"],
    ["CRC_STALE_AFTER_SECONDS not whole", { ...BASE, CRC_STALE_AFTER_SECONDS: "7200.5" }, "CRC_STALE_AFTER_SECONDS"],
    ["OAUTH_START unknown word", { ...BASE, OAUTH_START: "open" }, "OAUTH_START"],
    ["OAUTH_START wrong case", { ...BASE, OAUTH_START: "Public" }, "OAUTH_START"],
  ];
  for (const [what, src, setting] of cases) {
    it(what, () => {
      const err = configError(src);
      expect(err.setting).toBe(setting);
      expect(err.message).toContain(setting);
      expect(err.message).not.toContain("cs-default");
    });
  }
});

describe("forwarding", () => {
  it("FORWARD_URL with FORWARD_SECRET forwards, trailing slash trimmed", () => {
    const c = parseConfig({ ...BASE, FORWARD_URL: "https://sink.example/events/", FORWARD_SECRET: "whsec_x" });
    expect(c.forward).toEqual({ url: "https://sink.example/events", secret: "whsec_x" });
  });

  it("FORWARD_SECRET alone does not turn forwarding on", () => {
    expect(parseConfig({ ...BASE, FORWARD_SECRET: "whsec_x" }).forward).toBeNull();
  });
});

describe("per-app forwarding (APPS forward_url, FORWARD_SECRET_<APP>, forward_types)", () => {
  const TWO = { ...BASE, X_CONSUMER_SECRET_ACME_PROD: "cs-acme" } as const;
  const apps = (acme: Record<string, unknown>) => JSON.stringify([{ name: "default" }, { name: "acme-prod", ...acme }]);

  it("an app's own forward_url and FORWARD_SECRET_<APP> override the deployment's; the other app keeps FORWARD_URL", () => {
    const c = parseConfig({
      ...TWO,
      APPS: apps({ forward_url: "https://acme.example/hook/" }),
      FORWARD_URL: "https://shared.example/events",
      FORWARD_SECRET: "whsec_shared",
      FORWARD_SECRET_ACME_PROD: "whsec_acme",
    });
    expect(forwardFor(c, "acme-prod")).toEqual({ url: "https://acme.example/hook", secret: "whsec_acme" });
    expect(forwardFor(c, "default")).toEqual({ url: "https://shared.example/events", secret: "whsec_shared" });
    expect(c.forward).toEqual({ url: "https://shared.example/events", secret: "whsec_shared" });
    expect(forwardDestinations(c)).toEqual([
      { url: "https://shared.example/events", apps: ["default"] },
      { url: "https://acme.example/hook", apps: ["acme-prod"] },
    ]);
  });

  it("the app's secret falls back to FORWARD_SECRET; an app's own secret also signs FORWARD_URL for it", () => {
    const fallback = parseConfig({ ...TWO, APPS: apps({ forward_url: "https://acme.example/hook" }), FORWARD_SECRET: "whsec_shared" });
    expect(forwardFor(fallback, "acme-prod")).toEqual({ url: "https://acme.example/hook", secret: "whsec_shared" });
    // No FORWARD_URL: the app without its own forward_url is not forwarded.
    expect(forwardFor(fallback, "default")).toBeNull();
    expect(fallback.forward).toBeNull();

    const own = parseConfig({ ...TWO, APPS: apps({}), FORWARD_URL: "https://shared.example/e", FORWARD_SECRET: "whsec_shared", FORWARD_SECRET_ACME_PROD: "whsec_acme" });
    expect(forwardFor(own, "acme-prod")).toEqual({ url: "https://shared.example/e", secret: "whsec_acme" });
    expect(forwardDestinations(own)).toEqual([{ url: "https://shared.example/e", apps: ["default", "acme-prod"] }]);
  });

  it("forward_url: null turns forwarding off for that app even with FORWARD_URL set", () => {
    const c = parseConfig({ ...TWO, APPS: apps({ forward_url: null }), FORWARD_URL: "https://shared.example/e", FORWARD_SECRET: "whsec_shared" });
    expect(forwardFor(c, "acme-prod")).toBeNull();
    expect(forwardFor(c, "default")).toEqual({ url: "https://shared.example/e", secret: "whsec_shared" });
    expect(forwardDestinations(c)).toEqual([{ url: "https://shared.example/e", apps: ["default"] }]);
  });

  it("an app not in APPS has no destination; a hand-built AppConfig without `forward` uses the deployment's", () => {
    const c = parseConfig({ ...BASE, FORWARD_URL: "https://shared.example/e", FORWARD_SECRET: "whsec_shared" });
    expect(forwardFor(c, "gone")).toBeNull();
    const { forward: _f, ...bare } = c.apps.get("default")!;
    expect(forwardFor({ apps: new Map([["default", bare]]), forward: c.forward }, "default")).toEqual(c.forward);
  });

  it("a destination without any secret is a ConfigError naming the app's secret, never a value", () => {
    const err = configError({ ...TWO, APPS: apps({ forward_url: "https://acme.example/hook?token=tok-123" }) });
    expect(err.setting).toBe("FORWARD_SECRET_ACME_PROD");
    expect(err.message).toContain("or FORWARD_SECRET");
    expect(err.message).toContain("acme.example");
    expect(err.message).not.toContain("tok-123");
    expect(err.message).not.toContain("cs-acme");
    // The same for an app that uses FORWARD_URL without FORWARD_SECRET (the `default` app: the bare name).
    expect(configError({ ...TWO, APPS: apps({ forward_url: null }), FORWARD_URL: "https://shared.example/e" }).setting).toBe("FORWARD_SECRET");
  });

  it("when every forwarded app has its own secret, FORWARD_URL needs no FORWARD_SECRET", () => {
    const only = JSON.stringify([{ name: "default", forward_url: null }, { name: "acme-prod" }]);
    const c = parseConfig({ ...TWO, APPS: only, FORWARD_URL: "https://shared.example/e", FORWARD_SECRET_ACME_PROD: "whsec_acme" });
    expect(forwardFor(c, "acme-prod")).toEqual({ url: "https://shared.example/e", secret: "whsec_acme" });
    expect(c.forward).toBeNull();
    // `default` reads the bare FORWARD_SECRET as its own: forwarded too, it must fail rather than go unsigned.
    expect(configError({ ...TWO, APPS: apps({}), FORWARD_URL: "https://shared.example/e", FORWARD_SECRET_ACME_PROD: "whsec_acme" }).setting).toBe("FORWARD_SECRET");
  });

  const bad: [string, unknown, string][] = [
    ["plain http to a remote host", "http://acme.example/hook", "APPS[1].forward_url"],
    ["not a URL", "acme hook", "APPS[1].forward_url"],
    ["another scheme", "ftp://acme.example/hook", "APPS[1].forward_url"],
    ["a number", 42, "APPS[1].forward_url"],
    ["blank", "  ", "APPS[1].forward_url"],
  ];
  for (const [what, value, setting] of bad) {
    it(`forward_url ${what} is refused`, () => {
      const err = configError({ ...TWO, APPS: apps({ forward_url: value }), FORWARD_SECRET: "whsec_s" });
      expect(err.setting).toBe(setting);
      expect(err.message).not.toContain("whsec_s");
    });
  }

  it("forward_url may be plain http on a loopback host only", () => {
    for (const u of ["http://127.0.0.1:8788/events", "http://localhost:9000/e", "http://[::1]:9000/e"]) {
      const c = parseConfig({ ...TWO, APPS: apps({ forward_url: u }), FORWARD_SECRET: "whsec_s" });
      expect(forwardFor(c, "acme-prod")?.url).toBe(u);
    }
  });

  it("forward_types: kept as given; absent means every type", () => {
    const c = parseConfig({ ...TWO, APPS: apps({ forward_types: ["dm.*", "direct_message_events", "tweet_create_events"] }) });
    expect(c.apps.get("acme-prod")!.forwardTypes).toEqual(["dm.*", "direct_message_events", "tweet_create_events"]);
    expect(c.apps.get("default")!.forwardTypes).toBeUndefined();
  });

  const badTypes: [string, unknown][] = [
    ["not an array", "dm.*"],
    ["empty", []],
    ["an empty string", [""]],
    ["a number", [7]],
    ["a space", ["dm received"]],
    ["a star inside", ["dm.*.x"]],
    ["too long a name", ["a".repeat(101)]],
    ["too many", Array.from({ length: MAX_FORWARD_TYPES + 1 }, (_, i) => `t${i}`)],
  ];
  for (const [what, value] of badTypes) {
    it(`forward_types ${what} is refused, naming APPS[<i>].forward_types`, () => {
      expect(configError({ ...TWO, APPS: apps({ forward_types: value }) }).setting).toBe("APPS[1].forward_types");
    });
  }

  it("forward_types accepts exactly MAX_FORWARD_TYPES entries", () => {
    const list = Array.from({ length: MAX_FORWARD_TYPES }, (_, i) => `t${i}`);
    expect(parseConfig({ ...TWO, APPS: apps({ forward_types: list }) }).apps.get("acme-prod")!.forwardTypes).toHaveLength(MAX_FORWARD_TYPES);
  });
});

describe("forward rate limit, CRC staleness, Sign in with X policy", () => {
  it("defaults: no rate limit, 25 h staleness, invite-only sign-in (also for wrangler.toml's blanks)", () => {
    for (const src of [BASE, { ...BASE, FORWARD_RATE_LIMIT: "", CRC_STALE_AFTER_SECONDS: " ", OAUTH_START: "" }]) {
      const c = parseConfig(src);
      expect(c.forwardRateLimit).toBeNull();
      expect(c.crcStaleAfterSeconds).toBe(DEFAULT_CRC_STALE_AFTER_SECONDS);
      expect(c.oauthStart).toBe("invite");
    }
    expect(DEFAULT_CRC_STALE_AFTER_SECONDS).toBe(25 * 3600);
  });

  it("reads each setting as given", () => {
    const c = parseConfig({ ...BASE, FORWARD_RATE_LIMIT: "2.5", CRC_STALE_AFTER_SECONDS: "7200", OAUTH_START: "public" });
    expect(c.forwardRateLimit).toBe(2.5);
    expect(c.crcStaleAfterSeconds).toBe(7200);
    expect(c.oauthStart).toBe("public");
    expect(parseConfig({ ...BASE, OAUTH_START: "invite" }).oauthStart).toBe("invite");
  });

  it("accepts the staleness bounds (1 h and 27 h) exactly", () => {
    expect(parseConfig({ ...BASE, CRC_STALE_AFTER_SECONDS: "3600" }).crcStaleAfterSeconds).toBe(3600);
    expect(parseConfig({ ...BASE, CRC_STALE_AFTER_SECONDS: "97200" }).crcStaleAfterSeconds).toBe(97200);
  });
});

describe("forward maximum hold", () => {
  it("defaults to 96 h, also for wrangler.toml's blank", () => {
    expect(DEFAULT_FORWARD_MAX_HOLD_HOURS).toBe(96);
    for (const src of [BASE, { ...BASE, FORWARD_MAX_HOLD_HOURS: "" }, { ...BASE, FORWARD_MAX_HOLD_HOURS: " " }]) {
      expect(parseConfig(src).forwardMaxHoldHours).toBe(DEFAULT_FORWARD_MAX_HOLD_HOURS);
    }
  });

  it("reads FORWARD_MAX_HOLD_HOURS as given, bounds included", () => {
    expect(parseConfig({ ...BASE, FORWARD_MAX_HOLD_HOURS: "24" }).forwardMaxHoldHours).toBe(24);
    expect(parseConfig({ ...BASE, FORWARD_MAX_HOLD_HOURS: "1" }).forwardMaxHoldHours).toBe(1);
    expect(parseConfig({ ...BASE, FORWARD_MAX_HOLD_HOURS: String(MAX_FORWARD_MAX_HOLD_HOURS) }).forwardMaxHoldHours).toBe(MAX_FORWARD_MAX_HOLD_HOURS);
  });
});

describe("getConfig", () => {
  it("parses once per env object and re-parses a new object", () => {
    const env = { ...BASE };
    const first = getConfig(env);
    expect(getConfig(env)).toBe(first);
    const other = getConfig({ ...BASE, X_CONSUMER_SECRET: "cs-other" });
    expect(other).not.toBe(first);
    expect(other.apps.get("default")?.consumerSecret).toBe("cs-other");
  });

  it("does not cache a failure: fixing the env object's setting takes effect", () => {
    const env: Record<string, unknown> = {};
    expect(() => getConfig(env)).toThrow(ConfigError);
    env.X_CONSUMER_SECRET = "now-set";
    expect(getConfig(env).apps.get("default")?.consumerSecret).toBe("now-set");
  });
});

describe("TOKEN_ENCRYPTION_KEY_PREVIOUS (token key rotation)", () => {
  const KEYS = { ...BASE, TOKEN_ENCRYPTION_KEY: "new-token-key-0123456789" };

  it("is null when unset or blank, like the current key", () => {
    expect(parseConfig(KEYS).tokenEncryptionKeyPrevious).toBeNull();
    expect(parseConfig({ ...KEYS, TOKEN_ENCRYPTION_KEY_PREVIOUS: "  " }).tokenEncryptionKeyPrevious).toBeNull();
  });

  it("is read (trimmed) next to the current key, which it never replaces", () => {
    const c = parseConfig({ ...KEYS, TOKEN_ENCRYPTION_KEY_PREVIOUS: " old-token-key-0123456789 " });
    expect(c.tokenEncryptionKeyPrevious).toBe("old-token-key-0123456789");
    expect(c.tokenEncryptionKey).toBe("new-token-key-0123456789");
  });

  it("a non-string value is a ConfigError naming the secret, never echoing it", () => {
    const err = configError({ ...KEYS, TOKEN_ENCRYPTION_KEY_PREVIOUS: { leaked: "old-value-xyz" } });
    expect(err.setting).toBe("TOKEN_ENCRYPTION_KEY_PREVIOUS");
    expect(err.message).not.toContain("old-value-xyz");
  });
});
