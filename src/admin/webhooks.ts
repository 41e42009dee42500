/**
 * /admin/apps/:app/webhooks: register, list (X's view and ours), re-check, delete. Each call
 * to X is recorded in the app's Registry so the KV mirror and GET /admin/apps follow.
 */
import type { IRequest } from "itty-router";
import { HttpError } from "../http/errors.ts";
import { diagnoseCrcFailure } from "../cron/signature-check.ts";
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
  const startedMs = ctx.deps.now();
  let w;
  try {
    w = await withX(ctx, (x) => x.registerWebhook(url));
  } catch (err) {
    throw err instanceof XApiError ? await diagnoseCrcFailure(ctx, err, startedMs) : err;
  }
  const nowIso = new Date(ctx.deps.now()).toISOString();
  let row = await ctx.registry.recordWebhook(w, nowIso);
  // X registers only after its CRC against the URL passed: that CRC is the webhook's last one.
  if (w.valid) {
    await ctx.registry.recordCrcSeen(w.id, nowIso, null);
    row = (await ctx.registry.listWebhooks()).find((r) => r.id === w.id) ?? row;
  }
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
  const startedMs = ctx.deps.now();
  const nowIso = new Date(startedMs).toISOString();
  try {
    const r = await withX(ctx, (x) => x.recheckWebhook(id));
    // A passing re-check is a passing CRC: record it as the webhook's last one.
    if (r.valid) await ctx.registry.recordCrcSeen(id, nowIso, null);
    const row = await ctx.registry.recordRecheck(id, r.valid, r.valid ? null : "X answered valid: false", nowIso);
    return Response.json({ id, valid: r.valid, registry: row });
  } catch (err) {
    // A CRC failure is a fact about the webhook: record it, with the likely cause the receiver
    // saw (its own refusals of X's requests), before answering with X's error.
    if (err instanceof XApiError && err.kind.startsWith("crc_")) {
      const diagnosed = await diagnoseCrcFailure(ctx, err, startedMs);
      await ctx.registry.recordRecheck(id, false, `${diagnosed.kind}: ${diagnosed.fix}`, nowIso);
      throw diagnosed;
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
