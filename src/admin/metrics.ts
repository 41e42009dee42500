/**
 * GET /admin/metrics and GET /admin/tail: the dashboard's charts and live tail, read from the
 * Metrics Durable Object (state/metrics.ts). Neither reaches X.
 *
 * - `/admin/metrics?hours=24&app=NAME`: per-step series (one minute per step up to 24 h, wider
 *   beyond, at most 7 days) of published events by type, forward outcomes, dead letters by
 *   origin, and p50/p99 latency from receipt to publish and to a delivered forward.
 * - `/admin/tail?limit=50&app=NAME&type=TYPE&dm_text=show`: the newest envelopes first, each with
 *   a one-line summary and the envelope itself (lossless: 64-bit ids keep every digit). DM text
 *   is replaced by a placeholder unless `dm_text=show`.
 */
import type { IRequest } from "itty-router";
import { parseLossless } from "../events/lossless-json.ts";
import { hideDmText } from "../events/tail-view.ts";
import { METRICS_INSTANCE, RETENTION_MS, TAIL_PER_BATCH, TAIL_ROWS } from "../state/metrics.ts";
import { badRequest, configFrom } from "./http.ts";
import { buildMetricsView } from "./metrics-view.ts";

const MAX_POINTS = 1440;
export const TAIL_MAX_LIMIT = TAIL_ROWS * TAIL_PER_BATCH;

function intParam(req: IRequest, name: string, fallback: number, min: number, max: number): number {
  const raw = new URL(req.url).searchParams.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d{1,6}$/.test(raw)) throw badRequest(`${name} must be a whole number from ${min} to ${max}.`);
  const n = Number(raw);
  if (n < min || n > max) throw badRequest(`${name} must be a whole number from ${min} to ${max}.`);
  return n;
}

/** `app` query: a configured app name, or null for every app. */
function appParam(req: IRequest, env: Env): string | null {
  const app = new URL(req.url).searchParams.get("app");
  if (app === null || app === "") return null;
  const config = configFrom(env);
  if (!config.apps.has(app)) throw badRequest(`No app named "${app.slice(0, 64)}" is configured.`);
  return app;
}

export async function getMetrics(req: IRequest, env: Env): Promise<Response> {
  const hours = intParam(req, "hours", 24, 1, RETENTION_MS / 3600_000);
  const app = appParam(req, env);
  const nowMinute = Math.floor(Date.now() / 60_000);
  const span = hours * 60;
  const step = Math.ceil(span / MAX_POINTS);
  const from = nowMinute - span + 1;
  const rows = await env.METRICS.getByName(METRICS_INSTANCE).series(from, nowMinute, app);
  return Response.json({ app, hours, ...buildMetricsView(rows.counts, rows.latencies, from, nowMinute, step) });
}

export async function getTail(req: IRequest, env: Env): Promise<Response> {
  const url = new URL(req.url);
  const limit = intParam(req, "limit", 50, 1, TAIL_MAX_LIMIT);
  const app = appParam(req, env);
  const type = url.searchParams.get("type") || null;
  if (type !== null && type.length > 200) throw badRequest("type is too long.");
  const showDm = url.searchParams.get("dm_text") === "show";
  const entries = await env.METRICS.getByName(METRICS_INSTANCE).recentEnvelopes(limit, app, type);
  // Built as text: each envelope is re-serialised from a lossless parse, so ids above 2^53 keep their digits.
  const parts = entries.map((e) => {
    let envelope: unknown;
    try {
      envelope = parseLossless(e.json);
    } catch {
      envelope = null;
    }
    const { json: _json, ...meta } = e;
    return JSON.stringify({ ...meta, envelope: showDm ? envelope : hideDmText(envelope) });
  });
  const body = `{"dm_text":${JSON.stringify(showDm ? "shown" : "hidden")},"entries":[${parts.join(",")}]}`;
  return new Response(body, { headers: { "content-type": "application/json; charset=utf-8" } });
}
