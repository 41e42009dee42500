/**
 * The one place where bindings, vars and secrets become a typed, validated config.
 *
 * Everything else takes a `Config` (or an `AppConfig`, or the one binding it needs), never the
 * whole `env`. A bad or missing setting throws `ConfigError` naming the setting; the message
 * never contains a secret's value.
 */

import { ingestQueues, previousDedupLayout, publishEvents } from "./config-pipeline.ts";
import {
  ConfigError,
  DEFAULT_CRC_STALE_AFTER_SECONDS,
  DEFAULT_CRC_TOKEN_PATTERN,
  DEFAULT_DEDUP_SHARDS,
  DEFAULT_DEDUP_WINDOW_SECONDS,
  DEFAULT_FORWARD_MAX_HOLD_HOURS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PIPELINE_LAG_ALERT_MINUTES,
  DEFAULT_METRICS_FLUSH_SECONDS,
  MAX_METRICS_FLUSH_SECONDS,
  DEFAULT_SUBSCRIPTION_RECONCILE_HOURS,
  MAX_CRC_STALE_AFTER_SECONDS,
  MAX_FORWARD_MAX_HOLD_HOURS,
  MAX_PIPELINE_LAG_ALERT_MINUTES,
  MAX_SILENCE_ALERT_HOURS,
  MAX_SUBSCRIPTION_RECONCILE_HOURS,
  MIN_CRC_STALE_AFTER_SECONDS,
  MIN_FORWARD_MAX_HOLD_HOURS,
  MIN_SILENCE_ALERT_HOURS,
  forwardTypes,
  forwardUrl,
  int,
  optionalInt,
  positiveNumber,
  secretName,
  str,
  url,
  type ConfigSource,
} from "./config-values.ts";

import { crcPatternProblem } from "./webhook/crc-pattern.ts";
import { parseXaaSettings } from "./config-xaa.ts";
import { FLAVOURS, OAUTH_START_POLICIES, type AppConfig, type AppCredentials, type Config, type Flavour, type ForwardTarget, type OAuthStartPolicy } from "./config-types.ts";

export { FLAVOURS, OAUTH_START_POLICIES } from "./config-types.ts";
export type { AppConfig, AppCredentials, Config, Flavour, ForwardTarget, OAuthStartPolicy } from "./config-types.ts";
export {
  ConfigError,
  secretName,
  type ConfigSource,
  DEFAULT_CRC_TOKEN_PATTERN,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_DEDUP_WINDOW_SECONDS,
  DEFAULT_DEDUP_SHARDS,
  DEFAULT_CRC_STALE_AFTER_SECONDS,
  MIN_CRC_STALE_AFTER_SECONDS,
  MAX_CRC_STALE_AFTER_SECONDS,
  DEFAULT_FORWARD_MAX_HOLD_HOURS,
  MIN_FORWARD_MAX_HOLD_HOURS,
  MAX_FORWARD_MAX_HOLD_HOURS,
  MIN_SILENCE_ALERT_HOURS,
  MAX_SILENCE_ALERT_HOURS,
  DEFAULT_PIPELINE_LAG_ALERT_MINUTES,
  MAX_PIPELINE_LAG_ALERT_MINUTES,
  DEFAULT_SUBSCRIPTION_RECONCILE_HOURS,
  MAX_SUBSCRIPTION_RECONCILE_HOURS,
  MAX_FORWARD_TYPES,
} from "./config-values.ts";

const APP_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
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
  migrating?: boolean;
  silence_alert_hours?: number | null;
  forward_url?: string | null;
  forward_types?: string[];
  xaa_tier?: unknown;
  xaa_profiles?: unknown;
}

const APP_SETTINGS = ["name", "flavour", "env_name", "webhook_url", "collapse_across_users", "migrating", "silence_alert_hours", "forward_url", "forward_types", "xaa_tier", "xaa_profiles"];

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
    if (o.migrating !== undefined) {
      if (typeof o.migrating !== "boolean") throw new ConfigError(`APPS[${i}].migrating`, "must be true or false");
      spec.migrating = o.migrating;
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
    if (o.xaa_tier !== undefined) spec.xaa_tier = o.xaa_tier;
    if (o.xaa_profiles !== undefined) spec.xaa_profiles = o.xaa_profiles;
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
  if (spec.migrating === true) app.migrating = true;
  if (spec.env_name !== undefined) app.envName = spec.env_name;
  if (spec.silence_alert_hours !== undefined) app.silenceAlertHours = spec.silence_alert_hours;
  app.forward = appForward(src, spec, where, deploymentUrl);
  if (spec.forward_types !== undefined) app.forwardTypes = spec.forward_types;
  // An AAA app moving to XAA (`migrating`) gets the XAA settings too, so its users can consent
  // over OAuth 2.0 (by a profile) to the private types before the move.
  if (flavour === "xaa" || spec.migrating === true) app.xaa = parseXaaSettings(where, spec.xaa_tier, spec.xaa_profiles);
  else if (spec.xaa_tier !== undefined || spec.xaa_profiles !== undefined) {
    throw new ConfigError(`${where}.${spec.xaa_tier !== undefined ? "xaa_tier" : "xaa_profiles"}`, 'is for apps with flavour "xaa", or AAA apps with "migrating": true');
  }
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
    ["oauth2ClientId", "X_OAUTH2_CLIENT_ID"],
    ["oauth2ClientSecret", "X_OAUTH2_CLIENT_SECRET"],
  ];
  for (const [field, base] of creds) {
    const v = str(src, secretName(base, spec.name));
    if (v !== undefined) app.credentials[field] = v;
  }
  return app;
}

/** `SECRETS_SOURCE`: a file name (letters, digits, '.', '_', '-', '/'), else null (deployed). */
function secretsSource(src: ConfigSource): string | null {
  const raw = str(src, "SECRETS_SOURCE");
  if (raw === undefined) return null;
  if (!/^[A-Za-z0-9._/-]{1,200}$/.test(raw)) throw new ConfigError("SECRETS_SOURCE", "must be a file name such as .dev.vars, or empty");
  return raw;
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
    // A pattern that could accept a JSON body would re-open the CRC signing oracle: refuse it
    // here, loudly, rather than rely on the per-request guard alone (src/webhook/crc-pattern.ts).
    const problem = crcPatternProblem(patternRaw);
    if (problem !== null) {
      throw new ConfigError("CRC_TOKEN_PATTERN", `${problem}; a token pattern must be anchored (^...$) and must not match '{', '"' or whitespace`);
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
      previous: previousDedupLayout(src),
    },
    publishEvents: publishEvents(src),
    ingestQueues: ingestQueues(src),
    alertUrl: url(src, "ALERT_URL") ?? null,
    secretsSource: secretsSource(src),
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
    metricsFlushSeconds: int(src, "METRICS_FLUSH_SECONDS", DEFAULT_METRICS_FLUSH_SECONDS, 0, MAX_METRICS_FLUSH_SECONDS),
  };
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
