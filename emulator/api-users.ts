/**
 * `GET /2/users/me`: the authenticating user (X's users lookup, OpenAPI `findMyUser`), which is
 * how an OAuth 2.0 client learns who signed in (X's token response does not say). User context
 * only, as X: an OAuth 2.0 user token (scope `users.read`; the receiver always asks for it) or
 * OAuth 1.0a user context; an app bearer is 403 "Unsupported Authentication". Answers
 * `{"data":{"id","name","username"}}`.
 */
import { authenticate } from "./auth.ts";
import type { Core } from "./core.ts";
import { ApiError } from "./errors.ts";
import { json, type Router } from "./http.ts";
import { ProblemError, problemReply } from "./problems.ts";

export function addUsersRoutes(router: Router, core: Core): void {
  router.add("GET", "/2/users/me", (req) => {
    try {
      let p;
      try {
        p = authenticate(req, core.state, core.config, { now: core.clock.now() });
      } catch (e) {
        if (e instanceof ApiError) throw new ProblemError("unauthorized", "Unauthorized");
        throw e;
      }
      if (p.kind !== "oauth2" && p.kind !== "user") {
        throw new ProblemError("unsupportedAuth", "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].");
      }
      if (p.kind === "oauth2" && !p.scopes.includes("users.read")) {
        throw new ProblemError("unauthorized", "Unauthorized");
      }
      const u = core.state.users.get(p.userId);
      return json(200, { data: { id: p.userId, name: u?.name ?? p.userId, username: u?.screenName ?? `user${p.userId}` } });
    } catch (e) {
      if (e instanceof ProblemError) return problemReply(e);
      throw e;
    }
  });
}
