/**
 * The v2 user lookups an XAA integration needs: `GET /2/users/me` (who signed in: an OAuth 2.0
 * user token with `users.read` and `tweet.read`, or OAuth 1.0a user context; a bearer has no
 * user), `GET /2/users/:id` and `GET /2/users/by/username/:username` (any auth; the quickstart
 * finds the user id to filter on this way). Answers `{"data":{"id","name","username"}}`;
 * failures are v2 problem JSON.
 */
import { authenticate } from "./auth.ts";
import type { UserDef } from "./config.ts";
import type { Core } from "./core.ts";
import { ApiError } from "./errors.ts";
import { json, type Handler, type Reply, type Req, type Router } from "./http.ts";
import { ProblemError, problemReply } from "./problems.ts";
import { rateHeaders, takeRateToken } from "./rate-limit.ts";

function view(u: UserDef): Record<string, string> {
  return { id: u.id, name: u.name, username: u.screenName };
}

type Caller = { kind: "app" } | { kind: "user"; userId: string; scopes: string[] | null };

function callerOf(core: Core, req: Req): { appName: string; caller: Caller } {
  let p;
  try {
    p = authenticate(req, core.state, core.config, { now: core.clock.now() });
  } catch (e) {
    if (e instanceof ApiError) throw new ProblemError("unauthorized", "Unauthorized");
    throw e;
  }
  switch (p.kind) {
    case "app":
      return { appName: p.app.name, caller: { kind: "app" } };
    case "user":
      return { appName: p.app.name, caller: { kind: "user", userId: p.userId, scopes: null } };
    case "oauth2":
      return { appName: p.app.name, caller: { kind: "user", userId: p.userId, scopes: p.scopes } };
    default:
      throw new ProblemError("unauthorized", "Unauthorized");
  }
}

function lookup(core: Core, rateKey: string, limit: number, handler: (req: Req, caller: Caller) => Reply): Handler {
  return (req) => {
    let headers: Record<string, string> = {};
    try {
      const { appName, caller } = callerOf(core, req);
      const rate = takeRateToken(core.state.rateWindows, `${rateKey}|${appName}|${caller.kind === "user" ? caller.userId : "app"}`, limit, core.config.rateLimitWindowMs, core.clock.now());
      headers = rateHeaders(rate);
      if (rate.exceeded) throw new ProblemError("tooMany", "Too Many Requests");
      const reply = handler(req, caller);
      return { ...reply, headers: { ...headers, ...(reply.headers ?? {}) } };
    } catch (e) {
      if (e instanceof ProblemError) return problemReply(e, headers);
      throw e;
    }
  };
}

function found(u: UserDef | undefined, what: string): Reply {
  if (!u) {
    // X answers a lookup of a missing user 200 with a per-item error, not a 404.
    return json(200, { errors: [{ value: what, detail: `Could not find user with ${what}.`, title: "Not Found Error", resource_type: "user", type: "https://api.x.com/2/problems/resource-not-found" }] });
  }
  return json(200, { data: view(u) });
}

export function addUserRoutes(router: Router, core: Core): void {
  router
    .add("GET", "/2/users/me", lookup(core, "v2.users.me", 75, (_req, c) => {
      if (c.kind === "app") {
        throw new ProblemError("unsupportedAuth", "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].");
      }
      if (c.scopes !== null && !(c.scopes.includes("users.read") && c.scopes.includes("tweet.read"))) {
        throw new ProblemError("forbidden", "This endpoint needs the OAuth 2.0 scopes users.read and tweet.read.");
      }
      return found(core.state.users.get(c.userId), `id: [${c.userId}]`);
    }))
    .add("GET", "/2/users/by/username/:username", lookup(core, "v2.users.lookup", 300, (req) => {
      const name = (req.params.username ?? "").toLowerCase();
      return found([...core.state.users.values()].find((u) => u.screenName.toLowerCase() === name), `username: [${(req.params.username ?? "").slice(0, 50)}]`);
    }))
    .add("GET", "/2/users/:id", lookup(core, "v2.users.lookup", 300, (req) => {
      const id = req.params.id ?? "";
      return found(core.state.users.get(id), `id: [${id.slice(0, 50)}]`);
    }));
}
