/**
 * /admin/dead-letters: list, show, redrive and purge, through the pipeline's functions. The
 * dead-letter store is one for the whole deployment (not per app): entries name their app, and
 * the listing filters by it (`?app=`, or /admin/apps/:app/dead-letters) and counts by app and
 * origin so an operator sees where they come from at a glance.
 */
import type { IRequest } from "itty-router";
import { HttpError } from "../http/errors.ts";
import {
  getDeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  redriveDeadLetters,
  UNKNOWN_APP,
  type ListOptions,
} from "../pipeline/dead-letter.ts";
import { isArrayBuffer } from "../pipeline/message-guards.ts";
import type { AppContext } from "./context.ts";
import { badRequest, configFrom, idList, jsonBody } from "./http.ts";

/** GET /admin/dead-letters?limit&cursor&from&app */
export async function listLetters(req: IRequest, env: Env): Promise<Response> {
  const opts = listOptions(req);
  const { app } = req.query;
  if (app !== undefined) {
    const known = [...configFrom(env).apps.keys()];
    if (typeof app !== "string" || (app !== UNKNOWN_APP && !known.includes(app))) {
      throw badRequest(`"app" must be a configured app (${known.join(", ")}), or "${UNKNOWN_APP}" for dead letters of unknown shape.`);
    }
    opts.app = app;
  }
  return Response.json(await listDeadLetters(env, opts));
}

/** GET /admin/apps/:app/dead-letters: the same listing, scoped to the app in the path. */
export async function listAppLetters(c: AppContext, req: IRequest, env: Env): Promise<Response> {
  const opts = listOptions(req);
  const { app } = req.query;
  if (app !== undefined && app !== c.app.name) throw badRequest(`"app" conflicts with the app in the path; leave it out.`);
  opts.app = c.app.name;
  return Response.json(await listDeadLetters(env, opts));
}

/** limit, cursor and from, checked (the app filter is checked by the caller). */
function listOptions(req: IRequest): ListOptions {
  const opts: ListOptions = {};
  const { limit, cursor, from } = req.query;
  if (limit !== undefined) {
    if (typeof limit !== "string" || !/^\d{1,3}$/.test(limit) || Number(limit) < 1) throw badRequest(`"limit" must be a whole number from 1 to 500.`);
    opts.limit = Math.min(Number(limit), 500);
  }
  if (cursor !== undefined) {
    if (typeof cursor !== "string" || cursor.length > 200) throw badRequest(`"cursor" must be the cursor from the previous page.`);
    opts.cursor = cursor;
  }
  if (from !== undefined) {
    if (from !== "ingest" && from !== "forward" && from !== "unknown") {
      throw badRequest(`"from" must be "ingest", "forward" or "unknown".`);
    }
    opts.from = from;
  }
  return opts;
}

export async function showLetter(req: IRequest, env: Env): Promise<Response> {
  const id = req.params.id ?? "";
  const letter = id.length <= 200 ? await getDeadLetter(env, id) : null;
  if (letter === null) throw new HttpError(404, "unknown_dead_letter", "No dead letter with that id.");
  // Raw bodies are bytes (JSON would show `{}`): show their size, not the content.
  const original = letter.original;
  const shown = original !== null && "body" in original && isArrayBuffer(original.body)
    ? { ...letter, original: { ...original, body: undefined, body_bytes: original.body.byteLength } }
    : letter;
  return Response.json(shown, { headers: { "cache-control": "no-store" } });
}

export async function redriveLetters(req: IRequest, env: Env): Promise<Response> {
  return Response.json(await redriveDeadLetters(env, idList(await jsonBody(req))));
}

export async function purgeLetters(req: IRequest, env: Env): Promise<Response> {
  return Response.json(await purgeDeadLetters(env, idList(await jsonBody(req))));
}
