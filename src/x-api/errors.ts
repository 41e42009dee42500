/**
 * X's management API errors as one typed error with a stable `kind` and the remedy from X's
 * own troubleshooting guide (seeds/001 "Error troubleshooting guide"; PROTOCOL.md "Error codes
 * worth a clear message"), so the admin API and the dashboard can tell an operator what to do.
 *
 * Two wire forms are parsed: v1.1 `{"errors":[{"code":N,"message":"..."}]}` and v2 problem JSON
 * `{"errors":[{"message",...}],"title","detail","type"}`. Anything else (HTML from a proxy, an
 * empty body) still becomes an XApiError; its text is never copied, since it could be anything.
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

/** v2 problem `type` URIs (`https://api.twitter.com/2/problems/<name>`) we can name. */
const PROBLEM_KINDS: Readonly<Record<string, XApiErrorKind>> = {
  "resource-not-found": "webhook_not_found",
  "not-authorized-for-resource": "forbidden",
  "client-forbidden": "no_access",
  "unsupported-authentication": "auth_failed",
  "usage-capped": "rate_limited",
  "rate-limit-exceeded": "rate_limited",
};

/** Map X's code (and, failing that, the HTTP status and problem type) onto a kind. */
export function classifyXError(status: number, code: number | null, message: string, problemType?: string): XApiErrorKind {
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
    const kind = PROBLEM_KINDS[name];
    if (kind !== undefined) return kind;
  }
  if (status === 429) return "rate_limited";
  if (status === 401) return "auth_failed";
  if (status === 404) return "webhook_not_found";
  if (status === 409) return "replay_in_progress";
  if (status === 403) return "forbidden";
  return "unexpected";
}

export interface ParsedXError {
  code: number | null;
  message: string;
  problemType?: string;
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
  return out;
}

/** Build the XApiError for a failed response whose body text has been read. */
export function errorFromResponse(status: number, text: string, retryAt?: Date): XApiError {
  const parsed = parseErrorBody(status, text);
  const kind = classifyXError(status, parsed.code, parsed.message, parsed.problemType);
  const init: XApiErrorInit = { status, code: parsed.code, xMessage: parsed.message, kind, fix: fixFor(kind) };
  if (retryAt !== undefined && kind === "rate_limited") init.retryAt = retryAt;
  return new XApiError(init);
}
