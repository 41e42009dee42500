/**
 * Webhook and subscription operations shared by the v1.1, Premium and v2 surfaces: the API files
 * only translate paths, auth and response shapes. Also owns CRC bookkeeping: every CRC is logged,
 * the invalidation policy applied, and the next periodic CRC scheduled on the virtual clock.
 */
import { accountLimits, type AppDef } from "./config.ts";
import type { Core } from "./core.ts";
import { applyCrcPolicy, performCrc, type CrcOutcome } from "./crc.ts";
import { err, MESSAGES } from "./errors.ts";
import type { CrcReason, Webhook, WebhookApi } from "./state.ts";

async function probe(core: Core, app: AppDef, url: string, webhookId: string | null, reason: CrcReason): Promise<CrcOutcome> {
  const now = core.clock.now();
  const outcome = await performCrc(url, app.consumerSecret, {
    timeoutMs: core.config.crc.timeoutMs,
    legacyNonce: core.config.crc.legacyNonce,
    nowMs: now,
  });
  core.state.crcChecks.push({
    id: core.state.nextId(now),
    webhookId,
    appName: app.name,
    url,
    reason,
    at: now,
    crcToken: outcome.crcToken,
    nonce: outcome.nonce,
    status: outcome.status,
    latencyMs: outcome.latencyMs,
    verdict: outcome.verdict,
    ok: outcome.ok,
    message: outcome.message,
    invalidated: false,
  });
  return outcome;
}

/** CRC an existing webhook, apply the invalidation rules, and schedule the next periodic check. */
export async function crcWebhook(core: Core, webhook: Webhook, reason: CrcReason): Promise<CrcOutcome> {
  const app = core.state.apps.get(webhook.appName);
  if (!app) throw err.webhookNotFound();
  const outcome = await probe(core, app, webhook.url, webhook.id, reason);
  if (core.state.webhooks.get(webhook.id) !== webhook) return outcome; // deleted meanwhile
  const now = core.clock.now();
  const wasValid = webhook.valid;
  const next = applyCrcPolicy(webhook, outcome, now, core.config.crc.invalidateAfterMs);
  webhook.valid = next.valid;
  webhook.lastCrcOkAt = next.lastCrcOkAt;
  webhook.lastCrcAt = now;
  const record = core.state.crcChecks[core.state.crcChecks.length - 1];
  if (record && wasValid && !webhook.valid) record.invalidated = true;
  schedulePeriodicCrc(core, webhook, outcome.ok ? core.config.crc.intervalMs : core.config.crc.retryIntervalMs);
  return outcome;
}

/** Periodic CRC runs only while the webhook is valid: an invalid one waits for a PUT. */
export function schedulePeriodicCrc(core: Core, webhook: Webhook, delayMs: number): void {
  core.clock.cancel(webhook.crcTimer);
  webhook.crcTimer = null;
  if (!core.config.crc.periodic || !webhook.valid) return;
  webhook.crcTimer = core.clock.after(delayMs, async () => {
    webhook.crcTimer = null;
    if (core.state.webhooks.get(webhook.id) === webhook && webhook.valid) await crcWebhook(core, webhook, "periodic");
  });
}

function checkUrl(core: Core, url: string | null): string {
  if (url === null || url === "") throw err.url();
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw err.url();
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw err.url();
  if (core.config.requireHttps && u.protocol !== "https:") throw err.url();
  return url;
}

export async function registerWebhook(
  core: Core,
  app: AppDef,
  rawUrl: string | null,
  api: WebhookApi,
  envName: string | null,
): Promise<Webhook> {
  const url = checkUrl(core, rawUrl);
  const { state } = core;
  if (state.webhooksOfApp(app.name).some((w) => w.url === url && w.envName === envName)) throw err.duplicateUrl();
  const account = state.accounts.get(app.account) ?? { name: app.account, tier: "enterprise" as const };
  const limits = accountLimits(core.config, account);
  if (state.webhooksOfAccount(account.name).length >= limits.webhooks) throw err.tooMany();
  if (envName !== null && state.webhooksOfApp(app.name).some((w) => w.envName === envName)) throw err.tooMany();
  const outcome = await probe(core, app, url, null, "register");
  if (!outcome.ok) throw err.url(outcome.message ?? MESSAGES.urlRequirements);
  const now = core.clock.now();
  const webhook: Webhook = {
    id: state.nextId(now),
    appName: app.name,
    url,
    valid: true,
    createdAt: now,
    envName,
    api,
    subscriptions: new Set(),
    lastCrcOkAt: now,
    lastCrcAt: now,
    crcTimer: null,
    replayJobId: null,
  };
  const record = state.crcChecks[state.crcChecks.length - 1];
  if (record) record.webhookId = webhook.id;
  state.webhooks.set(webhook.id, webhook);
  schedulePeriodicCrc(core, webhook, core.config.crc.intervalMs);
  return webhook;
}

/** The app's webhook with this id, else 404 code 34 (missing or another app's). */
export function findWebhook(core: Core, app: AppDef, id: string | undefined): Webhook {
  const w = id === undefined ? undefined : core.state.webhooks.get(id);
  if (!w || w.appName !== app.name) throw err.webhookNotFound();
  return w;
}

export function deleteWebhook(core: Core, webhook: Webhook): void {
  core.clock.cancel(webhook.crcTimer);
  core.state.webhooks.delete(webhook.id);
}

export function subscribe(core: Core, app: AppDef, webhook: Webhook, userId: string): void {
  if (app.deniedUserIds.includes(userId)) throw err.userNotPermitted();
  if (webhook.subscriptions.has(userId)) return;
  const account = core.state.accounts.get(app.account) ?? { name: app.account, tier: "enterprise" as const };
  if (webhook.subscriptions.size >= accountLimits(core.config, account).subscriptionsPerWebhook) throw err.tooManySubscriptions();
  webhook.subscriptions.add(userId);
}

export function checkUserAllowed(app: AppDef, userId: string): void {
  if (app.deniedUserIds.includes(userId)) throw err.userNotPermitted();
}

export interface SubscriptionCount {
  accountName: string;
  all: number;
  provisioned: number;
}

export function countSubscriptions(core: Core, app: AppDef): SubscriptionCount {
  const account = core.state.accounts.get(app.account) ?? { name: app.account, tier: "enterprise" as const };
  const hooks = core.state.webhooksOfAccount(account.name);
  const limits = accountLimits(core.config, account);
  return {
    accountName: account.name,
    all: hooks.reduce((n, w) => n + w.subscriptions.size, 0),
    provisioned: limits.subscriptionsPerWebhook * limits.webhooks,
  };
}
