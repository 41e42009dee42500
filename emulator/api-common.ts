/**
 * The envelope every management endpoint shares: authenticate, refuse apps without Account
 * Activity access (99), count the request against its rate window (x-rate-limit-* on every
 * authenticated response, 429 code 88 past the limit), check the auth kind the endpoint needs,
 * run the handler, and render errors in v1.1 or v2 style. Unexpected errors become a bare 500.
 */
import { authenticate, type Principal } from "./auth.ts";
import type { AppDef } from "./config.ts";
import { aaaRetired, type Core } from "./core.ts";
import { ApiError, err, MESSAGES, v1ErrorBody, v2ErrorBody } from "./errors.ts";
import type { Handler, Reply, Req } from "./http.ts";
import { ProblemError, problemReply } from "./problems.ts";
import { rateHeaders, takeRateToken } from "./rate-limit.ts";

export type Style = "v1" | "v2";

export type Caller = { kind: "user"; app: AppDef; userId: string; readOnly: boolean } | { kind: "app"; app: AppDef };

export interface ManagedSpec {
  style: Style;
  /** user: OAuth user context; app: bearer; either: both accepted. */
  auth: "user" | "app" | "either";
  rateKey: string;
  /** A write: read-only user tokens get 403 code 261. */
  write?: boolean;
  /** Bearer on this user-context endpoint gets 261 (register) instead of 220. */
  bearerIs261?: boolean;
  /** User context on this bearer endpoint gets Replay's 401 code 32 message instead of 220. */
  replayAuth?: boolean;
  handler: (req: Req, caller: Caller) => Promise<Reply> | Reply;
}

export function renderError(style: Style, e: ApiError, headers: Record<string, string> = {}, v2Codes = false): Reply {
  const b = style === "v1" ? v1ErrorBody(e) : v2ErrorBody(e, v2Codes);
  return { status: b.status, body: b.body, contentType: b.contentType, headers };
}

function toCaller(p: Principal, spec: ManagedSpec): Caller {
  if (p.kind === "user") return p;
  if (p.kind === "app") return p;
  // v2 AAA accepts OAuth 2.0 user tokens (since 2026-01-15); v1.1 knows only OAuth 1.0a and app bearers.
  if (p.kind === "oauth2") {
    if (spec.style === "v1") throw err.badBearer();
    return { kind: "user", app: p.app, userId: p.userId, readOnly: false };
  }
  // Consumer-only or request-token OAuth is not enough for management calls.
  if (spec.auth === "app") throw spec.replayAuth ? new ApiError(401, 32, MESSAGES.replayAppOnly) : err.userContextRequired();
  throw err.auth();
}

export function managed(core: Core, spec: ManagedSpec): Handler {
  return async (req) => {
    let headers: Record<string, string> = {};
    try {
      if (aaaRetired(core) && /^\/(1\.1|2)\/account_activity\//.test(req.path)) return retiredReply(core, spec.style);
      const caller = toCaller(authenticate(req, core.state, core.config, { now: core.clock.now() }), spec);
      if (!caller.app.aaaAccess) throw err.noAccess();
      const limit = core.config.rateLimits[spec.rateKey] ?? 15;
      const who = caller.kind === "user" ? caller.userId : "app";
      const rate = takeRateToken(core.state.rateWindows, `${spec.rateKey}|${caller.app.name}|${who}`, limit, core.config.rateLimitWindowMs, core.clock.now());
      headers = rateHeaders(rate);
      if (rate.exceeded) throw err.rateLimit();
      if (spec.auth === "user" && caller.kind === "app") throw spec.bearerIs261 ? err.cannotWrite() : err.userContextRequired();
      if (spec.auth === "app" && caller.kind === "user") {
        throw spec.replayAuth ? new ApiError(401, 32, MESSAGES.replayAppOnly) : err.userContextRequired();
      }
      if (spec.write && caller.kind === "user" && caller.readOnly) throw err.cannotWrite();
      const reply = await spec.handler(req, caller);
      return { ...reply, headers: { ...headers, ...(reply.headers ?? {}) } };
    } catch (e) {
      if (e instanceof ApiError) return renderError(spec.style, e, headers, core.config.v2ErrorCodes);
      console.error("[emulator] unexpected error:", e);
      return { status: 500, body: JSON.stringify({ errors: [{ code: 131, message: "Internal error" }] }), contentType: "application/json" };
    }
  };
}

/**
 * What a retired AAA management endpoint answers (emulator's choice, docs/emulator.md): 410 Gone;
 * v1.1 with code 251 ("This endpoint has been retired and should not be used.", X's code for
 * retired endpoints), v2 as problem JSON pointing at the X Activity API.
 */
export function retiredReply(core: Core, style: Style): Reply {
  const since = new Date(core.state.aaaRetiredAt ?? 0).toISOString();
  if (style === "v1") {
    return { status: 410, body: JSON.stringify({ errors: [{ code: 251, message: "This endpoint has been retired and should not be used." }] }), contentType: "application/json; charset=utf-8" };
  }
  return problemReply(new ProblemError("gone", `The Account Activity API was retired on ${since}. Use the X Activity API (/2/activity/subscriptions).`, { reason: "AccountActivityRetired" }));
}

/** The user whose subscription a user-context call manages (the token's user). */
export function userOf(caller: Caller): string {
  if (caller.kind !== "user") throw err.userContextRequired();
  return caller.userId;
}
