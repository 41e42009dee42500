/**
 * Everything the emulator remembers, in memory: configured apps and users, webhooks,
 * subscriptions, the event store (for Replay), and the logs the inspection API shows
 * (every delivery attempt, every CRC). `reset()` forgets all but the configuration. XAA subscriptions,
 * OAuth 2.0 grants and tokens live here too.
 */
import type { AccountDef, AppDef, EmulatorConfig, UserDef } from "./config.ts";

export type WebhookApi = "v1.1" | "premium" | "v2";

export interface Webhook {
  id: string;
  appName: string;
  url: string;
  valid: boolean;
  createdAt: number;
  /** Premium environment the webhook belongs to, null otherwise. */
  envName: string | null;
  api: WebhookApi;
  /** Subscribed user ids, in subscription order. */
  subscriptions: Set<string>;
  lastCrcOkAt: number | null;
  lastCrcAt: number | null;
  crcTimer: number | null;
  /** Job id of the running Replay, if any. */
  replayJobId: string | null;
}

/** Which API a delivery belongs to: AAA (webhook subscriptions) or XAA (activity subscriptions). */
export type DeliveryApi = "aaa" | "xaa";

export interface StoredEvent {
  id: string;
  webhookId: string;
  api: DeliveryApi;
  /** The XAA subscription the event was delivered for; null for AAA. */
  subscriptionId: string | null;
  forUserId: string | null;
  eventType: string;
  body: string;
  createdAt: number;
}

export type AttemptOutcome = "delivered" | "retrying" | "dropped" | "skipped";

export interface DeliveryAttempt {
  id: string;
  deliveryId: string;
  webhookId: string;
  appName: string;
  url: string;
  forUserId: string | null;
  eventType: string;
  api: DeliveryApi;
  subscriptionId: string | null;
  attempt: number;
  at: number;
  status: number | null;
  error: string | null;
  latencyMs: number;
  signature: string;
  body: string;
  replayJobId: string | null;
  outcome: AttemptOutcome;
}

export type CrcReason = "register" | "recheck" | "periodic" | "replay";

export interface CrcRecord {
  id: string;
  webhookId: string | null;
  appName: string;
  url: string;
  reason: CrcReason;
  at: number;
  crcToken: string;
  nonce: string | null;
  status: number | null;
  latencyMs: number;
  verdict: string;
  ok: boolean;
  message: string | null;
  /** The webhook became invalid because of this check. */
  invalidated: boolean;
}

export type ReplayState = "queued" | "running" | "Complete" | "Incomplete";

export interface ReplayJob {
  jobId: string;
  webhookId: string;
  appName: string;
  api: WebhookApi;
  fromMs: number;
  toMs: number;
  createdAt: number;
  state: ReplayState;
  total: number;
  delivered: number;
  failed: number;
}

export interface TokenRecord {
  userId: string;
  secret: string;
  /** null: valid with every app (configured user tokens); else minted for one app (OAuth flow). */
  appName: string | null;
  readOnly: boolean;
}

export interface RequestTokenRecord {
  secret: string;
  appName: string;
  callback: string;
  verifier: string | null;
  userId: string | null;
}

export interface XaaFilter {
  user_id?: string;
  direction?: "inbound" | "outbound";
  keyword?: string;
}

export interface XaaSubscription {
  id: string;
  appName: string;
  eventType: string;
  filter: XaaFilter;
  tag: string | null;
  /** null: the events go to the stream only (the emulator has no stream: nothing is delivered). */
  webhookId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What a user has consented to share with an app through OAuth 2.0. */
export interface OAuth2Grant {
  appName: string;
  userId: string;
  scopes: Set<string>;
  grantedAt: number;
}

export interface OAuth2Code {
  appName: string;
  userId: string;
  scopes: string[];
  redirectUri: string;
  challenge: string;
  method: "S256" | "plain";
  expiresAt: number;
}

export interface OAuth2Token {
  kind: "access" | "refresh";
  appName: string;
  userId: string;
  scopes: string[];
  /** Virtual ms; null: never (refresh tokens). */
  expiresAt: number | null;
}

/** How the emulator's "browser" answers the consent screen for a user (control API). */
export interface ConsentChoice {
  decision: "approve" | "deny";
  /** Grant only these of the requested scopes; null: all requested. */
  scopes: string[] | null;
}

const TWEPOCH = 1288834974657n;

export class EmulatorState {
  apps = new Map<string, AppDef>();
  users = new Map<string, UserDef>();
  accounts = new Map<string, AccountDef>();
  tokens = new Map<string, TokenRecord>();
  webhooks = new Map<string, Webhook>();
  events: StoredEvent[] = [];
  deliveries: DeliveryAttempt[] = [];
  crcChecks: CrcRecord[] = [];
  replayJobs = new Map<string, ReplayJob>();
  requestTokens = new Map<string, RequestTokenRecord>();
  /** OAuth nonces seen, with the real time (ms) after which they may be forgotten. */
  nonces = new Map<string, number>();
  rateWindows = new Map<string, { start: number; count: number }>();
  xaaSubscriptions = new Map<string, XaaSubscription>();
  /** Key: grantKey(app, user). */
  grants = new Map<string, OAuth2Grant>();
  oauth2Codes = new Map<string, OAuth2Code>();
  oauth2Tokens = new Map<string, OAuth2Token>();
  consent = new Map<string, ConsentChoice>();
  /** Virtual ms after which AAA is retired (deliveries stop, management answers 410); null: never. */
  aaaRetiredAt: number | null;
  readonly #configuredRetiredAt: number | null;
  #seq = 0n;
  #lastMs = 0n;

