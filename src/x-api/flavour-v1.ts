/**
 * v1.1 adapters: Enterprise (`/1.1/account_activity/...`) and Premium
 * (`/1.1/account_activity/all/:env_name/...`). Paths, auth and success statuses follow the
 * seeds (000: Enterprise reference) and /tmp/aae-paths.md, which the emulator matches too.
 */
import { XApiError, fixFor } from "./errors.ts";
import type { FlavourAdapter } from "./flavour.ts";
import {
  jsonObject,
  parseJson,
  replayDate,
  toCount,
  toReplayJob,
  toUserIds,
  toWebhook,
  toWebhookList,
} from "./parse.ts";
import { seg, type RequestSpec } from "./request-spec.ts";
import type { SubscriptionCount } from "./types.ts";

const AAA = "/1.1/account_activity";
const none = (): void => undefined;

/**
 * Register, list, re-check and delete: the same four calls on Enterprise (`/1.1/account_activity/`)
 * and Premium (`…/all/:env_name/`), only the prefix differs. `template` is the rate-limit key form.
 */
function webhookOps(prefix: string, template: string): Pick<FlavourAdapter, "registerWebhook" | "listWebhooks" | "recheckWebhook" | "deleteWebhook"> {
  return {
    registerWebhook: (url) => ({
      op: "registerWebhook",
      method: "POST",
      template: `${template}/webhooks.json`,
      path: `${prefix}/webhooks.json`,
      query: [["url", url]],
      auth: { kind: "app-user" },
      ok: [200],
      parse: (s, t) => toWebhook("registerWebhook", s, parseJson("registerWebhook", s, t)),
    }),
    listWebhooks: () => ({
      op: "listWebhooks",
      method: "GET",
      template: `${template}/webhooks.json`,
      path: `${prefix}/webhooks.json`,
      auth: { kind: "bearer" },
      ok: [200],
      parse: (s, t) => toWebhookList("listWebhooks", s, parseJson("listWebhooks", s, t)),
    }),
    recheckWebhook: (id) => ({
      op: "recheckWebhook",
      method: "PUT",
      template: `${template}/webhooks/:webhook_id.json`,
      path: `${prefix}/webhooks/${seg(id)}.json`,
      auth: { kind: "app-user" },
      ok: [204],
      parse: () => ({ valid: true }),
    }),
    deleteWebhook: (id) => ({
      op: "deleteWebhook",
      method: "DELETE",
      template: `${template}/webhooks/:webhook_id.json`,
      path: `${prefix}/webhooks/${seg(id)}.json`,
      auth: { kind: "app-user" },
      ok: [204],
      parse: none,
    }),
  };
}

