/**
 * `migrate`: the one entry the admin API (and through it the CLI) calls to move an app from AAA
 * to XAA. Plan and steps: migration-plan.ts, migration-steps.ts; the run: migration-run.ts; the
 * I/O: migration-port.ts. Each run's report is kept in the Registry for `GET`.
 */
import { XAA_TIER_CAPS } from "../config-xaa.ts";
import { canonicalEventType, requiredScope } from "../x-api/xaa-event-types.ts";
import type { AppContext } from "./context.ts";
import { AAA_EQUIVALENT_TYPES } from "./migration-plan.ts";
import { MIGRATION_REPORT_META, migrationPort } from "./migration-port.ts";
import { runMigration, type MigrationPort, type MigrationReport } from "./migration-run.ts";
import type { MigrationOptions } from "./migration-steps.ts";

/** The scope a type needs, by the control plane's table; an unknown type counts as public. */
function scopeOf(type: string): string | null {
  const known = canonicalEventType(type);
  return known === null ? null : requiredScope(known);
}

export interface MigrateRequest {
  dryRun: boolean;
  confirmBy: MigrationOptions["confirm_by"];
}

export interface MigrateResult extends MigrationReport {
  app: string;
  at: string;
}

/**
 * Plan (dry run) or run the move. An AAA app has no XAA tier setting (APPS `xaa_tier` is for
 * `xaa` apps), so the plan is held to the self-serve cap (1,500) unless the app is already `xaa`.
 */
export async function migrateApp(ctx: AppContext, req: MigrateRequest, port: MigrationPort = migrationPort(ctx)): Promise<MigrateResult> {
  const options: MigrationOptions = {
    types: AAA_EQUIVALENT_TYPES,
    scopeOf,
    cap: ctx.app.xaa?.cap ?? XAA_TIER_CAPS["self-serve"],
    confirm_by: req.confirmBy,
  };
  const report = await runMigration(port, options, { dryRun: req.dryRun });
  const result: MigrateResult = { app: ctx.app.name, at: new Date(ctx.deps.now()).toISOString(), ...report };
  if (!req.dryRun) await ctx.registry.setMeta(MIGRATION_REPORT_META, JSON.stringify(result));
  return result;
}

/** The last run's report, or null before the first run. */
export async function lastMigrationReport(ctx: AppContext): Promise<MigrateResult | null> {
  const raw = await ctx.registry.getMeta(MIGRATION_REPORT_META);
  return raw === null ? null : (JSON.parse(raw) as MigrateResult);
}
