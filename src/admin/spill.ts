/**
 * GET /admin/apps/:app/spill?key=env:<envelope id>: the full text of an envelope that was too
 * large for one queue message (consumers receive a stub carrying `spill.key`, docs/pipeline.md).
 * Served byte for byte (lossless 64-bit ids); only envelope keys (`env:`), never raw deliveries.
 */
import type { IRequest } from "itty-router";
import { HttpError } from "../http/errors.ts";
import { readSpilledEnvelope } from "../pipeline/publish.ts";
import type { AppContext } from "./context.ts";
import { badRequest } from "./http.ts";

export async function getSpilledEnvelope(c: AppContext, req: IRequest, env: Env): Promise<Response> {
  const key = req.query["key"];
  if (typeof key !== "string" || key.length === 0 || key.length > 512) {
    throw badRequest(`"key" must be the spill.key of a stub envelope (env:<envelope id>).`);
  }
  const text = await readSpilledEnvelope(env, c.app.name, key);
  if (text === null) throw new HttpError(404, "unknown_spill", "No spilled envelope with that key (kept 14 days).");
  return new Response(text, { headers: { "content-type": "application/json", "cache-control": "no-store" } });
}
