/**
 * Readers for XAA subscription responses. X documents the same call in several shapes, and every
 * one must be read (PROTOCOL.md "XAA", issue 9 item 1):
 * - the OpenAPI: `{"data":{"subscription":{...}}}` (create, update);
 * - the quickstart: the subscription flat in `data`, or as a one-element `data` array;
 * - the count: `meta.total_subscriptions`, `data.total_subscriptions` (update's schema) or
 *   `total_subscriptions_for_instance_id` (the reference page; in `data` or at the top).
 * Anything malformed is XApiError("unexpected"), never `undefined` passed along.
 */
import { errorFromResponse, fixFor, kindForReason, type XApiErrorKind } from "./errors.ts";
import { isObject, jsonObject, unexpected, type JsonObject } from "./parse.ts";
import type { XaaBulkDeleteResult, XaaFilter, XaaSubscription, XaaSubscriptionPage, XaaSubscriptionResult } from "./xaa-types.ts";

function idString(v: unknown): string | undefined {
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

function optString(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

function toFilter(v: unknown): XaaFilter {
  const out: XaaFilter = {};
  if (!isObject(v)) return out;
  const user = idString(v.user_id);
  if (user !== undefined) out.user_id = user;
  if (v.direction === "inbound" || v.direction === "outbound") out.direction = v.direction;
  if (typeof v.keyword === "string" && v.keyword !== "") out.keyword = v.keyword;
  return out;
}

export function toSubscription(op: string, status: number, v: unknown): XaaSubscription {
  if (!isObject(v)) throw unexpected(op, status, "subscription is not an object");
  const id = idString(v.subscription_id);
  if (id === undefined || typeof v.event_type !== "string" || v.event_type === "") {
    throw unexpected(op, status, "subscription lacks subscription_id or event_type");
  }
  return {
    subscription_id: id,
    event_type: v.event_type,
    filter: toFilter(v.filter),
    tag: optString(v.tag),
    webhook_id: idString(v.webhook_id) ?? null,
    created_at: optString(v.created_at),
    updated_at: optString(v.updated_at),
  };
}

/** A non-negative integer count, from a number or a digit string. */
function count(v: unknown): number | null {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === "string" && /^\d{1,15}$/.test(v)) return Number(v);
  return null;
}

/** The app's subscription total in whichever place X put it; null when it sent none. */
export function totalOf(body: JsonObject): number | null {
  const data = isObject(body.data) ? body.data : undefined;
  const meta = isObject(body.meta) ? body.meta : undefined;
  for (const v of [meta?.total_subscriptions, data?.total_subscriptions_for_instance_id, data?.total_subscriptions, body.total_subscriptions_for_instance_id, meta?.total_subscriptions_for_instance_id]) {
    const n = count(v);
    if (n !== null) return n;
  }
  return null;
}

/** Create and update: one subscription, nested, flat or in a one-element array. */
export function readSubscriptionResult(op: string, status: number, text: string): XaaSubscriptionResult {
  const body = jsonObject(op, status, text);
  const data = body.data;
  let sub: unknown;
  if (Array.isArray(data)) {
    if (data.length !== 1) throw unexpected(op, status, `data holds ${data.length} subscriptions, expected one`);
    sub = data[0];
  } else if (isObject(data)) {
    sub = isObject(data.subscription) ? data.subscription : data;
  } else {
    throw unexpected(op, status, "response has no data object");
  }
  return { subscription: toSubscription(op, status, sub), total: totalOf(body) };
}

/** List: `data` is absent when the app has none; `meta.next_token` names the next page. */
export function readSubscriptionPage(op: string, status: number, text: string): XaaSubscriptionPage {
  const body = jsonObject(op, status, text);
  if (body.data !== undefined && !Array.isArray(body.data)) throw unexpected(op, status, "data is not an array");
  const subs = (body.data ?? []) as unknown[];
  const meta = isObject(body.meta) ? body.meta : undefined;
  return {
    subscriptions: subs.map((s) => toSubscription(op, status, s)),
    next_token: optString(meta?.next_token),
    total: totalOf(body),
  };
}

/** Delete one: `{"data":{"deleted":true}}`, optionally with the remaining total. */
export function readDeleted(op: string, status: number, text: string): { deleted: boolean; total: number | null } {
  const body = jsonObject(op, status, text);
  const deleted = isObject(body.data) ? body.data.deleted : undefined;
  if (typeof deleted !== "boolean") throw unexpected(op, status, "response lacks data.deleted");
  return { deleted, total: totalOf(body) };
}

function failureKind(reason: string | null): XApiErrorKind {
  return (reason === null ? undefined : kindForReason(reason)) ?? "unexpected";
}

/**
 * Delete by ids: `data` lists what was deleted, `errors` what was not (per id, with X's reason);
 * the rest were still deleted. A 200 carrying only `errors` (every id failed) is the same shape.
 * An error that names no subscription_id is not a per-id failure: the whole call failed.
 */
export function readBulkDelete(op: string, status: number, text: string, requested: readonly string[]): XaaBulkDeleteResult {
  const body = jsonObject(op, status, text);
  const deleted: string[] = [];
  const notDeleted: string[] = [];
  if (body.data !== undefined && !Array.isArray(body.data)) throw unexpected(op, status, "data is not an array");
  for (const row of (body.data ?? []) as unknown[]) {
    const id = isObject(row) ? idString(row.subscription_id) : undefined;
    if (!isObject(row) || id === undefined) throw unexpected(op, status, "a deleted row lacks subscription_id");
    (row.deleted === false ? notDeleted : deleted).push(id);
  }
  const failed: XaaBulkDeleteResult["failed"] = [];
  const errors = Array.isArray(body.errors) ? body.errors : [];
  for (const e of errors) {
    const id = isObject(e) ? idString(e.subscription_id) : undefined;
    if (!isObject(e) || id === undefined) throw errorFromResponse(status === 200 ? 400 : status, text);
    const reason = optString(e.reason);
    const kind = failureKind(reason);
    failed.push({ subscription_id: id, reason, message: (optString(e.message) ?? optString(e.detail) ?? "not deleted").slice(0, 500), kind, fix: fixFor(kind) });
  }
  for (const id of notDeleted) {
    if (!failed.some((f) => f.subscription_id === id)) {
      failed.push({ subscription_id: id, reason: null, message: "X answered deleted: false", kind: "unexpected", fix: fixFor("unexpected") });
    }
  }
  // Ids X neither confirmed nor refused are reported, not assumed deleted.
  const seen = new Set([...deleted, ...failed.map((f) => f.subscription_id)]);
  const unanswered = requested.filter((id) => !seen.has(id));
  return { deleted, failed, unanswered, total: totalOf(body) };
}
