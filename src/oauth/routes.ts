/**
 * Sign in with X (OAuth 1.0a three-legged) to subscribe a user to the app's webhook in one visit:
 *
 *   GET /oauth/:app/start     gate (invite or admin bearer, or public if OAUTH_START=public); an
 *                             invite is claimed for this flow in the Registry before anything is
 *                             spent (a used or held invite is a 403); request token with our
 *                             callback URL, keep its secret sealed in the Registry (10 min, single
 *                             use) keyed by oauth_token, set a signed HttpOnly SameSite=Lax cookie
 *                             binding this browser, 302 to X. If X refuses, the claim is released.
 *   GET /oauth/:app/callback  the browser binding is checked first: no valid cookie, or a cookie
 *                             of another browser, is a 400 that spends nothing (so `?denied=` from
 *                             anyone else cannot cancel a sign-in). Then the request is consumed
 *                             (replay: 400); denied: the invite is released; else access token,
 *                             token sealed and stored, user subscribed, invite used up (released
 *                             if any step fails).
 *
 * Why an invite by default: a public start lets anyone subscribe their own account to the app's
 * webhook (their events then flow to you, and count against X's subscription cap).
 */
import { Router, type IRequest } from "itty-router";
import { HttpError, notFound, toErrorResponse } from "../http/errors.ts";
import { OAUTH_PAGE_HEADERS, withHeaders } from "../http/security-headers.ts";
import { XApiError } from "../x-api/errors.ts";
import { isAdmin } from "../admin/auth.ts";
import { appContext, defaultDeps, sealKey, sealKeys, withX, type AppContext, type ControlDeps } from "../control/context.ts";
import { appFrom, configFrom, xErrorResponse } from "../admin/http.ts";
import { oauthMacKey, oauthVerifyKeys } from "../admin/invites.ts";
import { webhookIdOrCurrent } from "../admin/webhooks.ts";
import { openWithKeys, sealToken, TokenSealError } from "../state/token-seal.ts";
import { COOKIE_PURPOSE, randomId, readInvite, sha256Hex, signValue, verifyValue } from "./signing.ts";
import { errorResponseAsPage, successPage } from "./pages.ts";

type Args = [env: Env, ctx: ExecutionContext];

/** How long a started sign-in may take before its request token is forgotten. */
export const OAUTH_REQUEST_TTL_MS = 10 * 60_000;
/** How long /start holds an invite for its flow: the request's life plus room for the callback. */
export const INVITE_CLAIM_MS = OAUTH_REQUEST_TTL_MS + 5 * 60_000;
/** A used invite is remembered past the longest an invite can live (30 days). */
export const INVITE_USED_KEEP_MS = 31 * 24 * 3600_000;

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
  const browser = randomId(32);
  const browserHash = await sha256Hex(browser);
  // The invite is held by this flow before X is asked for anything: a used invite (or one another
  // browser is signing in with) mints no request token and no Registry row.
  if (inviteId !== null && !(await c.registry.claimInvite(inviteId, browserHash, nowMs + INVITE_CLAIM_MS, nowMs))) {
    throw new HttpError(403, "invite_used", "This invite has already been used (or a sign-in with it is in progress): ask the operator for a new one.");
  }
  try {
    const { rt, location } = await withX(c, async (x) => {
      const token = await x.requestToken(callback);
      return { rt: token, location: x.authorizeUrl(token.token) };
    });
    if (!rt.callbackConfirmed) throw new HttpError(502, "oauth_callback_not_confirmed", "X did not confirm the callback URL: add it to the app's callback URLs in the developer portal.");
    await c.registry.putOAuthRequest({
      oauth_token: rt.token,
      sealed_secret: await sealToken(key, { app: c.app.name, userId: `oauth-request:${rt.token}` }, { token: rt.token, secret: rt.secret }),
      browser_hash: browserHash,
      invite_id: inviteId,
      expires_at_ms: nowMs + OAUTH_REQUEST_TTL_MS,
    }, nowMs);
    return redirectToX(c, req, location, await signValue(macKey, `${COOKIE_PURPOSE}:${c.app.name}`, browser));
  } catch (err) {
    if (inviteId !== null) await c.registry.releaseInvite(inviteId, browserHash);
    throw err;
  }
}

