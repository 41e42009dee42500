/**
 * The end-to-end stack: the X emulator, the real Worker (wrangler's `unstable_startWorker`, i.e.
 * workerd with local KV, Durable Objects, Queues) and a Standard Webhooks sink, all on loopback
 * and talking real HTTP. Nothing is mocked: the emulator runs CRC and signs deliveries, the
 * Worker verifies, queues, normalises and forwards, the sink verifies what arrives.
 *
 * Clock: the emulator runs with `clock.scale: 0` unless the caller says otherwise. First
 * delivery attempts and CRCs do not wait for the clock (they happen when the activity is emitted
 * or the webhook registered), so deliveries flow; only timers (retries, periodic CRC, Replay)
 * wait, and a test moves them with `stack.emulator.advance(ms)`. That makes retries a step
 * the test takes, not a race against real time.
 *
 * Each `startStack` is isolated: its own emulator, its own sink, and a Worker with
 * `persist: false` (in-memory KV/DO/Queue state that dies with it).
 */
import { unstable_startWorker } from "wrangler";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { buildConfig, startEmulator, type AppDef, type RunningEmulator, type StartOptions } from "../../emulator/index.ts";
import { secretName } from "../../src/config.ts";
import { startSink, type Sink, type SinkRecord } from "./sink.ts";

export type { Sink, SinkRecord };

/** The repository root (wrangler.toml lives there). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The demo values of `.dev.vars.example`: the emulator demo world's app "default" and its owner
 * (docs/emulator.md "The demo world"), plus local-only admin/forward/seal secrets.
 */
export const DEMO_SECRETS: Readonly<Record<string, string>> = {
  X_CONSUMER_SECRET: "emulator-default-consumer-secret",
  X_CONSUMER_KEY: "emulator-default-consumer-key",
  X_ACCESS_TOKEN: "1600000000000000001-emulator-default-owner-token",
  X_ACCESS_TOKEN_SECRET: "emulator-default-owner-token-secret",
  X_BEARER_TOKEN: "emulator-default-bearer-token",
  ADMIN_TOKEN: "local-admin-token-change-me",
  TOKEN_ENCRYPTION_KEY: "bG9jYWwtdG9rZW4tZW5jcnlwdGlvbi1rZXktMzJieXQ=",
  FORWARD_SECRET: "whsec_bG9jYWwtZm9yd2FyZC1zZWNyZXQ=",
};

/** Emulator demo users (docs/emulator.md): ids and user-context tokens. */
export const DEMO_USERS = {
  alice: { id: "1600000000000000002", token: "1600000000000000002-emulator-alice-token", secret: "emulator-alice-token-secret" },
  bob: { id: "1600000000000000003", token: "1600000000000000003-emulator-bob-token", secret: "emulator-bob-token-secret" },
  carol: { id: "1600000000000000004", token: "1600000000000000004-emulator-carol-token", secret: "emulator-carol-token-secret" },
} as const;

export interface StackOptions {
  /** Forward envelopes to the sink (FORWARD_URL = sink). Default true. */
  forward?: boolean;
  /** Extra or overriding vars (plain_text bindings), e.g. APPS. */
  vars?: Record<string, string>;
  /** Extra or overriding secrets (secret_text bindings), e.g. a wrong X_CONSUMER_SECRET. */
  secrets?: Record<string, string>;
  /** Emulator options; `clock.scale` defaults to 0 (see the file comment). */
  emulator?: StartOptions;
  /** Join this wrangler dev registry (WorkerOptions.registry), e.g. to feed a consumer Worker. */
  registry?: string;
}

export interface Stack {
  emulator: RunningEmulator;
  /** The Worker's base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  workerUrl: string;
  sink: Sink;
  /** fetch(workerUrl + path) with `Authorization: Bearer ADMIN_TOKEN` (and JSON content type for bodies). */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** The URL X should call for an app: `${workerUrl}/webhooks/${app}`. */
  webhookUrl(app?: string): string;
  stop(): Promise<void>;
}

export type Binding = { type: "plain_text"; value: string } | { type: "secret_text"; value: string };

