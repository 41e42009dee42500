/**
 * /admin/apps/:app/migration: move the app from AAA to XAA (docs/migration.md). Thin shell over
 * the core (src/control/migration.ts).
 *
 *   GET  /migration              the plan and next steps now (a dry run) and the last run's report
 *   POST /migration              {"dry_run"?: bool, "confirm_by"?: "subscription_list"|"first_event",
 *                                "types"?: [XAA event types; default everything AAA delivered]}
 *                                run it (resumable: run again until state is "complete")
 */
import type { IRequest } from "itty-router";
import type { AppContext } from "../control/context.ts";
import { lastMigrationReport, migrateApp } from "../control/migration.ts";
import { badRequest, jsonBody } from "./http.ts";

export async function getMigration(ctx: AppContext): Promise<Response> {
  const plan = await migrateApp(ctx, { dryRun: true, confirmBy: "subscription_list" });
  return Response.json({ plan, last_run: await lastMigrationReport(ctx) });
}

export async function postMigration(ctx: AppContext, req: IRequest): Promise<Response> {
  const body = await jsonBody(req, true);
  const dryRun = body.dry_run ?? false;
  if (typeof dryRun !== "boolean") throw badRequest("dry_run must be true or false");
  const confirmBy = body.confirm_by ?? "subscription_list";
  if (confirmBy !== "subscription_list" && confirmBy !== "first_event") throw badRequest('confirm_by must be "subscription_list" or "first_event"');
  const types = body.types;
  if (types !== undefined && !(Array.isArray(types) && types.every((t) => typeof t === "string"))) throw badRequest("types must be an array of XAA event types");
  return Response.json(await migrateApp(ctx, { dryRun, confirmBy, ...(types === undefined ? {} : { types: types as string[] }) }));
}
