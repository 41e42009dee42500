/**
 * The types of the parsed configuration (what `parseConfig` in config.ts returns): apps,
 * credentials, forwarding, and the deployment-wide settings. Import them from config.ts.
 */
import type { PreviousDedupLayout } from "./config-pipeline.ts";
import type { XaaAppSettings } from "./config-xaa.ts";

/** The API flavours X offers for Account Activity. XAA uses v2's webhook endpoints. */
export const FLAVOURS = ["v1.1-enterprise", "v1.1-premium", "v2", "xaa"] as const;
export type Flavour = (typeof FLAVOURS)[number];

export interface AppCredentials {
  /** OAuth 1.0a consumer key (API key). Needed for management calls, not for receiving. */
  consumerKey?: string;
  /** The app owner's access token and secret: user context for register / re-check / delete. */
  accessToken?: string;
  accessTokenSecret?: string;
  /** App-only bearer token: list webhooks, list and count subscriptions, Replay. */
  bearerToken?: string;
  /** OAuth 2.0 client id (`X_OAUTH2_CLIENT_ID`): Sign in with X over OAuth 2.0 (XAA apps). */
  oauth2ClientId?: string;
  /** OAuth 2.0 client secret (`X_OAUTH2_CLIENT_SECRET`); absent: a public client (PKCE only). */
  oauth2ClientSecret?: string;
}

export interface AppConfig {
  /** URL-safe name, the `:app` in `/webhooks/:app`. */
  name: string;
  flavour: Flavour;
  /** Premium v1.1 only: the dev environment label, case sensitive. */
  envName?: string;
  /** Current consumer secret: signs CRC answers, verifies deliveries. */
  consumerSecret: string;
  /** The secret being rotated out: still accepted for deliveries, never used for CRC. */
  previousConsumerSecret?: string;
  credentials: AppCredentials;
  /** Public URL X calls for this app (what gets registered). Default: request origin + path. */
  webhookUrl?: string;
  /**
   * Deduplicate the same event delivered for different subscribed users into one envelope.
   * Default false: X scopes deliveries by `for_user_id`, and so do we.
   */
  collapseAcrossUsers: boolean;
  /**
   * APPS `migrating`: the app is moving from AAA to XAA and, for the overlap, receives events
   * through both; the same event is then deduplicated across the two APIs on its canonical key
   * (docs/pipeline.md, "Cross-API dedup"). Absent: false.
   */
  migrating?: boolean;
  /**
   * APPS `silence_alert_hours`: this app's own silence threshold (1-720), or null to turn the
   * silence alert off for it. Absent: the deployment's `SILENCE_ALERT_HOURS` applies.
   */
  silenceAlertHours?: number | null;
  /**
   * Where this app's envelopes are forwarded (APPS `forward_url`, signed with
   * `FORWARD_SECRET_<APP>` or else `FORWARD_SECRET`); null: not forwarded. parseConfig always sets
   * it; absent (an AppConfig built by hand) means the deployment's `Config.forward`. Read it
   * through `forwardFor`, never directly.
   */
  forward?: ForwardTarget | null;
  /**
   * APPS `forward_types`: the envelope `type`s forwarded (exact, or a prefix ending in `*`);
   * absent: every type. Filters FORWARD only: EVENTS always gets every envelope.
   */
  forwardTypes?: readonly string[];
  /** XAA apps only (flavour "xaa"): tier, cap and subscription profiles (config-xaa.ts). */
  xaa?: XaaAppSettings;
}

/** A forward destination and the Standard Webhooks secret its POSTs are signed with. */
export interface ForwardTarget {
  url: string;
  secret: string;
}

