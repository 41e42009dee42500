/**
 * The control-plane context moved to src/control/context.ts (the core the admin API, the cron,
 * Sign in with X and the migration share: STYLE.md "Shells call a core"). Re-exported here so
 * admin and OAuth route code keep their import; new code imports the core directly.
 */
export * from "../control/context.ts";
