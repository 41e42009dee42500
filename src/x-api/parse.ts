/**
 * Readers for X's success bodies. X's shapes differ per flavour (bare objects in v1.1,
 * `{"data": ...}` in v2; counts as strings in v1.1), so each reader checks what it uses and
 * throws XApiError("unexpected") on anything else rather than passing `undefined` along.
 */
import { XApiError, fixFor } from "./errors.ts";
import type { ReplayJob, SubscriptionCount, XWebhook } from "./types.ts";

export type JsonObject = Record<string, unknown>;

export function unexpected(op: string, status: number, what: string): XApiError {
  return new XApiError({
    status,
    code: null,
    xMessage: `${op}: ${what}`,
    kind: "unexpected",
    fix: fixFor("unexpected"),
  });
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function parseJson(op: string, status: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw unexpected(op, status, "response body is not JSON");
  }
}

export function jsonObject(op: string, status: number, text: string): JsonObject {
  const v = parseJson(op, status, text);
  if (!isObject(v)) throw unexpected(op, status, "response body is not a JSON object");
  return v;
}

/** v2 success bodies wrap the result in `data`. */
export function v2Data(op: string, status: number, text: string): unknown {
  const body = jsonObject(op, status, text);
  if (!("data" in body)) throw unexpected(op, status, "response has no data field");
  return body.data;
}

/** X ids are strings; a number is accepted only if it is a safe integer (no silent precision loss). */
function idString(v: unknown): string | undefined {
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

export function toWebhook(op: string, status: number, v: unknown): XWebhook {
  if (!isObject(v)) throw unexpected(op, status, "webhook is not an object");
  const id = idString(v.id);
  if (id === undefined || typeof v.url !== "string" || typeof v.valid !== "boolean") {
    throw unexpected(op, status, "webhook lacks id, url or valid");
  }
  return { id, url: v.url, valid: v.valid, created_at: typeof v.created_at === "string" ? v.created_at : "" };
}

export function toWebhookList(op: string, status: number, v: unknown): XWebhook[] {
  if (!Array.isArray(v)) throw unexpected(op, status, "webhook list is not an array");
  return v.map((w) => toWebhook(op, status, w));
}

export function toUserIds(op: string, status: number, v: unknown): string[] {
  if (!isObject(v) || !Array.isArray(v.subscriptions)) {
    throw unexpected(op, status, "subscription list has no subscriptions array");
  }
  return v.subscriptions.map((s) => {
    const id = isObject(s) ? idString(s.user_id) : undefined;
    if (id === undefined) throw unexpected(op, status, "subscription lacks user_id");
    return id;
  });
}

/** `subscriptions_count_all` is a string in v1.1 ("2") and may be a number in v2. */
export function toCount(op: string, status: number, v: unknown, raw: unknown): SubscriptionCount {
  const n = isObject(v) ? v.subscriptions_count_all : undefined;
  const all = typeof n === "number" ? n : typeof n === "string" && /^\d+$/.test(n) ? Number(n) : NaN;
  if (!Number.isSafeInteger(all)) throw unexpected(op, status, "count lacks subscriptions_count_all");
  return { all, raw };
}

export function toReplayJob(op: string, status: number, v: unknown): ReplayJob {
  const jobId = isObject(v) ? idString(v.job_id) : undefined;
  if (!isObject(v) || jobId === undefined) throw unexpected(op, status, "replay response lacks job_id");
  return { job_id: jobId, created_at: typeof v.created_at === "string" ? v.created_at : "" };
}

/** v2 `{"data":{"<field>": boolean}}`. */
export function v2Flag(op: string, status: number, text: string, field: string): boolean {
  const data = v2Data(op, status, text);
  const flag = isObject(data) ? data[field] : undefined;
  if (typeof flag !== "boolean") throw unexpected(op, status, `response lacks data.${field}`);
  return flag;
}

/**
 * Replay's window format, `yyyymmddhhmm` in UTC (X rejects seconds). Minutes are truncated,
 * so a `from` inside a minute still covers that minute.
 */
export function replayDate(d: Date): string {
  if (Number.isNaN(d.getTime())) {
    throw new XApiError({
      status: 0,
      code: null,
      xMessage: "Replay window has an invalid date (refused before sending)",
      kind: "replay_bad_dates",
      fix: fixFor("replay_bad_dates"),
    });
  }
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}
