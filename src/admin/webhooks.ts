/**
 * /admin/apps/:app/webhooks: register, list (X's view and ours), re-check, delete. Each call
 * to X is recorded in the app's Registry so the KV mirror and GET /admin/apps follow.
 */
import type { IRequest } from "itty-router";
import { HttpError } from "../http/errors.ts";
import { XApiError } from "../x-api/errors.ts";
import { withX, type AppContext } from "./context.ts";
import { badRequest, jsonBody, optionalString } from "./http.ts";

const WEBHOOK_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function webhookIdParam(req: IRequest): string {
  const id = req.params.id ?? "";
  if (!WEBHOOK_ID.test(id)) throw badRequest("Webhook id must be 1-64 letters, digits, '-' or '_'.");
  return id;
}

/** The URL to register: the body's, else the app's configured webhook_url, else this origin. */
export function registrationUrl(ctx: AppContext, req: Request, bodyUrl: string | undefined): string {
  const raw = bodyUrl ?? ctx.app.webhookUrl ?? `${new URL(req.url).origin}/webhooks/${ctx.app.name}`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw badRequest(`"url" is not a valid URL.`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw badRequest(`"url" must be an https URL (X refuses anything else).`);
  return u.toString();
}

export async function registerWebhook(ctx: AppContext, req: IRequest): Promise<Response> {
  const body = await jsonBody(req, true);
  const url = registrationUrl(ctx, req, optionalString(body, "url"));
  const w = await withX(ctx, (x) => x.registerWebhook(url));
  const row = await ctx.registry.recordWebhook(w, new Date(ctx.deps.now()).toISOString());
  return Response.json({ webhook: w, registry: row }, { status: 201 });
}

export async function listWebhooks(ctx: AppContext, req: IRequest): Promise<Response> {
  if (req.query.source === "registry") return Response.json({ registry: await ctx.registry.listWebhooks() });
  const list = await withX(ctx, (x) => x.listWebhooks());
  const rows = await ctx.registry.syncWebhooks(list, new Date(ctx.deps.now()).toISOString());
  return Response.json({ x: list, registry: rows });
}

/** The id from the path, else the webhook the Registry knows for the app. */
export async function webhookIdOrCurrent(ctx: AppContext, req: IRequest): Promise<string> {
  if (req.params.id !== undefined) return webhookIdParam(req);
  const current = await ctx.registry.currentWebhook();
  if (current !== null) return current.id;
  const list = await withX(ctx, (x) => x.listWebhooks());
  const first = list[0];
  if (first === undefined) throw new HttpError(409, "no_webhook", `App ${ctx.app.name} has no registered webhook: register one first (POST /admin/apps/${ctx.app.name}/webhooks).`);
  await ctx.registry.syncWebhooks(list, new Date(ctx.deps.now()).toISOString());
  return first.id;
}

export async function recheckWebhook(ctx: AppContext, req: IRequest): Promise<Response> {
  const id = await webhookIdOrCurrent(ctx, req);
  const nowIso = new Date(ctx.deps.now()).toISOString();
  try {
    const r = await withX(ctx, (x) => x.recheckWebhook(id));
    const row = await ctx.registry.recordRecheck(id, r.valid, r.valid ? null : "X answered valid: false", nowIso);
    return Response.json({ id, valid: r.valid, registry: row });
  } catch (err) {
    // A CRC failure is a fact about the webhook: record it before answering with X's error.
    if (err instanceof XApiError && err.kind.startsWith("crc_")) {
      await ctx.registry.recordRecheck(id, false, `${err.kind}: ${err.fix}`, nowIso);
    }
    throw err;
  }
}

export async function deleteWebhook(ctx: AppContext, req: IRequest): Promise<Response> {
  const id = webhookIdParam(req);
  await withX(ctx, (x) => x.deleteWebhook(id));
  await ctx.registry.removeWebhook(id);
  return Response.json({ id, deleted: true });
}
