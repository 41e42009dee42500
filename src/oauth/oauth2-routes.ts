/**
 * Sign in with X over OAuth 2.0 (Authorization Code with PKCE, S256) for XAA apps, to grant the
 * scopes a subscription profile's private event types need and subscribe the user by that
 * profile in one visit. Beside the OAuth 1.0a flow (routes.ts), same gate, same cookie binding:
 *
 *   GET /oauth2/:app/start     gate (invite, admin bearer, or public if OAUTH_START=public); the
 *                              profile comes from the invite (or ?profile= for the admin, or the
 *                              app's only one). Without `go=1`: a page naming the event types the
 *                              user is asked to share and the scopes that takes. With `go=1`: a
 *                              PKCE verifier and `state`, the verifier sealed in the Registry
 *                              (10 min, single use) keyed by state, a signed HttpOnly cookie binding
 *                              this browser, 302 to X's authorize page.
 *   GET /oauth2/:app/callback  cookie must match the stored request, which is consumed (replay:
 *                              400); code exchanged with the verifier; who signed in read from
 *                              /2/users/me; the grant sealed and stored; the user subscribed by the
 *                              profile; the page says what was subscribed and what the consent
 *                              did not cover.
 *
 * The client id and secret are Worker secrets per app: X_OAUTH2_CLIENT_ID_<APP> and (confidential
 * clients) X_OAUTH2_CLIENT_SECRET_<APP>.
 */
import { Router, type IRequest } from "itty-router";
import type { XaaProfile } from "../config-xaa.ts";
import { storeOAuth2Grant } from "../control/oauth2-tokens.ts";
import { listProfiles, profileNamed, xaaSettings } from "../control/xaa-profiles.ts";
import { subscribeUser, type SubscribeOutcome } from "../control/xaa-subscriptions.ts";
import { HttpError, notFound, toErrorResponse } from "../http/errors.ts";
import { OAUTH_PAGE_HEADERS, withHeaders } from "../http/security-headers.ts";
import { openWithKeys, sealToken, TokenSealError } from "../state/token-seal.ts";
import { XApiError } from "../x-api/errors.ts";
import { requiredScope, scopesFor } from "../x-api/xaa-event-types.ts";
import { isAdmin } from "../admin/auth.ts";
import { appContext, defaultDeps, sealKey, sealKeys, withXaa, type AppContext, type ControlDeps } from "../control/context.ts";
import { appFrom, configFrom, xErrorResponse } from "../admin/http.ts";
import { oauthMacKey, oauthVerifyKeys } from "../admin/invites.ts";
import { INVITE_CLAIM_MS, INVITE_USED_KEEP_MS } from "./routes.ts";
import { authorizeUrl, codeChallengeS256, defaultAuthorizeUrl, newCodeVerifier, newState } from "./pkce.ts";
import { randomId, readInvite, sha256Hex, signValue, verifyValue } from "./signing.ts";
import { errorResponseAsPage, pageHtml } from "./pages.ts";

type Args = [env: Env, ctx: ExecutionContext];

export const OAUTH2_REQUEST_TTL_MS = 10 * 60_000;
const COOKIE_PURPOSE = "oauth2-browser";
const STATE = /^[A-Za-z0-9_-]{16,128}$/;
const CODE = /^[A-Za-z0-9._~-]{1,512}$/;

export const oauth2CookieName = (app: string): string => `aae_oauth2_${app.replace(/[^a-z0-9]/g, "_")}`;

