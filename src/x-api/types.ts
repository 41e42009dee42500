/**
 * The X management API as the rest of the Worker sees it: one interface for every flavour
 * (v1.1 Enterprise, v1.1 Premium with env_name, v2; XAA uses v2's webhook endpoints).
 * Implemented in src/x-api/client.ts on `fetch` and WebCrypto only.
 */

export interface XWebhook {
  id: string;
  url: string;
  valid: boolean;
  /** ISO 8601 as X gives it. */
  created_at: string;
}

/** A user's OAuth 1.0a access token: user context for subscribe / check. */
export interface UserToken {
  token: string;
  secret: string;
}

export interface SubscriptionCount {
  /** Active subscriptions on the account (all webhooks). */
  all: number;
  /** Raw body from X, for display. */
  raw: unknown;
}

export interface ReplayJob {
  job_id: string;
  created_at: string;
}

export interface RequestToken {
  token: string;
  secret: string;
  callbackConfirmed: boolean;
}

export interface AccessToken {
  token: string;
  secret: string;
  userId: string;
  screenName: string;
}

export interface XApiClient {
  registerWebhook(url: string): Promise<XWebhook>;
  listWebhooks(): Promise<XWebhook[]>;
  /** Trigger CRC (PUT). Resolves `{ valid: true }` on success; X's 214 becomes an XApiError. */
  recheckWebhook(webhookId: string): Promise<{ valid: boolean }>;
  deleteWebhook(webhookId: string): Promise<void>;
  /** User context: subscribe the user whose token this is. */
  subscribe(webhookId: string, user: UserToken): Promise<void>;
  /** User context: is the token's user subscribed? */
  checkSubscription(webhookId: string, user: UserToken): Promise<boolean>;
  /** App-only: user ids subscribed to the webhook. */
  listSubscriptions(webhookId: string): Promise<string[]>;
  countSubscriptions(): Promise<SubscriptionCount>;
  /** App-only per-user delete. */
  unsubscribe(webhookId: string, userId: string): Promise<void>;
  /** Window in UTC; the client formats yyyymmddhhmm (v1.1) or the v2 form. */
  requestReplay(webhookId: string, from: Date, to: Date): Promise<ReplayJob>;
  /** Sign in with X, leg 1: POST oauth/request_token with oauth_callback. */
  requestToken(callbackUrl: string): Promise<RequestToken>;
  /** Leg 2: where to send the user's browser. */
  authorizeUrl(requestToken: string): string;
  /** Leg 3: POST oauth/access_token with the verifier. */
  accessToken(requestToken: string, requestTokenSecret: string, verifier: string): Promise<AccessToken>;
}
