/**
 * X's management API errors as one typed error with a stable `kind` and the remedy from X's
 * own troubleshooting guide (seeds/001 "Error troubleshooting guide"; PROTOCOL.md "Error codes
 * worth a clear message"), so the admin API and the dashboard can tell an operator what to do.
 *
 * Two wire forms are parsed: v1.1 `{"errors":[{"code":N,"message":"..."}]}` and v2 problem JSON
 * `{"errors":[{"message",...}],"title","detail","type"}`. Anything else (HTML from a proxy, an
 * empty body) still becomes an XApiError; its text is never copied, since it could be anything.
 *
 * v2 (webhooks, XAA subscriptions) names its failures by a reason (`DuplicateSubscriptionFailed`,
 * `SubscriptionLimitExceeded`, ...: X's quickstarts, PROTOCOL.md "Management API") instead of a
 * code. The reason is kept verbatim on the error (`reason`) and picks the kind, so an operator
 * sees X's word and our remedy.
 */

export const X_API_ERROR_KINDS = [
  "auth_failed",
  "webhook_not_found",
  "rate_limited",
  "no_access",
  "forbidden",
  "crc_invalid_response",
  "crc_latency",
  "crc_non_200",
  "crc_failed",
  "too_many_resources",
  "app_cannot_write",
  "user_not_permitted",
  "replay_in_progress",
  "replay_bad_dates",
  "unsupported",
  "duplicate_subscription",
  "subscription_limit",
  "subscription_not_found",
  "webhook_id_invalid",
  "url_invalid",
  "duplicate_url",
  "webhook_limit",
  "replay_conflict",
  "consent_required",
  "invalid_request",
  "aaa_retired",
  "missing_credential",
  "network",
  "unexpected",
] as const;
export type XApiErrorKind = (typeof X_API_ERROR_KINDS)[number];

export interface XApiErrorInit {
  /** X's HTTP status; 0 when the call never got an answer from X (refused locally, network). */
  status: number;
  code: number | null;
  xMessage: string;
  kind: XApiErrorKind;
  fix: string;
  /** v2 only: X's reason name (`SubscriptionLimitExceeded`), verbatim; absent when X gave none. */
  reason?: string;
  retryAt?: Date;
  /** missing_credential only: the name of the secret to set (never its value). */
  secret?: string;
  cause?: unknown;
}

export class XApiError extends Error {
  override readonly name = "XApiError";
  readonly status: number;
  readonly code: number | null;
  readonly xMessage: string;
  readonly kind: XApiErrorKind;
  readonly fix: string;
  readonly reason?: string;
  readonly retryAt?: Date;
  readonly secret?: string;

  constructor(init: XApiErrorInit) {
    super(`X API ${init.kind}${init.code === null ? "" : ` (code ${init.code})`}: ${init.xMessage}`, {
      cause: init.cause,
    });
    this.status = init.status;
    this.code = init.code;
    this.xMessage = init.xMessage;
    this.kind = init.kind;
    this.fix = init.fix;
    if (init.reason !== undefined) this.reason = init.reason;
    if (init.retryAt !== undefined) this.retryAt = init.retryAt;
    if (init.secret !== undefined) this.secret = init.secret;
  }

