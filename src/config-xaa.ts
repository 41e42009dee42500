/**
 * XAA settings of an app (APPS `xaa_tier`, `xaa_profiles`) and the one validator of a
 * subscription profile, used for APPS and for profiles made through the admin API alike.
 *
 * A profile says what the app wants per user: event types, an optional `direction` (applied to
 * `like.create`, the one type X gives a direction; never to mute/block, which X refuses),
 * and an optional tag X puts on every delivery of those subscriptions.
 */
import { ConfigError } from "./config-values.ts";
import { acceptsDirection, canonicalEventType, isAppLevelEventType, type XaaEventType } from "./x-api/xaa-event-types.ts";

/** X's XAA tiers and their subscription caps (docs.x.com/x-api/activity/introduction). */
export const XAA_TIER_CAPS = { "self-serve": 1_500, enterprise: 75_000, partner: 150_000 } as const;
export type XaaTier = keyof typeof XAA_TIER_CAPS;
export const XAA_TIERS = Object.keys(XAA_TIER_CAPS) as XaaTier[];

export interface XaaProfile {
  /** 1-63 characters of a-z 0-9 - _ (it is a path segment of the admin API). */
  name: string;
  /** Canonical names, no duplicates, in the order given. */
  event_types: XaaEventType[];
  direction?: "inbound" | "outbound";
  /** 1-200 characters (X's limit). */
  tag?: string;
}

export interface XaaAppSettings {
  tier: XaaTier;
  /** The tier's cap: subscriptions beyond it are refused before X is asked. */
  cap: number;
  /** Profiles from APPS; the admin API may add more (stored in the Registry). */
  profiles: readonly XaaProfile[];
}

export const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const PROFILE_KEYS = ["event_types", "direction", "tag"];

/** Validate one profile (`where` names it in errors: `APPS[0].xaa_profiles.likes`, `body`). */
export function parseXaaProfile(where: string, name: string, raw: unknown): XaaProfile {
  if (!PROFILE_NAME.test(name)) throw new ConfigError(where, "profile name must be 1-63 characters of a-z, 0-9, '-' or '_'");
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError(where, "must be an object with event_types");
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!PROFILE_KEYS.includes(k)) throw new ConfigError(`${where}.${k}`, "is not a profile setting (event_types, direction, tag)");
  if (!Array.isArray(o.event_types) || o.event_types.length === 0 || o.event_types.length > 64) {
    throw new ConfigError(`${where}.event_types`, "must be a non-empty array of XAA event types");
  }
  const types: XaaEventType[] = [];
  o.event_types.forEach((t, i) => {
    const type = typeof t === "string" ? canonicalEventType(t) : null;
    if (type === null) throw new ConfigError(`${where}.event_types[${i}]`, "is not an XAA event type X lists (see docs/operations.md)");
    if (isAppLevelEventType(type)) throw new ConfigError(`${where}.event_types[${i}]`, `${type} is subscribed once per app, automatically; leave it out of profiles`);
    if (!types.includes(type)) types.push(type);
  });
  const profile: XaaProfile = { name, event_types: types };
  if (o.direction !== undefined) {
    if (o.direction !== "inbound" && o.direction !== "outbound") throw new ConfigError(`${where}.direction`, 'must be "inbound" or "outbound" (absent: both)');
    if (!types.some(acceptsDirection)) throw new ConfigError(`${where}.direction`, "none of the profile's event types takes a direction");
    profile.direction = o.direction;
  }
  if (o.tag !== undefined) {
    if (typeof o.tag !== "string" || o.tag.length < 1 || o.tag.length > 200) throw new ConfigError(`${where}.tag`, "must be 1-200 characters");
    profile.tag = o.tag;
  }
  return profile;
}

/** APPS `xaa_tier` and `xaa_profiles` of one app (`where` = `APPS[i]`). */
export function parseXaaSettings(where: string, tier: unknown, profiles: unknown): XaaAppSettings {
  const t = tier === undefined ? "self-serve" : tier;
  if (typeof t !== "string" || !Object.hasOwn(XAA_TIER_CAPS, t)) throw new ConfigError(`${where}.xaa_tier`, `must be one of ${XAA_TIERS.join(", ")}`);
  const out: XaaProfile[] = [];
  if (profiles !== undefined) {
    if (typeof profiles !== "object" || profiles === null || Array.isArray(profiles)) {
      throw new ConfigError(`${where}.xaa_profiles`, "must be an object of profiles by name");
    }
    for (const [name, spec] of Object.entries(profiles)) out.push(parseXaaProfile(`${where}.xaa_profiles.${name}`, name, spec));
  }
  const tierName = t as XaaTier;
  return { tier: tierName, cap: XAA_TIER_CAPS[tierName], profiles: out };
}
