/**
 * One `migrate` run: read the facts, do the steps `migrationProgress` names, read again (X's
 * list now confirms what was created), until the migration is complete, blocked, or waiting
 * (consent, a first XAA event); then report. The I/O goes through a `MigrationPort` that the
 * control plane implements over its X client and Registry, so this orchestration is tested
 * against an in-memory X and needs nothing else.
 *
 * A failure stops the run where it is (X's rate limit, a refused token, a network error): the
 * report says what was done and what stopped it, and the next run resumes from the facts. A dry
 * run reads the facts once and reports the plan and the first steps without doing any.
 */
import { migrationProgress, type AppFacts, type MigrationOptions, type MigrationProgress, type UserStage } from "./migration-steps.ts";

export interface MigrationPort {
  /** X's XAA list for the app's webhook, the Registry's AAA subscriptions and OAuth 2.0 grants. */
  facts(): Promise<AppFacts>;
  /**
   * Create one XAA subscription: for `userId` (null: a per-app type such as `oauth.revoke`),
   * with the app's bearer or the user's OAuth 2.0 token. A duplicate X refuses is "exists".
   */
  createXaa(userId: string | null, eventType: string, auth: "bearer" | "user"): Promise<"created" | "exists">;
  /** Remove the user's AAA subscription (already gone at X counts as removed). */
  removeAaa(userId: string): Promise<void>;
}

export interface MigrationAction {
  kind: "create_xaa" | "remove_aaa";
  user_id: string | null;
  event_type?: string;
  result: "created" | "exists" | "removed" | "planned";
}

export interface MigrationReport {
  dry_run: boolean;
  state: MigrationProgress["state"];
  blockers: string[];
  notes: string[];
  /** Users per stage after the run. */
  counts: Record<UserStage, number>;
  /** Users waiting for consent, with the types waiting. */
  waiting_for_consent: { user_id: string; event_types: string[]; scopes: string[] }[];
  plan: { users: number; move: number; partial: number; consent_required: number; subscriptions_after_consent: number; within_cap: boolean };
  actions: MigrationAction[];
  /** What stopped the run early, if anything: resume by running again. */
  stopped: { during: MigrationAction; error: string } | null;
}

/** Passes per run: each pass either does something or ends the run; bounded for safety. */
const MAX_PASSES = 5;

function planned(p: MigrationProgress): MigrationAction[] {
  const out: MigrationAction[] = p.app_level_create.map((t) => ({ kind: "create_xaa", user_id: null, event_type: t, result: "planned" }));
  for (const s of p.steps) {
    if (s.stage === "subscribe_xaa") for (const t of s.create) out.push({ kind: "create_xaa", user_id: s.user_id, event_type: t.event_type, result: "planned" });
    if (s.stage === "remove_aaa") out.push({ kind: "remove_aaa", user_id: s.user_id, result: "planned" });
  }
  return out;
}

function report(p: MigrationProgress, dryRun: boolean, actions: MigrationAction[], stopped: MigrationReport["stopped"]): MigrationReport {
  return {
    dry_run: dryRun,
    state: p.state,
    blockers: p.blockers,
    notes: p.notes,
    counts: p.counts,
    waiting_for_consent: p.steps
      .filter((s) => s.stage === "await_consent")
      .map((s) => ({ user_id: s.user_id, event_types: s.waiting_for.map((t) => t.event_type), scopes: [...new Set(s.waiting_for.map((t) => t.scope))].sort() })),
    plan: {
      users: p.plan.users.length,
      ...p.plan.counts,
      subscriptions_after_consent: p.plan.subscriptions_after_consent,
      within_cap: p.plan.within_cap,
    },
    actions,
    stopped,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : "unknown error";
}

export async function runMigration(port: MigrationPort, options: MigrationOptions, run: { dryRun: boolean }): Promise<MigrationReport> {
  let progress = migrationProgress(await port.facts(), options);
  if (run.dryRun || progress.state !== "in_progress") return report(progress, run.dryRun, run.dryRun ? planned(progress) : [], null);
  const actions: MigrationAction[] = [];
  for (let pass = 0; pass < MAX_PASSES && progress.state === "in_progress"; pass++) {
    const todo = planned(progress);
    if (todo.length === 0) break;
    for (const action of todo) {
      try {
        if (action.kind === "create_xaa") {
          const step = progress.steps.find((s) => s.user_id === action.user_id);
          const auth = step?.create.find((t) => t.event_type === action.event_type)?.auth ?? "bearer";
          actions.push({ ...action, result: await port.createXaa(action.user_id, action.event_type ?? "", auth) });
        } else {
          await port.removeAaa(action.user_id ?? "");
          actions.push({ ...action, result: "removed" });
        }
      } catch (error) {
        let after = progress;
        try {
          after = migrationProgress(await port.facts(), options);
        } catch {
          // The facts cannot be read either: report the last state known.
        }
        return report(after, false, actions, { during: action, error: describe(error) });
      }
    }
    progress = migrationProgress(await port.facts(), options);
  }
  return report(progress, false, actions, null);
}
