/**
 * The one place where bindings, vars and secrets become a typed, validated config.
 *
 * Everything else takes a `Config` (or an `AppConfig`, or the one binding it needs), never the
 * whole `env`. A bad or missing setting throws `ConfigError` naming the setting; the message
 * never contains a secret's value.
 */

/** The API flavours X offers for Account Activity. XAA uses v2's webhook endpoints. */
export const FLAVOURS = ["v1.1-enterprise", "v1.1-premium", "v2", "xaa"] as const;
export type Flavour = (typeof FLAVOURS)[number];

export interface AppCredentials {
  /** OAuth 1.0a consumer key (API key). Needed for management calls, not for receiving. */
  consumerKey?: string;
  /** The app owner's access token and secret: user context for register / re-check / delete. */
  accessToken?: string;
  accessTokenSecret?: string;
  /** App-only bearer token: list webhooks, list and count subscriptions, Replay. */
  bearerToken?: string;
}

export interface AppConfig {
  /** URL-safe name, the `:app` in `/webhooks/:app`. */
  name: string;
  flavour: Flavour;
  /** Premium v1.1 only: the dev environment label, case sensitive. */
  envName?: string;
  /** Current consumer secret: signs CRC answers, verifies deliveries. */
  consumerSecret: string;
  /** The secret being rotated out: still accepted for deliveries, never used for CRC. */
  previousConsumerSecret?: string;
  credentials: AppCredentials;
  /** Public URL X calls for this app (what gets registered). Default: request origin + path. */
  webhookUrl?: string;
  /**
   * Deduplicate the same event delivered for different subscribed users into one envelope.
   * Default false: X scopes deliveries by `for_user_id`, and so do we.
   */
  collapseAcrossUsers: boolean;
  /**
   * APPS `silence_alert_hours`: this app's own silence threshold (1-720), or null to turn the
   * silence alert off for it. Absent: the deployment's `SILENCE_ALERT_HOURS` applies.
   */
  silenceAlertHours?: number | null;
  /**
   * Where this app's envelopes are forwarded (APPS `forward_url`, signed with
   * `FORWARD_SECRET_<APP>` or else `FORWARD_SECRET`); null: not forwarded. parseConfig always sets
   * it; absent (an AppConfig built by hand) means the deployment's `Config.forward`. Read it
   * through `forwardFor`, never directly.
   */
  forward?: ForwardTarget | null;
  /**
   * APPS `forward_types`: the envelope `type`s forwarded (exact, or a prefix ending in `*`);
   * absent: every type. Filters FORWARD only: EVENTS always gets every envelope.
   */
  forwardTypes?: readonly string[];
}

/** A forward destination and the Standard Webhooks secret its POSTs are signed with. */
export interface ForwardTarget {
  url: string;
  secret: string;
}

