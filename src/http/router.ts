/**
 * The HTTP surface. Handlers return Responses; `toErrorResponse` turns thrown errors into JSON
 * without ever passing an internal message to the wire (itty-router's default catch would).
 */
import { Router, type IRequest } from "itty-router";
import { toErrorResponse, notFound } from "./errors.ts";
import { handleWebhookGet, handleWebhookPost } from "../webhook/routes.ts";
import { adminRouter } from "../admin/router.ts";
import { oauthRouter } from "../oauth/routes.ts";

type Args = [env: Env, ctx: ExecutionContext];

export const router = Router<IRequest, Args>({
  catch: toErrorResponse,
});

router
  .get("/webhooks/:app", (req, env, ctx) => handleWebhookGet(req, env, ctx))
  .post("/webhooks/:app", (req, env, ctx) => handleWebhookPost(req, env, ctx))
  .get("/healthz", () => Response.json({ ok: true }))
  .all("/admin/*", (req, env, ctx) => adminRouter.fetch(req, env, ctx))
  .all("/oauth/:app/*", (req, env, ctx) => oauthRouter.fetch(req, env, ctx))
  .all("*", () => notFound());
