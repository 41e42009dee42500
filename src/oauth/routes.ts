/**
 * Sign in with X (OAuth 1.0a three-legged) to subscribe a user to the app's webhook in one visit:
 *
 *   GET /oauth/:app/start     gate (invite or admin bearer, or public if OAUTH_START=public),
 *                             request token with our callback URL, keep its secret sealed in the
 *                             Registry (10 min, single use) keyed by oauth_token, set a signed
 *                             HttpOnly SameSite=Lax cookie binding this browser, 302 to X.
 *   GET /oauth/:app/callback  cookie must match the stored request (else 400), the request is
 *                             consumed (replay: 400), access token with the verifier, token sealed
 *                             and stored, user subscribed, invite used up.
 *
 * Why an invite by default: a public start lets anyone subscribe their own account to the app's
 * webhook (their events then flow to you, and count against X's subscription cap).
 */
import { Router, type IRequest } from "itty-router";
import { HttpError, notFound, toErrorResponse } from "../http/errors.ts";
import { XApiError } from "../x-api/errors.ts";
import { isAdmin } from "../admin/auth.ts";
import { appContext, defaultDeps, sealKey, sealKeys, withX, type AppContext, type ControlDeps } from "../control/context.ts";
import { appFrom, configFrom, xErrorResponse } from "../admin/http.ts";
import { oauthMacKey, oauthVerifyKeys } from "../admin/invites.ts";
import { webhookIdOrCurrent } from "../admin/webhooks.ts";
import { openWithKeys, sealToken, TokenSealError } from "../state/token-seal.ts";
import { COOKIE_PURPOSE, randomId, readInvite, sha256Hex, signValue, verifyValue } from "./signing.ts";

type Args = [env: Env, ctx: ExecutionContext];

/** How long a started sign-in may take before its request token is forgotten. */
export const OAUTH_REQUEST_TTL_MS = 10 * 60_000;

export const cookieName = (app: string): string => `aae_oauth_${app.replace(/[^a-z0-9]/g, "_")}`;


