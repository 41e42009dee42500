/**
 * What a flavour adapter hands the client: one HTTP call to X, described as data (method,
 * path, auth, success statuses, how to read the body). The client does the rest (credentials,
 * signing, rate limits, errors) once for every flavour.
 */
import type { UserToken } from "./types.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

/**
 * Which credentials sign the call.
 * - `app-user`: OAuth 1.0a with the consumer key/secret and the app owner's access token (U).
 * - `user`: OAuth 1.0a with the consumer key/secret and a subscribing user's token (U).
 * - `bearer`: app-only bearer token (B).
 * - `bearer-or-app-user`: v2 webhook ops accept either; bearer when configured.
 * - `oauth-leg`: Sign in with X: consumer credentials plus, in leg 3, the request token;
 *   `oauth_callback` (leg 1) and `oauth_verifier` (leg 3) ride in the signed header.
 * - `oauth2-user`: a user's OAuth 2.0 access token as a bearer (XAA private event types).
 * - `oauth2-client`: the OAuth 2.0 token endpoint: HTTP Basic with the app's client id and
 *   secret (confidential client); no header for a public client (client_id goes in the form).
 */
export type AuthMode =
  | { kind: "app-user" }
  | { kind: "user"; user: UserToken }
  | { kind: "bearer" }
  | { kind: "bearer-or-app-user" }
  | { kind: "oauth-leg"; token?: UserToken; callback?: string; verifier?: string }
  | { kind: "oauth2-user"; accessToken: string }
  | { kind: "oauth2-client" };

export interface RequestSpec<T> {
  /** Operation name, for messages (`registerWebhook`). */
  op: string;
  method: HttpMethod;
  /** Path with placeholders (`/2/webhooks/:webhook_id`): the rate-limit bucket. */
  template: string;
  /** Concrete path, every segment already encoded. */
  path: string;
  /** Query parameters (signed under OAuth 1.0a). */
  query?: ReadonlyArray<readonly [string, string]>;
  /** JSON body (never signed). */
  json?: unknown;
  /** Form-encoded body (`application/x-www-form-urlencoded`; signed under OAuth 1.0a). */
  form?: ReadonlyArray<readonly [string, string]>;
  auth: AuthMode;
  /** Statuses that mean success; anything else becomes an XApiError. */
  ok: readonly number[];
  /** Read a success (or an `ok` status) body; throw XApiError("unexpected") if it is malformed. */
  parse: (status: number, text: string) => T;
  /** Build the error for a non-`ok` status; default `errorFromResponse` (errors.ts). */
  error?: (status: number, text: string, retryAt?: Date) => Error;
}

/** Encode one path segment: ids and env names come from config or admin input. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
