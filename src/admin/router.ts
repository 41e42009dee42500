/**
 * The admin API under /admin: bearer ADMIN_TOKEN (constant time, see auth.ts) before anything
 * else, JSON in and out. XApiErrors become answers mirroring X's status with
 * `{error: {code: kind, x_code, message, fix}}`; everything else goes through toErrorResponse.
 */
import { Router, type IRequest } from "itty-router";
import { toErrorResponse, notFound } from "../http/errors.ts";
import { ADMIN_API_HEADERS, withHeaders } from "../http/security-headers.ts";
import { XApiError } from "../x-api/errors.ts";
import { revalidateApp } from "../cron/revalidate.ts";
import { settingsFrom } from "../cron/revalidate-policy.ts";
import { appHealth } from "./apps.ts";
import { requireAdmin } from "./auth.ts";
import { appContext, defaultDeps, type AppContext, type ControlDeps } from "./context.ts";
import { listAppLetters, listLetters, purgeLetters, redriveLetters, showLetter } from "./dead-letters.ts";
import { appFrom, configFrom, jsonBody, xErrorResponse } from "./http.ts";
import { createInvite } from "./invites.ts";
import { getPipeline } from "./pipeline.ts";
import { getMetrics, getTail } from "./metrics.ts";
import { getSpilledEnvelope } from "./spill.ts";
import { getReplayJob, listReplayJobs, requestReplay } from "./replay.ts";
import { addSubscription, checkSubscription, countSubscriptions, listSubscriptions, reconcileSubscriptions, removeSubscription, resealTokens } from "./subscriptions.ts";
import { deleteWebhook, listWebhooks, recheckWebhook, registerWebhook } from "./webhooks.ts";
import { getMigration, postMigration } from "./migration.ts";
import { xaaDeleteProfile, xaaDeleteSubscription, xaaOverview, xaaProfiles, xaaPutProfile, xaaReconcile, xaaRefreshTokens, xaaSubscribe, xaaUnsubscribe, xaaUser, xaaUsers } from "./xaa.ts";

type Args = [env: Env, ctx: ExecutionContext];
type AppHandler = (c: AppContext, req: IRequest, env: Env) => Promise<Response>;

export function createAdminRouter(deps: ControlDeps = defaultDeps) {
  const perApp = (h: AppHandler) => (req: IRequest, env: Env) => {
    const config = configFrom(env);
    return h(appContext(env, config, appFrom(req, config), deps), req, env);
  };

  const router = Router<IRequest, Args>({
    base: "/admin",
    before: [async (req: IRequest, env: Env) => { await requireAdmin(req, configFrom(env).adminToken); }],
    catch: (err: unknown, req: IRequest) => (err instanceof XApiError ? xErrorResponse(err, deps.now()) : toErrorResponse(err, req)),
    // Every answer, errors and 401s included: admin JSON is never cached or sniffed.
    finally: [(res: Response) => withHeaders(res, ADMIN_API_HEADERS)],
  });

  router
    .get("/apps", async (_req, env) => {
      const config = configFrom(env);
      const apps = await Promise.all([...config.apps.values()].map((app) => appHealth(appContext(env, config, app, deps))));
      return Response.json({ apps });
    })
    .get("/apps/:app", perApp(async (c) => Response.json(await appHealth(c))))
    .get("/apps/:app/webhooks", perApp(listWebhooks))
    .post("/apps/:app/webhooks", perApp(registerWebhook))
    .put("/apps/:app/webhooks", perApp(recheckWebhook))
    .put("/apps/:app/webhooks/:id", perApp(recheckWebhook))
    .post("/apps/:app/webhooks/:id/recheck", perApp(recheckWebhook))
    .delete("/apps/:app/webhooks/:id", perApp(deleteWebhook))
    .get("/apps/:app/subscriptions", perApp(listSubscriptions))
    .post("/apps/:app/subscriptions", perApp(addSubscription))
    .get("/apps/:app/subscriptions/count", perApp(countSubscriptions))
    .post("/apps/:app/subscriptions/reconcile", perApp(reconcileSubscriptions))
    .get("/apps/:app/subscriptions/:user_id", perApp(checkSubscription))
    .delete("/apps/:app/subscriptions/:user_id", perApp(removeSubscription))
    .post("/apps/:app/tokens/reseal", perApp(resealTokens))
    .post("/apps/:app/replay", perApp(requestReplay))
    .get("/apps/:app/replay", perApp(listReplayJobs))
    .get("/apps/:app/replay/:job_id", perApp(getReplayJob))
    .post("/apps/:app/revalidate", perApp(async (c, req) => {
      const body = await jsonBody(req, true);
      const outcome = await revalidateApp(c, settingsFrom(c.config), { force: body.force === true });
      return Response.json(outcome);
    }))
    .get("/apps/:app/migration", perApp(getMigration))
    .post("/apps/:app/migration", perApp(postMigration))
    .get("/apps/:app/xaa", perApp(xaaOverview))
    .get("/apps/:app/xaa/users", perApp(xaaUsers))
    .get("/apps/:app/xaa/users/:user_id", perApp(xaaUser))
    .post("/apps/:app/xaa/users/:user_id", perApp(xaaSubscribe))
    .delete("/apps/:app/xaa/users/:user_id", perApp(xaaUnsubscribe))
    .delete("/apps/:app/xaa/subscriptions/:id", perApp(xaaDeleteSubscription))
    .post("/apps/:app/xaa/reconcile", perApp(xaaReconcile))
    .post("/apps/:app/xaa/tokens/refresh", perApp(xaaRefreshTokens))
    .get("/apps/:app/xaa/profiles", perApp(xaaProfiles))
    .put("/apps/:app/xaa/profiles/:name", perApp(xaaPutProfile))
    .delete("/apps/:app/xaa/profiles/:name", perApp(xaaDeleteProfile))
    .post("/apps/:app/invites", perApp(createInvite))
    .get("/apps/:app/spill", perApp(getSpilledEnvelope))
    .get("/apps/:app/dead-letters", perApp(listAppLetters))
    .get("/dead-letters", listLetters)
    .post("/dead-letters/redrive", redriveLetters)
    .post("/dead-letters/purge", purgeLetters)
    .get("/dead-letters/:id", showLetter)
    .get("/pipeline", getPipeline)
    .get("/metrics", getMetrics)
    .get("/tail", getTail)
    .all("*", () => notFound());

  return router;
}

export const adminRouter = createAdminRouter();
