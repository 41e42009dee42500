/**
 * Event delivery like X: one POST per (webhook, subscribed user involved), each app signing with
 * its own consumer secret (`x-twitter-webhooks-signature: sha256=base64(HMAC-SHA256(secret, body))`
 * over the exact bytes). Only HTTP 200 within the timeout counts; otherwise the attempt is retried
 * on the configured timeline (X legacy: waits of 3 s, 27 s, 242 s) on the virtual clock, then
 * dropped. Every attempt is logged for /_emulator/deliveries.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Activity } from "./activity.ts";
import { aaaRetired, type Core } from "./core.ts";
import { sha256Signature } from "./crc.ts";
import { revokeGrant } from "./oauth2-store.ts";
import type { DeliveryAttempt, Webhook } from "./state.ts";
import { envelope, matches } from "./xaa-events.ts";
import { requiredScope } from "./xaa-types.ts";

/** One delivery to make: what every attempt at it records, before it is attempted. */
export type DeliveryJob = Pick<
  DeliveryAttempt,
  "deliveryId" | "webhookId" | "appName" | "url" | "forUserId" | "eventType" | "api" | "subscriptionId" | "body" | "replayJobId"
>;

export interface PostResult {
  status: number | null;
  error: string | null;
  latencyMs: number;
}

/** POST a body; resolves with the status, or an error ("timeout", "ECONNREFUSED", ...). Never throws. */
export function postSigned(url: string, body: string, signature: string, timeoutMs: number): Promise<PostResult> {
  const started = performance.now();
  const latency = (): number => Math.round(performance.now() - started);
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const done = (r: PostResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ status: null, error: "invalid url", latencyMs: 0 });
      return;
    }
    const bytes = Buffer.from(body, "utf8");
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "content-length": String(bytes.length),
          "x-twitter-webhooks-signature": signature,
          "user-agent": "x-emulator-webhooks/1.0",
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => done({ status: res.statusCode ?? null, error: null, latencyMs: latency() }));
        res.on("error", (e) => done({ status: res.statusCode ?? null, error: e.message, latencyMs: latency() }));
      },
    );
    const timer = setTimeout(() => {
      done({ status: null, error: "timeout", latencyMs: latency() });
      req.destroy();
    }, timeoutMs);
    req.on("error", (e: NodeJS.ErrnoException) => done({ status: null, error: e.code ?? e.message, latencyMs: latency() }));
    req.end(bytes);
  });
}

/**
 * One attempt; schedules the next on failure when `retry` is set. Replay attempts pass
 * retry=false (X does not retry replayed events).
 */
export async function attemptDelivery(core: Core, job: DeliveryJob, attempt: number, retry: boolean): Promise<DeliveryAttempt | null> {
  const webhook = core.state.webhooks.get(job.webhookId);
  const app = core.state.apps.get(job.appName);
  if (!webhook || !app || !webhook.valid) return null; // an invalid webhook receives nothing
  const signature = sha256Signature(app.consumerSecret, Buffer.from(job.body, "utf8"));
  const at = core.clock.now();
  const result = await postSigned(webhook.url, job.body, signature, core.config.delivery.timeoutMs);
  const ok = result.status === 200 && result.error === null;
  const delays = core.config.delivery.retryDelaysMs;
  const willRetry = !ok && retry && attempt <= delays.length;
  const record: DeliveryAttempt = {
    id: core.state.nextId(core.clock.now()),
    deliveryId: job.deliveryId,
    webhookId: job.webhookId,
    appName: job.appName,
    url: webhook.url,
    forUserId: job.forUserId,
    eventType: job.eventType,
    api: job.api,
    subscriptionId: job.subscriptionId,
    attempt,
    at,
    status: result.status,
    error: result.error ?? (ok ? null : `HTTP ${result.status ?? "?"}`),
    latencyMs: result.latencyMs,
    signature,
    body: job.body,
    replayJobId: job.replayJobId,
    outcome: ok ? "delivered" : willRetry ? "retrying" : "dropped",
  };
  core.state.deliveries.push(record);
  if (willRetry) {
    core.clock.after(delays[attempt - 1] ?? 0, async () => {
      await attemptDelivery(core, job, attempt + 1, true);
    });
  }
  return record;
}