export interface WorkerOptions {
  vars: Record<string, string>;
  secrets: Record<string, string>;
  /** Fixed port (the local demo); default 0, a free one. */
  port?: number;
  /** Directory for persisted local state (the local demo); default: in memory, not persisted. */
  persistTo?: string;
  logLevel?: "none" | "error" | "warn" | "info" | "log" | "debug";
  /**
   * Rebuild and reload the Worker when a source file or wrangler.toml changes (wrangler's default
   * is on). Default off: a reload restarts the local runtime, and Miniflare keeps queued
   * messages in memory, so every message sent but not yet consumed is dropped. That is what lost
   * 16 acknowledged events in the first recorded pipeline bench run (an edit landed mid-run;
   * bench/README.md "Loss in run 1").
   */
  watch?: boolean;
  /**
   * Bindings that replace wrangler.toml's of the same name. Tests use it to take a binding away
   * (e.g. INGEST as a plain string, so the hot path's queue send throws and it answers 503).
   */
  overrides?: Record<string, Binding>;
  /**
   * wrangler's dev registry directory: join it so Workers in other local sessions (e.g.
   * examples/consumer-worker under `wrangler dev`) consume this Worker's queues. Default: not
   * joined (tests stay isolated). `CLOUDFLARE_DEV_REGISTRY_PATH` overrides it when set.
   */
  registry?: string;
}