export interface Config {
  apps: ReadonlyMap<string, AppConfig>;
  /** Base URL of X's API (`https://api.x.com`), or the emulator's. */
  xApiBaseUrl: string;
  /** Largest delivery body accepted, in bytes (413 above it). */
  maxBodyBytes: number;
  /** CRC tokens must match this to be signed (signing-oracle guard); null disables the guard. */
  crcTokenPattern: RegExp | null;
  /**
   * The deployment's default forward destination (FORWARD_URL + FORWARD_SECRET), which an app
   * without its own `forward_url` uses; null when either is unset. Envelopes are forwarded per
   * app: ask `forwardFor(config, app)`, not this.
   */
  forward: ForwardTarget | null;
  dedup: { windowSeconds: number; shards: number };
  /** Optional URL that receives a JSON POST when a webhook goes invalid or a re-check fails. */
  alertUrl: string | null;
  /** Bearer token for `/admin`; null disables the admin API (every call answers 401). */
  adminToken: string | null;
  /** Key material for sealing user access tokens at rest; null: tokens cannot be stored. */
  tokenEncryptionKey: string | null;
  /**
   * The token key being rotated out (`TOKEN_ENCRYPTION_KEY_PREVIOUS`, optional): stored tokens
   * sealed with it still open (and are re-sealed with the current key); never used to seal.
   * Read but unused while `tokenEncryptionKey` is null (token storage then answers 503).
   */
  tokenEncryptionKeyPrevious: string | null;
  /** Most POSTs per second to `forward.url` (`FORWARD_RATE_LIMIT`); null: no limit. */
  forwardRateLimit: number | null;
  /**
   * Longest a message may be held back by the forward gate (circuit open or rate limited) before
   * it is dead-lettered (`FORWARD_MAX_HOLD_HOURS`). Holds do not use queue attempts, so this,
   * not `FORWARD_MAX_ATTEMPTS`, bounds how long a long outage is ridden out.
   */
  forwardMaxHoldHours: number;
  /**
   * Re-check a webhook when X has sent no CRC for this long (`CRC_STALE_AFTER_SECONDS`). Capped
   * at 27 h: X invalidates after 28 h without a good CRC, so a later re-check comes too late.
   */
  crcStaleAfterSeconds: number;
  /**
   * Who may start Sign in with X (`OAUTH_START`): "invite" (an invite link or the admin token)
   * or "public" (anyone: their events then reach you and count against X's subscription cap).
   */
  oauthStart: OAuthStartPolicy;
  /**
   * Alert when an app with subscribed users and a valid webhook has received no delivery for this
   * many hours (`SILENCE_ALERT_HOURS`, 1-720); null (the default): off. See cron/silence-check.ts.
   */
  silenceAlertHours: number | null;
  /**
   * Compare X's subscription list with the Registry's and re-subscribe users X dropped at most
   * every this many hours (`SUBSCRIPTION_RECONCILE_HOURS`); 0 turns the cron's run off.
   */
  subscriptionReconcileHours: number;
  /**
   * Alert when the oldest message on aae-ingest or aae-forward is older than this many minutes,
   * or the forward destination's circuit has been open this long (`PIPELINE_LAG_ALERT_MINUTES`,
   * 0-1440; default 30; 0 turns both alerts off). See cron/pipeline-check.ts.
   */
  pipelineLagAlertMinutes: number;
}

export const OAUTH_START_POLICIES = ["invite", "public"] as const;
export type OAuthStartPolicy = (typeof OAUTH_START_POLICIES)[number];

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** The setting at fault (a var or secret name, or an APPS path): safe to log, never a value. */
  readonly setting: string;
  // A plain field, not a parameter property: Node's type stripping (CLI, emulator) rejects those.
  constructor(setting: string, problem: string) {
    super(`config: ${setting}: ${problem}`);
    this.setting = setting;
  }
}

/** The subset of the environment config reads: vars and secrets are strings. */
export type ConfigSource = Readonly<Record<string, unknown>>;

const APP_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const DEFAULT_CRC_TOKEN_PATTERN = "^[A-Za-z0-9+/=_-]{16,128}$";
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;
export const DEFAULT_DEDUP_WINDOW_SECONDS = 5 * 24 * 3600;
export const DEFAULT_DEDUP_SHARDS = 16;
/** 25 h: X re-checks every ~24 h and invalidates after 28 h, which leaves time to recover. */
export const DEFAULT_CRC_STALE_AFTER_SECONDS = 25 * 3600;
export const MIN_CRC_STALE_AFTER_SECONDS = 3600;
export const MAX_CRC_STALE_AFTER_SECONDS = 27 * 3600;
/** Four days: a long weekend of destination outage is ridden out without an operator. */
export const DEFAULT_FORWARD_MAX_HOLD_HOURS = 96;
export const MIN_FORWARD_MAX_HOLD_HOURS = 1;
/**
 * 300 h (12.5 days), not 14 days: a spilled envelope's body is kept 14 days from publication
 * (SPILLED_ENVELOPE_TTL_SECONDS), which must also cover the attempts before and after a hold.
 */
