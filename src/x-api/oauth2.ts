/**
 * OAuth 2.0 user context against X (PROTOCOL.md "Public vs private events"): the token endpoint
 * (`POST /2/oauth2/token`: authorization code with PKCE, refresh), revocation
 * (`POST /2/oauth2/revoke`) and `GET /2/users/me` (who signed in: the token response does not
 * say). Sent through the shared transport; the client authenticates with HTTP Basic when the
 * app has an OAuth 2.0 client secret (confidential client), else as a public client with
 * `client_id` in the form (RFC 6749 2.3.1, 3.2.1).
 *
 * The token endpoint answers failures in RFC 6749's shape (`{"error":"invalid_grant",
 * "error_description":...}`), not problem JSON. A refused refresh (`invalid_grant`, or X's
 * `invalid_request` "Value passed for the token was invalid") means the user must consent again:
 * it becomes kind `consent_required`, which the control plane records as that state.
 */
import type { AppConfig } from "../config.ts";
import { XApiError, errorFromResponse, fixFor } from "./errors.ts";
import { isObject, jsonObject, unexpected } from "./parse.ts";
import { createTransport, missingCredential, type XApiClientOptions } from "./transport.ts";

/** What X grants: the access token (about 2 hours) and, with `offline.access`, a refresh token. */
export interface OAuth2Grant {
  accessToken: string;
  /** Null when `offline.access` was not granted: the user must sign in again after expiry. */
  refreshToken: string | null;
  /** Epoch ms when the access token stops working (now + expires_in). */
  expiresAtMs: number;
  /** The scopes X says it granted (may be fewer than asked: the user can untick some). */
  scopes: string[];
}

export interface OAuth2User {
  id: string;
  username: string;
}

export interface OAuth2Client {
  exchangeCode(input: { code: string; codeVerifier: string; redirectUri: string }): Promise<OAuth2Grant>;
  /** X rotates refresh tokens: the grant's refreshToken replaces the one sent. */
  refresh(refreshToken: string): Promise<OAuth2Grant>;
  /** Best effort on the user's behalf (unsubscribe, revoke); X answers `{"revoked":true}`. */
  revoke(token: string, hint: "access_token" | "refresh_token"): Promise<boolean>;
  me(accessToken: string): Promise<OAuth2User>;
}

const TOKEN = "/2/oauth2/token";
const MAX_DESCRIPTION = 300;

function oauthError(op: string, refusedMeansConsent: boolean) {
  return (status: number, text: string, retryAt?: Date): Error => {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    const code = isObject(body) && typeof body.error === "string" ? body.error : null;
    if (code === null) return errorFromResponse(status, text, retryAt);
    const description = isObject(body) && typeof body.error_description === "string" ? body.error_description.slice(0, MAX_DESCRIPTION) : "";
    const message = `${op}: ${code}${description === "" ? "" : ` (${description})`}`;
    if (refusedMeansConsent && (code === "invalid_grant" || code === "invalid_request") && status >= 400 && status < 500) {
      return new XApiError({ status, code: null, xMessage: message, kind: "consent_required", fix: fixFor("consent_required"), reason: code });
    }
    const kind = code === "invalid_client" || code === "unauthorized_client" ? "auth_failed" : "invalid_request";
    const fix =
      kind === "auth_failed"
        ? "X did not accept the app's OAuth 2.0 client credentials: check X_OAUTH2_CLIENT_ID (and X_OAUTH2_CLIENT_SECRET for a confidential client) are this app's, from the developer portal's 'Keys and tokens' page."
        : fixFor("invalid_request");
    return new XApiError({ status, code: null, xMessage: message, kind, fix, reason: code });
  };
}

function grantFrom(op: string, status: number, text: string, nowMs: number, previousRefresh: string | null): OAuth2Grant {
  const b = jsonObject(op, status, text);
  if (typeof b.access_token !== "string" || b.access_token === "") throw unexpected(op, status, "response lacks access_token");
  const expiresIn = typeof b.expires_in === "number" && Number.isFinite(b.expires_in) && b.expires_in > 0 ? b.expires_in : 7200;
  const refresh = typeof b.refresh_token === "string" && b.refresh_token !== "" ? b.refresh_token : previousRefresh;
  const scopes = typeof b.scope === "string" ? b.scope.split(/\s+/).filter((s) => s !== "") : [];
  return { accessToken: b.access_token, refreshToken: refresh, expiresAtMs: nowMs + expiresIn * 1000, scopes };
}

export function createOAuth2Client(app: AppConfig, options: XApiClientOptions): OAuth2Client {
  const { send } = createTransport(app, options);
  const now = options.now ?? Date.now;

  function clientForm(op: string): [string, string][] {
    const id = app.credentials.oauth2ClientId;
    if (id === undefined || id === "") throw missingCredential(app, "oauth2ClientId", op, options.secretsSource ?? null);
    // Public client: client_id in the form. A confidential one is identified by Basic auth, and
    // X accepts client_id in the form as well, so it is always sent.
    return [["client_id", id]];
  }

  return {
    exchangeCode: async ({ code, codeVerifier, redirectUri }) => {
      const op = "oauth2Token";
      const form: [string, string][] = [["grant_type", "authorization_code"], ["code", code], ["redirect_uri", redirectUri], ["code_verifier", codeVerifier], ...clientForm(op)];
      return send({ op, method: "POST", template: TOKEN, path: TOKEN, form, auth: { kind: "oauth2-client" }, ok: [200], parse: (s, t) => grantFrom(op, s, t, now(), null), error: oauthError(op, false) });
    },
    refresh: async (refreshToken) => {
      const op = "oauth2Refresh";
      const form: [string, string][] = [["grant_type", "refresh_token"], ["refresh_token", refreshToken], ...clientForm(op)];
      return send({ op, method: "POST", template: TOKEN, path: TOKEN, form, auth: { kind: "oauth2-client" }, ok: [200], parse: (s, t) => grantFrom(op, s, t, now(), refreshToken), error: oauthError(op, true) });
    },
    revoke: async (token, hint) => {
      const op = "oauth2Revoke";
      const form: [string, string][] = [["token", token], ["token_type_hint", hint], ...clientForm(op)];
      return send({
        op, method: "POST", template: "/2/oauth2/revoke", path: "/2/oauth2/revoke", form, auth: { kind: "oauth2-client" }, ok: [200],
        parse: (s, t) => jsonObject(op, s, t).revoked === true,
        error: oauthError(op, false),
      });
    },
    me: async (accessToken) => {
      const op = "usersMe";
      return send({
        op, method: "GET", template: "/2/users/me", path: "/2/users/me", auth: { kind: "oauth2-user", accessToken }, ok: [200],
        parse: (s, t) => {
          const d = jsonObject(op, s, t).data;
          if (!isObject(d) || typeof d.id !== "string" || !/^[0-9]{1,19}$/.test(d.id)) throw unexpected(op, s, "response lacks data.id");
          return { id: d.id, username: typeof d.username === "string" ? d.username : "" };
        },
      });
    },
  };
}

/**
 * When to refresh: ahead of expiry by this much, so a token handed to a call (or kept until the
 * next cron run, every 10 minutes) does not expire mid-use: two cron runs ahead.
 */
export const REFRESH_AHEAD_MS = 20 * 60_000;

export function needsRefresh(expiresAtMs: number, nowMs: number): boolean {
  return expiresAtMs - nowMs <= REFRESH_AHEAD_MS;
}
