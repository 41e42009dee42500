/**
 * Error mapping. Expected failures are `HttpError`s with a status and a stable code; the
 * message is written for the caller and never holds a secret. Anything else is logged with a
 * request id and answered with a bare 500.
 */
import { ConfigError } from "../config.ts";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function jsonError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

export function notFound(): Response {
  return jsonError(404, "not_found", "No such route.");
}

export function toErrorResponse(err: unknown, request?: Request): Response {
  if (err instanceof HttpError) return jsonError(err.status, err.code, err.message, err.headers);
  const requestId = crypto.randomUUID();
  if (err instanceof ConfigError) {
    // Operator error, not caller error: name the setting in the log (never its value, which may
    // be a secret or echo one) and answer the same bare 500 as any other internal failure.
    console.error(JSON.stringify({ msg: "configuration error", request_id: requestId, setting: err.setting }));
    return Response.json({ error: { code: "internal", message: "Internal error.", request_id: requestId } }, { status: 500 });
  }
  // Detail goes to the log only, tagged so an operator can find it from the response.
  console.error(JSON.stringify({
    msg: "unhandled error",
    request_id: requestId,
    method: request?.method,
    path: request ? new URL(request.url).pathname : undefined,
    error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
  }));
  return Response.json({ error: { code: "internal", message: "Internal error.", request_id: requestId } }, { status: 500 });
}
