/**
 * The HTTP surface. Handlers return Responses; `toErrorResponse` turns thrown errors into JSON
 * without ever passing an internal message to the wire (itty-router's default catch would).
 *
 * `/webhooks/:app` (what X calls) is matched by hand before the router: on the CRC path the
 * router's matching and wrapping cost about 11 µs a request, most of the gap between the CRC
 * answer and a bare HMAC Worker (bench/README.md). Everything else goes through itty-router.
 */
import { Router, type IRequest } from "itty-router";
import { toErrorResponse, notFound, jsonError } from "./errors.ts";
import { handleWebhookGet, handleWebhookPost } from "../webhook/routes.ts";
import { adminRouter } from "../admin/router.ts";
import { oauthRouter } from "../oauth/routes.ts";
import { oauth2Router } from "../oauth/oauth2-routes.ts";
import { handleDashboard } from "../dashboard/routes.ts";

type Args = [env: Env, ctx: ExecutionContext];

export const router = Router<IRequest, Args>({
  catch: toErrorResponse,
});

router
  .get("/healthz", () => Response.json({ ok: true }))
  .all("/admin/*", (req, env, ctx) => adminRouter.fetch(req, env, ctx))
  .all("/oauth/:app/*", (req, env, ctx) => oauthRouter.fetch(req, env, ctx))
  .all("/oauth2/:app/*", (req, env, ctx) => oauth2Router.fetch(req, env, ctx))
  .all("/dashboard/*", (req) => handleDashboard(req))
  .all("*", () => notFound());

const WEBHOOK_PREFIX = "/webhooks/";

/** The `:app` of a `/webhooks/:app` URL (one path segment, query ignored), else null. */
export function webhookAppName(url: string): string | null {
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  if (pathStart < 0 || !url.startsWith(WEBHOOK_PREFIX, pathStart)) return null;
  const nameStart = pathStart + WEBHOOK_PREFIX.length;
  let end = url.indexOf("?", nameStart);
  if (end < 0) end = url.length;
  const name = url.slice(nameStart, end);
  return name === "" || name.includes("/") ? null : name;
}

export async function handleFetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const app = webhookAppName(request.url);
  if (app === null) return router.fetch(request, env, ctx);
  try {
    if (request.method === "GET") return await handleWebhookGet(request, app, env, ctx);
    if (request.method === "POST") return await handleWebhookPost(request, app, env, ctx);
    return jsonError(405, "method_not_allowed", "Use GET (CRC) or POST (deliveries).", { allow: "GET, POST" });
  } catch (err) {
    return toErrorResponse(err, request);
  }
}