  constructor(config: EmulatorConfig) {
    this.aaaRetiredAt = config.aaaRetiredAt;
    this.#configuredRetiredAt = config.aaaRetiredAt;
    for (const a of config.accounts) this.accounts.set(a.name, a);
    for (const a of config.apps) this.addApp(a);
    for (const u of config.users) this.addUser(u);
  }

  addApp(app: AppDef): void {
    const old = this.apps.get(app.name);
    if (old) this.tokens.delete(old.accessToken);
    this.apps.set(app.name, app);
    if (!this.accounts.has(app.account)) this.accounts.set(app.account, { name: app.account, tier: "enterprise" });
    this.tokens.set(app.accessToken, { userId: app.ownerUserId, secret: app.accessTokenSecret, appName: app.name, readOnly: false });
  }

  addUser(user: UserDef): void {
    const old = this.users.get(user.id);
    if (old) this.tokens.delete(old.accessToken);
    this.users.set(user.id, user);
    this.tokens.set(user.accessToken, { userId: user.id, secret: user.accessTokenSecret, appName: null, readOnly: user.readOnly });
  }

  /** Forget webhooks, events, logs, jobs, tokens minted by the OAuth flow and rate windows. */
  reset(): void {
    this.webhooks.clear();
    this.events = [];
    this.deliveries = [];
    this.crcChecks = [];
    this.replayJobs.clear();
    this.requestTokens.clear();
    this.nonces.clear();
    this.rateWindows.clear();
    this.xaaSubscriptions.clear();
    this.grants.clear();
    this.oauth2Codes.clear();
    this.oauth2Tokens.clear();
    this.consent.clear();
    this.aaaRetiredAt = this.#configuredRetiredAt;
    for (const [token, rec] of this.tokens) {
      const configured =
        [...this.users.values()].some((u) => u.accessToken === token) ||
        [...this.apps.values()].some((a) => a.accessToken === token);
      if (!configured || (rec.appName !== null && !this.apps.has(rec.appName))) this.tokens.delete(token);
    }
  }

  xaaSubscriptionsOfApp(appName: string): XaaSubscription[] {
    return [...this.xaaSubscriptions.values()].filter((s) => s.appName === appName);
  }

  appByClientId(clientId: string): AppDef | undefined {
    for (const a of this.apps.values()) if (a.clientId === clientId) return a;
    return undefined;
  }

  appByConsumerKey(key: string): AppDef | undefined {
    for (const a of this.apps.values()) if (a.consumerKey === key) return a;
    return undefined;
  }

  appByBearer(token: string): AppDef | undefined {
    for (const a of this.apps.values()) if (a.bearerToken === token) return a;
    return undefined;
  }

  webhooksOfApp(appName: string): Webhook[] {
    return [...this.webhooks.values()].filter((w) => w.appName === appName);
  }

  webhooksOfAccount(account: string): Webhook[] {
    return [...this.webhooks.values()].filter((w) => this.apps.get(w.appName)?.account === account);
  }

  /** A Snowflake-style 64-bit id (decimal string) from virtual time: always above 2^53. */
  nextId(nowMs: number): string {
    let ms = BigInt(Math.max(nowMs, Number(TWEPOCH) + 1));
    if (ms <= this.#lastMs) {
      ms = this.#lastMs;
      this.#seq++;
      if (this.#seq > 4095n) {
        ms += 1n;
        this.#seq = 0n;
      }
    } else {
      this.#seq = 0n;
    }
    this.#lastMs = ms;
    return (((ms - TWEPOCH) << 22n) | (1n << 12n) | this.#seq).toString();
  }
}

export function grantKey(appName: string, userId: string): string {
  return `${appName}\n${userId}`;
}
