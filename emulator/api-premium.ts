/**
 * v1.1 Premium: /1.1/account_activity/all/:env_name/... The env name must be the calling app's
 * (case sensitive); anything else answers 401 code 32 like X. One webhook per environment.
 * Replay is not offered on Premium (the path does not exist: 404).
 */
import { managed, type Caller } from "./api-common.ts";
import { countV1, subscriptionListV1, webhookV1 } from "./api-v11.ts";
import type { Core } from "./core.ts";
import { err } from "./errors.ts";
import { json, noContent, type Req, type Router } from "./http.ts";
import type { Webhook } from "./state.ts";
import { checkUserAllowed, crcWebhook, deleteWebhook, findWebhook, registerWebhook, subscribe } from "./webhooks.ts";

function envOf(req: Req, c: Caller): string {
  const env = req.params.env_name ?? "";
  if (c.app.envName === undefined || c.app.envName !== env) throw err.auth();
  return env;
}

function envWebhook(core: Core, req: Req, c: Caller): Webhook {
  const env = envOf(req, c);
  const w = core.state.webhooksOfApp(c.app.name).find((x) => x.envName === env);
  if (!w) throw err.webhookNotFound();
  return w;
}

function envWebhookById(core: Core, req: Req, c: Caller): Webhook {
  const env = envOf(req, c);
  const w = findWebhook(core, c.app, req.params.id);
  if (w.envName !== env) throw err.webhookNotFound();
  return w;
}

export function addPremiumRoutes(router: Router, core: Core): void {
  const P = "/1.1/account_activity/all";
  const v1 = "v1" as const;
  router
    .add("GET", `${P}/subscriptions/count.json`, managed(core, {
      style: v1, auth: "app", rateKey: "v1.subscriptions.count",
      handler: (_req, c) => json(200, countV1(core, c.app)),
    }))
    .add("POST", `${P}/:env_name/webhooks.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.webhooks.register", write: true, bearerIs261: true,
      handler: async (req, c) => json(200, webhookV1(await registerWebhook(core, c.app, req.query.get("url"), "premium", envOf(req, c)))),
    }))
    .add("GET", `${P}/:env_name/webhooks.json`, managed(core, {
      style: v1, auth: "app", rateKey: "v1.webhooks.list",
      handler: (req, c) => {
        const env = envOf(req, c);
        return json(200, core.state.webhooksOfApp(c.app.name).filter((w) => w.envName === env).map(webhookV1));
      },
    }))
    .add("PUT", `${P}/:env_name/webhooks/:id.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.webhooks.recheck", write: true,
      handler: async (req, c) => {
        const outcome = await crcWebhook(core, envWebhookById(core, req, c), "recheck");
        if (!outcome.ok) throw err.url(outcome.message ?? undefined);
        return noContent();
      },
    }))
    .add("DELETE", `${P}/:env_name/webhooks/:id.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.webhooks.delete", write: true,
      handler: (req, c) => {
        deleteWebhook(core, envWebhookById(core, req, c));
        return noContent();
      },
    }))
    .add("POST", `${P}/:env_name/subscriptions.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.subscriptions.create", write: true,
      handler: (req, c) => {
        if (c.kind !== "user") throw err.userContextRequired();
        subscribe(core, c.app, envWebhook(core, req, c), c.userId);
        return noContent();
      },
    }))
    .add("GET", `${P}/:env_name/subscriptions.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.subscriptions.check",
      handler: (req, c) => {
        if (c.kind !== "user") throw err.userContextRequired();
        const w = envWebhook(core, req, c);
        checkUserAllowed(c.app, c.userId);
        if (!w.subscriptions.has(c.userId)) throw err.pageNotFound();
        return noContent();
      },
    }))
    .add("DELETE", `${P}/:env_name/subscriptions.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.subscriptions.delete", write: true,
      handler: (req, c) => {
        if (c.kind !== "user") throw err.userContextRequired();
        const w = envWebhook(core, req, c);
        checkUserAllowed(c.app, c.userId);
        if (!w.subscriptions.delete(c.userId)) throw err.pageNotFound();
        return noContent();
      },
    }))
    .add("GET", `${P}/:env_name/subscriptions/list.json`, managed(core, {
      style: v1, auth: "app", rateKey: "v1.subscriptions.list",
      handler: (req, c) => json(200, subscriptionListV1(core, envWebhook(core, req, c))),
    }))
    .add("DELETE", `${P}/:env_name/subscriptions/:user_id.json`, managed(core, {
      style: v1, auth: "app", rateKey: "v1.subscriptions.delete",
      handler: (req, c) => {
        const w = envWebhook(core, req, c);
        if (!w.subscriptions.delete(req.params.user_id ?? "")) throw err.pageNotFound();
        return noContent();
      },
    }));
}
