/**
 * X's error catalogue and the two wire shapes: v1.1 `{"errors":[{"code","message"}]}` and v2
 * problem JSON (no v1.1 code unless the `v2ErrorCodes` setting asks for it; a `reason` instead). Messages are the seeds'
 * (../shared/seeds/000_*.txt) or X's Replay table, byte for byte, curly apostrophes included.
 */

export const MESSAGES = {
  couldNotAuthenticate: "Could not authenticate you.",
  badAuthData: "Bad Authentication data.",
  invalidToken: "Invalid or expired token.",
  timestampOutOfBounds: "Timestamp out of bounds.",
  pageDoesNotExist: "Sorry, that page does not exist.",
  rateLimit: "Rate limit exceeded",
  noAccess: "You don\u2019t have access to this resource.",
  credentialsDoNotAllow: "Your credentials do not allow access to this resource.",
  webhookNotFound: "Webhook does not exist or is associated with a different X application.",
  urlRequirements: "Webhook URL does not meet the requirements.",
  tooManyResources: "Too many resources already created.",
  crcInvalidToken: "Webhook URL does not meet the requirements. Invalid CRC token or json response format.",
  crcLatency: "High latency on CRC GET request. Your webhook should respond in less than 3 seconds.",
  crcNon200: "Non-200 response code during CRC GET request (i.e. 404, 500, etc).",
  cannotWrite: "Application cannot perform write actions.",
  userNotPermitted: "Client application is not permitted to access this user\u2019s webhook subscriptions.",
  replayInProgress: "A replay job is already in progress for this webhook.",
  replayInvalidWebhook: "Webhook is marked invalid and requires a CRC check.",
  replayAppOnly: "Invalid authentication method. Please use application-only authentication.",
  replayNotEnabled:
    "Account Activity API enterprise account with replay is required. Please confirm you have an enterprise account and replay is enabled.",
  replayFromBeforeTo: "from_date must be before to_date.",
  unableToParse: "Unable to parse parameter.",
} as const;

export class ApiError extends Error {
  readonly status: number;
  readonly code: number | undefined;
  /** v2's name for this failure where the code alone is ambiguous (e.g. 214 for webhooks vs subscriptions). */
  reason: string | undefined;
  constructor(status: number, code: number | undefined, message: string, reason?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.reason = reason;
  }
}

export const err = {
  auth: (): ApiError => new ApiError(401, 32, MESSAGES.couldNotAuthenticate),
  authMissing: (): ApiError => new ApiError(400, 215, MESSAGES.badAuthData),
  badBearer: (): ApiError => new ApiError(401, 89, MESSAGES.invalidToken),
  timestamp: (): ApiError => new ApiError(401, 135, MESSAGES.timestampOutOfBounds),
  noAccess: (): ApiError => new ApiError(403, 99, MESSAGES.noAccess),
  userContextRequired: (): ApiError => new ApiError(403, 220, MESSAGES.credentialsDoNotAllow),
  cannotWrite: (): ApiError => new ApiError(403, 261, MESSAGES.cannotWrite),
  userNotPermitted: (): ApiError => new ApiError(403, 348, MESSAGES.userNotPermitted),
  webhookNotFound: (): ApiError => new ApiError(404, 34, MESSAGES.webhookNotFound),
  pageNotFound: (): ApiError => new ApiError(404, 34, MESSAGES.pageDoesNotExist),
  tooMany: (): ApiError => new ApiError(403, 214, MESSAGES.tooManyResources),
  tooManySubscriptions: (): ApiError => new ApiError(403, 214, MESSAGES.tooManyResources, "SubscriptionLimitExceeded"),
  duplicateUrl: (): ApiError => new ApiError(403, 214, MESSAGES.urlRequirements, "DuplicateUrlFailed"),
  url: (message: string = MESSAGES.urlRequirements): ApiError => new ApiError(403, 214, message),
  rateLimit: (): ApiError => new ApiError(429, 88, MESSAGES.rateLimit),
};

export interface ErrorBody {
  status: number;
  contentType: string;
  body: string;
}

export function v1ErrorBody(e: ApiError): ErrorBody {
  const item = e.code === undefined ? { message: e.message } : { code: e.code, message: e.message };
  return { status: e.status, contentType: "application/json; charset=utf-8", body: JSON.stringify({ errors: [item] }) };
}

const PROBLEM: Record<number, { title: string; type: string }> = {
  400: { title: "Invalid Request", type: "https://api.x.com/2/problems/invalid-request" },
  401: { title: "Unauthorized", type: "about:blank" },
  403: { title: "Forbidden", type: "https://api.x.com/2/problems/client-forbidden" },
  404: { title: "Not Found Error", type: "https://api.x.com/2/problems/resource-not-found" },
  409: { title: "Conflict", type: "https://api.x.com/2/problems/conflict" },
  410: { title: "Gone", type: "https://api.x.com/2/problems/resource-unavailable" },
  429: { title: "Too Many Requests", type: "about:blank" },
};

/** The reason names X's v2 quickstarts use, for the v1.1 codes they replace. */
function v2Reason(e: ApiError): string | undefined {
  if (e.reason !== undefined) return e.reason;
  switch (e.code) {
    case 214:
      if (e.message === MESSAGES.tooManyResources) return "WebhookLimitExceeded";
      return e.message === MESSAGES.urlRequirements ? "UrlValidationFailed" : "CrcValidationFailed";
    case 34:
      return "WebhookIdInvalid";
    case 355:
      return "ReplayConflictError";
    case 88:
      return "RateLimitExceeded";
    default:
      return undefined;
  }
}

/**
 * v2 problem JSON. X's v2 never sends v1.1 codes; `keepCode` (setting `v2ErrorCodes`) adds the
 * v1.1 code to errors[0] for clients written against the emulator's older behaviour.
 */
export function v2ErrorBody(e: ApiError, keepCode = false): ErrorBody {
  const p = PROBLEM[e.status] ?? { title: "Error", type: "about:blank" };
  const item: Record<string, unknown> = { message: e.message };
  const reason = v2Reason(e);
  if (reason !== undefined) item.reason = reason;
  if (keepCode && e.code !== undefined) item.code = e.code;
  return {
    status: e.status,
    contentType: "application/problem+json",
    body: JSON.stringify({ errors: [item], title: p.title, detail: e.message, type: p.type, status: e.status }),
  };
}
