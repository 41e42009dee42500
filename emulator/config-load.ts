/**
 * Building a complete EmulatorConfig from partial input (constructor options, the JSON config
 * file, POST /_emulator/apps and /users): defaults, then the demo world, then the input.
 */
import { readFileSync } from "node:fs";
import {
  defaultSettings,
  demoWorld,
  FLAVOURS,
  TIERS,
  XAA_RESPONSE_SHAPES,
  XAA_TIERS,
  type AccountDef,
  type AppDef,
  type EmulatorConfig,
  type EmulatorSettings,
  type TierLimits,
  type TierName,
  type UserDef,
} from "./config.ts";

/** Partial input accepted by startEmulator(), the config file and POST /_emulator/apps|users. */
export interface EmulatorConfigInput {
  apps?: Partial<AppDef>[];
  users?: Partial<UserDef>[];
  accounts?: Partial<AccountDef>[];
  /** false: start without the demo apps/users (only those given here). Default true. */
  demo?: boolean;
  tiers?: Partial<Record<TierName, Partial<TierLimits>>>;
  rateLimits?: Record<string, number>;
  rateLimitWindowMs?: number;
  crc?: Partial<EmulatorSettings["crc"]>;
  delivery?: Partial<EmulatorSettings["delivery"]>;
  replay?: Partial<EmulatorSettings["replay"]>;
  auth?: Partial<EmulatorSettings["auth"]>;
  requireHttps?: boolean;
  xaa?: { responseShape?: EmulatorSettings["xaa"]["responseShape"]; maxSubscriptions?: Partial<EmulatorSettings["xaa"]["maxSubscriptions"]> };
  oauth2?: Partial<EmulatorSettings["oauth2"]>;
  v2ErrorCodes?: boolean;
  /** When AAA is retired on the virtual clock: epoch ms or an ISO date; null: never. */
  aaaRetiredAt?: number | string | null;
  clock?: { start?: number | string; scale?: number };
}

export class EmulatorConfigError extends Error {
  override readonly name = "EmulatorConfigError";
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined || v === null || v === "") throw new EmulatorConfigError(`${what} is required`);
  return v;
}

function decimalId(v: string | undefined, what: string): string {
  const s = need(v, what);
  if (!/^\d{1,20}$/.test(s)) throw new EmulatorConfigError(`${what} must be a decimal id string`);
  return s;
}

/** Complete an app from partial input; unspecified secrets derive from the name (demo style). */
export function completeApp(input: Partial<AppDef>, defaults?: AppDef): AppDef {
  const name = need(input.name ?? defaults?.name, "app.name");
  const flavour = input.flavour ?? defaults?.flavour ?? "v2";
  if (!FLAVOURS.includes(flavour)) throw new EmulatorConfigError(`app ${name}: flavour must be one of ${FLAVOURS.join(", ")}`);
  const app: AppDef = {
    name,
    appId: decimalId(input.appId ?? defaults?.appId ?? String(29_100_000 + hash(name) % 900_000), `app ${name}: appId`),
    consumerKey: input.consumerKey ?? defaults?.consumerKey ?? `emulator-${name}-consumer-key`,
    consumerSecret: input.consumerSecret ?? defaults?.consumerSecret ?? `emulator-${name}-consumer-secret`,
    bearerToken: input.bearerToken ?? defaults?.bearerToken ?? `emulator-${name}-bearer-token`,
    accessToken: input.accessToken ?? defaults?.accessToken ?? `1600000000000000001-emulator-${name}-owner-token`,
    accessTokenSecret: input.accessTokenSecret ?? defaults?.accessTokenSecret ?? `emulator-${name}-owner-token-secret`,
    ownerUserId: decimalId(input.ownerUserId ?? defaults?.ownerUserId ?? "1600000000000000001", `app ${name}: ownerUserId`),
    flavour,
    account: input.account ?? defaults?.account ?? "demo",
    aaaAccess: input.aaaAccess ?? defaults?.aaaAccess ?? true,
    replayEnabled: input.replayEnabled ?? defaults?.replayEnabled ?? true,
    deniedUserIds: input.deniedUserIds ?? defaults?.deniedUserIds ?? [],
    clientId: input.clientId ?? defaults?.clientId ?? `emulator-${name}-client-id`,
    clientSecret: input.clientSecret ?? defaults?.clientSecret ?? `emulator-${name}-client-secret`,
    clientType: input.clientType ?? defaults?.clientType ?? "confidential",
    callbackUrls: input.callbackUrls ?? defaults?.callbackUrls ?? [],
  };
  if (app.clientType !== "confidential" && app.clientType !== "public") throw new EmulatorConfigError(`app ${name}: clientType must be confidential or public`);
  const xaaTier = input.xaaTier ?? defaults?.xaaTier;
  if (xaaTier !== undefined) {
    if (!XAA_TIERS.includes(xaaTier)) throw new EmulatorConfigError(`app ${name}: xaaTier must be one of ${XAA_TIERS.join(", ")}`);
    app.xaaTier = xaaTier;
  }
  const cap = input.maxXaaSubscriptions ?? defaults?.maxXaaSubscriptions;
  if (cap !== undefined) app.maxXaaSubscriptions = cap;
  const envName = input.envName ?? defaults?.envName;
  if (envName !== undefined) app.envName = envName;
  if (flavour === "v1.1-premium" && app.envName === undefined) {
    throw new EmulatorConfigError(`app ${name}: envName is required for the v1.1-premium flavour`);
  }
  return app;
}