export const MAX_FORWARD_MAX_HOLD_HOURS = 300;
/** `SILENCE_ALERT_HOURS` bounds: an hour at least (quiet hours are normal), 30 days at most. */
export const MIN_SILENCE_ALERT_HOURS = 1;
export const MAX_SILENCE_ALERT_HOURS = 720;
/** Half an hour: a consumer that keeps up drains a queue in seconds; a brief spike is not an incident. */
export const DEFAULT_PIPELINE_LAG_ALERT_MINUTES = 30;
/** A day: a lag alert later than that would come after the operator found out some other way. */
export const MAX_PIPELINE_LAG_ALERT_MINUTES = 1440;
/** Six hours: X's list endpoint allows 50 calls / 15 min (v1.1), so this costs next to nothing. */
export const DEFAULT_SUBSCRIPTION_RECONCILE_HOURS = 6;
/** A week: a longer interval would let a dropped user stay silent too long to be "no silent stop". */
export const MAX_SUBSCRIPTION_RECONCILE_HOURS = 168;

/**
 * The name of an app's secret. App `default` reads the bare name (`X_CONSUMER_SECRET`), so a
 * single-app deployment needs no suffixes; app `acme-prod` reads `X_CONSUMER_SECRET_ACME_PROD`.
 */
export function secretName(base: string, app: string): string {
  return app === "default" ? base : `${base}_${app.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

function str(src: ConfigSource, key: string): string | undefined {
  const v = src[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new ConfigError(key, "must be a string");
  const t = v.trim();
  return t === "" ? undefined : t;
}

function int(src: ConfigSource, key: string, fallback: number, min: number, max: number): number {
  const raw = str(src, key);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(key, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(key, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function url(src: ConfigSource, key: string): string | undefined {
  const raw = str(src, key);
  if (raw === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(key, `is not a valid URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") {
    throw new ConfigError(key, "must be an http(s) URL");
  }
  return raw.replace(/\/+$/, "");
}

/** Hosts a plain-http `forward_url` may name: this machine only (a local receiver, the tests' sinks). */
function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * An APPS `forward_url`: what `url` accepts, narrowed to https, or http for a loopback host only
 * (envelopes and their signatures must not cross a network in clear).
 */
function forwardUrl(where: string, raw: string): string {
  const u = url({ [where]: raw }, where);
  if (u === undefined) throw new ConfigError(where, "must not be blank (use null to turn forwarding off)");
  const parsed = new URL(u);
  if (parsed.protocol !== "https:" && !isLoopbackHost(parsed.hostname)) {
    throw new ConfigError(where, "must be an https URL (http only for localhost / 127.0.0.1)");
  }
  return u;
}

/** Most patterns in one app's `forward_types`. */
export const MAX_FORWARD_TYPES = 50;
/** One `forward_types` entry: a type name (AAA key, XAA `event_type`), optionally ending in `*`. */
const FORWARD_TYPE_PATTERN = /^[A-Za-z0-9_.:-]{0,100}\*?$/;

function forwardTypes(where: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_FORWARD_TYPES) {
    throw new ConfigError(where, `must be a non-empty array of at most ${MAX_FORWARD_TYPES} type names (use forward_url: null to forward nothing)`);
  }
  return v.map((t: unknown) => {
    if (typeof t !== "string" || t === "" || !FORWARD_TYPE_PATTERN.test(t)) {
      throw new ConfigError(where, "entries must be type names of letters, digits, '_', '.', ':' or '-', optionally ending in '*'");
    }
    return t;
  });
}

/**
 * The destination an app's envelopes are forwarded to, or null (not forwarded, or the app is not
 * configured). The one place the publisher, the forwarder, the admin view and the cron ask.
 */
export function forwardFor(config: Pick<Config, "apps" | "forward">, app: string): ForwardTarget | null {
  const a = config.apps.get(app);
  if (a === undefined) return null;
  return a.forward === undefined ? config.forward : a.forward;
}

