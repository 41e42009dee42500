/**
 * What every control-plane handler needs for one app: its config, its Registry, an X client
 * whose rate-limit tracker is persisted in that Registry, and the token-seal key.
 *
 * The X client is made through an injectable factory: production uses `createXApiClient`;
 * tests inside workerd (where X and the emulator cannot run) pass a fake and say so.
 */
import type { AppConfig, Config } from "../config.ts";
import { HttpError } from "../http/errors.ts";
import { registryFor, type Registry } from "../state/registry.ts";
import { deriveSealKey } from "../state/token-seal.ts";
import { createXApiClient } from "../x-api/client.ts";
import { RateLimitTracker } from "../x-api/rate-limit.ts";
import type { XApiClient } from "../x-api/types.ts";

export type XClientFactory = (
  app: AppConfig,
  options: { baseUrl: string; now: () => number; rateLimits: RateLimitTracker },
) => XApiClient;

export interface ControlDeps {
  makeXClient: XClientFactory;
  now: () => number;
}

export const defaultDeps: ControlDeps = {
  makeXClient: (app, options) => createXApiClient(app, options),
  now: () => Date.now(),
};

const RATE_LIMITS_META = "rate_limits";

export interface AppContext {
  env: Env;
  config: Config;
  app: AppConfig;
  registry: DurableObjectStub<Registry>;
  deps: ControlDeps;
}

export function appContext(env: Env, config: Config, app: AppConfig, deps: ControlDeps): AppContext {
  return { env, config, app, registry: registryFor(env, app.name), deps };
}

/**
 * Run `fn` with an X client for the app. The rate-limit tracker is loaded from the Registry
 * first (so a window used up by an earlier isolate or cron run is refused before sending) and
 * saved after, whatever the outcome.
 */
export async function withX<T>(ctx: AppContext, fn: (x: XApiClient) => Promise<T>): Promise<T> {
  const raw = await ctx.registry.getMeta(RATE_LIMITS_META);
  const tracker = RateLimitTracker.fromJSON(raw === null ? null : (JSON.parse(raw) as unknown));
  const client = ctx.deps.makeXClient(ctx.app, { baseUrl: ctx.config.xApiBaseUrl, now: ctx.deps.now, rateLimits: tracker });
  try {
    return await fn(client);
  } finally {
    tracker.prune(ctx.deps.now());
    await ctx.registry.setMeta(RATE_LIMITS_META, JSON.stringify(tracker.toJSON()));
  }
}

const keys = new Map<string, Promise<CryptoKey>>();

/** The token-seal key, derived once per isolate; 503 when TOKEN_ENCRYPTION_KEY is not set. */
export function sealKey(config: Config): Promise<CryptoKey> {
  const secret = config.tokenEncryptionKey;
  if (secret === null) {
    throw new HttpError(503, "token_storage_disabled", "User tokens cannot be stored: set the TOKEN_ENCRYPTION_KEY secret.");
  }
  let k = keys.get(secret);
  if (k === undefined) {
    k = deriveSealKey(secret);
    keys.set(secret, k);
  }
  return k;
}
