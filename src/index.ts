/**
 * Wiring only: the router and the three handlers, plus the Durable Object classes.
 * Each piece lives in its own folder (see docs/architecture.md).
 */
import { handleFetch } from "./http/router.ts";
import { handleQueue } from "./pipeline/queue.ts";
import { runScheduled } from "./cron/scheduled.ts";

export { Registry } from "./state/registry.ts";
export { Dedup } from "./state/dedup.ts";
export { Spool } from "./state/spool.ts";
export { DeadLetters } from "./state/dead-letters.ts";
export { Metrics } from "./state/metrics.ts";

export default {
  fetch: (request, env, ctx) => handleFetch(request, env, ctx),
  queue: (batch, env, ctx) => handleQueue(batch, env, ctx),
  scheduled: (controller, env, ctx) => runScheduled(controller, env, ctx),
} satisfies ExportedHandler<Env>;