/** Every configured forward destination (by URL) with the apps forwarding to it, in APPS order. */
export function forwardDestinations(config: Pick<Config, "apps" | "forward">): { url: string; apps: string[] }[] {
  const byUrl = new Map<string, string[]>();
  for (const name of config.apps.keys()) {
    const f = forwardFor(config, name);
    if (f === null) continue;
    const list = byUrl.get(f.url) ?? [];
    list.push(name);
    byUrl.set(f.url, list);
  }
  return [...byUrl].map(([url, apps]) => ({ url, apps }));
}

interface AppSpec {
  name: string;
  flavour?: string;
  env_name?: string;
  webhook_url?: string;
  collapse_across_users?: boolean;
  silence_alert_hours?: number | null;
  forward_url?: string | null;
  forward_types?: string[];
}

const APP_SETTINGS = ["name", "flavour", "env_name", "webhook_url", "collapse_across_users", "silence_alert_hours", "forward_url", "forward_types"];

function readAppSpecs(src: ConfigSource): AppSpec[] {
  const raw = str(src, "APPS");
  if (raw === undefined) return [{ name: "default" }];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError("APPS", "is not valid JSON (expected an array of app objects)");
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new ConfigError("APPS", "must be a non-empty JSON array of app objects");
  }
  return parsed.map((item, i): AppSpec => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw new ConfigError(`APPS[${i}]`, "must be an object");
    }
    const o = item as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!APP_SETTINGS.includes(k)) {
        throw new ConfigError(`APPS[${i}].${k}`, "is not a known app setting");
      }
    }
    if (typeof o.name !== "string") throw new ConfigError(`APPS[${i}].name`, "is required");
    const spec: AppSpec = { name: o.name };
    for (const k of ["flavour", "env_name", "webhook_url"] as const) {
      const v = o[k];
      if (v === undefined) continue;
      if (typeof v !== "string") throw new ConfigError(`APPS[${i}].${k}`, "must be a string");
      spec[k] = v;
    }
    if (o.collapse_across_users !== undefined) {
      if (typeof o.collapse_across_users !== "boolean") {
        throw new ConfigError(`APPS[${i}].collapse_across_users`, "must be true or false");
      }
      spec.collapse_across_users = o.collapse_across_users;
    }
    if (o.silence_alert_hours !== undefined) {
      const h = o.silence_alert_hours;
      if (h !== null && !(typeof h === "number" && Number.isInteger(h) && h >= MIN_SILENCE_ALERT_HOURS && h <= MAX_SILENCE_ALERT_HOURS)) {
        throw new ConfigError(`APPS[${i}].silence_alert_hours`, `must be a whole number of hours from ${MIN_SILENCE_ALERT_HOURS} to ${MAX_SILENCE_ALERT_HOURS}, or null (off)`);
      }
      spec.silence_alert_hours = h;
    }
    if (o.forward_url !== undefined) {
      if (o.forward_url !== null && typeof o.forward_url !== "string") {
        throw new ConfigError(`APPS[${i}].forward_url`, "must be a URL string, or null (this app is not forwarded)");
      }
      spec.forward_url = o.forward_url;
    }
    if (o.forward_types !== undefined) spec.forward_types = forwardTypes(`APPS[${i}].forward_types`, o.forward_types);
    return spec;
  });
}

/**
 * The app's forward destination: its `forward_url` (null: off), else FORWARD_URL; signed with
 * `FORWARD_SECRET_<APP>`, else FORWARD_SECRET. A destination without a secret is a ConfigError
 * naming the app's secret (the name only).
 */
function appForward(src: ConfigSource, spec: AppSpec, where: string, deploymentUrl: string | undefined): ForwardTarget | null {
  if (spec.forward_url === null) return null;
  const dest = spec.forward_url !== undefined ? forwardUrl(`${where}.forward_url`, spec.forward_url) : deploymentUrl;
  if (dest === undefined) return null;
  const own = secretName("FORWARD_SECRET", spec.name);
  const secret = str(src, own) ?? str(src, "FORWARD_SECRET");
  if (secret === undefined) {
    const also = own === "FORWARD_SECRET" ? "" : " or FORWARD_SECRET";
    throw new ConfigError(own, `secret is missing (app "${spec.name}" forwards to ${new URL(dest).host}: set ${own}${also})`);
  }
  return { url: dest, secret };
}

