/**
 * An XAA app's subscription profiles: those in APPS (`xaa_profiles`, read-only here) and those
 * made through the admin API (stored in the Registry). A stored profile may not take the name of
 * a configured one: config wins, and says so.
 */
import { ConfigError, type AppConfig } from "../config.ts";
import { parseXaaProfile, type XaaAppSettings, type XaaProfile } from "../config-xaa.ts";
import { HttpError } from "../http/errors.ts";
import type { AppContext } from "./context.ts";

export interface ListedProfile extends XaaProfile {
  source: "config" | "admin";
}

/**
 * The app's XAA settings: an `xaa` app's, or a migrating AAA app's (APPS `migrating: true`); a 400
 * naming the flavour for any other app.
 */
export function xaaSettings(app: AppConfig): XaaAppSettings {
  if ((app.flavour !== "xaa" && app.migrating !== true) || app.xaa === undefined) {
    throw new HttpError(400, "not_xaa_app", `App "${app.name}" has flavour ${app.flavour}: XAA subscriptions and profiles are for apps with flavour "xaa", or AAA apps with "migrating": true in APPS.`);
  }
  return app.xaa;
}

export async function listProfiles(ctx: AppContext): Promise<ListedProfile[]> {
  const settings = xaaSettings(ctx.app);
  const out: ListedProfile[] = settings.profiles.map((p) => ({ ...p, source: "config" }));
  for (const row of await ctx.registry.listXaaProfiles()) {
    if (out.some((p) => p.name === row.name)) continue;
    try {
      out.push({ ...parseXaaProfile("stored profile", row.name, JSON.parse(row.spec_json) as unknown), source: "admin" });
    } catch (err) {
      // A stored profile this version no longer accepts (an event type X dropped) is skipped, logged.
      console.warn(JSON.stringify({ msg: "stored XAA profile skipped", app: ctx.app.name, profile: row.name, error: err instanceof ConfigError ? err.message : "unreadable" }));
    }
  }
  return out;
}

/** The named profile; 404 when there is none. */
export async function profileNamed(ctx: AppContext, name: string): Promise<ListedProfile> {
  const p = (await listProfiles(ctx)).find((x) => x.name === name);
  if (p === undefined) throw new HttpError(404, "profile_not_found", `App "${ctx.app.name}" has no XAA profile "${name}".`);
  return p;
}

/** Create or replace an admin-made profile (validated like APPS; 400 naming the bad field). */
export async function putProfile(ctx: AppContext, name: string, body: unknown): Promise<ListedProfile> {
  const settings = xaaSettings(ctx.app);
  if (settings.profiles.some((p) => p.name === name)) {
    throw new HttpError(409, "profile_in_config", `Profile "${name}" is set in APPS (xaa_profiles): change it there.`);
  }
  let profile: XaaProfile;
  try {
    profile = parseXaaProfile("body", name, body);
  } catch (err) {
    if (err instanceof ConfigError) throw new HttpError(400, "bad_profile", err.message.replace(/^config: /, ""));
    throw err;
  }
  const { name: _n, ...spec } = profile;
  await ctx.registry.putXaaProfile(name, JSON.stringify(spec), new Date(ctx.deps.now()).toISOString());
  return { ...profile, source: "admin" };
}

export async function deleteProfile(ctx: AppContext, name: string): Promise<void> {
  const settings = xaaSettings(ctx.app);
  if (settings.profiles.some((p) => p.name === name)) {
    throw new HttpError(409, "profile_in_config", `Profile "${name}" is set in APPS (xaa_profiles): remove it there.`);
  }
  if (!(await ctx.registry.deleteXaaProfile(name))) throw new HttpError(404, "profile_not_found", `App "${ctx.app.name}" has no stored XAA profile "${name}".`);
}
