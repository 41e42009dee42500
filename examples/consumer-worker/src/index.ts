/**
 * A minimal consumer Worker for account-activity-edge's EVENTS queue ("aae-events"). This main
 * module exports only the handler: workerd treats every named export of it as an entrypoint
 * (a constant or a helper exported here makes `wrangler dev` and `wrangler deploy` fail).
 * The logic is in consumer.ts; replace `logEnvelope` with your own effect.
 */
import { createQueueHandler, logEnvelope, type ConsumerEnv } from "./consumer.ts";

export default {
  queue: createQueueHandler(logEnvelope),
} satisfies ExportedHandler<ConsumerEnv, unknown>;
