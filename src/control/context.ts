/**
 * What every control-plane handler needs for one app: its config, its Registry, an X client
 * whose rate-limit tracker is persisted in that Registry, and the token-seal key.
 *
 * The X client is made through an injectable factory: production uses `createXApiClient`;
 * tests inside workerd (where X and the emulator cannot run) pass a fake and say so.
 */
import { ConfigError, type AppConfig, type Config } from "../config.ts";
import { HttpError } from "../http/errors.ts";
import { registryFor, type Registry } from "../state/registry.ts";
import { deriveSealKey, openWithKeys, sealToken, TokenSealError, type SealKeys } from "../state/token-seal.ts";
import { createXApiClient } from "../x-api/client.ts";
import { RateLimitTracker } from "../x-api/rate-limit.ts";
import type { UserToken, XApiClient } from "../x-api/types.ts";
import { createOAuth2Client, type OAuth2Client } from "../x-api/oauth2.ts";
import type { XApiClientOptions } from "../x-api/transport.ts";
import { createXaaClient } from "../x-api/xaa.ts";
import type { XaaClient } from "../x-api/xaa-types.ts";

export type XClientFactory = (
  app: AppConfig,
  options: { baseUrl: string; now: () => number; rateLimits: RateLimitTracker; secretsSource: string | null },
) => XApiClient;

export interface ControlDeps {
  makeXClient: XClientFactory;
  now: () => number;
  /**
   * How the XAA and OAuth 2.0 clients reach X; absent: the global fetch. Tests inside workerd
   * (where the emulator cannot run) pass an in-memory X here, so the real clients are exercised.
   */
  xFetch?: typeof fetch;
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
  return withRateLimits(ctx, (tracker) => fn(ctx.deps.makeXClient(ctx.app, { baseUrl: ctx.config.xApiBaseUrl, now: ctx.deps.now, rateLimits: tracker, secretsSource: ctx.config.secretsSource })));
}

/** The X clients of an XAA app: subscriptions (xaa.ts) and the OAuth 2.0 token calls (oauth2.ts). */
export interface XaaClients {
  xaa: XaaClient;
  oauth2: OAuth2Client;
}

/** As `withX`, for the XAA clients; the same persisted rate-limit tracker. */
export async function withXaa<T>(ctx: AppContext, fn: (x: XaaClients) => Promise<T>): Promise<T> {
  return withRateLimits(ctx, (tracker) => {
    const options: XApiClientOptions = { baseUrl: ctx.config.xApiBaseUrl, now: ctx.deps.now, rateLimits: tracker, secretsSource: ctx.config.secretsSource };
    if (ctx.deps.xFetch !== undefined) options.fetch = ctx.deps.xFetch;
    return fn({ xaa: createXaaClient(ctx.app, options), oauth2: createOAuth2Client(ctx.app, options) });
  });
}

async function withRateLimits<T>(ctx: AppContext, fn: (tracker: RateLimitTracker) => Promise<T>): Promise<T> {
  const raw = await ctx.registry.getMeta(RATE_LIMITS_META);
  const tracker = RateLimitTracker.fromJSON(raw === null ? null : (JSON.parse(raw) as unknown));
  try {
    return await fn(tracker);
  } finally {
    tracker.prune(ctx.deps.now());
    await ctx.registry.setMeta(RATE_LIMITS_META, JSON.stringify(tracker.toJSON()));
  }
}

const keys = new Map<string, Promise<CryptoKey>>();

function derived(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (k === undefined) {
    k = deriveSealKey(secret);
    keys.set(secret, k);
  }
  return k;
}

/** The token-seal key, derived once per isolate; 503 when TOKEN_ENCRYPTION_KEY is not set. */
export function sealKey(config: Config): Promise<CryptoKey> {
  const secret = config.tokenEncryptionKey;
  if (secret === null) {
    throw new HttpError(503, "token_storage_disabled", "User tokens cannot be stored: set the TOKEN_ENCRYPTION_KEY secret.");
  }
  return derived(secret);
}

/**
 * The keys stored tokens may be sealed with: the current one (as `sealKey`, 503 when unset) and
 * TOKEN_ENCRYPTION_KEY_PREVIOUS while a rotation is under way. A previous secret too short to
 * derive from is a ConfigError naming it (logged by name, never by value).
 */
export async function sealKeys(config: Config): Promise<SealKeys> {
  const current = await sealKey(config);
  const prev = config.tokenEncryptionKeyPrevious;
  if (prev === null || prev === config.tokenEncryptionKey) return { current, previous: null };
  try {
    return { current, previous: await derived(prev) };
  } catch (err) {
    if (err instanceof TokenSealError) throw new ConfigError("TOKEN_ENCRYPTION_KEY_PREVIOUS", "is too short (need 16+ characters)");
    throw err;
  }
}

/**
 * A user's stored token, opened with the current key or the previous one; null when none is
 * stored or token storage is off. Throws `TokenSealError` when neither key opens it.
 *
 * Lazy re-seal: a token opened with the previous key is sealed again with the current key and
 * written back compare-and-set (only if the row still holds the blob read here, so a sign-in's
 * fresh token in between is never overwritten). Only admin and cron paths open tokens (the
 * webhook path never does), so the extra Registry write is off the hot path; a failed write is
 * logged and the call goes on (the next use, or the reseal endpoint, tries again).
 */
export async function openStoredToken(ctx: AppContext, userId: string): Promise<UserToken | null> {
  const sealed = await ctx.registry.getSealedToken(userId);
  if (sealed === null || ctx.config.tokenEncryptionKey === null) return null;
  const keys = await sealKeys(ctx.config);
  const scope = { app: ctx.app.name, userId };
  const opened = await openWithKeys(keys, scope, sealed);
  if (opened.sealedWith === "previous") {
    try {
      await ctx.registry.replaceSealedTokens([{ user_id: userId, expected: sealed, sealed: await sealToken(keys.current, scope, opened.token) }]);
    } catch (err) {
      console.error(JSON.stringify({ msg: "token re-seal failed", app: ctx.app.name, user_id: userId, error: err instanceof Error ? err.name : "unknown" }));
    }
  }
  return opened.token;
}