function buildApp(src: ConfigSource, spec: AppSpec, i: number, deploymentUrl?: string): AppConfig {
  const where = `APPS[${i}]`;
  if (!APP_NAME.test(spec.name)) {
    throw new ConfigError(
      `${where}.name`,
      "must be 1-63 characters of a-z, 0-9, '-' or '_', starting with a letter or digit",
    );
  }
  const flavour = (spec.flavour ?? "v2") as Flavour;
  if (!FLAVOURS.includes(flavour)) {
    throw new ConfigError(`${where}.flavour`, `must be one of ${FLAVOURS.join(", ")}`);
  }
  if (flavour === "v1.1-premium" && !spec.env_name) {
    throw new ConfigError(`${where}.env_name`, "is required for the v1.1-premium flavour");
  }
  if (spec.env_name !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(spec.env_name)) {
    throw new ConfigError(`${where}.env_name`, "must be letters, digits, '-' or '_'");
  }
  const secretKey = secretName("X_CONSUMER_SECRET", spec.name);
  const consumerSecret = str(src, secretKey);
  if (consumerSecret === undefined) {
    throw new ConfigError(secretKey, `secret is missing (consumer secret of app "${spec.name}")`);
  }
  const app: AppConfig = {
    name: spec.name,
    flavour,
    consumerSecret,
    credentials: {},
    collapseAcrossUsers: spec.collapse_across_users ?? false,
  };
  if (spec.env_name !== undefined) app.envName = spec.env_name;
  if (spec.silence_alert_hours !== undefined) app.silenceAlertHours = spec.silence_alert_hours;
  app.forward = appForward(src, spec, where, deploymentUrl);
  if (spec.forward_types !== undefined) app.forwardTypes = spec.forward_types;
  const previous = str(src, secretName("X_CONSUMER_SECRET_PREVIOUS", spec.name));
  if (previous !== undefined) app.previousConsumerSecret = previous;
  if (spec.webhook_url !== undefined) {
    app.webhookUrl = url({ [`${where}.webhook_url`]: spec.webhook_url }, `${where}.webhook_url`)!;
  }
  const creds: [keyof AppCredentials, string][] = [
    ["consumerKey", "X_CONSUMER_KEY"],
    ["accessToken", "X_ACCESS_TOKEN"],
    ["accessTokenSecret", "X_ACCESS_TOKEN_SECRET"],
    ["bearerToken", "X_BEARER_TOKEN"],
  ];
  for (const [field, base] of creds) {
    const v = str(src, secretName(base, spec.name));
    if (v !== undefined) app.credentials[field] = v;
  }
  return app;
}