/** Start the Worker from wrangler.toml with these bindings. Returns its URL and a disposer. */
export async function startReceiver(opts: WorkerOptions): Promise<{ url: string; dispose(): Promise<void> }> {
  // `dev.logLevel` covers only wrangler's start-up; Miniflare's per-batch `QUEUE aae-ingest 50/50`
  // lines follow wrangler's process-wide level, which is WRANGLER_LOG. A user's own setting wins.
  const logLevel = opts.logLevel ?? "warn";
  process.env.WRANGLER_LOG ??= logLevel;
  const bindings: Record<string, Binding> = {};
  for (const [k, v] of Object.entries(opts.vars)) bindings[k] = { type: "plain_text", value: v };
  for (const [k, v] of Object.entries(opts.secrets)) bindings[k] = { type: "secret_text", value: v };
  Object.assign(bindings, opts.overrides);
  const worker = await unstable_startWorker({
    config: `${ROOT}wrangler.toml`,
    dev: {
      server: { hostname: "127.0.0.1", port: opts.port ?? 0 },
      inspector: false,
      watch: opts.watch ?? false,
      persist: opts.persistTo ?? false,
      logLevel,
      ...(opts.registry === undefined ? {} : { registry: opts.registry }),
    },
    bindings,
  });
  try {
    await worker.ready;
    const url = (await worker.url).toString().replace(/\/+$/, "");
    return { url, dispose: () => worker.dispose() };
  } catch (err) {
    await worker.dispose();
    throw err;
  }
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  // v2ErrorCodes: the emulator's older v2 error shape (v1.1 code, no reason). X's v2 sends a
  // reason and no code; src/x-api reads both, but some tests here still assert the v1.1 code
  // (`x_code: 214` in control-plane-*.test.ts and receiver.test.ts). Drop it with those asserts.
  const emuOpts: StartOptions = { port: 0, v2ErrorCodes: true, ...opts.emulator, clock: { scale: 0, ...opts.emulator?.clock } };
  const emulator = await startEmulator(emuOpts);
  const secrets: Record<string, string> = { ...DEMO_SECRETS, ...opts.secrets };
  const forwardSecret = secrets.FORWARD_SECRET ?? DEMO_SECRETS.FORWARD_SECRET!;
  let sink: Sink | null = null;
  let worker: { url: string; dispose(): Promise<void> } | null = null;
  try {
    sink = await startSink({ secret: forwardSecret });
    const vars: Record<string, string> = {
      X_API_BASE_URL: emulator.url,
      FORWARD_URL: opts.forward === false ? "" : sink.url,
      // The dashboard's charts and tail at once, not after the isolate's 30 s gathering.
      METRICS_FLUSH_SECONDS: "0",
      ...opts.vars,
    };
    worker = await startReceiver(opts.registry === undefined ? { vars, secrets } : { vars, secrets, registry: opts.registry });
  } catch (err) {
    await sink?.stop();
    await emulator.stop();
    throw err;
  }
  const workerUrl = worker.url;
  const adminToken = secrets.ADMIN_TOKEN ?? "";
  const theSink = sink;
  const theWorker = worker;
  return {
    emulator,
    workerUrl,
    sink: theSink,
    admin(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${adminToken}`);
      if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
      return fetch(`${workerUrl}${path}`, { ...init, headers });
    },
    webhookUrl(app = "default") {
      return `${workerUrl}/webhooks/${app}`;
    },
    async stop() {
      // Worker first: it may still be forwarding to the sink or calling the emulator.
      await theWorker.dispose();
      await theSink.stop();
      await emulator.stop();
    },
  };
}

/** One request the relay passed on, and what it answered. */
export interface RelayRecord {
  method: string;
  path: string;
  /** Status the target answered (null: target unreachable). */
  targetStatus: number | null;
  /** Status the relay answered the caller with. */
  status: number;
}

export interface Relay {
  /** Base URL of the relay; register `${url}/webhooks/default` at X. */
  url: string;
  /** Where requests go from now on (a Worker's base URL). */
  setTarget(base: string): void;
  /**
   * For the next `n` POSTs: pass them on to the target as usual, then answer the caller 503
   * whatever the target said, as when the target's answer is lost on the way back to X.
   */
  loseNextAnswers(n: number): void;
  log: RelayRecord[];
  stop(): Promise<void>;
}

/**
 * A loopback reverse proxy between the emulator and Worker(s). It lets a test change, between
 * two delivery attempts, which Worker X's webhook URL reaches (a healthy one, or one whose
 * queue is unavailable and answers 503 itself), without touching the emulator's state.
 */
export async function startRelay(target: string): Promise<Relay> {
  let base = target;
  let lose = 0;
  const log: RelayRecord[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) {
          if (v === undefined || k === "host" || k === "connection" || k === "content-length") continue;
          headers.set(k, Array.isArray(v) ? v.join(", ") : v);
        }
        const method = req.method ?? "GET";
        const path = req.url ?? "/";
        const body = method === "GET" || method === "HEAD" ? null : Buffer.concat(chunks);
        let targetStatus: number | null = null;
        let status = 502;
        let outHeaders: Record<string, string> = {};
        let outBody: Buffer = Buffer.alloc(0);
        try {
          const r = await fetch(`${base}${path}`, { method, headers, body, redirect: "manual" });
          targetStatus = r.status;
          status = r.status;
          outBody = Buffer.from(await r.arrayBuffer());
          outHeaders = { "content-type": r.headers.get("content-type") ?? "application/octet-stream" };
        } catch {
          outBody = Buffer.from("relay: target unreachable");
        }
        if (method === "POST" && lose > 0) {
          lose--;
          status = 503;
          outBody = Buffer.from('{"error":"answer lost (relay)"}');
          outHeaders = { "content-type": "application/json" };
        }
        log.push({ method, path, targetStatus, status });
        res.writeHead(status, outHeaders);
        res.end(outBody);
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    setTarget(b) {
      base = b;
    },
    loseNextAnswers(n) {
      lose = n;
    },
    log,
    stop() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/** A demo user's OAuth 1.0a access token, as the admin API takes it. */
export interface UserCredentials {
  id: string;
  token: string;
  secret: string;
}

/**
 * Register `webhookUrl` for `app` (default: `default`) through the admin API (X runs its CRC
 * against it), then subscribe each user with their token. Throws with the status and answer if
 * either refuses: a setup step, not an assertion under test.
 */
export async function registerAndSubscribe(stack: Stack, webhookUrl: string, users: readonly UserCredentials[], app = "default"): Promise<void> {
  const reg = await stack.admin(`/admin/apps/${app}/webhooks`, { method: "POST", body: JSON.stringify({ url: webhookUrl }) });
  if (reg.status !== 201) throw new Error(`register ${webhookUrl}: ${reg.status} ${await reg.text()}`);
  for (const u of users) {
    const res = await stack.admin(`/admin/apps/${app}/subscriptions`, {
      method: "POST",
      body: JSON.stringify({ user_id: u.id, token: u.token, secret: u.secret }),
    });
    if (res.status !== 201) throw new Error(`subscribe ${u.id}: ${res.status} ${await res.text()}`);
  }
}

/**
 * The emulator's apps by name (its demo world plus `extra`, as `startStack({ emulator: { apps } })`
 * would add them): where multi-app tests read each app's flavour and credentials, so nothing is
 * copied by hand.
 */
export function emulatorApps(extra: readonly Partial<AppDef>[] = []): ReadonlyMap<string, AppDef> {
  return new Map(buildConfig({ apps: [...extra] }).apps.map((a) => [a.name, a]));
}

/**
 * The Worker secrets that give it these emulator apps' credentials, under each app's suffixed
 * names (`X_CONSUMER_SECRET_LEGACY`; bare names for `default`: src/config.ts `secretName`).
 */
export function emulatorAppSecrets(apps: readonly AppDef[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of apps) {
    out[secretName("X_CONSUMER_SECRET", a.name)] = a.consumerSecret;
    out[secretName("X_CONSUMER_KEY", a.name)] = a.consumerKey;
    out[secretName("X_ACCESS_TOKEN", a.name)] = a.accessToken;
    out[secretName("X_ACCESS_TOKEN_SECRET", a.name)] = a.accessTokenSecret;
    out[secretName("X_BEARER_TOKEN", a.name)] = a.bearerToken;
  }
  return out;
}
