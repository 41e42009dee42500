/**
 * Emulator settings: apps, users, accounts (tiers), and every timing or limit X documents, each
 * defaulting to X's documented value. Sources: ../shared/PROTOCOL.md and the seeds; see
 * docs/emulator.md for the table of settings and where each default comes from.
 */
export const FLAVOURS = ["v1.1-enterprise", "v1.1-premium", "v2", "xaa"] as const;
export type Flavour = (typeof FLAVOURS)[number];

export const TIERS = ["sandbox", "pay-per-use", "enterprise"] as const;
export type TierName = (typeof TIERS)[number];

export interface AppDef {
  /** Local name (matches the receiver's app name in the demo). */
  name: string;
  /** Numeric X app id (`application_id`, DM `source_app_id`, revoke `target.app_id`). */
  appId: string;
  consumerKey: string;
  consumerSecret: string;
  bearerToken: string;
  /** The app owner's access token (user context for register / re-check / delete). */
  accessToken: string;
  accessTokenSecret: string;
  /** The user id the owner token belongs to. */
  ownerUserId: string;
  /** Decides the delivery payload shape: XAA envelope for "xaa", AAA otherwise. */
  flavour: Flavour;
  /** Premium dev environment label (case sensitive); needed to use the premium routes. */
  envName?: string;
  /** Account (billing) the app belongs to: webhook limits are per account. */
  account: string;
  /** false: every management call answers 403 code 99 (no Account Activity access). */
  aaaAccess: boolean;
  /** false: Replay answers 403 code 200 (no enterprise replay). */
  replayEnabled: boolean;
  /** Users this app may not manage subscriptions for (403 code 348). */
  deniedUserIds: string[];
  /** OAuth 2.0 client id (authorize and token endpoints). */
  clientId: string;
  /** OAuth 2.0 client secret (confidential clients authenticate the token endpoint with Basic auth). */
  clientSecret: string;
  /** public: the token endpoint takes `client_id` in the body; confidential: Basic auth required. */
  clientType: "confidential" | "public";
  /** OAuth 2.0 callback URLs; `redirect_uri` must be one of them exactly. Empty: any http(s) URL (emulator). */
  callbackUrls: string[];
  /** XAA package tier (subscription cap). Default: self-serve for sandbox/pay-per-use accounts, else enterprise. */
  xaaTier?: XaaTier;
  /** Overrides the tier's XAA subscription cap for this app. */
  maxXaaSubscriptions?: number;
}

export const XAA_TIERS = ["self-serve", "enterprise", "partner"] as const;
export type XaaTier = (typeof XAA_TIERS)[number];

/** Where X's pages disagree on the XAA subscription response shape (PROTOCOL.md): pick one. */
export const XAA_RESPONSE_SHAPES = ["openapi", "flat", "reference"] as const;
export type XaaResponseShape = (typeof XAA_RESPONSE_SHAPES)[number];

export interface UserDef {
  id: string;
  screenName: string;
  name: string;
  /** Access token usable with every configured app (the emulator does not bind tokens to apps). */
  accessToken: string;
  accessTokenSecret: string;
  /** true: the token is read-only, so write calls answer 403 code 261. */
  readOnly: boolean;
  protected: boolean;
}

export interface AccountDef {
  name: string;
  tier: TierName;
  /** Overrides of the tier limits (enterprise is configurable). */
  maxWebhooks?: number;
  maxSubscriptionsPerWebhook?: number;
}

export interface TierLimits {
  webhooks: number;
  subscriptionsPerWebhook: number;
}

