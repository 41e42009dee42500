/**
 * Small helpers shared by the admin and OAuth handlers: JSON bodies with clear 400s, app lookup
 * with a 404, and the mapping of X's errors onto our answers.
 */
import type { IRequest } from "itty-router";
import { getConfig, type AppConfig, type Config } from "../config.ts";
import { HttpError } from "../http/errors.ts";
import { XApiError } from "../x-api/errors.ts";
import { parseIsoDateTime } from "./iso-date.ts";

/** Admin bodies are small: a URL, a token pair, two dates, a list of ids. */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

export function badRequest(message: string): HttpError {
  return new HttpError(400, "bad_request", message);
}

/** The app named in the path, or a 404 naming the configured apps. */
export function appFrom(req: IRequest, config: Config): AppConfig {
  const name = req.params.app ?? "";
  const app = config.apps.get(name);
  if (app === undefined) {
    const known = [...config.apps.keys()].join(", ");
    throw new HttpError(404, "unknown_app", `No app named "${name.slice(0, 64)}" is configured (configured: ${known}).`);
  }
  return app;
}

export function configFrom(env: Env): Config {
  return getConfig(env);
}

/** Parse a JSON object body. Empty body reads as `{}` when `allowEmpty`. */
export async function jsonBody(req: Request, allowEmpty = false): Promise<Record<string, unknown>> {
  const text = await req.text();
  if (text.length > MAX_ADMIN_BODY_BYTES) throw new HttpError(413, "body_too_large", `Request body is larger than ${MAX_ADMIN_BODY_BYTES} bytes.`);
  if (text.trim() === "") {
    if (allowEmpty) return {};
    throw badRequest("Request body is empty: send a JSON object.");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest("Request body is not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw badRequest("Request body must be a JSON object.");
  return parsed as Record<string, unknown>;
}

export function optionalString(body: Record<string, unknown>, field: string, max = 2048): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.trim() === "") throw badRequest(`"${field}" must be a non-empty string.`);
  if (v.length > max) throw badRequest(`"${field}" is longer than ${max} characters.`);
  return v.trim();
}

export function requiredString(body: Record<string, unknown>, field: string, max = 2048): string {
  const v = optionalString(body, field, max);
  if (v === undefined) throw badRequest(`"${field}" is required.`);
  return v;
}

/** X user ids are decimal strings (numbers lose digits above 2^53, so they are refused). */
export function userIdFrom(value: unknown, field = "user_id"): string {
  if (typeof value !== "string" || !/^[0-9]{1,20}$/.test(value)) throw badRequest(`"${field}" must be a decimal X user id as a string.`);
  return value;
}

/** An ISO 8601 date-time with an explicit zone (Z or ±hh:mm), parsed strictly (iso-date.ts). */
export function isoDate(body: Record<string, unknown>, field: string): Date {
  const v = body[field];
  if (typeof v !== "string") throw badRequest(`"${field}" must be an ISO 8601 UTC date-time such as 2026-01-31T12:00Z.`);
  const parsed = parseIsoDateTime(v);
  if (!parsed.ok) throw badRequest(`"${field}" ${parsed.problem}.`);
  return parsed.date;
}

/** A list of ids (dead letters): 1-100 non-empty strings. */
export function idList(body: Record<string, unknown>, field = "ids"): string[] {
  const v = body[field];
  if (!Array.isArray(v) || v.length === 0 || v.length > 100 || !v.every((x) => typeof x === "string" && x !== "" && x.length <= 200)) {
    throw badRequest(`"${field}" must be an array of 1 to 100 id strings.`);
  }
  return v as string[];
}

/**
 * X's status mirrored: X's 4xx stays a 4xx (a 401 from X becomes 502: our credentials failed
 * upstream, and a 401 here would tell the admin client its own token was wrong); 429 stays 429
 * with Retry-After; refusals made before sending (rate limit known used up) are 429 too;
 * a missing credential is 503 (deployment not configured); anything else is 502.
 */
export function xErrorResponse(err: XApiError, nowMs: number): Response {
  let status: number;
  if (err.kind === "rate_limited") status = 429;
  else if (err.kind === "missing_credential") status = 503;
  else if (err.kind === "unsupported") status = 400;
  // Refused before sending (an XAA id or tag X would refuse for its form).
  else if (err.kind === "invalid_request" && err.status === 0) status = 400;
  else if (err.status === 401) status = 502;
  else if (err.status >= 400 && err.status < 500) status = err.status;
  // An error X reported inside a 2xx answer (v2's failed CRC re-check): the webhook is at fault,
  // as with v2's 400 for a CRC failure on register, not X (502).
  else if (err.status >= 200 && err.status < 300) status = 400;
  else status = 502;
  const headers: Record<string, string> = {};
  if (status === 429 && err.retryAt) headers["retry-after"] = String(Math.max(1, Math.ceil((err.retryAt.getTime() - nowMs) / 1000)));
  const error: Record<string, unknown> = { code: err.kind, x_code: err.code, message: err.xMessage, fix: err.fix };
  if (err.retryAt) error.retry_at = err.retryAt.toISOString();
  if (err.secret) error.secret = err.secret;
  if (err.reason !== undefined) error.reason = err.reason;
  return Response.json({ error }, { status, headers });
}

/** The admin catch: X's errors mapped, everything else through the project's error mapping. */
export function isXApiError(err: unknown): err is XApiError {
  return err instanceof XApiError;
}
