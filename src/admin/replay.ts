/**
 * /admin/apps/:app/replay: request a Replay job for a window ({from, to}, ISO 8601), list jobs.
 * X's rules are checked here first so a bad window is a clear 400 rather than X's code 356-368,
 * and one job per webhook is enforced from the Registry (409) before X is asked.
 *
 * A manual job covers the delivery gaps it replays: every closed or failed gap of the webhook
 * lying entirely inside [from, to] is marked `requested` with the job's id in the same Registry
 * call that records the job, so revalidation does not spend another of X's scarce Replay calls
 * on it. A failed gap taken over this way is the operator retrying by hand: it counts as one of
 * the gap's tries (MAX_REPLAY_TRIES), like revalidation's own retries. The response names them
 * in `covered_gaps`; a gap only partly inside stays for revalidation.
 */
import type { IRequest } from "itty-router";
import { HttpError } from "../http/errors.ts";
import { REPLAY_FROM_MIN_AGE_MS, REPLAY_TO_MIN_AGE_MS, replayLookbackMs, replaySupported } from "../cron/revalidate-policy.ts";
import type { Flavour } from "../config.ts";
import { withX, type AppContext } from "./context.ts";
import { badRequest, isoDate, jsonBody } from "./http.ts";
import { webhookIdOrCurrent } from "./webhooks.ts";

/** Pure: why X would refuse this window, or null. */
export function replayWindowProblem(flavour: Flavour, from: Date, to: Date, nowMs: number): string | null {
  if (!replaySupported(flavour)) return `The ${flavour} flavour has no Replay API.`;
  if (from.getTime() >= to.getTime()) return `"from" must be before "to".`;
  if (nowMs - to.getTime() < REPLAY_TO_MIN_AGE_MS) return `"to" must be at least 10 minutes ago (events become replayable about 10 minutes after they happen).`;
  if (nowMs - from.getTime() < REPLAY_FROM_MIN_AGE_MS) return `"from" must be at least 31 minutes ago.`;
  const lookback = replayLookbackMs(flavour);
  if (nowMs - from.getTime() > lookback) return `"from" is older than X's Replay lookback for ${flavour} (${lookback / 3_600_000} hours).`;
  return null;
}

export async function requestReplay(ctx: AppContext, req: IRequest): Promise<Response> {
  const body = await jsonBody(req);
  const from = isoDate(body, "from");
  const to = isoDate(body, "to");
  const nowMs = ctx.deps.now();
  const problem = replayWindowProblem(ctx.app.flavour, from, to, nowMs);
  if (problem !== null) throw badRequest(problem);
  const open = await ctx.registry.openReplayJob(nowMs);
  if (open !== null) {
    throw new HttpError(409, "replay_in_progress", `Replay job ${open.job_id} is still open for this webhook (one job at a time); wait for its replay_job_status.`);
  }
  const webhookId = await webhookIdOrCurrent(ctx, req);
  const job = await withX(ctx, (x) => x.requestReplay(webhookId, from, to));
  const row = await ctx.registry.createReplayJob({
    job_id: job.job_id, webhook_id: webhookId, from_date: from.toISOString(), to_date: to.toISOString(),
    requested_at: new Date(nowMs).toISOString(), requested_by: "admin",
  }, null);
  return Response.json({ job: row, x: job, covered_gaps: row.gap_ids }, { status: 202 });
}

export async function listReplayJobs(ctx: AppContext): Promise<Response> {
  const [jobs, open] = await Promise.all([ctx.registry.listReplayJobs(), ctx.registry.openReplayJob(ctx.deps.now())]);
  return Response.json({ jobs, open_job: open, gaps: await ctx.registry.gaps() });
}

export async function getReplayJob(ctx: AppContext, req: IRequest): Promise<Response> {
  const id = req.params.job_id ?? "";
  const job = (await ctx.registry.listReplayJobs()).find((j) => j.job_id === id);
  if (job === undefined) throw new HttpError(404, "unknown_job", `No replay job ${id.slice(0, 40)} for app ${ctx.app.name}.`);
  return Response.json({ job });
}
