/**
 * The emulator's own control and inspection API under /_emulator/ (JSON). Not part of X:
 * make activity happen, move the virtual clock, look at every webhook, subscription, delivery
 * attempt, CRC and Replay job, add apps and users, reset.
 */
import { ActivityError, buildActivity } from "./activity.ts";
import type { AppDef, UserDef } from "./config.ts";
import { completeApp, completeUser, EmulatorConfigError } from "./config-load.ts";
import type { Core } from "./core.ts";
import { deliverActivity, type FanOutResult } from "./delivery.ts";
import { json, jsonBody, type Reply, type Req, type Router } from "./http.ts";
import type { Webhook } from "./state.ts";
import { crcWebhook } from "./webhooks.ts";

export interface EmitResult {
  type: string;
  ids: Record<string, string>;
  deliveries: FanOutResult[];
}

/** Make activity happen (shared by POST /_emulator/events and RunningEmulator.emit). */
export async function emitActivity(core: Core, input: unknown): Promise<EmitResult> {
  const activity = buildActivity(core, input);
  const deliveries = await deliverActivity(core, activity);
  return { type: activity.type, ids: activity.ids, deliveries };
}

export function webhookView(w: Webhook): Record<string, unknown> {
  return {
    id: w.id,
    app: w.appName,
    url: w.url,
    valid: w.valid,
    api: w.api,
    env_name: w.envName,
    created_at: new Date(w.createdAt).toISOString(),
    last_crc_ok_at: w.lastCrcOkAt === null ? null : new Date(w.lastCrcOkAt).toISOString(),
    last_crc_at: w.lastCrcAt === null ? null : new Date(w.lastCrcAt).toISOString(),
    subscriptions: [...w.subscriptions],
    replay_job_id: w.replayJobId,
  };
}

export function appView(a: AppDef): Record<string, unknown> {
  return { ...a };
}

function bad(message: string): Reply {
  return json(400, { error: message });
}

function filterBy<T extends object>(items: T[], req: Req, keys: Record<string, keyof T>): T[] {
  return items.filter((item) =>
    Object.entries(keys).every(([param, field]) => {
      const want = req.query.get(param);
      return want === null || String(item[field]) === want;
    }),
  );
}

export interface ControlHooks {
  reset(): void;
  addApp(app: AppDef): void;
  addUser(user: UserDef): void;
}

export function addControlRoutes(router: Router, core: Core, hooks: ControlHooks): void {
  const C = "/_emulator";
  router
    .add("GET", `${C}/health`, () => json(200, { ok: true, now: new Date(core.clock.now()).toISOString() }))
    .add("GET", `${C}/webhooks`, () => json(200, [...core.state.webhooks.values()].map(webhookView)))
    .add("GET", `${C}/subscriptions`, () =>
      json(
        200,
        [...core.state.webhooks.values()].flatMap((w) => [...w.subscriptions].map((user_id) => ({ webhook_id: w.id, app: w.appName, user_id }))),
      ),
    )
    .add("GET", `${C}/deliveries`, (req) =>
      json(200, filterBy(core.state.deliveries, req, {
        webhook_id: "webhookId",
        for_user_id: "forUserId",
        event_type: "eventType",
        app: "appName",
        replay_job_id: "replayJobId",
        api: "api",
        subscription_id: "subscriptionId",
        outcome: "outcome",
      })),
    )
    .add("GET", `${C}/crc`, (req) => json(200, filterBy(core.state.crcChecks, req, { webhook_id: "webhookId", app: "appName", reason: "reason" })))
    .add("GET", `${C}/events`, (req) => json(200, filterBy(core.state.events, req, { webhook_id: "webhookId", for_user_id: "forUserId", event_type: "eventType", api: "api", subscription_id: "subscriptionId" })))
    .add("GET", `${C}/replays`, () => json(200, [...core.state.replayJobs.values()]))
    .add("POST", `${C}/events`, async (req) => {
      try {
        return json(200, await emitActivity(core, jsonBody(req)));
      } catch (e) {
        if (e instanceof ActivityError) return bad(e.message);
        throw e;
      }
    })
    .add("POST", `${C}/webhooks/:id/crc`, async (req) => {
      const w = core.state.webhooks.get(req.params.id ?? "");
      if (!w) return json(404, { error: "no such webhook" });
      const outcome = await crcWebhook(core, w, "periodic");
      return json(200, { ...outcome, webhook: webhookView(w) });
    })
    .add("GET", `${C}/clock`, () =>
      json(200, { now: core.clock.now(), iso: new Date(core.clock.now()).toISOString(), scale: core.clock.scale, pending_timers: core.clock.pending().length }),
    )
    .add("POST", `${C}/clock/advance`, async (req) => {
      const body = jsonBody(req) as { ms?: unknown } | null;
      const ms = body?.ms;
      if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) return bad("body must be {\"ms\": <non-negative number>}");
      await core.clock.advance(ms);
      return json(200, { now: core.clock.now(), iso: new Date(core.clock.now()).toISOString() });
    })
    .add("POST", `${C}/reset`, () => {
      hooks.reset();
      return json(200, { ok: true });
    })
    .add("GET", `${C}/apps`, () => json(200, [...core.state.apps.values()].map(appView)))
    .add("POST", `${C}/apps`, (req) => {
      try {
        const input = jsonBody(req) as Partial<AppDef> | null;
        if (input === null || typeof input !== "object") return bad("body must be an app object");
        const app = completeApp(input, input.name === undefined ? undefined : core.state.apps.get(input.name));
        hooks.addApp(app);
        return json(200, appView(app));
      } catch (e) {
        if (e instanceof EmulatorConfigError) return bad(e.message);
        throw e;
      }
    })
    .add("GET", `${C}/users`, () => json(200, [...core.state.users.values()]))
    .add("POST", `${C}/users`, (req) => {
      try {
        const input = jsonBody(req) as Partial<UserDef> | null;
        if (input === null || typeof input !== "object") return bad("body must be a user object");
        const user = completeUser(input, input.id === undefined ? undefined : core.state.users.get(input.id));
        hooks.addUser(user);
        return json(200, user);
      } catch (e) {
        if (e instanceof EmulatorConfigError) return bad(e.message);
        throw e;
      }
    });
}