function readCookie(req: Request, name: string): string | null {
  for (const part of (req.headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

const refuse = (message: string): HttpError => new HttpError(400, "oauth_refused", message);

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function html(title: string, body: string, headers: Record<string, string> = {}): Response {
  return new Response(pageHtml(title, "ok", body), {
    status: 200,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

function clientIdOf(c: AppContext): string {
  xaaSettings(c.app);
  const id = c.app.credentials.oauth2ClientId;
  if (id === undefined) throw new HttpError(503, "oauth2_not_configured", `Sign in with X over OAuth 2.0 needs the app's client id: set the secret X_OAUTH2_CLIENT_ID${c.app.name === "default" ? "" : `_${c.app.name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`}.`);
  return id;
}

/** Which profile this sign-in is for: the invite's, the admin's ?profile=, or the app's only one. */
async function chooseProfile(c: AppContext, fromInvite: string | undefined, query: unknown): Promise<XaaProfile> {
  if (fromInvite !== undefined) return profileNamed(c, fromInvite);
  if (typeof query === "string" && query !== "") return profileNamed(c, query);
  const all = await listProfiles(c);
  if (all.length === 1) return all[0]!;
  throw refuse("This sign-in link does not say which events it asks for: ask the app's operator for an invite.");
}

async function start(c: AppContext, req: IRequest): Promise<Response> {
  const clientId = clientIdOf(c);
  const nowMs = c.deps.now();
  let inviteId: string | null = null;
  let inviteProfile: string | undefined;
  const admin = await isAdmin(req, c.config.adminToken);
  if (c.config.oauthStart === "invite" && !admin) {
    const token = typeof req.query.invite === "string" ? req.query.invite : "";
    const invite = token === "" ? null : await readInvite(await oauthVerifyKeys(c.config), c.app.name, token, nowMs);
    if (invite === null) throw new HttpError(403, "invite_required", "Signing in to this app needs a valid, unexpired invite link from its operator.");
    inviteId = invite.id;
    inviteProfile = invite.profile;
  }
  const profile = await chooseProfile(c, inviteProfile, admin ? req.query.profile : undefined);
  const scopes = scopesFor(profile.event_types);

  if (req.query.go !== "1") {
    // The consent start page: what the user is asked to share, before X asks them.
    const items = profile.event_types.map((t) => {
      const scope = requiredScope(t);
      return `<li><code>${escapeHtml(t)}</code>${scope === null ? " (public)" : ` (private: needs <code>${escapeHtml(scope)}</code>)`}</li>`;
    }).join("");
    const next = new URL(req.url);
    next.searchParams.set("go", "1");
    return html(`Share your X activity with ${c.app.name}`,
      `<p>${escapeHtml(c.app.name)} asks to receive these events of your X account:</p><ul>${items}</ul>` +
      `<p>X will ask you to grant: ${scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(", ")}. You can revoke it at any time in X's settings (Connected apps).</p>` +
      `<p><a href="${escapeHtml(next.pathname + next.search)}">Continue to X</a></p>`);
  }

  const key = await sealKey(c.config);
  const macKey = await oauthMacKey(c.config);
  const verifier = newCodeVerifier();
  const state = newState();
  const browser = randomId(32);
  const origin = new URL(req.url).origin;
  const browserHash = await sha256Hex(browser);
  // As for OAuth 1.0a: the invite is held by this flow before anything is stored, so a used
  // invite (or one another browser is signing in with) starts nothing.
  if (inviteId !== null && !(await c.registry.claimInvite(inviteId, browserHash, nowMs + INVITE_CLAIM_MS, nowMs))) {
    throw new HttpError(403, "invite_used", "This invite has already been used (or a sign-in with it is in progress): ask the operator for a new one.");
  }
  try {
    await c.registry.putOAuth2Request({
      state,
      sealed_verifier: await sealToken(key, { app: c.app.name, userId: `oauth2-request:${state}` }, { token: verifier, secret: "" }),
      browser_hash: browserHash,
      invite_id: inviteId,
      profile: profile.name,
      expires_at_ms: nowMs + OAUTH2_REQUEST_TTL_MS,
    }, nowMs);
  } catch (err) {
    if (inviteId !== null) await c.registry.releaseInvite(inviteId, browserHash);
    throw err;
  }
  const location = authorizeUrl({
    authorizeUrl: defaultAuthorizeUrl(c.config.xApiBaseUrl),
    clientId,
    redirectUri: `${origin}/oauth2/${c.app.name}/callback`,
    scopes,
    state,
    codeChallenge: await codeChallengeS256(verifier),
  });
  const cookie = await signValue(macKey, `${COOKIE_PURPOSE}:${c.app.name}`, browser);
  const secure = new URL(req.url).protocol === "https:" ? "; Secure" : "";
  return new Response(null, {
    status: 302,
    headers: {
      location,
      "set-cookie": `${oauth2CookieName(c.app.name)}=${cookie}; Path=/oauth2/${c.app.name}/; Max-Age=${OAUTH2_REQUEST_TTL_MS / 1000}; HttpOnly; SameSite=Lax${secure}`,
      "cache-control": "no-store",
    },
  });
}

function resultPage(app: string, username: string, out: SubscribeOutcome): string {
  const done = out.types.filter((t) => t.status === "created" || t.status === "existing").map((t) => `<li><code>${escapeHtml(t.event_type)}</code></li>`).join("");
  const missing = out.types.filter((t) => t.status !== "created" && t.status !== "existing").map((t) => `<li><code>${escapeHtml(t.event_type)}</code>: ${escapeHtml(t.status === "not_covered" ? `not granted (${t.scope})` : t.status === "over_cap" ? "the app has reached its subscription limit" : "could not be subscribed now")}</li>`).join("");
  return `<p>Events of @${escapeHtml(username)} now reach ${escapeHtml(app)}:</p><ul>${done || "<li>none</li>"}</ul>` +
    (missing === "" ? "" : `<p>Not subscribed:</p><ul>${missing}</ul>`) + "<p>You can close this page.</p>";
}

async function callback(c: AppContext, req: IRequest): Promise<Response> {
  clientIdOf(c);
  const nowMs = c.deps.now();
  const q = req.query;
  const state = typeof q.state === "string" ? q.state : "";
  if (!STATE.test(state)) throw refuse("The callback has no valid state.");
  const cookie = readCookie(req, oauth2CookieName(c.app.name));
  const browser = cookie === null ? null : await verifyValue(await oauthVerifyKeys(c.config), `${COOKIE_PURPOSE}:${c.app.name}`, cookie);
  if (browser === null) throw refuse("This sign-in was not started in this browser (or its cookie expired): start again.");
  // The browser binding first, before anything is spent (the pending sign-in, the invite).
  const browserHash = await sha256Hex(browser);
  const pending = await c.registry.takeOAuth2Request(state, browserHash, nowMs);
  if (pending === "missing") throw refuse("This sign-in has expired or was already completed: start again.");
  if (pending === "other_browser") throw refuse("This sign-in was started in another browser: start again.");
  const inviteId = pending.invite_id;
  let done: { user: { id: string; username: string }; outcome: SubscribeOutcome };
  try {
    if (typeof q.error === "string") throw refuse("Access was not granted on X, so nothing was subscribed.");
    const code = typeof q.code === "string" ? q.code : "";
    if (!CODE.test(code)) throw refuse("The callback has no valid code.");
    const keys = await sealKeys(c.config);
    const verifier = await openWithKeys(keys, { app: c.app.name, userId: `oauth2-request:${state}` }, pending.sealed_verifier).then(
      (o) => o.token.token,
      (err: unknown) => {
        if (err instanceof TokenSealError) throw refuse("This sign-in was started before a key change: start again.");
        throw err;
      },
    );
    const profile = await profileNamed(c, pending.profile ?? "");
    const redirectUri = `${new URL(req.url).origin}/oauth2/${c.app.name}/callback`;
    done = await withXaa(c, async (x) => {
      const grant = await x.oauth2.exchangeCode({ code, codeVerifier: verifier, redirectUri });
      const me = await x.oauth2.me(grant.accessToken);
      await storeOAuth2Grant(c, me, grant);
      return { user: me, outcome: await subscribeUser(c, x, me.id, profile, "oauth") };
    });
  } catch (err) {
    // The flow failed before completion (denied, X refused, an error): the invite can be used again.
    if (inviteId !== null) await c.registry.releaseInvite(inviteId, browserHash);
    throw err;
  }
  if (inviteId !== null && !(await c.registry.completeInvite(inviteId, nowMs + INVITE_USED_KEEP_MS, nowMs))) {
    console.log(JSON.stringify({ msg: "invite completed twice (its claim had lapsed)", app: c.app.name }));
  }
  const { user, outcome } = done;
  const name = user.username === "" ? user.id : user.username;
  return html(`@${name} is subscribed`, resultPage(c.app.name, name, outcome), {
    "set-cookie": `${oauth2CookieName(c.app.name)}=; Path=/oauth2/${c.app.name}/; Max-Age=0; HttpOnly; SameSite=Lax`,
  });
}

export function createOAuth2Router(deps: ControlDeps = defaultDeps) {
  const perApp = (h: (c: AppContext, req: IRequest) => Promise<Response>) => (req: IRequest, env: Env) => {
    const config = configFrom(env);
    return h(appContext(env, config, appFrom(req, config), deps), req);
  };
  const router = Router<IRequest, Args>({
    base: "/oauth2",
    // Errors are pages with a plain-language message for end users (pages.ts), never JSON.
    catch: (err: unknown, req: IRequest) => errorResponseAsPage(err instanceof XApiError ? xErrorResponse(err, deps.now()) : toErrorResponse(err, req)),
    // The same page headers as the OAuth 1.0a flow: no script, no framing, no Referer (the
    // callback URL carries the code and state).
    finally: [(res: Response) => withHeaders(res, OAUTH_PAGE_HEADERS)],
  });
  router
    .get("/:app/start", perApp(start))
    .get("/:app/callback", perApp(callback))
    .all("*", () => errorResponseAsPage(notFound()));
  return router;
}

export const oauth2Router = createOAuth2Router();
