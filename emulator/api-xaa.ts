/**
 * XAA subscription endpoints under /2/activity/subscriptions, with the auth X's OpenAPI lists per
 * operation (create: OAuth 2.0 user, OAuth 1.0a user or bearer; list: the same; update, delete
 * and bulk delete: bearer only), a 500-requests-per-15-minutes window per endpoint with
 * x-rate-limit-* headers, and v2 problem JSON for every failure (never a v1.1 code).
 */
import { authenticate } from "./auth.ts";
import type { Core } from "./core.ts";
import { ApiError } from "./errors.ts";
import { json, jsonBody, type Handler, type Reply, type Req, type Router } from "./http.ts";
import { ProblemError, problemReply } from "./problems.ts";
import { rateHeaders, takeRateToken } from "./rate-limit.ts";
import {
  createSubscription,
  deleteSubscriptions,
  findSubscription,
  listSubscriptions,
  subscriptionBody,
  totalOf,
  updateSubscription,
  type XaaCaller,
} from "./xaa-subscriptions.ts";
import { parseCreate, parseIds, parseUpdate } from "./xaa-types.ts";

type AuthKind = XaaCaller["kind"];

function callerOf(core: Core, req: Req): XaaCaller {
  let p;
  try {
    p = authenticate(req, core.state, core.config, { now: core.clock.now() });
  } catch (e) {
    if (e instanceof ApiError) throw new ProblemError("unauthorized", "Unauthorized");
    throw e;
  }
  switch (p.kind) {
    case "app":
      return { kind: "bearer", app: p.app };
    case "user":
      return { kind: "oauth1", app: p.app, userId: p.userId };
    case "oauth2":
      return { kind: "oauth2", app: p.app, userId: p.userId, scopes: p.scopes };
    default:
      throw new ProblemError("unauthorized", "Unauthorized");
  }
}

const AUTH_NAMES: Record<AuthKind, string> = { bearer: "OAuth 2.0 Application-Only", oauth1: "OAuth 1.0a User Context", oauth2: "OAuth 2.0 User Context" };

function xaa(core: Core, rateKey: string, allowed: AuthKind[], handler: (req: Req, caller: XaaCaller) => Reply): Handler {
  return (req) => {
    let headers: Record<string, string> = {};
    try {
      const caller = callerOf(core, req);
      if (!allowed.includes(caller.kind)) {
        throw new ProblemError(
          "unsupportedAuth",
          `Authenticating with ${AUTH_NAMES[caller.kind]} is forbidden for this endpoint.  Supported authentication types are [${allowed.map((k) => AUTH_NAMES[k]).join(", ")}].`,
        );
      }
      const who = caller.kind === "bearer" ? "app" : caller.userId;
      const rate = takeRateToken(core.state.rateWindows, `${rateKey}|${caller.app.name}|${who}`, core.config.rateLimits[rateKey] ?? 500, core.config.rateLimitWindowMs, core.clock.now());
      headers = rateHeaders(rate);
      if (rate.exceeded) throw new ProblemError("tooMany", "Too Many Requests", { reason: "RateLimitExceeded" });
      const reply = handler(req, caller);
      return { ...reply, headers: { ...headers, ...(reply.headers ?? {}) } };
    } catch (e) {
      if (e instanceof ProblemError) return problemReply(e, headers);
      throw e;
    }
  };
}

function body(req: Req): unknown {
  const parsed = jsonBody(req);
  if (parsed === null) throw new ProblemError("invalid", req.body.length === 0 ? "A JSON request body is required." : "The request body is not valid JSON.");
  return parsed;
}

export function addXaaRoutes(router: Router, core: Core): void {
  const P = "/2/activity/subscriptions";
  router
    .add("POST", P, xaa(core, "xaa.subscriptions.create", ["oauth2", "oauth1", "bearer"], (req, c) => {
      const sub = createSubscription(core, c, parseCreate(body(req)));
      return json(200, subscriptionBody(core, c.app, sub));
    }))
    .add("GET", P, xaa(core, "xaa.subscriptions.list", ["oauth2", "oauth1", "bearer"], (req, c) =>
      json(200, listSubscriptions(core, c.app, req.query.get("max_results"), req.query.get("pagination_token"))),
    ))
    .add("DELETE", P, xaa(core, "xaa.subscriptions.delete", ["bearer"], (req, c) => {
      const result = deleteSubscriptions(core, c.app, parseIds(req.query.get("ids")));
      const out: Record<string, unknown> = { data: result.data };
      if (result.errors.length > 0) out.errors = result.errors;
      out.meta = { total_subscriptions: totalOf(core, c.app) };
      return json(200, out);
    }))
    .add("PUT", `${P}/:id`, xaa(core, "xaa.subscriptions.update", ["bearer"], (req, c) => {
      const sub = updateSubscription(core, c.app, req.params.id, parseUpdate(body(req)));
      const out = subscriptionBody(core, c.app, sub);
      // OpenAPI UpdateActivitySubscriptionResponseData carries total_subscriptions beside the subscription.
      if (core.config.xaa.responseShape === "openapi") (out.data as Record<string, unknown>).total_subscriptions = totalOf(core, c.app);
      return json(200, out);
    }))
    .add("DELETE", `${P}/:id`, xaa(core, "xaa.subscriptions.delete", ["bearer"], (req, c) => {
      const sub = findSubscription(core, c.app, req.params.id);
      core.state.xaaSubscriptions.delete(sub.id);
      const out: Record<string, unknown> = { data: { deleted: true } };
      if (core.config.xaa.responseShape !== "openapi") out.meta = { total_subscriptions: totalOf(core, c.app) };
      return json(200, out);
    }));
}