  /**
   * Safe to put in an API response: only what X said, our classification and the remedy.
   * Never the request, its headers or any credential; `cause` is left out.
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      kind: this.kind,
      status: this.status,
      code: this.code,
      message: this.xMessage,
      fix: this.fix,
    };
    if (this.reason !== undefined) out.reason = this.reason;
    if (this.retryAt !== undefined) out.retry_at = this.retryAt.toISOString();
    if (this.secret !== undefined) out.secret = this.secret;
    return out;
  }
}

const FIX = {
  auth_failed:
    "X could not authenticate the request (code 32). Check the app's consumer key and secret and the access token and secret belong to the same X app, that the app is approved for the Account Activity API (Enterprise: whitelisted by your account manager; Premium: a dev environment exists for it), that env_name matches the dev environment exactly (it is case sensitive), that the access token has 'Read, write, and Direct Messages' permission (change it under Permissions, then regenerate the tokens), and that the server clock is right (oauth_timestamp).",
  webhook_not_found:
    "The webhook does not exist or belongs to another app (code 34). List the app's webhooks and use an id from that list, with this app's credentials.",
  rate_limited:
    "X's rate limit for this endpoint is used up for the current 15-minute window (code 88). Wait until the reset time and try again; avoid calling management endpoints in a loop.",
  no_access:
    "The app has no access to this resource (code 99). Check that the bearer token belongs to this app and that the app is enabled for the Account Activity API at this tier.",
  forbidden:
    "Forbidden (code 200). Premium: use an approved developer account and the exact env_name of a dev environment set up on the dev environments page. Enterprise: ask your account manager to enable the Account Activity API for the app. Check the request URL (base URL and path) is right.",
  crc_invalid_response:
    "X's CRC check got a wrong answer (code 214, invalid CRC token or JSON format). The receiver must answer GET ?crc_token= with 200, Content-Type application/json and {\"response_token\":\"sha256=...\"} signed with this app's consumer secret: check the consumer secret configured for this app is the app's current one.",
  crc_latency:
    "X's CRC check was too slow (code 214, high latency). The server is slow: the webhook must answer the CRC GET in under 3 seconds.",
  crc_non_200:
    "X's CRC check got a non-200 status such as 404 or 500 (code 214). The server is down or the URL is wrong: make sure the receiver is deployed, reachable over https, and the registered URL points at /webhooks/<app>.",
  crc_failed:
    "The webhook URL does not meet X's requirements (code 214). It must be a public https URL without a port, reachable by X, answering the CRC GET with 200 and a correct response_token within 3 seconds.",
  too_many_resources:
    "Too many resources already created (code 214). Enterprise: all of the account's webhooks are in use; use GET webhooks with each whitelisted app to see where they are, and delete one before registering. Premium/sandbox: one webhook per dev environment.",
  app_cannot_write:
    "Application cannot perform write actions (code 261). Set the app's access permission to 'Read, write, and Direct Messages' under Permissions, then regenerate the access token and secret. Registering a webhook needs user context (OAuth 1.0a); app-only (bearer) auth is not accepted for it.",
  user_not_permitted:
    "The app is not permitted to access this user's webhook subscriptions (code 348). Subscribe with the user's own access token for this app (Sign in with X), with the consumer key of the app that owns the webhook.",
  replay_in_progress:
    "A Replay job is already running for this webhook (code 355). Only one job per webhook may run at a time: wait for its replay_job_status event, then request the next window.",
  replay_bad_dates:
    "The Replay window was refused (codes 356-368). Dates are UTC yyyymmddhhmm; from_date must be before to_date, from_date at least 31 minutes ago and within the lookback (5 days, 24 h on some v2 tiers), to_date at least 10 minutes ago.",
  unsupported:
    "This operation is not offered for this API flavour.",
  duplicate_subscription:
    "X already has this subscription (DuplicateSubscriptionFailed): the same user and event type (and filter) on this webhook. List the app's subscriptions and record the existing one instead of creating another.",
  subscription_limit:
    "The app has reached its subscription cap across all webhooks (SubscriptionLimitExceeded): 1,500 self-serve, 75,000 enterprise, 150,000 partner for XAA. Delete subscriptions no longer needed (or users' unused event types), or move to a higher tier.",
  subscription_not_found:
    "X has no subscription with this id for this app (SubscriptionNotFound). It was deleted already, or belongs to another app: list the app's subscriptions and reconcile.",
  webhook_id_invalid:
    "The webhook_id was not found or does not belong to this app (WebhookIdInvalid). List the app's webhooks with this app's bearer token and use an id from that list.",
  url_invalid:
    "The webhook URL does not meet X's requirements (UrlValidationFailed): it must be a public https URL without a port.",
  duplicate_url:
    "The app already has a webhook for this URL (DuplicateUrlFailed). List the app's webhooks and use the existing one.",
  webhook_limit:
    "The app has as many webhooks as its tier allows (WebhookLimitExceeded). Delete one it no longer uses before registering another.",
  replay_conflict:
    "A Replay job is already running for this webhook (ReplayConflictError). Wait for its replay_job_status event, then request the next window.",
  consent_required:
    "The user has not granted this app the OAuth 2.0 scope this private event type needs. Send the user through Sign in with X (OAuth 2.0) again with the event type in their invite, then retry.",
  aaa_retired:
    "X has retired the Account Activity API (AAA ended on 2027-01-01): this endpoint no longer works. Move the app to the X Activity API (flavour \"xaa\", subscriptions per event type; README \"AAA ends on 2027-01-01: moving to XAA\").",
  invalid_request:
    "X refused the request as invalid (invalid-request): X's message names the parameter. Check the event type, the filter (direction only for directional types; user_id must be the token's user for mute/block) and the tag (1-200 characters).",
  missing_credential:
    "A credential this call needs is not configured: add the named secret to .dev.vars locally (then restart), or set it with `npx wrangler secret put NAME` when deployed.",
  network:
    "X could not be reached. Check X_API_BASE_URL and the network; the call can be retried.",
  unexpected:
    "X answered in a way this client does not recognise. Check X's status page and retry later; if it persists, compare the response with X's API reference.",
} as const satisfies Record<XApiErrorKind, string>;

/**
 * The fix for a missing secret, worded for where the Worker runs: `secretsSource` is the local
 * settings file (Config.secretsSource, e.g. ".dev.vars"), or null when deployed.
 */
export function missingSecretFix(secret: string, secretsSource: string | null): string {
  return secretsSource === null
    ? `Set the secret ${secret} (npx wrangler secret put ${secret}), then retry.`
    : `Add ${secret}=... to ${secretsSource} and restart npm run dev (or npm start), then retry. Deployed, it is a Worker secret: npx wrangler secret put ${secret}.`;
}

/** The remedy for a kind (exported so the emulator-facing docs and the dashboard agree). */
export function fixFor(kind: XApiErrorKind): string {
  return FIX[kind];
}

/**
 * The five messages X sends with code 214 (seeds/000), told apart by their text. The generic
 * "does not meet the requirements." is the fallback, so its longer variant is tested first.
 */
function classify214(message: string): XApiErrorKind {
  const m = message.toLowerCase();
  if (m.includes("too many resources")) return "too_many_resources";
  if (m.includes("latency")) return "crc_latency";
  if (m.includes("non-200")) return "crc_non_200";
  if (m.includes("invalid crc token") || m.includes("json response format")) return "crc_invalid_response";
  return "crc_failed";
}

/**
 * The v2 reasons X's quickstarts and the XAA pages name, onto our kinds. `CrcValidationFailed`
 * is v1.1's 214 "non-200 / invalid response" family: X does not say which, so the generic fix.
 */
const REASON_KINDS: Readonly<Record<string, XApiErrorKind>> = {
  DuplicateSubscriptionFailed: "duplicate_subscription",
  SubscriptionLimitExceeded: "subscription_limit",
  SubscriptionNotFound: "subscription_not_found",
  WebhookIdInvalid: "webhook_id_invalid",
  CrcValidationFailed: "crc_failed",
  UrlValidationFailed: "url_invalid",
  DuplicateUrlFailed: "duplicate_url",
  WebhookLimitExceeded: "webhook_limit",
  ReplayConflictError: "replay_conflict",
  // A private event type without the user's OAuth 2.0 consent (the scope, or the grant itself).
  MissingScope: "consent_required",
  UserNotAuthorized: "consent_required",
  RateLimitExceeded: "rate_limited",
  AccountActivityRetired: "aaa_retired",
};

/** The reasons this client knows, in the order they are looked for in free text. */
export const KNOWN_REASONS: readonly string[] = Object.keys(REASON_KINDS);

/** The kind for one of X's v2 reasons; undefined for a reason this client does not know. */
export function kindForReason(reason: string): XApiErrorKind | undefined {
  return Object.hasOwn(REASON_KINDS, reason) ? REASON_KINDS[reason] : undefined;
}

/** v2 problem `type` URIs (`https://api.twitter.com/2/problems/<name>`) we can name. */
const PROBLEM_KINDS: Readonly<Record<string, XApiErrorKind>> = {
  "resource-not-found": "webhook_not_found",
  "not-authorized-for-resource": "forbidden",
  "client-forbidden": "no_access",
  "unsupported-authentication": "auth_failed",
  "usage-capped": "rate_limited",
  "rate-limit-exceeded": "rate_limited",
  "invalid-request": "invalid_request",
};

/** Map X's code (and, failing that, the HTTP status and problem type) onto a kind. */
export function classifyXError(status: number, code: number | null, message: string, problemType?: string, reason?: string): XApiErrorKind {
  const byReason = reason === undefined ? undefined : kindForReason(reason);
  // v2's CRC failure carries v1.1's 214 message: it still tells latency, non-200 and a wrong token apart.
  if (byReason === "crc_failed") return classify214(message);
  if (byReason !== undefined) return byReason;
  switch (code) {
    case 32:
      return "auth_failed";
    case 34:
      return "webhook_not_found";
    case 88:
      return "rate_limited";
    case 99:
      return "no_access";
    case 200:
      return "forbidden";
    case 214:
      return classify214(message);
    case 261:
      return "app_cannot_write";
    case 348:
      return "user_not_permitted";
    case 355:
      return "replay_in_progress";
    default:
  }
  if (code !== null && code >= 356 && code <= 368) return "replay_bad_dates";
  if (problemType !== undefined) {
    const name = problemType.slice(problemType.lastIndexOf("/") + 1);
    // X's text: a type ending in "/constructor" must not find Object.prototype's member.
    const kind = Object.hasOwn(PROBLEM_KINDS, name) ? PROBLEM_KINDS[name] : undefined;
    if (kind !== undefined) return kind;
  }
  if (status === 429) return "rate_limited";
  if (status === 401) return "auth_failed";
  if (status === 404) return "webhook_not_found";
  if (status === 409) return "replay_in_progress";
  if (status === 410) return "aaa_retired";
  if (status === 403) return "forbidden";
  return "unexpected";
}

export interface ParsedXError {
  code: number | null;
  message: string;
  problemType?: string;
  /** v2: X's reason name, when the body carries one (a `reason` field, or a known name in the text). */
  reason?: string;
}

/** A reason-shaped word: X's reasons are PascalCase identifiers. */
const REASON_SHAPE = /^[A-Z][A-Za-z]{2,63}$/;

/**
 * X's reason: an explicit `reason` field (bulk delete's per-id errors, the XAA pages), else a
 * known reason name in the title, type or text (the quickstarts show it in prose). An unknown
 * explicit reason is still kept verbatim when it looks like one, so a new reason is not lost.
 */
function findReason(first: Record<string, unknown> | undefined, body: Record<string, unknown>): string | undefined {
  for (const v of [first?.reason, body.reason]) {
    if (typeof v === "string" && REASON_SHAPE.test(v)) return v;
  }
  const texts = [first?.title, body.title, first?.type, body.type, first?.detail, body.detail, first?.message, body.message].filter((v): v is string => typeof v === "string");
  return KNOWN_REASONS.find((r) => texts.some((t) => t.includes(r)));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Longest X message we keep: enough for any documented message, bounded for logs. */
const MAX_MESSAGE = 500;

/**
 * Read an error body in either wire form. Non-JSON bodies (a proxy's HTML, an empty 502) keep
 * no text at all: they could echo anything, and X's own errors are always JSON.
 */
export function parseErrorBody(status: number, text: string): ParsedXError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { code: null, message: text.trim() === "" ? `HTTP ${status} with an empty body` : `HTTP ${status} with a non-JSON body` };
  }
  if (!isRecord(body)) return { code: null, message: `HTTP ${status} with an unrecognised JSON body` };
  const first = Array.isArray(body.errors) && isRecord(body.errors[0]) ? body.errors[0] : undefined;
  const rawCode = first?.code ?? body.code;
  const code = typeof rawCode === "number" && Number.isInteger(rawCode) ? rawCode : null;
  const pick = (...vs: unknown[]): string | undefined => vs.find((v): v is string => typeof v === "string" && v !== "");
  const message =
    pick(first?.message, body.detail, first?.detail, body.title, first?.title, body.message) ??
    `HTTP ${status}`;
  const problemType = pick(body.type, first?.type);
  const out: ParsedXError = { code, message: message.slice(0, MAX_MESSAGE) };
  if (problemType !== undefined) out.problemType = problemType;
  const reason = findReason(first, body);
  if (reason !== undefined) out.reason = reason;
  return out;
}

/** Build the XApiError for a failed response whose body text has been read. */
export function errorFromResponse(status: number, text: string, retryAt?: Date): XApiError {
  const parsed = parseErrorBody(status, text);
  const kind = classifyXError(status, parsed.code, parsed.message, parsed.problemType, parsed.reason);
  const init: XApiErrorInit = { status, code: parsed.code, xMessage: parsed.message, kind, fix: fixFor(kind) };
  if (parsed.reason !== undefined) init.reason = parsed.reason;
  if (retryAt !== undefined && kind === "rate_limited") init.retryAt = retryAt;
  return new XApiError(init);
}