function readCookie(req: Request, name: string): string | null {
  const header = req.headers.get("cookie");
  if (header === null) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function refuse(message: string): HttpError {
  return new HttpError(400, "oauth_refused", message);
}

async function start(c: AppContext, req: IRequest): Promise<Response> {
  const nowMs = c.deps.now();
  const macKey = await oauthMacKey(c.config);
  let inviteId: string | null = null;
  if (c.config.oauthStart === "invite" && !(await isAdmin(req, c.config.adminToken))) {
    const token = typeof req.query.invite === "string" ? req.query.invite : "";
    const invite = token === "" ? null : await readInvite(await oauthVerifyKeys(c.config), c.app.name, token, nowMs);
    if (invite === null) throw new HttpError(403, "invite_required", "Signing in to this app needs a valid, unexpired invite link from its operator.");
    inviteId = invite.id;
  }
  const key = await sealKey(c.config);
  const origin = new URL(req.url).origin;
  const callback = `${origin}/oauth/${c.app.name}/callback`;
  const { rt, location } = await withX(c, async (x) => {
    const token = await x.requestToken(callback);
    return { rt: token, location: x.authorizeUrl(token.token) };
  });
  if (!rt.callbackConfirmed) throw new HttpError(502, "oauth_callback_not_confirmed", "X did not confirm the callback URL: add it to the app's callback URLs in the developer portal.");
  const browser = randomId(32);
  await c.registry.putOAuthRequest({
    oauth_token: rt.token,
    sealed_secret: await sealToken(key, { app: c.app.name, userId: `oauth-request:${rt.token}` }, { token: rt.token, secret: rt.secret }),
    browser_hash: await sha256Hex(browser),
    invite_id: inviteId,
    expires_at_ms: nowMs + OAUTH_REQUEST_TTL_MS,
  }, nowMs);
  const cookie = await signValue(macKey, `${COOKIE_PURPOSE}:${c.app.name}`, browser);
  const secure = new URL(req.url).protocol === "https:" ? "; Secure" : "";
  return new Response(null, {
    status: 302,
    headers: {
      location,
      "set-cookie": `${cookieName(c.app.name)}=${cookie}; Path=/oauth/${c.app.name}/; Max-Age=${OAUTH_REQUEST_TTL_MS / 1000}; HttpOnly; SameSite=Lax${secure}`,
      "cache-control": "no-store",
    },
  });
}

async function callback(c: AppContext, req: IRequest): Promise<Response> {
  const nowMs = c.deps.now();
  const q = req.query;
  const oauthToken = typeof q.oauth_token === "string" ? q.oauth_token : typeof q.denied === "string" ? q.denied : "";
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(oauthToken)) throw refuse("The callback has no valid oauth_token.");
  if (typeof q.denied === "string") {
    await c.registry.takeOAuthRequest(oauthToken, nowMs);
    throw refuse("Access was not granted on X, so nothing was subscribed.");
  }
  const verifier = typeof q.oauth_verifier === "string" ? q.oauth_verifier : "";
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(verifier)) throw refuse("The callback has no valid oauth_verifier.");
  const cookie = readCookie(req, cookieName(c.app.name));
  const browser = cookie === null ? null : await verifyValue(await oauthVerifyKeys(c.config), `${COOKIE_PURPOSE}:${c.app.name}`, cookie);
  if (browser === null) throw refuse("This sign-in was not started in this browser (or its cookie expired): start again.");
  // Consumed whatever happens next: a callback URL works once.
  const pending = await c.registry.takeOAuthRequest(oauthToken, nowMs);
  if (pending === null) throw refuse("This sign-in has expired or was already completed: start again.");
  const a = new TextEncoder().encode(await sha256Hex(browser));
  const b = new TextEncoder().encode(pending.browser_hash);
  if (a.byteLength !== b.byteLength || !crypto.subtle.timingSafeEqual(a, b)) throw refuse("This sign-in was started in another browser: start again.");
  if (pending.invite_id !== null && !(await c.registry.consumeInvite(pending.invite_id, nowMs + 31 * 24 * 3600_000, nowMs))) {
    throw refuse("This invite has already been used.");
  }
  const keys = await sealKeys(c.config);
  const key = keys.current;
  const request = await openWithKeys(keys, { app: c.app.name, userId: `oauth-request:${oauthToken}` }, pending.sealed_secret).then(
    (opened) => opened.token,
    (err: unknown) => {
      // Sealed with a key neither TOKEN_ENCRYPTION_KEY nor its _PREVIOUS is any more.
      if (err instanceof TokenSealError) throw refuse("This sign-in was started before a key change: start again.");
      throw err;
    },
  );
  const user = await withX(c, (x) => x.accessToken(oauthToken, request.secret, verifier));
  const webhookId = await webhookIdOrCurrent(c, req);
  await withX(c, (x) => x.subscribe(webhookId, { token: user.token, secret: user.secret }));
  const sealed = await sealToken(key, { app: c.app.name, userId: user.userId }, { token: user.token, secret: user.secret });
  await c.registry.upsertSubscription({ user_id: user.userId, screen_name: user.screenName, by: "oauth", sealed }, new Date(nowMs).toISOString());
  return new Response(page(`@${user.screenName} is subscribed`, `Events for @${user.screenName} now reach ${c.app.name}. You can close this page.`), {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "set-cookie": `${cookieName(c.app.name)}=; Path=/oauth/${c.app.name}/; Max-Age=0; HttpOnly; SameSite=Lax`,
    },
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function page(title: string, text: string): string {
  return `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`;
}

export function createOAuthRouter(deps: ControlDeps = defaultDeps) {
  const perApp = (h: (c: AppContext, req: IRequest) => Promise<Response>) => (req: IRequest, env: Env) => {
    const config = configFrom(env);
    return h(appContext(env, config, appFrom(req, config), deps), req);
  };
  const router = Router<IRequest, Args>({
    base: "/oauth",
    catch: (err: unknown, req: IRequest) => (err instanceof XApiError ? xErrorResponse(err, deps.now()) : toErrorResponse(err, req)),
  });
  router
    .get("/:app/start", perApp(start))
    .get("/:app/callback", perApp(callback))
    .all("*", () => notFound());
  return router;
}

export const oauthRouter = createOAuthRouter();
