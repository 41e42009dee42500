/**
 * AAA ("all activity") subscriptions as the core offers them to callers other than the admin
 * routes (the AAA→XAA migration above all): who X lists on the app's webhook, and removing one
 * user at X and in the Registry. The admin API's own routes (src/admin/subscriptions.ts) do the
 * same through HTTP.
 */
import { HttpError } from "../http/errors.ts";
import type { SubscriptionRow } from "../state/registry-schema.ts";
import { withX, type AppContext } from "./context.ts";

/** The app's current webhook id (the Registry's newest); 409 when none is recorded. */
export async function currentWebhookId(ctx: AppContext): Promise<string> {
  const hook = await ctx.registry.currentWebhook();
  if (hook === null) throw new HttpError(409, "no_webhook", `App "${ctx.app.name}" has no webhook recorded: register one (POST /admin/apps/${ctx.app.name}/webhooks) first.`);
  return hook.id;
}

export interface AaaSubscribers {
  webhook_id: string;
  /** User ids X lists as subscribed (app-only call). */
  at_x: string[];
  /** The Registry's active rows (with whether a sealed OAuth 1.0a token is held). */
  recorded: SubscriptionRow[];
}

export async function listAaaSubscribers(ctx: AppContext): Promise<AaaSubscribers> {
  const webhookId = await currentWebhookId(ctx);
  const atX = await withX(ctx, (x) => x.listSubscriptions(webhookId));
  return { webhook_id: webhookId, at_x: atX, recorded: await ctx.registry.listSubscriptions(false) };
}

/**
 * Unsubscribe one user at X (app-only per-user delete) and mark them removed here with `reason`
 * (their OAuth 1.0a token is deleted too). Idempotent at our side; X's error is thrown as is.
 */
export async function removeAaaSubscription(ctx: AppContext, userId: string, reason: string): Promise<{ webhook_id: string; was_active: boolean }> {
  const webhookId = await currentWebhookId(ctx);
  await withX(ctx, (x) => x.unsubscribe(webhookId, userId));
  const wasActive = await ctx.registry.removeSubscription(userId, reason, new Date(ctx.deps.now()).toISOString());
  return { webhook_id: webhookId, was_active: wasActive };
}