/** Parse and validate the whole configuration. Throws `ConfigError` naming the bad setting. */
export function parseConfig(src: ConfigSource): Config {
  const forwardUrlRaw = url(src, "FORWARD_URL");
  const apps = new Map<string, AppConfig>();
  readAppSpecs(src).forEach((spec, i) => {
    const app = buildApp(src, spec, i, forwardUrlRaw);
    if (apps.has(app.name)) throw new ConfigError(`APPS[${i}].name`, `"${app.name}" is listed twice`);
    apps.set(app.name, app);
  });

  // Unset or blank means the default guard, like every other setting: only the explicit word
  // "off" disables it (a blank var must never silently re-open the signing oracle).
  const patternRaw = str(src, "CRC_TOKEN_PATTERN") ?? DEFAULT_CRC_TOKEN_PATTERN;
  let crcTokenPattern: RegExp | null = null;
  if (patternRaw !== "off") {
    try {
      crcTokenPattern = new RegExp(patternRaw);
    } catch {
      throw new ConfigError("CRC_TOKEN_PATTERN", "is not a valid regular expression");
    }
  }

  // The deployment default. Without FORWARD_SECRET it is null, but an app that uses FORWARD_URL
  // without a secret of its own has already failed above, naming the secret it needs.
  const forwardSecret = str(src, "FORWARD_SECRET");
  const forward: Config["forward"] = forwardUrlRaw !== undefined && forwardSecret !== undefined ? { url: forwardUrlRaw, secret: forwardSecret } : null;

  return {
    apps,
    xApiBaseUrl: url(src, "X_API_BASE_URL") ?? "https://api.x.com",
    maxBodyBytes: int(src, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024, 64 * 1_048_576),
    crcTokenPattern,
    forward,
    dedup: {
      windowSeconds: int(src, "DEDUP_WINDOW_SECONDS", DEFAULT_DEDUP_WINDOW_SECONDS, 60, 30 * 24 * 3600),
      shards: int(src, "DEDUP_SHARDS", DEFAULT_DEDUP_SHARDS, 1, 1024),
    },
    alertUrl: url(src, "ALERT_URL") ?? null,
    adminToken: str(src, "ADMIN_TOKEN") ?? null,
    tokenEncryptionKey: str(src, "TOKEN_ENCRYPTION_KEY") ?? null,
    tokenEncryptionKeyPrevious: str(src, "TOKEN_ENCRYPTION_KEY_PREVIOUS") ?? null,
    forwardRateLimit: positiveNumber(src, "FORWARD_RATE_LIMIT"),
    forwardMaxHoldHours: int(
      src,
      "FORWARD_MAX_HOLD_HOURS",
      DEFAULT_FORWARD_MAX_HOLD_HOURS,
      MIN_FORWARD_MAX_HOLD_HOURS,
      MAX_FORWARD_MAX_HOLD_HOURS,
    ),
    crcStaleAfterSeconds: int(
      src,
      "CRC_STALE_AFTER_SECONDS",
      DEFAULT_CRC_STALE_AFTER_SECONDS,
      MIN_CRC_STALE_AFTER_SECONDS,
      MAX_CRC_STALE_AFTER_SECONDS,
    ),
    oauthStart: oauthStart(src),
    silenceAlertHours: optionalInt(src, "SILENCE_ALERT_HOURS", MIN_SILENCE_ALERT_HOURS, MAX_SILENCE_ALERT_HOURS),
    subscriptionReconcileHours: int(src, "SUBSCRIPTION_RECONCILE_HOURS", DEFAULT_SUBSCRIPTION_RECONCILE_HOURS, 0, MAX_SUBSCRIPTION_RECONCILE_HOURS),
    pipelineLagAlertMinutes: int(src, "PIPELINE_LAG_ALERT_MINUTES", DEFAULT_PIPELINE_LAG_ALERT_MINUTES, 0, MAX_PIPELINE_LAG_ALERT_MINUTES),
  };
}

/** A whole number in [min, max], or null when unset or blank (the feature is off). */
function optionalInt(src: ConfigSource, key: string, min: number, max: number): number | null {
  return str(src, key) === undefined ? null : int(src, key, min, min, max);
}

/** A positive decimal (e.g. requests per second, "0.5" allowed), or null when unset. */
function positiveNumber(src: ConfigSource, key: string): number | null {
  const raw = str(src, key);
  if (raw === undefined) return null;
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(key, `must be a positive number, got "${raw}"`);
  return n;
}

function oauthStart(src: ConfigSource): OAuthStartPolicy {
  const raw = str(src, "OAUTH_START") ?? "invite";
  const policy = OAUTH_START_POLICIES.find((p) => p === raw);
  // A typo must not silently open (or close) sign-in: refuse anything but the two words.
  if (policy === undefined) throw new ConfigError("OAUTH_START", `must be "invite" or "public", got "${raw}"`);
  return policy;
}

const cache = new WeakMap<object, Config>();

/**
 * `parseConfig` memoised per env object: the isolate keeps one env, so the hot path parses once.
 * Errors are not cached, so a fixed secret takes effect on the next request.
 */
export function getConfig(env: object): Config {
  let c = cache.get(env);
  if (c === undefined) {
    c = parseConfig(env as ConfigSource);
    cache.set(env, c);
  }
  return c;
}
