/**
 * The aae-ingest consumer: raw deliveries in, deduplicated envelopes out.
 *
 * Per message: body bytes (inline, or read back from the Spool) -> strict UTF-8 decode ->
 * `normaliseDelivery` -> `applyControlEvents` -> dedup `begin` -> publish the new ones -> dedup
 * `commit` -> ack (then the spilled body is deleted). Each message is decided on its own:
 * - permanent (poison JSON, invalid UTF-8, unknown app, malformed message, spilled body gone):
 *   dead-lettered with the reason, then acked;
 * - transient (a Durable Object, queue or the control plane failing): released and retried with
 *   backoff;
 * - another consumer holds the lease on some event ("busy"): the rest is published, the message
 *   retried shortly, by which time the other consumer has committed (then skipped) or given up.
 * After the batch, each app's newest delivery time is recorded (throttled, best effort) for the
 * admin status and the silence alert: see last-delivery.ts.
 */
import type { Envelope } from "../events/envelope.ts";
import { normaliseDelivery, PoisonPayloadError } from "../events/normalise.ts";
import { applyControlEvents } from "../state/control-events.ts";
import { ConfigError, getConfig, type AppConfig, type Config } from "../config.ts";
import type { IngestMessage } from "./messages.ts";
import { isIngestMessage } from "./message-guards.ts";
import { deadLetterStore, sendDeadLetter } from "./dead-letter.ts";
import { backoffSeconds, INGEST_BACKOFF } from "./retry.ts";
import { publishEnvelopes } from "./publish.ts";
import { shouldForward } from "./forward-policy.ts";
import { decideClaims, dedupClaims, dedupShardName, type DedupClaim } from "./dedup-keys.ts";
import type { DedupStatus } from "../state/dedup.ts";
import { registryFor } from "../state/registry.ts";
import { BatchDeliveries, lastDeliveryRecorder, newestCreatedAt } from "./last-delivery.ts";
import { BatchMetrics, flushBatchMetrics } from "./batch-metrics.ts";

/** How long a consumer holds an event while it publishes it. */
export const DEDUP_LEASE_MS = 30_000;
/** Retry delay for a message whose event another consumer is publishing: about one lease. */
export const BUSY_RETRY_SECONDS = 30;

/** A failure no retry can fix: the message is dead-lettered with `reason`. */
class PermanentFailure extends Error {}

type Outcome = { kind: "ack" } | { kind: "retry"; delaySeconds: number };

function decodeBody(bytes: ArrayBuffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new PermanentFailure("delivery body is not valid UTF-8");
  }
}

async function readBody(env: Env, m: IngestMessage): Promise<ArrayBuffer> {
  if (m.body !== undefined) return m.body;
  const spilled = await env.SPOOL.getByName(m.app).getSpill(m.spill!);
  if (spilled === null) {
    throw new PermanentFailure(`spilled body ${m.spill} not found (expired, or already processed and deleted)`);
  }
  return spilled;
}

/**
 * Dedup, publish, commit. Returns whether some events were busy (held by another consumer).
 * Throws on transient failure, after releasing the leases it took. The claims each envelope
 * makes, and what follows from the answers, are dedup-keys.ts's (`dedupClaims`, `decideClaims`).
 */
async function dedupAndPublish(env: Env, config: Config, app: AppConfig, owner: string, envelopes: Envelope[], metrics: BatchMetrics): Promise<boolean> {
  const policy = { collapseAcrossUsers: app.collapseAcrossUsers, migrating: app.migrating === true, ...config.dedup };
  const plans = envelopes.map((envelope) => ({ envelope, claims: dedupClaims(envelope, policy) }));
  const unique = new Map<string, DedupClaim>();
  for (const p of plans) for (const c of p.claims) if (!unique.has(c.key)) unique.set(c.key, c);

  const stub = (shard: number) => env.DEDUP.getByName(dedupShardName(shard));
  const statuses = new Map<string, DedupStatus>();
  const begun = await Promise.allSettled(
    [...groupByShard([...unique.values()])].map(async ([shard, keys]) => {
      const answers: DedupStatus[] = await stub(shard).begin(keys, DEDUP_LEASE_MS, owner);
      keys.forEach((key, i) => statuses.set(key, answers[i] ?? "busy"));
    }),
  );
  const taken = () => [...unique.values()].filter((c) => statuses.get(c.key) === "new");
  const release = async (claims: readonly DedupClaim[]): Promise<void> => {
    // Best effort: a lease we fail to release simply expires after DEDUP_LEASE_MS.
    await Promise.allSettled([...groupByShard(claims)].map(([shard, keys]) => stub(shard).release(keys, owner)));
  };
  const failed = begun.find((r) => r.status === "rejected");
  if (failed !== undefined) {
    await release(taken());
    throw failed.reason;
  }
  const decision = decideClaims(plans, (key) => statuses.get(key) ?? "busy");
  try {
    await publishEnvelopes(env, decision.publish, (e) => shouldForward(config, e.app, e.type));
  } catch (error) {
    await release(taken());
    throw error;
  }
  metrics.published(decision.publish);
  await release(decision.release);
  // Published: a failure to commit now only risks a duplicate (the retry publishes again).
  // One commit per shard and window (canonical claims of pair-keyed events have a shorter one).
  const commits = new Map<string, { shard: number; windowSeconds: number; keys: string[] }>();
  for (const c of decision.commit) {
    const group = `${c.shard}:${c.windowSeconds}`;
    const entry = commits.get(group) ?? { shard: c.shard, windowSeconds: c.windowSeconds, keys: [] };
    entry.keys.push(c.key);
    commits.set(group, entry);
  }
  await Promise.all([...commits.values()].map((g) => stub(g.shard).commit(g.keys, g.windowSeconds)));
  return decision.busy;
}

