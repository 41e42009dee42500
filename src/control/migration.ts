/**
 * `migrate`: the one entry the admin API (and through it the CLI) calls to move an app from AAA
 * to XAA. Plan and steps: migration-plan.ts, migration-steps.ts; the run: migration-run.ts; the
 * I/O: migration-port.ts. Each run's report is kept in the Registry for `GET`.
 */
import { XAA_TIER_CAPS } from "../config-xaa.ts";
import { HttpError } from "../http/errors.ts";
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
  /**
   * The XAA types each user gets; default AAA_EQUIVALENT_TYPES (everything AAA delivered). A
   * narrower list moves users who lack consent for the private types entirely, and their AAA
   * subscription then goes: the operator's choice to stop receiving those types.
   */
  types?: readonly string[];
}

/** The requested types as X's canonical names; a 400 naming an unknown or per-app one. */
export function migrationTypes(types: readonly string[] | undefined): readonly string[] {
  if (types === undefined) return AAA_EQUIVALENT_TYPES;
  if (types.length === 0 || types.length > 64) throw new HttpError(400, "bad_types", "types must list 1 to 64 XAA event types");
  const out: string[] = [];
  for (const t of types) {
    const known = canonicalEventType(t);
    if (known === null || known === "oauth.revoke") throw new HttpError(400, "bad_types", `types: "${t.slice(0, 64)}" is not a per-user XAA event type`);
    if (!out.includes(known)) out.push(known);
  }
  return out;
}

export interface MigrateResult extends MigrationReport {
  app: string;
  at: string;
}

/**
 * Plan (dry run) or run the move, held to the app's XAA tier cap (APPS `xaa_tier`, which a
 * migrating AAA app may set; self-serve, 1,500, otherwise).
 */
export async function migrateApp(ctx: AppContext, req: MigrateRequest, port: MigrationPort = migrationPort(ctx)): Promise<MigrateResult> {
  const options: MigrationOptions = {
    types: migrationTypes(req.types),
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
