/**
 * The XAA subscription client (`/2/activity/subscriptions`, PROTOCOL.md "XAA"): create, list
 * (paged), update, delete one, delete up to 100. Sent through the shared transport, so rate
 * limits, credentials and problem-JSON errors (with X's reason) work as for every other call.
 *
 * Auth per X's OpenAPI: create with the app's bearer (public types) or the user's OAuth 2.0
 * token (private types); list, update and delete with the bearer. Input that X would refuse
 * for its form (an id that is not 1-19 digits, a tag outside 1-200 characters, more than 100
 * ids) is refused here before it costs a call from the 500-per-15-minutes window.
 */
import type { AppConfig } from "../config.ts";
import { XApiError, errorFromResponse, fixFor } from "./errors.ts";
import { createTransport, type XApiClientOptions } from "./transport.ts";
import { readBulkDelete, readDeleted, readSubscriptionPage, readSubscriptionResult } from "./xaa-parse.ts";
import { XAA_BULK_DELETE_MAX, XAA_LIST_MAX_RESULTS, type XaaClient, type XaaCreateInput, type XaaSubscription } from "./xaa-types.ts";

const SUBS = "/2/activity/subscriptions";
const ID = /^[0-9]{1,19}$/;
const DEFAULT_MAX_PAGES = 200;

function refused(op: string, what: string): XApiError {
  return new XApiError({ status: 0, code: null, xMessage: `${op}: ${what} (refused before sending)`, kind: "invalid_request", fix: fixFor("invalid_request") });
}

function checkId(op: string, name: string, id: string): void {
  if (!ID.test(id)) throw refused(op, `${name} must be 1-19 digits`);
}

function checkTag(op: string, tag: string | undefined): void {
  if (tag !== undefined && (tag.length < 1 || tag.length > 200)) throw refused(op, "tag must be 1-200 characters");
}

/** Split ids into X's batches of at most 100. */
export function chunkIds(ids: readonly string[], size = XAA_BULK_DELETE_MAX): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
  return out;
}

/**
 * A 403 on creating a subscription with the user's OAuth 2.0 token means X does not count the
 * token as consent for this type (the scope is missing or was withdrawn): say so, so callers can
 * tell "ask the user again" apart from an app-level refusal.
 */
function createError(userContext: boolean) {
  return (status: number, text: string, retryAt?: Date): Error => {
    const err = errorFromResponse(status, text, retryAt);
    if (!userContext || status !== 403 || err.reason !== undefined) return err;
    return new XApiError({ status, code: err.code, xMessage: err.xMessage, kind: "consent_required", fix: fixFor("consent_required") });
  };
}

function createBody(input: XaaCreateInput): Record<string, unknown> {
  // Only the properties X allows (its schema has additionalProperties: false).
  const filter: Record<string, string> = {};
  if (input.filter.user_id !== undefined) filter.user_id = input.filter.user_id;
  if (input.filter.direction !== undefined) filter.direction = input.filter.direction;
  if (input.filter.keyword !== undefined) filter.keyword = input.filter.keyword;
  const body: Record<string, unknown> = { event_type: input.event_type, filter };
  if (input.tag !== undefined) body.tag = input.tag;
  body.webhook_id = input.webhook_id;
  return body;
}

export function createXaaClient(app: AppConfig, options: XApiClientOptions): XaaClient {
  const { send } = createTransport(app, options);

  const client: XaaClient = {
    createSubscription: async (input, caller) => {
      const op = "createSubscription";
      checkId(op, "webhook_id", input.webhook_id);
      if (input.filter.user_id !== undefined) checkId(op, "filter.user_id", input.filter.user_id);
      checkTag(op, input.tag);
      return send({
        op,
        method: "POST",
        template: SUBS,
        path: SUBS,
        json: createBody(input),
        auth: caller.kind === "user" ? { kind: "oauth2-user", accessToken: caller.accessToken } : { kind: "bearer" },
        ok: [200, 201],
        parse: (s, t) => readSubscriptionResult(op, s, t),
        error: createError(caller.kind === "user"),
      });
    },

    listSubscriptions: async (page = {}) => {
      const op = "listXaaSubscriptions";
      const query: [string, string][] = [];
      if (page.maxResults !== undefined) {
        if (!Number.isInteger(page.maxResults) || page.maxResults < 1 || page.maxResults > XAA_LIST_MAX_RESULTS) {
          throw refused(op, `max_results must be 1-${XAA_LIST_MAX_RESULTS}`);
        }
        query.push(["max_results", String(page.maxResults)]);
      }
      if (page.paginationToken !== undefined) query.push(["pagination_token", page.paginationToken]);
      return send({ op, method: "GET", template: SUBS, path: SUBS, query, auth: { kind: "bearer" }, ok: [200], parse: (s, t) => readSubscriptionPage(op, s, t) });
    },

    listAllSubscriptions: async (maxPages = DEFAULT_MAX_PAGES) => {
      const all: XaaSubscription[] = [];
      let token: string | undefined;
      let total: number | null = null;
      const seen = new Set<string>();
      for (let i = 0; i < maxPages; i++) {
        const page = await client.listSubscriptions(token === undefined ? { maxResults: XAA_LIST_MAX_RESULTS } : { maxResults: XAA_LIST_MAX_RESULTS, paginationToken: token });
        all.push(...page.subscriptions);
        total = page.total ?? total;
        // A token seen before would loop forever: stop and report the list as incomplete.
        if (page.next_token === null) return { subscriptions: all, total, complete: true };
        if (seen.has(page.next_token)) break;
        seen.add(page.next_token);
        token = page.next_token;
      }
      return { subscriptions: all, total, complete: false };
    },

    updateSubscription: async (id, input) => {
      const op = "updateSubscription";
      checkId(op, "subscription_id", id);
      checkId(op, "webhook_id", input.webhook_id);
      checkTag(op, input.tag);
      const json: Record<string, string> = {};
      if (input.tag !== undefined) json.tag = input.tag;
      json.webhook_id = input.webhook_id;
      return send({ op, method: "PUT", template: `${SUBS}/:subscription_id`, path: `${SUBS}/${id}`, json, auth: { kind: "bearer" }, ok: [200], parse: (s, t) => readSubscriptionResult(op, s, t) });
    },

    deleteSubscription: async (id) => {
      const op = "deleteSubscription";
      checkId(op, "subscription_id", id);
      return send({ op, method: "DELETE", template: `${SUBS}/:subscription_id`, path: `${SUBS}/${id}`, auth: { kind: "bearer" }, ok: [200], parse: (s, t) => readDeleted(op, s, t) });
    },

    deleteSubscriptions: async (ids) => {
      const op = "deleteSubscriptions";
      if (ids.length < 1 || ids.length > XAA_BULK_DELETE_MAX) throw refused(op, `ids must hold 1-${XAA_BULK_DELETE_MAX} subscription ids`);
      for (const id of ids) checkId(op, "each id", id);
      const unique = [...new Set(ids)];
      return send({
        op,
        method: "DELETE",
        template: SUBS,
        path: SUBS,
        // OpenAPI: style form, explode false: one comma-separated `ids`.
        query: [["ids", unique.join(",")]],
        auth: { kind: "bearer" },
        ok: [200],
        parse: (s, t) => readBulkDelete(op, s, t, unique),
      });
    },
  };
  return client;
}
