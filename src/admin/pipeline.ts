/**
 * GET /admin/pipeline: the pipeline status (src/control/pipeline-status.ts, shared with the cron's
 * pipeline check) as JSON. Its types and readers are re-exported for the admin API's callers.
 */
import { pipelineStatus } from "../control/pipeline-status.ts";
import { configFrom } from "./http.ts";

export * from "../control/pipeline-status.ts";

/** GET /admin/pipeline */
export async function getPipeline(_req: unknown, env: Env): Promise<Response> {
  const status = await pipelineStatus(env, configFrom(env), Date.now());
  return Response.json(status, { headers: { "cache-control": "no-store" } });
}
