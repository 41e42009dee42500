/**
 * The seam between the event pipeline and the control plane: the ingest consumer calls
 * `applyControlEvents` with every envelope it is about to publish, before publishing, so that
 * state follows X's own signals:
 * - `user_event` (revoke): the user's subscription and stored tokens are removed;
 * - `replay_job_status`: the replay job it names is closed (Complete / Incomplete).
 * It must be idempotent (queues redeliver) and throw only on transient failure (the message is
 * then retried).
 *
 * PLACEHOLDER until the control plane (issue 4) fills it in.
 */
import type { Envelope } from "../events/envelope.ts";

export async function applyControlEvents(_env: Env, _envelopes: readonly Envelope[]): Promise<void> {}
