/**
 * v2 adapter (`/2/...`), shared by AAA v2 and XAA: XAA uses the same `/2/webhooks` endpoints.
 * Success bodies are wrapped in `{"data": ...}` and every success is a 200. Webhook ops accept
 * app-only auth, so they use the bearer token when one is configured.
 */
import { errorFromResponse } from "./errors.ts";
import type { FlavourAdapter } from "./flavour.ts";
import { isObject, jsonObject, replayDate, toCount, toReplayJob, toUserIds, toWebhook, toWebhookList, v2Data, v2Flag } from "./parse.ts";
import { seg } from "./request-spec.ts";

const SUBS = "/2/account_activity/webhooks";

export function v2Adapter(): FlavourAdapter {
  return {
    registerWebhook: (url) => ({
      op: "registerWebhook",
      method: "POST",
      template: "/2/webhooks",
      path: "/2/webhooks",
      json: { url },
      auth: { kind: "bearer-or-app-user" },
      ok: [200],
      parse: (s, t) => toWebhook("registerWebhook", s, v2Data("registerWebhook", s, t)),
    }),
    listWebhooks: () => ({
      op: "listWebhooks",
      method: "GET",
      template: "/2/webhooks",
      path: "/2/webhooks",
      auth: { kind: "bearer" },
      ok: [200],
      parse: (s, t) => {
        // X omits `data` when the app has no webhook (result_count 0).
        const body = jsonObject("listWebhooks", s, t);
        return body.data === undefined ? [] : toWebhookList("listWebhooks", s, body.data);
      },
    }),
    recheckWebhook: (id) => ({
      op: "recheckWebhook",
      method: "PUT",
      template: "/2/webhooks/:webhook_id",
      path: `/2/webhooks/${seg(id)}`,
      auth: { kind: "bearer-or-app-user" },
      ok: [200],
      parse: (s, t) => {
        const valid = v2Flag("recheckWebhook", s, t, "valid");
        // v2 answers a failed CRC with 200, `valid: false` and X's 214 in `errors`: the failure
        // v1.1 sends as a 403. It becomes the same XApiError (XApiClient's contract), so callers
        // record and report X's reason (non-200, latency, wrong token) instead of a bare "false".
        const errors = jsonObject("recheckWebhook", s, t).errors;
        if (!valid && Array.isArray(errors) && errors.length > 0) throw errorFromResponse(s, t);
        return { valid };
      },
    }),
    deleteWebhook: (id) => ({
      op: "deleteWebhook",
      method: "DELETE",
      template: "/2/webhooks/:webhook_id",
      path: `/2/webhooks/${seg(id)}`,
      auth: { kind: "bearer-or-app-user" },
      ok: [200],
      parse: (s, t) => {
        v2Flag("deleteWebhook", s, t, "deleted");
      },
    }),
    subscribe: (id, user) => ({
      op: "subscribe",
      method: "POST",
      template: `${SUBS}/:webhook_id/subscriptions/all`,
      path: `${SUBS}/${seg(id)}/subscriptions/all`,
      auth: { kind: "user", user },
      ok: [200],
      parse: (s, t) => {
        v2Flag("subscribe", s, t, "subscribed");
      },
    }),
    checkSubscription: (id, user) => ({
      op: "checkSubscription",
      method: "GET",
      template: `${SUBS}/:webhook_id/subscriptions/all`,
      path: `${SUBS}/${seg(id)}/subscriptions/all`,
      auth: { kind: "user", user },
      ok: [200],
      parse: (s, t) => v2Flag("checkSubscription", s, t, "subscribed"),
    }),
    listSubscriptions: (id) => ({
      op: "listSubscriptions",
      method: "GET",
      template: `${SUBS}/:webhook_id/subscriptions/all/list`,
      path: `${SUBS}/${seg(id)}/subscriptions/all/list`,
      auth: { kind: "bearer" },
      ok: [200],
      parse: (s, t) => toUserIds("listSubscriptions", s, v2Data("listSubscriptions", s, t)),
    }),
    countSubscriptions: () => ({
      op: "countSubscriptions",
      method: "GET",
      template: "/2/account_activity/subscriptions/count",
      path: "/2/account_activity/subscriptions/count",
      auth: { kind: "bearer" },
      ok: [200],
      parse: (s, t) => {
        const body = jsonObject("countSubscriptions", s, t);
        return toCount("countSubscriptions", s, isObject(body.data) ? body.data : undefined, body);
      },
    }),
    unsubscribe: (id, userId) => ({
      op: "unsubscribe",
      method: "DELETE",
      template: `${SUBS}/:webhook_id/subscriptions/:user_id/all`,
      path: `${SUBS}/${seg(id)}/subscriptions/${seg(userId)}/all`,
      auth: { kind: "bearer" },
      ok: [200],
      parse: (s, t) => {
        v2Flag("unsubscribe", s, t, "subscribed");
      },
    }),
    requestReplay: (id, from, to) => ({
      op: "requestReplay",
      method: "POST",
      template: "/2/webhooks/replay",
      path: "/2/webhooks/replay",
      json: { webhook_id: id, from_date: replayDate(from), to_date: replayDate(to) },
      auth: { kind: "bearer" },
      ok: [200],
      parse: (s, t) => toReplayJob("requestReplay", s, v2Data("requestReplay", s, t)),
    }),
  };
}