/** Enterprise: webhooks and subscriptions under `/1.1/account_activity/`, Replay included. */
export function enterpriseAdapter(): FlavourAdapter {
  return {
    ...webhookOps(AAA, AAA),
    subscribe: (id, user) => ({
      op: "subscribe",
      method: "POST",
      template: `${AAA}/webhooks/:webhook_id/subscriptions/all.json`,
      path: `${AAA}/webhooks/${seg(id)}/subscriptions/all.json`,
      auth: { kind: "user", user },
      ok: [204],
      parse: none,
    }),
    checkSubscription: (id, user) => ({
      op: "checkSubscription",
      method: "GET",
      template: `${AAA}/webhooks/:webhook_id/subscriptions/all.json`,
      path: `${AAA}/webhooks/${seg(id)}/subscriptions/all.json`,
      auth: { kind: "user", user },
      // X: "If the response code is not 204, then the user does not have an active
      // subscription." A 404 is read as "not subscribed"; auth errors still throw.
      ok: [204, 404],
      parse: (s) => s === 204,
    }),
    listSubscriptions: (id) => ({
      op: "listSubscriptions",
      method: "GET",
      template: `${AAA}/webhooks/:webhook_id/subscriptions/all/list.json`,
      path: `${AAA}/webhooks/${seg(id)}/subscriptions/all/list.json`,
      auth: { kind: "bearer" },
      ok: [200],
      parse: (s, t) => toUserIds("listSubscriptions", s, parseJson("listSubscriptions", s, t)),
    }),
    countSubscriptions: () => countSpec(`${AAA}/subscriptions/count.json`),
    unsubscribe: (id, userId) => ({
      op: "unsubscribe",
      method: "DELETE",
      template: `${AAA}/webhooks/:webhook_id/subscriptions/:user_id/all.json`,
      path: `${AAA}/webhooks/${seg(id)}/subscriptions/${seg(userId)}/all.json`,
      auth: { kind: "bearer" },
      ok: [204],
      parse: none,
    }),
    requestReplay: (id, from, to) => ({
      op: "requestReplay",
      method: "POST",
      template: `${AAA}/replay/webhooks/:webhook_id/subscriptions/all.json`,
      path: `${AAA}/replay/webhooks/${seg(id)}/subscriptions/all.json`,
      query: [
        ["from_date", replayDate(from)],
        ["to_date", replayDate(to)],
      ],
      auth: { kind: "bearer" },
      ok: [202],
      parse: (s, t) => toReplayJob("requestReplay", s, parseJson("requestReplay", s, t)),
    }),
  };
}

function countSpec(path: string): RequestSpec<SubscriptionCount> {
  return {
    op: "countSubscriptions",
    method: "GET",
    template: path,
    path,
    auth: { kind: "bearer" },
    ok: [200],
    parse: (s, t) => {
      const body = jsonObject("countSubscriptions", s, t);
      return toCount("countSubscriptions", s, body, body);
    },
  };
}

/**
 * Premium: the same operations under `all/:env_name/` (env names are case sensitive, so the
 * configured value is used verbatim). Subscribe/check are user context on
 * `subscriptions.json`; there is no Replay on Premium.
 */
export function premiumAdapter(envName: string): FlavourAdapter {
  const env = `${AAA}/all/${seg(envName)}`;
  const tpl = `${AAA}/all/:env_name`;
  return {
    ...webhookOps(env, tpl),
    // Premium addresses subscriptions by environment (one webhook per env): the webhook id
    // is not part of the path.
    subscribe: (_id, user) => ({
      op: "subscribe",
      method: "POST",
      template: `${tpl}/subscriptions.json`,
      path: `${env}/subscriptions.json`,
      auth: { kind: "user", user },
      ok: [204],
      parse: none,
    }),
    checkSubscription: (_id, user) => ({
      op: "checkSubscription",
      method: "GET",
      template: `${tpl}/subscriptions.json`,
      path: `${env}/subscriptions.json`,
      auth: { kind: "user", user },
      ok: [204, 404],
      parse: (s) => s === 204,
    }),
    listSubscriptions: () => ({
      op: "listSubscriptions",
      method: "GET",
      template: `${tpl}/subscriptions/list.json`,
      path: `${env}/subscriptions/list.json`,
      auth: { kind: "bearer" },
      ok: [200],
      parse: (s, t) => toUserIds("listSubscriptions", s, parseJson("listSubscriptions", s, t)),
    }),
    countSubscriptions: () => countSpec(`${AAA}/all/subscriptions/count.json`),
    unsubscribe: (_id, userId) => ({
      op: "unsubscribe",
      method: "DELETE",
      template: `${tpl}/subscriptions/:user_id.json`,
      path: `${env}/subscriptions/${seg(userId)}.json`,
      auth: { kind: "bearer" },
      ok: [204],
      parse: none,
    }),
    requestReplay: () => {
      throw new XApiError({
        status: 0,
        code: null,
        xMessage: "Replay is not offered on the v1.1 Premium API",
        kind: "unsupported",
        fix: `${fixFor("unsupported")} Replay needs v1.1 Enterprise or v2; on Premium, missed events can only be recovered through other REST endpoints.`,
      });
    },
  };
}