export interface EmulatorSettings {
  /** Webhooks per account and subscriptions per webhook, by tier. */
  tiers: Record<TierName, TierLimits>;
  /** Requests per window per endpoint key (see RATE_LIMIT_DEFAULTS). */
  rateLimits: Record<string, number>;
  rateLimitWindowMs: number;
  crc: {
    /** A CRC answer slower than this fails with the "High latency" 214. X: 3 s. */
    timeoutMs: number;
    /** Time between periodic CRCs after a success. X legacy FAQ: every 24 h. */
    intervalMs: number;
    /** Time between periodic CRCs while the last one failed. X v2 docs: every 30 min. */
    retryIntervalMs: number;
    /** Invalidate after this long without a good CRC on transient failures. X: 24 h + 4 h grace. */
    invalidateAfterMs: number;
    /** Send the legacy `nonce` parameter and `x-twitter-webhooks-signature` on CRC GETs. */
    legacyNonce: boolean;
    /** Run periodic CRCs at all. */
    periodic: boolean;
  };
  delivery: {
    /** An attempt slower than this counts as failed. X legacy: 3 s. */
    timeoutMs: number;
    /** Waits between attempts; X legacy Enterprise timeline: 3 s, 27 s, 242 s (4 attempts). */
    retryDelaysMs: number[];
  };
  replay: {
    /** How far back from_date may go: legacy 5 days, v2 pages 24 h. */
    lookbackMsV11: number;
    lookbackMsV2: number;
    /** from_date must be at least this far in the past. X: 31 min. */
    minFromAgeMs: number;
    /** to_date must be at least this far in the past. X: 10 min. */
    minToAgeMs: number;
    /** Virtual delay between accepting a job and starting it. */
    startDelayMs: number;
  };
  auth: {
    /** OAuth timestamps further than this from real time are refused (code 135); 0 disables. */
    timestampWindowSec: number;
  };
  /** Refuse non-https webhook URLs (X does; the emulator accepts http for local receivers). */
  requireHttps: boolean;
  xaa: {
    /** openapi: {"data":{"subscription":{...}}}; flat: the quickstart's {"data":{...}}; reference: nested plus totals. */
    responseShape: XaaResponseShape;
    /** Subscription caps per XAA tier. X: 1,500 / 75,000 / 150,000. */
    maxSubscriptions: Record<XaaTier, number>;
  };
  oauth2: {
    /** Access token lifetime. X: 2 hours (expires_in 7200). */
    accessTokenTtlMs: number;
    /** Authorization code lifetime. X: 30 seconds. */
    codeTtlMs: number;
  };
  /** Add the v1.1 code to v2 problem errors (X does not; for clients written against the old emulator). */
  v2ErrorCodes: boolean;
  /** Virtual time (epoch ms) at which AAA is retired; null: never. X: 2027-01-01T00:00:00Z. */
  aaaRetiredAt: number | null;
  /** Clock: scale 0 = only /_emulator/clock/advance moves time; 1 = real time. */
  clock: { start?: number; scale: number };
}

export interface EmulatorConfig extends EmulatorSettings {
  apps: AppDef[];
  users: UserDef[];
  accounts: AccountDef[];
}

const MIN = 60_000;
const HOUR = 60 * MIN;

export const RATE_LIMIT_DEFAULTS: Record<string, number> = {
  "v1.webhooks.register": 15,
  "v1.webhooks.list": 15,
  "v1.webhooks.recheck": 15,
  "v1.webhooks.delete": 15,
  "v1.subscriptions.create": 500,
  "v1.subscriptions.check": 500,
  "v1.subscriptions.delete": 500,
  "v1.subscriptions.list": 50,
  "v1.subscriptions.count": 15,
  "v1.replay": 5,
  "v2.webhooks.register": 450,
  "v2.webhooks.list": 450,
  "v2.webhooks.recheck": 450,
  "v2.webhooks.delete": 450,
  "v2.replay": 100,
  "xaa.subscriptions.create": 500,
  "xaa.subscriptions.list": 500,
  "xaa.subscriptions.update": 500,
  "xaa.subscriptions.delete": 500,
  "v2.subscriptions.create": 500,
  "v2.subscriptions.check": 500,
  "v2.subscriptions.delete": 500,
  "v2.subscriptions.list": 50,
  "v2.subscriptions.count": 15,
};

