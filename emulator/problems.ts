/**
 * v2 problem JSON for the endpoints that never speak v1.1 (XAA subscriptions, the AAA-retired
 * answer): `application/problem+json` with `title`, `detail`, `type`, `status` at the top and
 * the same problem in `errors[0]` (PROTOCOL.md: X sends both forms). `reason` carries the names X's
 * quickstarts use (`DuplicateSubscriptionFailed`, `SubscriptionNotFound`, ...). No v1.1 `code`.
 */
import type { Reply } from "./http.ts";

const TYPES = {
  invalid: { status: 400, title: "Invalid Request", type: "https://api.x.com/2/problems/invalid-request" },
  unauthorized: { status: 401, title: "Unauthorized", type: "about:blank" },
  unsupportedAuth: { status: 403, title: "Unsupported Authentication", type: "https://api.x.com/2/problems/unsupported-authentication" },
  forbidden: { status: 403, title: "Forbidden", type: "https://api.x.com/2/problems/client-forbidden" },
  notAuthorized: { status: 403, title: "Not Authorized for Resource", type: "https://api.x.com/2/problems/not-authorized-for-resource" },
  notFound: { status: 404, title: "Not Found Error", type: "https://api.x.com/2/problems/resource-not-found" },
  conflict: { status: 409, title: "Conflict", type: "https://api.x.com/2/problems/conflict" },
  gone: { status: 410, title: "Gone", type: "https://api.x.com/2/problems/resource-unavailable" },
  tooMany: { status: 429, title: "Too Many Requests", type: "about:blank" },
} as const;

export type ProblemKind = keyof typeof TYPES;

export class ProblemError extends Error {
  readonly kind: ProblemKind;
  readonly reason: string | undefined;
  readonly parameters: Record<string, string[]> | undefined;
  constructor(kind: ProblemKind, detail: string, extra: { reason?: string; parameters?: Record<string, string[]> } = {}) {
    super(detail);
    this.kind = kind;
    this.reason = extra.reason;
    this.parameters = extra.parameters;
  }
  get status(): number {
    return TYPES[this.kind].status;
  }
}

export function problemReply(e: ProblemError, headers: Record<string, string> = {}): Reply {
  const t = TYPES[e.kind];
  const item: Record<string, unknown> = { type: t.type, title: t.title, detail: e.message, message: e.message };
  if (e.reason !== undefined) item.reason = e.reason;
  if (e.parameters !== undefined) item.parameters = e.parameters;
  const body: Record<string, unknown> = { title: t.title, detail: e.message, type: t.type, status: t.status };
  if (e.reason !== undefined) body.reason = e.reason;
  body.errors = [item];
  return { status: t.status, body: JSON.stringify(body), contentType: "application/problem+json", headers };
}

/** Shorthand for a 400 naming the offending parameter. */
export function invalid(parameter: string, value: string, detail: string, reason?: string): ProblemError {
  return new ProblemError("invalid", detail, reason === undefined ? { parameters: { [parameter]: [value] } } : { parameters: { [parameter]: [value] }, reason });
}
