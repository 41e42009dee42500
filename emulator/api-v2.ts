/**
 * v2: /2/webhooks and /2/account_activity/... (AAA v2 and XAA share them). Bodies are wrapped in
 * `data`; errors are problem JSON with X's reason, never a v1.1 code (unless `v2ErrorCodes`). A failed CRC on
 * register is 400 (code 214 and X's message); on PUT it is 200 `{"data":{"valid":false}}` with
 * the 214 message in `errors`.
 */
import { managed } from "./api-common.ts";
import { countV1 } from "./api-v11.ts";
import type { Core } from "./core.ts";
import { ApiError, err, MESSAGES } from "./errors.ts";
import { json, jsonBody, type Router } from "./http.ts";
import { checkWebhookIdParam, startReplay, validateReplayWindow } from "./replay.ts";
import type { Webhook } from "./state.ts";
import { checkUserAllowed, crcWebhook, deleteWebhook, findWebhook, registerWebhook, subscribe } from "./webhooks.ts";

function webhookV2(w: Webhook): Record<string, unknown> {
  return { id: w.id, url: w.url, valid: w.valid, created_at: new Date(Math.floor(w.createdAt / 1000) * 1000).toISOString() };
}

function bodyObject(raw: unknown): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ApiError(400, undefined, "Request body must be a JSON object.");
  return raw as Record<string, unknown>;
}

function field(o: Record<string, unknown>, key: string): string | null {
  const v = o[key];
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : null;
}

export function addV2Routes(router: Router, core: Core): void {
  const v2 = "v2" as const;
  const A = "/2/account_activity";
  router
    .add("POST", "/2/webhooks/replay", managed(core, {
      style: v2, auth: "app", rateKey: "v2.replay", replayAuth: true,
      handler: (req, c) => {
        const body = bodyObject(jsonBody(req));
        const id = field(body, "webhook_id");
        if (id === null) throw new ApiError(400, 357, "webhook_id: queryParam is required.");
        const bad = checkWebhookIdParam(id);
        if (bad) throw bad;
        const w = findWebhook(core, c.app, id);
        const win = validateReplayWindow(field(body, "from_date"), field(body, "to_date"), {
          now: core.clock.now(),
          lookbackMs: core.config.replay.lookbackMsV2,
          minFromAgeMs: core.config.replay.minFromAgeMs,
          minToAgeMs: core.config.replay.minToAgeMs,
        });
        if (win instanceof Error) throw win;
        // OpenAPI: to_date is inclusive, so the whole to_date minute is replayed (v1.1 stops before it).
        const job = startReplay(core, c.app, w, { fromMs: win.fromMs, toMs: win.toMs + 60_000 }, "v2");
        return json(200, { data: { job_id: job.jobId, created_at: new Date(job.createdAt).toISOString() } });
      },
    }))
    .add("POST", "/2/webhooks", managed(core, {
      style: v2, auth: "either", rateKey: "v2.webhooks.register", write: true,
      handler: async (req, c) => {
        const raw = jsonBody(req);
        const url = raw === null ? req.query.get("url") : field(bodyObject(raw), "url");
        try {
          return json(200, { data: webhookV2(await registerWebhook(core, c.app, url, "v2", null)) });
        } catch (e) {
          // X v2 answers a failed CRC or a bad URL as an invalid request (400).
          if (e instanceof ApiError && e.code === 214 && e.message !== MESSAGES.tooManyResources) throw new ApiError(400, 214, e.message, e.reason);
          throw e;
        }
      },
    }))
    .add("GET", "/2/webhooks", managed(core, {
      style: v2, auth: "either", rateKey: "v2.webhooks.list",
      handler: (_req, c) => {
        const list = core.state.webhooksOfApp(c.app.name).filter((w) => w.envName === null).map(webhookV2);
        return json(200, { data: list, meta: { result_count: list.length } });
      },
    }))
    .add("PUT", "/2/webhooks/:id", managed(core, {
      style: v2, auth: "either", rateKey: "v2.webhooks.recheck", write: true,
      handler: async (req, c) => {
        const outcome = await crcWebhook(core, findWebhook(core, c.app, req.params.id), "recheck");
        if (outcome.ok) return json(200, { data: { valid: true } });
        const item: Record<string, unknown> = { message: outcome.message, reason: "CrcValidationFailed" };
        if (core.config.v2ErrorCodes) item.code = 214;
        return json(200, { data: { valid: false }, errors: [item] });
      },
    }))
    .add("DELETE", "/2/webhooks/:id", managed(core, {
      style: v2, auth: "either", rateKey: "v2.webhooks.delete", write: true,
      handler: (req, c) => {
        deleteWebhook(core, findWebhook(core, c.app, req.params.id));
        return json(200, { data: { deleted: true } });
      },
    }))
    .add("POST", `${A}/webhooks/:id/subscriptions/all`, managed(core, {
      style: v2, auth: "user", rateKey: "v2.subscriptions.create", write: true,
      handler: (req, c) => {
        if (c.kind !== "user") throw err.userContextRequired();
        subscribe(core, c.app, findWebhook(core, c.app, req.params.id), c.userId);
        return json(200, { data: { subscribed: true } });
      },
    }))
    .add("GET", `${A}/webhooks/:id/subscriptions/all`, managed(core, {
      style: v2, auth: "user", rateKey: "v2.subscriptions.check",
      handler: (req, c) => {
        if (c.kind !== "user") throw err.userContextRequired();
        const w = findWebhook(core, c.app, req.params.id);
        checkUserAllowed(c.app, c.userId);
        return json(200, { data: { subscribed: w.subscriptions.has(c.userId) } });
      },
    }))
    .add("GET", `${A}/webhooks/:id/subscriptions/all/list`, managed(core, {
      style: v2, auth: "app", rateKey: "v2.subscriptions.list",
      handler: (req, c) => {
        const w = findWebhook(core, c.app, req.params.id);
        return json(200, {
          data: { application_id: c.app.appId, webhook_id: w.id, webhook_url: w.url, subscriptions: [...w.subscriptions].map((user_id) => ({ user_id })) },
        });
      },
    }))
    .add("DELETE", `${A}/webhooks/:id/subscriptions/:user_id/all`, managed(core, {
      style: v2, auth: "app", rateKey: "v2.subscriptions.delete",
      handler: (req, c) => {
        findWebhook(core, c.app, req.params.id).subscriptions.delete(req.params.user_id ?? "");
        return json(200, { data: { subscribed: false } });
      },
    }))
    .add("GET", `${A}/subscriptions/count`, managed(core, {
      style: v2, auth: "app", rateKey: "v2.subscriptions.count",
      handler: (_req, c) => json(200, { data: countV1(core, c.app) }),
    }));
}