export function completeUser(input: Partial<UserDef>, defaults?: UserDef): UserDef {
  const id = decimalId(input.id ?? defaults?.id, "user.id");
  const screenName = input.screenName ?? defaults?.screenName ?? `user${id.slice(-4)}`;
  return {
    id,
    screenName,
    name: input.name ?? defaults?.name ?? screenName,
    accessToken: input.accessToken ?? defaults?.accessToken ?? `${id}-emulator-${screenName}-token`,
    accessTokenSecret: input.accessTokenSecret ?? defaults?.accessTokenSecret ?? `emulator-${screenName}-token-secret`,
    readOnly: input.readOnly ?? defaults?.readOnly ?? false,
    protected: input.protected ?? defaults?.protected ?? false,
  };
}

export function completeAccount(input: Partial<AccountDef>): AccountDef {
  const name = need(input.name, "account.name");
  const tier = input.tier ?? "enterprise";
  if (!TIERS.includes(tier)) throw new EmulatorConfigError(`account ${name}: tier must be one of ${TIERS.join(", ")}`);
  const acc: AccountDef = { name, tier };
  if (input.maxWebhooks !== undefined) acc.maxWebhooks = input.maxWebhooks;
  if (input.maxSubscriptionsPerWebhook !== undefined) acc.maxSubscriptionsPerWebhook = input.maxSubscriptionsPerWebhook;
  return acc;
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}

function mergeByKey<T>(base: T[], extra: T[], key: (t: T) => string): T[] {
  const out = new Map(base.map((b) => [key(b), b] as const));
  for (const e of extra) out.set(key(e), e);
  return [...out.values()];
}

/** Build a full config: defaults, then the demo world (unless demo: false), then the input. */
export function buildConfig(input: EmulatorConfigInput = {}): EmulatorConfig {
  const d = defaultSettings();
  const world = input.demo === false ? { apps: [], users: [], accounts: [] } : demoWorld();
  const apps = mergeByKey(
    world.apps,
    (input.apps ?? []).map((a) => completeApp(a, world.apps.find((w) => w.name === a.name))),
    (a) => a.name,
  );
  const users = mergeByKey(
    world.users,
    (input.users ?? []).map((u) => completeUser(u, world.users.find((w) => w.id === u.id))),
    (u) => u.id,
  );
  let accounts = mergeByKey(world.accounts, (input.accounts ?? []).map(completeAccount), (a) => a.name);
  for (const app of apps) {
    if (!accounts.some((a) => a.name === app.account)) accounts = [...accounts, { name: app.account, tier: "enterprise" }];
  }
  const tiers = { ...d.tiers };
  for (const t of TIERS) tiers[t] = { ...d.tiers[t], ...(input.tiers?.[t] ?? {}) };
  const clock: EmulatorSettings["clock"] = { scale: input.clock?.scale ?? d.clock.scale };
  const start = input.clock?.start;
  if (start !== undefined) {
    const ms = typeof start === "number" ? start : Date.parse(start);
    if (!Number.isFinite(ms)) throw new EmulatorConfigError("clock.start must be epoch ms or an ISO date");
    clock.start = ms;
  }
  const xaa: EmulatorSettings["xaa"] = {
    responseShape: input.xaa?.responseShape ?? d.xaa.responseShape,
    maxSubscriptions: { ...d.xaa.maxSubscriptions, ...(input.xaa?.maxSubscriptions ?? {}) },
  };
  if (!XAA_RESPONSE_SHAPES.includes(xaa.responseShape)) throw new EmulatorConfigError(`xaa.responseShape must be one of ${XAA_RESPONSE_SHAPES.join(", ")}`);
  return {
    apps,
    users,
    accounts,
    tiers,
    rateLimits: { ...d.rateLimits, ...(input.rateLimits ?? {}) },
    rateLimitWindowMs: input.rateLimitWindowMs ?? d.rateLimitWindowMs,
    crc: { ...d.crc, ...(input.crc ?? {}) },
    delivery: { ...d.delivery, ...(input.delivery ?? {}) },
    replay: { ...d.replay, ...(input.replay ?? {}) },
    auth: { ...d.auth, ...(input.auth ?? {}) },
    requireHttps: input.requireHttps ?? d.requireHttps,
    xaa,
    oauth2: { ...d.oauth2, ...(input.oauth2 ?? {}) },
    v2ErrorCodes: input.v2ErrorCodes ?? d.v2ErrorCodes,
    aaaRetiredAt: parseInstant(input.aaaRetiredAt, "aaaRetiredAt"),
    clock,
  };
}

/** epoch ms or an ISO date to epoch ms; null/undefined: null. */
export function parseInstant(v: number | string | null | undefined, what: string): number | null {
  if (v === undefined || v === null) return null;
  const ms = typeof v === "number" ? v : Date.parse(v);
  if (!Number.isFinite(ms)) throw new EmulatorConfigError(`${what} must be epoch ms or an ISO date`);
  return ms;
}

/** Read a JSON config file (same shape as EmulatorConfigInput). */
export function loadConfigFile(path: string): EmulatorConfigInput {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new EmulatorConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as EmulatorConfigInput;
  } catch (err) {
    throw new EmulatorConfigError(`config file ${path} is not a JSON object: ${(err as Error).message}`);
  }
}

