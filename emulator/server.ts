/**
 * startEmulator(): X's side of the Account Activity API on a local port. Usable from tests
 * (port 0 picks a free one; scale 0 freezes the clock) and from `npm run emulator`.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { addPremiumRoutes } from "./api-premium.ts";
import { addV11Routes } from "./api-v11.ts";
import { addV2Routes } from "./api-v2.ts";
import { addXaaRoutes } from "./api-xaa.ts";
import { addXaaControlRoutes } from "./control-xaa.ts";
import { addOAuth2Routes } from "./oauth2-flow.ts";
import { issueTokens, recordGrant, type IssuedTokens } from "./oauth2-store.ts";
import { Clock } from "./clock.ts";
import { buildConfig, completeApp, completeUser, loadConfigFile, type EmulatorConfigInput } from "./config-load.ts";
import type { AppDef, EmulatorConfig, UserDef } from "./config.ts";
import { addControlRoutes, emitActivity, type EmitResult } from "./control.ts";
import type { Core } from "./core.ts";
import { err, v1ErrorBody } from "./errors.ts";
import { readRequest, Router, type Reply } from "./http.ts";
import { addOAuthRoutes } from "./oauth-flow.ts";
import { ProblemError, problemReply } from "./problems.ts";
import { EmulatorState } from "./state.ts";

export interface StartOptions extends EmulatorConfigInput {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface; default 127.0.0.1. */
  host?: string;
  /** JSON config file merged under these options. */
  configFile?: string;
  /** Log each request to stderr. */
  log?: boolean;
}

export interface RunningEmulator {
  /** Base URL, e.g. http://127.0.0.1:40123 (use it as the X API base URL). */
  url: string;
  port: number;
  config: EmulatorConfig;
  state: EmulatorState;
  clock: Clock;
  /** Make activity happen, as POST /_emulator/events. */
  emit(activity: Record<string, unknown>): Promise<EmitResult>;
  /** Move virtual time, running due timers (retries, periodic CRC, replay). */
  advance(ms: number): Promise<void>;
  /** Wait until every timer already due has run (e.g. a Replay job just accepted). */
  settle(): Promise<void>;
  addApp(app: Partial<AppDef>): AppDef;
  addUser(user: Partial<UserDef>): UserDef;
  /** Retire AAA at this virtual time (epoch ms; null: never), as POST /_emulator/aaa/retire. */
  retireAaa(at: number | null): void;
  /** A user consents to `scopes` for `app` (no browser dance): X's token response. */
  grantOAuth2(appName: string, userId: string, scopes: string[]): IssuedTokens;
  /** Forget webhooks, events, logs and timers; keep apps and users. */
  reset(): void;
  stop(): Promise<void>;
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  if (reply.body !== undefined) headers["content-type"] = reply.contentType ?? "application/json; charset=utf-8";
  res.writeHead(reply.status, headers);
  res.end(reply.status === 204 ? undefined : reply.body);
}

export async function startEmulator(options: StartOptions = {}): Promise<RunningEmulator> {
  const { port = 0, host = "127.0.0.1", configFile, log = false, ...inline } = options;
  const fileInput = configFile === undefined ? {} : loadConfigFile(configFile);
  const config = buildConfig(mergeInput(fileInput, inline));
  const clockOptions: { start?: number; scale: number } = { scale: config.clock.scale };
  if (config.clock.start !== undefined) clockOptions.start = config.clock.start;
  const clock = new Clock(clockOptions);
  const state = new EmulatorState(config);
  const core: Core = { state, config, clock };

  const reset = (): void => {
    clock.clear();
    state.reset();
  };
  const addApp = (input: Partial<AppDef>): AppDef => {
    const app = completeApp(input, input.name === undefined ? undefined : state.apps.get(input.name));
    state.addApp(app);
    return app;
  };
  const addUser = (input: Partial<UserDef>): UserDef => {
    const user = completeUser(input, input.id === undefined ? undefined : state.users.get(input.id));
    state.addUser(user);
    return user;
  };

  const router = new Router();
  addV11Routes(router, core);
  addPremiumRoutes(router, core);
  addV2Routes(router, core);
  addOAuthRoutes(router, core);
  addXaaRoutes(router, core);
  addOAuth2Routes(router, core);
  addXaaControlRoutes(router, core);
  addControlRoutes(router, core, { reset, addApp: (a) => state.addApp(a), addUser: (u) => state.addUser(u) });

  let origin = `http://${host}:${port}`;
  const server: Server = createServer((message, res) => {
    void (async () => {
      let reply: Reply;
      try {
        const req = await readRequest(message, origin);
        const found = router.match(req.method, req.path);
        if (found === null || found === "method") {
          // v2 paths answer in v2's problem shape, never a v1.1 code.
          reply = req.path.startsWith("/2/")
            ? problemReply(new ProblemError("notFound", "The requested resource could not be found."))
            : (({ status, body, contentType }) => ({ status, body, contentType }))(v1ErrorBody(err.pageNotFound()));
        } else {
          req.params = found.params;
          reply = await found.handler(req);
        }
        if (log) console.error(`[emulator] ${req.method} ${req.path} -> ${reply.status}`);
      } catch (e) {
        if (e instanceof Error && e.message === "body too large") {
          reply = { status: 413, body: JSON.stringify({ errors: [{ message: "Request body too large." }] }) };
          if (!res.headersSent) send(res, reply);
          return;
        }
        console.error("[emulator] request failed:", e);
        reply = { status: 500, body: JSON.stringify({ errors: [{ code: 131, message: "Internal error" }] }) };
      }
      if (!res.headersSent) send(res, reply);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  origin = `http://${host}:${actualPort}`;

  return {
    url: origin,
    port: actualPort,
    config,
    state,
    clock,
    emit: (activity) => emitActivity(core, activity),
    advance: (ms) => clock.advance(ms),
    settle: () => clock.idle(),
    addApp,
    addUser,
    retireAaa: (at) => {
      state.aaaRetiredAt = at;
    },
    grantOAuth2: (appName, userId, scopes) => {
      const app = state.apps.get(appName);
      if (!app) throw new Error(`no app ${appName}`);
      recordGrant(core, app.name, userId, scopes);
      return issueTokens(core, app, userId, scopes);
    },
    reset,
    stop: async () => {
      clock.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Inline options win over the file; list settings (apps, users, accounts) concatenate. */
function mergeInput(file: EmulatorConfigInput, inline: EmulatorConfigInput): EmulatorConfigInput {
  const out: EmulatorConfigInput = { ...file, ...inline };
  for (const k of ["apps", "users", "accounts"] as const) {
    const merged = [...(file[k] ?? []), ...(inline[k] ?? [])];
    if (merged.length > 0) (out as Record<string, unknown>)[k] = merged;
  }
  for (const k of ["crc", "delivery", "replay", "auth", "clock", "tiers", "rateLimits", "oauth2", "xaa"] as const) {
    if (file[k] !== undefined || inline[k] !== undefined) (out as Record<string, unknown>)[k] = { ...(file[k] ?? {}), ...(inline[k] ?? {}) };
  }
  return out;
}
