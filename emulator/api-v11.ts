/** v1.1 Enterprise: /1.1/account_activity/... (seeds/000 and the Replay table). */
import { managed } from "./api-common.ts";
import type { Core } from "./core.ts";
import { isoSeconds } from "./core.ts";
import { err } from "./errors.ts";
import { json, noContent, type Router } from "./http.ts";
import { checkWebhookIdParam, startReplay, validateReplayWindow } from "./replay.ts";
import type { Webhook } from "./state.ts";
import { checkUserAllowed, countSubscriptions, deleteWebhook, findWebhook, registerWebhook, subscribe } from "./webhooks.ts";
import { crcWebhook } from "./webhooks.ts";

export function webhookV1(w: Webhook): Record<string, unknown> {
  return { id: w.id, url: w.url, valid: w.valid, created_at: isoSeconds(w.createdAt) };
}

export function subscriptionListV1(core: Core, w: Webhook): Record<string, unknown> {
  return {
    webhook_id: w.id,
    webhook_url: w.url,
    application_id: core.state.apps.get(w.appName)?.appId ?? "",
    subscriptions: [...w.subscriptions].map((user_id) => ({ user_id })),
  };
}

export function countV1(core: Core, app: Parameters<typeof countSubscriptions>[1]): Record<string, string> {
  const c = countSubscriptions(core, app);
  return {
    account_name: c.accountName,
    subscriptions_count_all: String(c.all),
    subscriptions_count_direct_messages: String(c.all),
    provisioned_count: String(c.provisioned),
  };
}

export function addV11Routes(router: Router, core: Core): void {
  const P = "/1.1/account_activity";
  const v1 = "v1" as const;
  router
    .add("POST", `${P}/webhooks.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.webhooks.register", write: true, bearerIs261: true,
      handler: async (req, c) => json(200, webhookV1(await registerWebhook(core, c.app, req.query.get("url"), "v1.1", null))),
    }))
    .add("GET", `${P}/webhooks.json`, managed(core, {
      style: v1, auth: "app", rateKey: "v1.webhooks.list",
      handler: (_req, c) => json(200, core.state.webhooksOfApp(c.app.name).filter((w) => w.envName === null).map(webhookV1)),
    }))
    .add("PUT", `${P}/webhooks/:id.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.webhooks.recheck", write: true,
      handler: async (req, c) => {
        const outcome = await crcWebhook(core, findWebhook(core, c.app, req.params.id), "recheck");
        if (!outcome.ok) throw err.url(outcome.message ?? undefined);
        return noContent();
      },
    }))
    .add("DELETE", `${P}/webhooks/:id.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.webhooks.delete", write: true,
      handler: (req, c) => {
        deleteWebhook(core, findWebhook(core, c.app, req.params.id));
        return noContent();
      },
    }))
    .add("POST", `${P}/webhooks/:id/subscriptions/all.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.subscriptions.create", write: true,
      handler: (req, c) => {
        if (c.kind !== "user") throw err.userContextRequired();
        subscribe(core, c.app, findWebhook(core, c.app, req.params.id), c.userId);
        return noContent();
      },
    }))
    .add("GET", `${P}/webhooks/:id/subscriptions/all.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.subscriptions.check",
      handler: (req, c) => {
        if (c.kind !== "user") throw err.userContextRequired();
        const w = findWebhook(core, c.app, req.params.id);
        checkUserAllowed(c.app, c.userId);
        if (!w.subscriptions.has(c.userId)) throw err.pageNotFound();
        return noContent();
      },
    }))
    .add("DELETE", `${P}/webhooks/:id/subscriptions/all.json`, managed(core, {
      style: v1, auth: "user", rateKey: "v1.subscriptions.delete", write: true,
      handler: (req, c) => {
        if (c.kind !== "user") throw err.userContextRequired();
        const w = findWebhook(core, c.app, req.params.id);
        checkUserAllowed(c.app, c.userId);
        if (!w.subscriptions.delete(c.userId)) throw err.pageNotFound();
        return noContent();
      },
    }))
    .add("GET", `${P}/webhooks/:id/subscriptions/all/list.json`, managed(core, {
      style: v1, auth: "app", rateKey: "v1.subscriptions.list",
      handler: (req, c) => json(200, subscriptionListV1(core, findWebhook(core, c.app, req.params.id))),
    }))
    .add("DELETE", `${P}/webhooks/:id/subscriptions/:user_id/all.json`, managed(core, {
      style: v1, auth: "app", rateKey: "v1.subscriptions.delete",
      handler: (req, c) => {
        const w = findWebhook(core, c.app, req.params.id);
        if (!w.subscriptions.delete(req.params.user_id ?? "")) throw err.pageNotFound();
        return noContent();
      },
    }))
    .add("GET", `${P}/subscriptions/count.json`, managed(core, {
      style: v1, auth: "app", rateKey: "v1.subscriptions.count",
      handler: (_req, c) => json(200, countV1(core, c.app)),
    }))
    .add("POST", `${P}/replay/webhooks/:id/subscriptions/all.json`, managed(core, {
      style: v1, auth: "app", rateKey: "v1.replay", replayAuth: true,
      handler: (req, c) => {
        const id = req.params.id ?? "";
        const bad = checkWebhookIdParam(id);
        if (bad) throw bad;
        const w = findWebhook(core, c.app, id);
        const win = validateReplayWindow(req.query.get("from_date"), req.query.get("to_date"), {
          now: core.clock.now(),
          lookbackMs: core.config.replay.lookbackMsV11,
          minFromAgeMs: core.config.replay.minFromAgeMs,
          minToAgeMs: core.config.replay.minToAgeMs,
        });
        if (win instanceof Error) throw win;
        const job = startReplay(core, c.app, w, win, "v1.1");
        return json(202, { job_id: job.jobId, created_at: isoSeconds(job.createdAt) });
      },
    }));
}