export interface Config {
  apps: ReadonlyMap<string, AppConfig>;
  /** Base URL of X's API (`https://api.x.com`), or the emulator's. */
  xApiBaseUrl: string;
  /** Largest delivery body accepted, in bytes (413 above it). */
  maxBodyBytes: number;
  /** CRC tokens must match this to be signed (signing-oracle guard); null disables the guard. */
  crcTokenPattern: RegExp | null;
  /**
   * The deployment's default forward destination (FORWARD_URL + FORWARD_SECRET), which an app
   * without its own `forward_url` uses; null when either is unset. Envelopes are forwarded per
   * app: ask `forwardFor(config, app)`, not this.
   */
  forward: ForwardTarget | null;
  /**
   * Dedup: the window, the shard count (keys placed by a hash of the dedup key), and the layout
   * still consulted during a re-sharding (`DEDUP_PREVIOUS_LAYOUT`, config-pipeline.ts).
   */
  dedup: { windowSeconds: number; shards: number; previous?: PreviousDedupLayout | null };
  /** Publish envelopes to EVENTS (`PUBLISH_EVENTS`, default true); false when no consumer is bound. */
  publishEvents?: boolean;
  /** Ingest queues the hot path spreads deliveries over (`INGEST_QUEUES`, 1-64, default 1). */
  ingestQueues?: number;
  /** Optional URL that receives a JSON POST when a webhook goes invalid or a re-check fails. */
  alertUrl: string | null;
  /**
   * Where secrets come from (`SECRETS_SOURCE`): a local settings file such as ".dev.vars" when
   * running locally (only local dev reads that file, and npm start / npm run dev set it), null
   * when deployed (Worker secrets). Only used to word the fix of a missing-secret error.
   */
  secretsSource: string | null;
  /** Bearer token for `/admin`; null disables the admin API (every call answers 401). */
  adminToken: string | null;
  /** Key material for sealing user access tokens at rest; null: tokens cannot be stored. */
  tokenEncryptionKey: string | null;
  /**
   * The token key being rotated out (`TOKEN_ENCRYPTION_KEY_PREVIOUS`, optional): stored tokens
   * sealed with it still open (and are re-sealed with the current key); never used to seal.
   * Read but unused while `tokenEncryptionKey` is null (token storage then answers 503).
   */
  tokenEncryptionKeyPrevious: string | null;
  /** Most POSTs per second to `forward.url` (`FORWARD_RATE_LIMIT`); null: no limit. */
  forwardRateLimit: number | null;
  /**
   * Longest a message may be held back by the forward gate (circuit open or rate limited) before
   * it is dead-lettered (`FORWARD_MAX_HOLD_HOURS`). Holds do not use queue attempts, so this,
   * not `FORWARD_MAX_ATTEMPTS`, bounds how long a long outage is ridden out.
   */
  forwardMaxHoldHours: number;
  /**
   * Re-check a webhook when X has sent no CRC for this long (`CRC_STALE_AFTER_SECONDS`). Capped
   * at 27 h: X invalidates after 28 h without a good CRC, so a later re-check comes too late.
   */
  crcStaleAfterSeconds: number;
  /**
   * Who may start Sign in with X (`OAUTH_START`): "invite" (an invite link or the admin token)
   * or "public" (anyone: their events then reach you and count against X's subscription cap).
   */
  oauthStart: OAuthStartPolicy;
  /**
   * Alert when an app with subscribed users and a valid webhook has received no delivery for this
   * many hours (`SILENCE_ALERT_HOURS`, 1-720); null (the default): off. See cron/silence-check.ts.
   */
  silenceAlertHours: number | null;
  /**
   * Compare X's subscription list with the Registry's and re-subscribe users X dropped at most
   * every this many hours (`SUBSCRIPTION_RECONCILE_HOURS`); 0 turns the cron's run off.
   */
  subscriptionReconcileHours: number;
  /**
   * Alert when the oldest message on aae-ingest or aae-forward is older than this many minutes,
   * or the forward destination's circuit has been open this long (`PIPELINE_LAG_ALERT_MINUTES`,
   * 0-1440; default 30; 0 turns both alerts off). See cron/pipeline-check.ts.
   */
  pipelineLagAlertMinutes: number;
  /** METRICS_FLUSH_SECONDS: an isolate sends the dashboard's metrics at most this often (0: every batch). */
  metricsFlushSeconds: number;
}

export const OAUTH_START_POLICIES = ["invite", "public"] as const;
export type OAuthStartPolicy = (typeof OAUTH_START_POLICIES)[number];

