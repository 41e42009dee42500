/**
 * The migration as a state machine derived from facts: pure. Each run of `migrate` (CLI, admin
 * API, or the cron resuming it) reads the facts (X's XAA subscription list for the app's
 * webhook, the Registry's AAA subscriptions and OAuth 2.0 grants, the first XAA delivery the
 * receiver saw per user), asks `migrationProgress` what to do next, does it, and runs again.
 * Nothing here remembers what it did: the next step is always recomputed from what X and the
 * Registry say now, so a run that failed half-way resumes where it stopped, and running it
 * twice creates nothing twice (a subscription X already lists is not created again; one X
 * refuses as a duplicate counts as created).
 *
 * Per user, in order:
 *   subscribe_xaa  create the XAA subscriptions the tokens held allow (missing at X);
 *   await_consent  some private types need the user's OAuth 2.0 consent: the AAA subscription
 *                  stays, so nothing is lost meanwhile (until X ends AAA);
 *   await_delivery every type is on XAA, but (with `confirm_by: "first_event"`) no XAA event
 *                  for the user has reached the receiver yet;
 *   remove_aaa     XAA delivery confirmed: remove the AAA subscription;
 *   done           no AAA subscription left and every type on XAA.
 * Both APIs deliver between subscribe_xaa and remove_aaa: the app must be `migrating` (APPS)
 * for that overlap, so the cross-API dedup publishes each event once (docs/pipeline.md).
 */
import { APP_LEVEL_TYPES, planMigration, type MigrationPlan, type PlannedType, type PlanInput } from "./migration-plan.ts";

export type UserStage = "subscribe_xaa" | "await_consent" | "await_delivery" | "remove_aaa" | "done";

/** What X and the Registry say about one user now. */
export interface UserFacts {
  user_id: string;
  /** The event types X lists for this user on the app's webhook. */
  xaa_types: readonly string[];
  /** Whether the user still has an AAA subscription. */
  aaa_subscribed: boolean;
  /** When the receiver first saw an XAA delivery for the user (ISO), or null. */
  first_xaa_event_at: string | null;
  /** Scopes of the user's OAuth 2.0 grant; null: none held (or X refused its refresh). */
  oauth2_scopes: readonly string[] | null;
}

export interface AppFacts {
  /** APPS `migrating` is true (cross-API dedup on). */
  migrating: boolean;
  /** The app's webhook is registered and valid at X (null: no webhook). */
  webhook_valid: boolean | null;
  /** Per-app types (`oauth.revoke`) X lists for the app's webhook. */
  app_level_types: readonly string[];
  /** Every user the app has subscribed through AAA, or has moved (still in X's XAA list). */
  users: readonly UserFacts[];
  /** XAA subscriptions the app holds at X for anything outside `users` (counts against the cap). */
  other_subscriptions: number;
}

export interface MigrationOptions {
  types: readonly string[];
  scopeOf: (type: string) => string | null;
  cap: number;
  /**
   * What confirms XAA delivery before the AAA subscription goes: X listing every type for the
   * user (`subscription_list`), or also the first XAA event the receiver saw for them
   * (`first_event`, stronger, slower for quiet users).
   */
  confirm_by: "subscription_list" | "first_event";
}

export interface UserStep {
  user_id: string;
  stage: UserStage;
  /** subscribe_xaa: the subscriptions to create now. */
  create: PlannedType[];
  /** Types waiting for the user's consent, with the scope to ask for. */
  waiting_for: { event_type: string; scope: string }[];
}

export interface MigrationProgress {
  /** `blocked`: a precondition fails (see `blockers`), nothing is done. */
  state: "blocked" | "in_progress" | "complete";
  blockers: string[];
  /** What the operator should do once it is complete. */
  notes: string[];
  /** Per-app subscriptions to create (`oauth.revoke`). */
  app_level_create: string[];
  steps: UserStep[];
  /** Users per stage. */
  counts: Record<UserStage, number>;
  plan: MigrationPlan;
}

/** The next step for one user, from the facts alone. */
export function nextUserStep(facts: UserFacts, plan: MigrationPlan, options: Pick<MigrationOptions, "confirm_by">): UserStep {
  const planned = plan.users.find((u) => u.user_id === facts.user_id);
  const listed = new Set(facts.xaa_types);
  const create = (planned?.subscribe_now ?? []).filter((t) => !listed.has(t.event_type));
  const waiting = (planned?.needs_consent ?? []).filter((t) => !listed.has(t.event_type));
  const step = (stage: UserStage): UserStep => ({ user_id: facts.user_id, stage, create: stage === "subscribe_xaa" ? create : [], waiting_for: waiting });
  if (create.length > 0) return step("subscribe_xaa");
  if (waiting.length > 0) return step("await_consent");
  if (!facts.aaa_subscribed) return step("done");
  if (options.confirm_by === "first_event" && facts.first_xaa_event_at === null) return step("await_delivery");
  return step("remove_aaa");
}

/** Why the migration cannot run now, in words a user can act on. */
function blockers(app: AppFacts, plan: MigrationPlan, cap: number): string[] {
  const out: string[] = [];
  if (!app.migrating) {
    out.push('set "migrating": true on the app in APPS and deploy first: both APIs deliver during the move, and only then is each event published once');
  }
  if (app.webhook_valid === null) out.push("the app has no webhook at X: register one (account-activity-edge webhook register)");
  else if (!app.webhook_valid) out.push("the app's webhook is invalid at X: re-check it (account-activity-edge webhook recheck)");
  if (!plan.within_cap) {
    const need = app.other_subscriptions + plan.subscriptions_after_consent;
    out.push(`the move needs ${need} XAA subscriptions, over the tier's cap of ${cap}: subscribe fewer types per user (a profile) or raise the tier`);
  }
  return out;
}

/**
 * Where the migration stands and what to do next. `blocked` does nothing; `complete` means no
 * user is left on AAA and every planned type is on XAA (users still waiting for consent keep
 * it `in_progress`, with their AAA subscription in place while X still runs AAA).
 */
export function migrationProgress(app: AppFacts, options: MigrationOptions): MigrationProgress {
  const planInput: PlanInput = {
    users: app.users.map((u) => ({ user_id: u.user_id, oauth2_scopes: u.oauth2_scopes })),
    types: options.types,
    scopeOf: options.scopeOf,
    // Subscriptions already at X for these users are part of the plan's own total.
    existingSubscriptions: app.other_subscriptions,
    cap: options.cap,
  };
  const plan = planMigration(planInput);
  const counts: Record<UserStage, number> = { subscribe_xaa: 0, await_consent: 0, await_delivery: 0, remove_aaa: 0, done: 0 };
  const blocked = blockers(app, plan, options.cap);
  const listedAppLevel = new Set(app.app_level_types);
  const appLevelCreate = APP_LEVEL_TYPES.filter((t) => !listedAppLevel.has(t));
  const steps = app.users.map((u) => nextUserStep(u, plan, options));
  for (const s of steps) counts[s.stage] += 1;
  const finished = steps.every((s) => s.stage === "done") && appLevelCreate.length === 0;
  const notes: string[] = [];
  if (finished) {
    if (app.migrating) notes.push('every user is on XAA: remove "migrating" from the app in APPS (it only matters during the overlap)');
    notes.push('set the app\'s flavour to "xaa" in APPS: the AAA end-of-life warning then stops');
  }
  // A finished migration is complete whatever the preconditions of running one say now.
  const state = finished ? "complete" : blocked.length > 0 ? "blocked" : "in_progress";
  return { state, blockers: finished ? [] : blocked, notes, app_level_create: appLevelCreate, steps, counts, plan };
}
