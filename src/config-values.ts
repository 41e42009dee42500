/**
 * The building blocks of config parsing (src/config.ts): the error type, the limits and defaults
 * of every setting, and the readers that turn one raw var or secret into a checked value. Split
 * from config.ts by job; import from config.ts, which re-exports what is public.
 */

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
/** Seconds an isolate gathers the consumers' dashboard metrics before one Metrics call (0: every batch). */
export const DEFAULT_METRICS_FLUSH_SECONDS = 30;
export const MAX_METRICS_FLUSH_SECONDS = 300;
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

export function str(src: ConfigSource, key: string): string | undefined {
  const v = src[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new ConfigError(key, "must be a string");
  const t = v.trim();
  return t === "" ? undefined : t;
}

export function int(src: ConfigSource, key: string, fallback: number, min: number, max: number): number {
  const raw = str(src, key);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(key, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(key, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function url(src: ConfigSource, key: string): string | undefined {
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
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * An APPS `forward_url`: what `url` accepts, narrowed to https, or http for a loopback host only
 * (envelopes and their signatures must not cross a network in clear).
 */
export function forwardUrl(where: string, raw: string): string {
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

export function forwardTypes(where: string, v: unknown): string[] {
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

/** A whole number in [min, max], or null when unset or blank (the feature is off). */
export function optionalInt(src: ConfigSource, key: string, min: number, max: number): number | null {
  return str(src, key) === undefined ? null : int(src, key, min, min, max);
}

/** A positive decimal (e.g. requests per second, "0.5" allowed), or null when unset. */
export function positiveNumber(src: ConfigSource, key: string): number | null {
  const raw = str(src, key);
  if (raw === undefined) return null;
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(key, `must be a positive number, got "${raw}"`);
  return n;
}

