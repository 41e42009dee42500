/**
 * Account Activity Replay: one job per webhook at a time (409 code 355), a UTC window in
 * yyyymmddhhmm (from inclusive, to exclusive), a CRC before starting, each stored event sent
 * once (no retries), then a `replay_job_status` event: Complete, or Incomplete when anything
 * failed. Error codes and messages follow X's Replay table (legacy Enterprise page); where X
 * prints none, the message is the emulator's own (see docs/emulator.md).
 */
import type { AppDef } from "./config.ts";
import type { Core } from "./core.ts";
import { attemptDelivery } from "./delivery.ts";
import { ApiError, MESSAGES } from "./errors.ts";
import { toJsonText } from "./json-text.ts";
import type { ReplayJob, Webhook, WebhookApi } from "./state.ts";
import { crcWebhook } from "./webhooks.ts";

const MIN = 60_000;

/** yyyymmddhhmm (UTC) to epoch ms; null when malformed or not a real date. */
export function parseReplayDate(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59) return null;
  return ms;
}

export function formatReplayDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-T:]/g, "").slice(0, 12);
}

function describe(ms: number): string {
  if (ms >= 2 * 24 * 60 * MIN && ms % (24 * 60 * MIN) === 0) return `${ms / (24 * 60 * MIN)} days`;
  if (ms % (60 * MIN) === 0) return `${ms / (60 * MIN)} hours`;
  return `${Math.round(ms / MIN)} minutes`;
}

export interface WindowRules {
  now: number;
  lookbackMs: number;
  minFromAgeMs: number;
  minToAgeMs: number;
}

/** Pure: validate the window, returning it in ms or the ApiError X would answer. */
export function validateReplayWindow(from: string | null, to: string | null, r: WindowRules): { fromMs: number; toMs: number } | ApiError {
  if (from === null || from === "") return new ApiError(400, 357, "from_date: queryParam is required.");
  if (to === null || to === "") return new ApiError(400, 357, "to_date: queryParam is required.");
  const fromMs = parseReplayDate(from);
  const toMs = parseReplayDate(to);
  if (fromMs === null || toMs === null) return new ApiError(400, 358, MESSAGES.unableToParse);
  if (fromMs > r.now) return new ApiError(400, 368, `from_date: [${from}] is not in the past.`);
  if (toMs > r.now) return new ApiError(400, 368, `to_date: [${to}] is not in the past.`);
  if (fromMs >= toMs) return new ApiError(400, 356, MESSAGES.replayFromBeforeTo);
  if (fromMs < r.now - r.lookbackMs) return new ApiError(400, 356, `from_date must be within the past ${describe(r.lookbackMs)}.`);
  if (fromMs > r.now - r.minFromAgeMs) return new ApiError(400, 356, `from_date must be at least ${describe(r.minFromAgeMs)} in the past.`);
  if (toMs > r.now - r.minToAgeMs) return new ApiError(400, 356, `to_date must be at least ${describe(r.minToAgeMs)} in the past.`);
  return { fromMs, toMs };
}

/** Route parameter checks from X's table: negative id 360, non-numeric 358. */
export function checkWebhookIdParam(id: string): ApiError | null {
  if (/^-\d+$/.test(id)) return new ApiError(400, 360, `webhook_id: [${id}] is not greater than or equal to 0.`);
  if (!/^\d+$/.test(id)) return new ApiError(400, 358, MESSAGES.unableToParse);
  return null;
}

export function startReplay(core: Core, app: AppDef, webhook: Webhook, window: { fromMs: number; toMs: number }, api: WebhookApi): ReplayJob {
  if (!app.replayEnabled) throw new ApiError(403, 200, MESSAGES.replayNotEnabled);
  if (webhook.replayJobId !== null) throw new ApiError(409, 355, MESSAGES.replayInProgress);
  if (!webhook.valid) throw new ApiError(400, 214, MESSAGES.replayInvalidWebhook);
  const now = core.clock.now();
  const job: ReplayJob = {
    jobId: core.state.nextId(now),
    webhookId: webhook.id,
    appName: app.name,
    api,
    fromMs: window.fromMs,
    toMs: window.toMs,
    createdAt: now,
    state: "queued",
    total: 0,
    delivered: 0,
    failed: 0,
  };
  core.state.replayJobs.set(job.jobId, job);
  webhook.replayJobId = job.jobId;
  core.clock.after(core.config.replay.startDelayMs, () => runReplay(core, job, webhook));
  return job;
}

async function runReplay(core: Core, job: ReplayJob, webhook: Webhook): Promise<void> {
  job.state = "running";
  try {
    const crc = await crcWebhook(core, webhook, "replay");
    const events = core.state.events.filter((e) => e.webhookId === webhook.id && e.createdAt >= job.fromMs && e.createdAt < job.toMs);
    job.total = events.length;
    if (crc.ok) {
      for (const e of events) {
        const rec = await attemptDelivery(
          core,
          { deliveryId: e.id, webhookId: webhook.id, appName: job.appName, url: webhook.url, forUserId: e.forUserId, eventType: e.eventType, api: e.api, subscriptionId: e.subscriptionId, body: e.body, replayJobId: job.jobId },
          1,
          false,
        );
        if (rec?.outcome === "delivered") job.delivered++;
        else job.failed++;
      }
    } else {
      job.failed = events.length;
    }
    const complete = crc.ok && job.failed === 0;
    job.state = complete ? "Complete" : "Incomplete";
    const body = toJsonText({
      replay_job_status: {
        webhook_id: webhook.id,
        job_state: job.state,
        job_state_description: complete ? "Job completed successfully" : "Job failed to deliver all events, please retry your replay job",
        job_id: job.jobId,
      },
    });
    await attemptDelivery(
      core,
      { deliveryId: core.state.nextId(core.clock.now()), webhookId: webhook.id, appName: job.appName, url: webhook.url, forUserId: null, eventType: "replay_job_status", api: "aaa", subscriptionId: null, body, replayJobId: job.jobId },
      1,
      false,
    );
  } finally {
    const final = job.state as ReplayJob["state"];
    if (final === "running" || final === "queued") job.state = "Incomplete";
    if (webhook.replayJobId === job.jobId) webhook.replayJobId = null;
  }
}