export interface FanOutResult {
  delivery_id: string;
  webhook_id: string;
  app: string;
  for_user_id: string | null;
  event_type: string;
  api: "aaa" | "xaa";
  /** The XAA subscription delivered for (null for AAA). */
  subscription_id: string | null;
  /** First attempt's HTTP status (null: no answer or not sent because the webhook is invalid). */
  status: number | null;
  outcome: string;
}

/**
 * Store and deliver an activity: AAA items to every webhook with an AAA subscription to a user
 * involved (until AAA is retired), and each XAA event to every matching XAA subscription that
 * names a webhook, with that subscription's filter and tag. A revoke then drops the user's AAA
 * subscriptions, OAuth 2.0 grant and tokens, and private XAA subscriptions for the app(s).
 */
export async function deliverActivity(core: Core, activity: Activity): Promise<FanOutResult[]> {
  const now = core.clock.now();
  const jobs: DeliveryJob[] = [];
  const add = (webhook: Webhook, api: "aaa" | "xaa", subscriptionId: string | null, forUserId: string | null, eventType: string, body: string): void => {
    const eventId = core.state.nextId(now);
    // Stored even while the webhook is invalid: Replay can recover the gap later.
    core.state.events.push({ id: eventId, webhookId: webhook.id, api, subscriptionId, forUserId, eventType, body, createdAt: now });
    jobs.push({ deliveryId: eventId, webhookId: webhook.id, appName: webhook.appName, url: webhook.url, forUserId, eventType, api, subscriptionId, body, replayJobId: null });
  };
  if (!aaaRetired(core)) {
    for (const item of activity.items) {
      for (const webhook of core.state.webhooks.values()) {
        if (!webhook.subscriptions.has(item.userId)) continue;
        if (item.appName !== null && webhook.appName !== item.appName) continue;
        const app = core.state.apps.get(webhook.appName);
        if (!app) continue;
        const body = app.flavour === "xaa" ? item.xaaBody : item.aaaBody;
        if (body === null) continue;
        add(webhook, "aaa", null, item.eventType === "user_event" ? null : item.userId, item.eventType, body);
      }
    }
  }
  for (const ev of activity.xaa) {
    for (const sub of core.state.xaaSubscriptions.values()) {
      if (sub.webhookId === null || !matches(sub, ev)) continue;
      const webhook = core.state.webhooks.get(sub.webhookId);
      if (!webhook || webhook.appName !== sub.appName) continue;
      add(webhook, "xaa", sub.id, ev.userId, ev.eventType, envelope(ev, sub.filter, sub.tag));
    }
  }
  const results = await Promise.all(
    jobs.map(async (job): Promise<FanOutResult> => {
      const rec = await attemptDelivery(core, job, 1, true);
      return {
        delivery_id: job.deliveryId,
        webhook_id: job.webhookId,
        app: job.appName,
        for_user_id: job.forUserId,
        event_type: job.eventType,
        api: job.api,
        subscription_id: job.subscriptionId,
        status: rec?.status ?? null,
        outcome: rec?.outcome ?? "not_sent_invalid_webhook",
      };
    }),
  );
  if (activity.revoke) {
    const { userId, appName } = activity.revoke;
    for (const w of core.state.webhooks.values()) {
      if (appName === null || w.appName === appName) w.subscriptions.delete(userId);
    }
    for (const app of core.state.apps.values()) {
      if (appName !== null && app.name !== appName) continue;
      revokeGrant(core, app.name, userId);
      for (const [id, sub] of core.state.xaaSubscriptions) {
        if (sub.appName === app.name && sub.filter.user_id === userId && requiredScope(sub.eventType) !== null) core.state.xaaSubscriptions.delete(id);
      }
    }
  }
  return results;
}