export function defaultSettings(): EmulatorSettings {
  return {
    tiers: {
      sandbox: { webhooks: 1, subscriptionsPerWebhook: 15 },
      "pay-per-use": { webhooks: 1, subscriptionsPerWebhook: 3 },
      enterprise: { webhooks: 5, subscriptionsPerWebhook: 5000 },
    },
    rateLimits: { ...RATE_LIMIT_DEFAULTS },
    rateLimitWindowMs: 15 * MIN,
    crc: {
      timeoutMs: 3000,
      intervalMs: 24 * HOUR,
      retryIntervalMs: 30 * MIN,
      invalidateAfterMs: 28 * HOUR,
      legacyNonce: true,
      periodic: true,
    },
    delivery: { timeoutMs: 3000, retryDelaysMs: [3000, 27_000, 242_000] },
    replay: {
      lookbackMsV11: 5 * 24 * HOUR,
      lookbackMsV2: 24 * HOUR,
      minFromAgeMs: 31 * MIN,
      minToAgeMs: 10 * MIN,
      startDelayMs: 0,
    },
    auth: { timestampWindowSec: 300 },
    requireHttps: false,
    xaa: { responseShape: "openapi", maxSubscriptions: { "self-serve": 1500, enterprise: 75_000, partner: 150_000 } },
    oauth2: { accessTokenTtlMs: 2 * HOUR, codeTtlMs: 30_000 },
    v2ErrorCodes: false,
    aaaRetiredAt: null,
    clock: { scale: 1 },
  };
}

/**
 * The built-in demo world (documented in docs/emulator.md and matched by .dev.vars.example):
 * app "default" (v2 flavour) plus "legacy" (v1.1 Enterprise) and "premium" (v1.1 Premium, env
 * "dev"), one enterprise account, and four users. Ids are above 2^53 on purpose.
 */
export function demoWorld(): Pick<EmulatorConfig, "apps" | "users" | "accounts"> {
  const app = (name: string, appId: string, flavour: Flavour, envName?: string): AppDef => {
    const def: AppDef = {
      name,
      appId,
      consumerKey: `emulator-${name}-consumer-key`,
      consumerSecret: `emulator-${name}-consumer-secret`,
      bearerToken: `emulator-${name}-bearer-token`,
      accessToken: `1600000000000000001-emulator-${name}-owner-token`,
      accessTokenSecret: `emulator-${name}-owner-token-secret`,
      ownerUserId: "1600000000000000001",
      flavour,
      account: "demo",
      aaaAccess: true,
      replayEnabled: true,
      deniedUserIds: [],
      clientId: `emulator-${name}-client-id`,
      clientSecret: `emulator-${name}-client-secret`,
      clientType: "confidential",
      callbackUrls: [],
    };
    if (envName !== undefined) def.envName = envName;
    return def;
  };
  const user = (id: string, screenName: string, name: string): UserDef => ({
    id,
    screenName,
    name,
    accessToken: `${id}-emulator-${screenName}-token`,
    accessTokenSecret: `emulator-${screenName}-token-secret`,
    readOnly: false,
    protected: false,
  });
  return {
    apps: [
      app("default", "29000001", "v2"),
      app("legacy", "29000002", "v1.1-enterprise"),
      app("premium", "29000003", "v1.1-premium", "dev"),
    ],
    users: [
      user("1600000000000000001", "demo_owner", "Demo Owner"),
      user("1600000000000000002", "alice", "Alice Example"),
      user("1600000000000000003", "bob", "Bob Example"),
      user("1600000000000000004", "carol", "Carol Example"),
    ],
    accounts: [{ name: "demo", tier: "enterprise" }],
  };
}

/** Limits for an account, tier values overridden by the account's own. */
export function accountLimits(config: EmulatorSettings, account: AccountDef): TierLimits {
  const t = config.tiers[account.tier];
  return {
    webhooks: account.maxWebhooks ?? t.webhooks,
    subscriptionsPerWebhook: account.maxSubscriptionsPerWebhook ?? t.subscriptionsPerWebhook,
  };
}

/** An app's XAA subscription cap: its own override, else its tier's (tier from the account when unset). */
export function xaaCap(config: EmulatorSettings, app: AppDef, account: AccountDef | undefined): number {
  if (app.maxXaaSubscriptions !== undefined) return app.maxXaaSubscriptions;
  const tier = app.xaaTier ?? (account?.tier === "enterprise" || account === undefined ? "enterprise" : "self-serve");
  return config.xaa.maxSubscriptions[tier];
}

export function xaaTierOf(app: AppDef, account: AccountDef | undefined): XaaTier {
  return app.xaaTier ?? (account?.tier === "enterprise" || account === undefined ? "enterprise" : "self-serve");
}
