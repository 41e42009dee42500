/**
 * Sign in with X, OAuth 1.0a three-legged, enough for a receiver's subscribe flow:
 * POST /oauth/request_token (consumer-signed, oauth_callback) -> GET /oauth/authorize (the
 * emulator approves at once as ?user_id= or the first demo user who owns no app, and redirects
 * to the callback with oauth_verifier) -> POST /oauth/access_token (request-token-signed, verifier)
 * -> an access token bound to that app, usable for the subscription endpoints.
 */
import { randomBytes } from "node:crypto";
import { renderError } from "./api-common.ts";
import { authenticate } from "./auth.ts";
import type { Core } from "./core.ts";
import { ApiError, err } from "./errors.ts";
import { formPairs } from "./oauth1.ts";
import { isFormBody, type Reply, type Req, type Router } from "./http.ts";

function form(values: Record<string, string>): Reply {
  return { status: 200, body: new URLSearchParams(values).toString(), contentType: "text/html; charset=utf-8" };
}

function text(status: number, body: string): Reply {
  return { status, body, contentType: "text/plain; charset=utf-8" };
}

function token(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

/**
 * The user a browser "signs in" as when the authorize URL does not name one: the one set with
 * POST /_emulator/browser, else the first user who owns no app (alice in the demo world).
 */
export function defaultUserId(core: Core): string | undefined {
  if (core.state.browserUserId !== null && core.state.users.has(core.state.browserUserId)) return core.state.browserUserId;
  const owners = new Set([...core.state.apps.values()].map((a) => a.ownerUserId));
  const users = [...core.state.users.values()];
  return (users.find((u) => !owners.has(u.id)) ?? users[0])?.id;
}

export function addOAuthRoutes(router: Router, core: Core): void {
  router.add("POST", "/oauth/request_token", (req) => {
    try {
      const p = authenticate(req, core.state, core.config);
      if (p.kind !== "consumer") throw err.auth();
      const callback = p.oauth.oauth_callback ?? paramOf(req, "oauth_callback") ?? "oob";
      const t = token(24);
      const secret = token(24);
      core.state.requestTokens.set(t, { secret, appName: p.app.name, callback, verifier: null, userId: null });
      return form({ oauth_token: t, oauth_token_secret: secret, oauth_callback_confirmed: "true" });
    } catch (e) {
      if (e instanceof ApiError) return renderError("v1", e);
      throw e;
    }
  });

  const authorize = (req: Req): Reply => {
    const t = req.query.get("oauth_token") ?? "";
    const rec = core.state.requestTokens.get(t);
    if (!rec) return text(400, "Invalid or expired request token.");
    let callback: URL | null = null;
    if (rec.callback !== "oob") {
      try {
        callback = new URL(rec.callback);
      } catch {
        return text(400, "Invalid oauth_callback.");
      }
    }
    if (req.query.get("deny") !== null) {
      core.state.requestTokens.delete(t);
      if (!callback) return text(200, "Access denied.");
      callback.searchParams.set("denied", t);
      return { status: 302, headers: { location: callback.toString() } };
    }
    const wanted = req.query.get("user_id") ?? undefined;
    const byName = req.query.get("screen_name");
    const user =
      wanted !== undefined
        ? core.state.users.get(wanted)
        : byName !== null
          ? [...core.state.users.values()].find((u) => u.screenName === byName)
          : core.state.users.get(defaultUserId(core) ?? "");
    if (!user) return text(400, "Unknown user: configure it with POST /_emulator/users.");
    rec.userId = user.id;
    rec.verifier = token(16);
    if (!callback) return text(200, `PIN: ${rec.verifier}`);
    callback.searchParams.set("oauth_token", t);
    callback.searchParams.set("oauth_verifier", rec.verifier);
    return { status: 302, headers: { location: callback.toString() } };
  };
  router.add("GET", "/oauth/authorize", authorize);
  router.add("GET", "/oauth/authenticate", authorize);

  router.add("POST", "/oauth/access_token", (req) => {
    try {
      const p = authenticate(req, core.state, core.config, { requestToken: true });
      if (p.kind !== "request-token") throw err.auth();
      const verifier = p.oauth.oauth_verifier ?? paramOf(req, "oauth_verifier");
      if (p.record.verifier === null || verifier !== p.record.verifier || p.record.userId === null) {
        return text(401, "Error processing your OAuth request: Invalid oauth_verifier parameter");
      }
      const user = core.state.users.get(p.record.userId);
      if (!user) throw err.auth();
      core.state.requestTokens.delete(p.token);
      const access = `${user.id}-${token(20)}`;
      const secret = token(24);
      core.state.tokens.set(access, { userId: user.id, secret, appName: p.app.name, readOnly: user.readOnly });
      return form({ oauth_token: access, oauth_token_secret: secret, user_id: user.id, screen_name: user.screenName });
    } catch (e) {
      if (e instanceof ApiError) return renderError("v1", e);
      throw e;
    }
  });
}

function paramOf(req: Req, name: string): string | undefined {
  const fromQuery = req.query.get(name);
  if (fromQuery !== null) return fromQuery;
  if (!isFormBody(req)) return undefined;
  return formPairs(req.body.toString("utf8")).find(([k]) => k === name)?.[1];
}