function redirectToX(c: AppContext, req: IRequest, location: string, cookie: string): Response {
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
  const denied = typeof q.denied === "string";
  const verifier = typeof q.oauth_verifier === "string" ? q.oauth_verifier : "";
  if (!denied && !/^[A-Za-z0-9_-]{1,200}$/.test(verifier)) throw refuse("The callback has no valid oauth_verifier.");
  // The browser binding first, before anything is spent: a callback (or a `denied`) from anyone
  // but the browser that started the sign-in leaves the pending request as it was.
  const cookie = readCookie(req, cookieName(c.app.name));
  const browser = cookie === null ? null : await verifyValue(await oauthVerifyKeys(c.config), `${COOKIE_PURPOSE}:${c.app.name}`, cookie);
  if (browser === null) throw refuse("This sign-in was not started in this browser (or its cookie expired): start again.");
  const browserHash = await sha256Hex(browser);
  // Consumed whatever happens next (a callback URL works once), but only by its own browser.
  const pending = await c.registry.takeOAuthRequest(oauthToken, browserHash, nowMs);
  if (pending === "missing") throw refuse("This sign-in has expired or was already completed: start again.");
  if (pending === "other_browser") throw refuse("This sign-in was started in another browser: start again.");
  const inviteId = pending.invite_id;
  try {
    if (denied) throw refuse("Access was not granted on X, so nothing was subscribed.");
    const page = await completeSignIn(c, req, oauthToken, pending.sealed_secret, verifier, nowMs);
    if (inviteId !== null && !(await c.registry.completeInvite(inviteId, nowMs + INVITE_USED_KEEP_MS, nowMs))) {
      console.log(JSON.stringify({ msg: "invite completed twice (its claim had lapsed)", app: c.app.name }));
    }
    return page;
  } catch (err) {
    // The flow failed before completion (denied, X refused, an error): the invite can be used again.
    if (inviteId !== null) await c.registry.releaseInvite(inviteId, browserHash);
    throw err;
  }
}

/** Leg 3: the access token for the verifier, the user subscribed and their token stored. */
async function completeSignIn(c: AppContext, req: IRequest, oauthToken: string, sealedSecret: string, verifier: string, nowMs: number): Promise<Response> {
  const keys = await sealKeys(c.config);
  const key = keys.current;
  const request = await openWithKeys(keys, { app: c.app.name, userId: `oauth-request:${oauthToken}` }, sealedSecret).then(
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
  return new Response(successPage(user.screenName, c.app.name), {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "set-cookie": `${cookieName(c.app.name)}=; Path=/oauth/${c.app.name}/; Max-Age=0; HttpOnly; SameSite=Lax`,
    },
  });
}

export function createOAuthRouter(deps: ControlDeps = defaultDeps) {
  const perApp = (h: (c: AppContext, req: IRequest) => Promise<Response>) => (req: IRequest, env: Env) => {
    const config = configFrom(env);
    return h(appContext(env, config, appFrom(req, config), deps), req);
  };
  const router = Router<IRequest, Args>({
    base: "/oauth",
    // Errors are pages with a plain-language message for end users (pages.ts), never JSON.
    catch: (err: unknown, req: IRequest) => errorResponseAsPage(err instanceof XApiError ? xErrorResponse(err, deps.now()) : toErrorResponse(err, req)),
    // Every answer, page or error, redirect or 404, gets the page security headers.
    finally: [(res: Response) => withHeaders(res, OAUTH_PAGE_HEADERS)],
  });
  router
    .get("/:app/start", perApp(start))
    .get("/:app/callback", perApp(callback))
    .all("*", () => errorResponseAsPage(notFound()));
  return router;
}

export const oauthRouter = createOAuthRouter();
