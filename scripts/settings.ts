/**
 * Local settings for `npm start` and `npm run dev`: a `.dev.vars` file split into the Worker's
 * vars (names wrangler.toml's `[vars]` declares) and secrets (everything else).
 *
 * Why not plain `wrangler dev`: with a `[secrets]` block in wrangler.toml, wrangler passes a
 * `.dev.vars` line to the Worker only when its name is a var or a *required* secret (wrangler 4's
 * `[secrets]` has `required` only, no optional list), so the optional management credentials
 * and every per-app `*_<APP>` secret would be dropped. Both launchers pass each line as a
 * binding instead, and set SECRETS_SOURCE to the file so a missing secret's fix names it.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { unstable_readConfig } from "wrangler";

/** KEY=VALUE lines, `#` comments, optional surrounding quotes (the subset `.dev.vars` uses). */
export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}

/** The names wrangler.toml declares under `[vars]` (read with wrangler's own parser). */
export function varNames(wranglerToml: string): Set<string> {
  const config = unstable_readConfig({ config: wranglerToml }, { hideWarnings: true });
  return new Set(Object.keys(config.vars ?? {}));
}

export interface LocalSettings {
  /** The file read, as given (e.g. ".dev.vars"). */
  file: string;
  vars: Record<string, string>;
  secrets: Record<string, string>;
}

/**
 * Read `path` (shown to the user as `file`) and split it. SECRETS_SOURCE is set to
 * `secretsSource` (default `file`): the launcher knows which file the secrets came from, so a
 * missing secret's fix names the file to edit, whatever line the file itself carries.
 */
export function readLocalSettings(path: string, file: string, wranglerToml: string, secretsSource: string = file): LocalSettings {
  const settings = parseDevVars(readFileSync(path, "utf8"));
  const names = varNames(wranglerToml);
  const vars: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(settings)) (names.has(k) ? vars : secrets)[k] = v;
  vars.SECRETS_SOURCE = secretsSource;
  return { file, vars, secrets };
}


/**
 * The dev registry `npx wrangler dev` joins by default (WRANGLER_REGISTRY_PATH, else
 * `registry` in wrangler's global config folder: ~/.wrangler if it exists, else
 * $XDG_CONFIG_HOME/.wrangler). Local sessions on one registry find each other, so a consumer
 * Worker started with `wrangler dev` elsewhere consumes the receiver's local queues.
 * CLOUDFLARE_DEV_REGISTRY_PATH, when set, overrides it for every session (wrangler's rule).
 */
export function wranglerDevRegistryPath(): string {
  if (process.env.WRANGLER_REGISTRY_PATH) return process.env.WRANGLER_REGISTRY_PATH;
  const legacy = join(homedir(), ".wrangler");
  if (existsSync(legacy)) return join(legacy, "registry");
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), ".wrangler", "registry");
}

/**
 * The admin token as a shell expression for the commands npm start prints: the example's
 * literal value, or, with a .dev.vars, read from it when pasted (from the repository root), so
 * the commands paste as they are and the token itself is never printed.
 */
export function adminTokenExpression(file: string, token: string): string {
  return file === ".dev.vars" ? `"$(sed -n 's/^ADMIN_TOKEN=//p' .dev.vars)"` : token;
}