function groupByShard(claims: readonly DedupClaim[]): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const c of claims) m.set(c.shard, [...(m.get(c.shard) ?? []), c.key]);
  return m;
}

async function processMessage(env: Env, msg: Message<unknown>, seen: BatchDeliveries, metrics: BatchMetrics): Promise<Outcome> {
  const body = msg.body;
  if (!isIngestMessage(body)) throw new PermanentFailure("malformed ingest message (not an IngestMessage v1)");
  const config = getConfig(env);
  const app = config.apps.get(body.app);
  if (app === undefined) throw new PermanentFailure(`unknown app "${body.app}"`);
  // X delivered to this app (even if the body turns out to be poison): telemetry, see last-delivery.ts.
  seen.note(app.name, body.received_at);
  const text = decodeBody(await readBody(env, body));
  let envelopes: Envelope[];
  try {
    envelopes = normaliseDelivery(text, { app: app.name, received_at: body.received_at, delivery_id: body.delivery_id });
  } catch (error) {
    if (error instanceof PoisonPayloadError) throw new PermanentFailure(`poison payload (${error.reason}): ${error.message}`);
    throw error;
  }
  seen.note(app.name, body.received_at, newestCreatedAt(envelopes));
  await applyControlEvents(env, envelopes);
  const busy = await dedupAndPublish(env, config, app, msg.id, envelopes, metrics);
  if (busy) return { kind: "retry", delaySeconds: BUSY_RETRY_SECONDS };
  if (body.spill !== undefined) {
    // Processed: the spilled body is no longer needed. If this fails the Spool's expiry removes it.
    try {
      await env.SPOOL.getByName(body.app).deleteSpill(body.spill);
    } catch (error) {
      console.warn(JSON.stringify({ msg: "spill delete failed; it will expire", id: msg.id, error: String(error) }));
    }
  }
  return { kind: "ack" };
}

async function handleOne(env: Env, msg: Message<unknown>, seen: BatchDeliveries, metrics: BatchMetrics): Promise<void> {
  let outcome: Outcome;
  try {
    outcome = await processMessage(env, msg, seen, metrics);
  } catch (error) {
    if (error instanceof PermanentFailure && isIngestMessage(msg.body)) {
      await deadLetterOrRetry(env, msg, msg.body, error.message);
      return;
    }
    if (error instanceof PermanentFailure) {
      // Not even an IngestMessage: there is no original to redrive; record what we can.
      console.error(JSON.stringify({ msg: "unrecognised ingest message dead-lettered", id: msg.id, reason: error.message }));
      await deadLetterOrRetry(env, msg, null, error.message);
      return;
    }
    const delaySeconds = backoffSeconds(msg.attempts, INGEST_BACKOFF, Math.random());
    const detail = error instanceof ConfigError ? error.message : String(error);
    console.error(JSON.stringify({ msg: "ingest failed; retrying", id: msg.id, attempts: msg.attempts, delaySeconds, error: detail }));
    msg.retry({ delaySeconds });
    return;
  }
  if (outcome.kind === "ack") msg.ack();
  else msg.retry({ delaySeconds: outcome.delaySeconds });
}

/** Dead-letter then ack; if even the dead-letter send fails, retry the message (never drop it). */
async function deadLetterOrRetry(env: Env, msg: Message<unknown>, original: IngestMessage | null, reason: string): Promise<void> {
  try {
    if (original !== null) await sendDeadLetter(env, "ingest", reason, original, new Date());
    else await deadLetterStore(env).storeRaw(msg.id, "unknown", reason, new Date().toISOString(), msg.body);
  } catch (error) {
    console.error(JSON.stringify({ msg: "dead-letter send failed; retrying", id: msg.id, error: String(error) }));
    msg.retry({ delaySeconds: backoffSeconds(msg.attempts, INGEST_BACKOFF, Math.random()) });
    return;
  }
  console.warn(JSON.stringify({ msg: "ingest message dead-lettered", id: msg.id, reason }));
  msg.ack();
}

/** Every message decided on its own, concurrently: one slow or poison delivery never holds up the rest. */
export async function handleIngestBatch(batch: MessageBatch, env: Env): Promise<void> {
  const seen = new BatchDeliveries();
  const metrics = new BatchMetrics();
  await Promise.all(batch.messages.map((msg) => handleOne(env, msg, seen, metrics)));
  // Only after every message is decided, and it never throws: telemetry cannot change an ack or
  // a retry. At most one Registry write per app per minute (last-delivery.ts).
  await lastDeliveryRecorder.record(seen, (app, value) => registryFor(env, app).recordLastDelivery(value));
  await flushBatchMetrics(env, metrics); // the dashboard's charts and tail: one call per batch, never throws
}
