/**
 * The aae-ingest consumer: raw deliveries in, deduplicated envelopes out.
 *
 * Per batch, in four steps (docs/pipeline.md "Delivery guarantees"):
 * 1. per message, concurrently: body bytes (inline, or read back from the Spool) -> strict UTF-8
 *    decode -> `normaliseDelivery` -> `applyControlEvents`;
 * 2. dedup `begin` for every claim of the batch: ONE call per Dedup shard (ingest-dedup.ts). An
 *    envelope claims its id key and, while its app migrates, its canonical key too
 *    (dedup-keys.ts `dedupClaims`, docs/pipeline.md "Cross-API dedup during a migration");
 * 3. per message, concurrently: the envelopes whose every claim is new (`decideClaims`); then ONE
 *    publish for the batch: its EVENTS and FORWARD messages in batch order, a sendBatch per 100
 *    messages or 256 KB (publish.ts `publishGroups`); a message whose envelopes did not all go out
 *    is released and retried, the rest counted once each for the dashboard (batch-metrics.ts);
 * 4. dedup `commit` of everything published: ONE call per shard; then each message is acked
 *    (its spilled body deleted) or retried.
 * Each message is still decided on its own:
 * - permanent (poison JSON, invalid UTF-8, unknown app, malformed message, spilled body gone):
 *   dead-lettered with the reason, then acked;
 * - transient (a Durable Object, queue or the control plane failing): its leases released, retried
 *   with backoff; a commit that fails after the publish retries the message (a duplicate at worst);
 * - another consumer holds the lease on some event ("busy"): the rest is published, the message
 *   retried shortly, by which time the other consumer has committed (then skipped) or given up.
 * Envelopes nobody wants (EVENTS off, and no forward destination takes the type) are neither
 * deduplicated nor published. After the batch, each app's newest delivery time is recorded
 * (throttled, best effort) for the admin status and the silence alert: see last-delivery.ts.
 */
import type { Envelope } from "../events/envelope.ts";
import { normaliseDelivery, PoisonPayloadError } from "../events/normalise.ts";
import { applyControlEvents } from "../state/control-events.ts";
import { ConfigError, getConfig, type AppConfig, type Config } from "../config.ts";
import type { IngestMessage } from "./messages.ts";
import { isIngestMessage } from "./message-guards.ts";
import { deadLetterStore, sendDeadLetter } from "./dead-letter.ts";
import { backoffSeconds, INGEST_BACKOFF } from "./retry.ts";
import { publishGroups } from "./publish.ts";
import { shouldForward } from "./forward-policy.ts";
import { decideClaims, dedupClaims } from "./dedup-keys.ts";
import { beginClaims, commitClaims, releaseClaims, type Claim, type ClaimStatus } from "./ingest-dedup.ts";
import { registryFor } from "../state/registry.ts";
import { BatchDeliveries, lastDeliveryRecorder, newestCreatedAt } from "./last-delivery.ts";
import { BatchMetrics, flushBatchMetrics } from "./batch-metrics.ts";

export { DEDUP_LEASE_MS } from "./ingest-dedup.ts";
/** Retry delay for a message whose event another consumer is publishing: about one lease. */
export const BUSY_RETRY_SECONDS = 30;

/** A failure no retry can fix: the message is dead-lettered with `reason`. */
class PermanentFailure extends Error {}

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

/** A message of the batch that got through step 1, with the envelopes it must publish. */
interface Item {
  msg: Message<unknown>;
  /** Position in the batch (what a Claim's `item` refers to). */
  index: number;
  body: IngestMessage;
  app: AppConfig;
  /** Each envelope with the claims it makes (dedup-keys.ts `dedupClaims`), in delivery order. */
  plans: { envelope: Envelope; claims: Claim[] }[];
  /** The message's distinct claims (one per key: the first envelope to make it owns it). */
  claims: Claim[];
}

/** Step 1 for one message. Returns null once the message is decided (dead-lettered or retried). */
async function prepare(env: Env, config: Config, msg: Message<unknown>, index: number, seen: BatchDeliveries): Promise<Item | null> {
  try {
    const body = msg.body;
    if (!isIngestMessage(body)) throw new PermanentFailure("malformed ingest message (not an IngestMessage v1)");
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
    // Only envelopes someone receives. Each makes its id claim and, while the app migrates, its
    // canonical (cross-API) claim; one claim per distinct key (an event twice in one delivery, or
    // its AAA and XAA copies in one delivery, is published once: decideClaims).
    const wanted = envelopes.filter((e) => config.publishEvents !== false || shouldForward(config, e.app, e.type));
    const policy = { collapseAcrossUsers: app.collapseAcrossUsers, migrating: app.migrating === true, ...config.dedup };
    const claims = new Map<string, Claim>();
    const plans = wanted.map((envelope) => ({
      envelope,
      claims: dedupClaims(envelope, policy).map((c) => {
        const claim = claims.get(c.key) ?? { ...c, envelope, owner: msg.id, item: index, collapseAcrossUsers: app.collapseAcrossUsers };
        claims.set(c.key, claim);
        return claim;
      }),
    }));
    return { msg, index, body, app, plans, claims: [...claims.values()] };
  } catch (error) {
    await decideFailure(env, msg, error);
    return null;
  }
}

/** A failure before anything was published: dead-letter a permanent one, retry the rest. */
async function decideFailure(env: Env, msg: Message<unknown>, error: unknown): Promise<void> {
  if (error instanceof PermanentFailure) {
    if (isIngestMessage(msg.body)) {
      await deadLetterOrRetry(env, msg, msg.body, error.message);
      return;
    }
    // Not even an IngestMessage: there is no original to redrive; record what we can.
    console.error(JSON.stringify({ msg: "unrecognised ingest message dead-lettered", id: msg.id, reason: error.message }));
    await deadLetterOrRetry(env, msg, null, error.message);
    return;
  }
  retryWithBackoff(msg, error);
}

function retryWithBackoff(msg: Message<unknown>, error: unknown): void {
  const delaySeconds = backoffSeconds(msg.attempts, INGEST_BACKOFF, Math.random());
  const detail = error instanceof ConfigError ? error.message : String(error);
  console.error(JSON.stringify({ msg: "ingest failed; retrying", id: msg.id, attempts: msg.attempts, delaySeconds, error: detail }));
  msg.retry({ delaySeconds });
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

/** What step 3 did with one message. */
type Published = { item: Item; fresh: Claim[]; busy: boolean } | null;

/** Step 3a's outcome for one message: what it publishes, and the leases it holds. */
interface Decided {
  item: Item;
  taken: Claim[];
  byKey: Map<string, Claim>;
  decision: ReturnType<typeof decideClaims>;
}

/**
 * Step 3a for one message: which envelopes to publish (every claim new: dedup-keys.ts
 * `decideClaims`); or, when a shard could not be reached, release its leases and retry it.
 */
async function decideItem(env: Env, item: Item, statuses: ReadonlyMap<Claim, ClaimStatus>): Promise<Decided | null> {
  const taken = item.claims.filter((c) => statuses.get(c) === "new");
  if (item.claims.some((c) => statuses.get(c) === "failed")) {
    await releaseClaims(env, taken);
    retryWithBackoff(item.msg, new Error("a dedup shard could not be reached"));
    return null;
  }
  const byKey = new Map(item.claims.map((c) => [c.key, c]));
  const decision = decideClaims(item.plans, (key) => {
    const status = statuses.get(byKey.get(key)!);
    return status === "new" || status === "done" ? status : "busy";
  });
  return { item, taken, byKey, decision };
}

/**
 * Step 3c for one message, after the batch's publish: if its envelopes did not all go out, release
 * everything and retry it; else give back the leases of envelopes that wait for another consumer.
 * `fresh`: the leases to commit in step 4.
 */
async function afterPublish(env: Env, d: Decided, unsent: ReadonlyMap<Decided, unknown>, metrics: BatchMetrics): Promise<Published> {
  if (unsent.has(d)) {
    await releaseClaims(env, d.taken);
    retryWithBackoff(d.item.msg, unsent.get(d));
    return null;
  }
  metrics.published(d.decision.publish);
  await releaseClaims(env, d.decision.release.map((c) => d.byKey.get(c.key)!));
  return { item: d.item, fresh: d.decision.commit.map((c) => d.byKey.get(c.key)!), busy: d.decision.busy };
}

/** Step 4's ending for one message whose envelopes are published and committed. */
async function finish(env: Env, p: NonNullable<Published>): Promise<void> {
  if (p.busy) {
    p.item.msg.retry({ delaySeconds: BUSY_RETRY_SECONDS });
    return;
  }
  if (p.item.body.spill !== undefined) {
    // Processed: the spilled body is no longer needed. If this fails the Spool's expiry removes it.
    try {
      await env.SPOOL.getByName(p.item.body.app).deleteSpill(p.item.body.spill);
    } catch (error) {
      console.warn(JSON.stringify({ msg: "spill delete failed; it will expire", id: p.item.msg.id, error: String(error) }));
    }
  }
  p.item.msg.ack();
}

/**
 * Every message is decided on its own (one slow or poison delivery never holds up the others'
 * decisions), while the Dedup shards are asked once per batch.
 */
export async function handleIngestBatch(batch: MessageBatch, env: Env): Promise<void> {
  const seen = new BatchDeliveries();
  const metrics = new BatchMetrics();
  let config: Config;
  try {
    config = getConfig(env);
  } catch (error) {
    for (const msg of batch.messages) retryWithBackoff(msg, error);
    return;
  }
  // 1. Normalise.
  const items = (await Promise.all(batch.messages.map((msg, i) => prepare(env, config, msg, i, seen)))).filter((x): x is Item => x !== null);
  // 2. One begin per shard for the whole batch.
  const claims = items.flatMap((it) => it.claims);
  const statuses = new Map<Claim, ClaimStatus>();
  if (claims.length > 0) (await beginClaims(env, config, claims)).forEach((s, i) => statuses.set(claims[i]!, s));
  // 3. Decide per message, publish for the whole batch (a few sendBatch calls), settle per message.
  const decided = (await Promise.all(items.map((it) => decideItem(env, it, statuses)))).filter((d): d is Decided => d !== null);
  const unsent = await publishGroups(
    env,
    decided.map((d) => ({ key: d, envelopes: d.decision.publish })),
    (e) => shouldForward(config, e.app, e.type),
    config.publishEvents !== false,
  );
  const published = (await Promise.all(decided.map((d) => afterPublish(env, d, unsent, metrics)))).filter((p): p is NonNullable<Published> => p !== null);
  // 4. One commit per shard; a message whose commit failed is retried (a duplicate at worst).
  const failed = await commitClaims(env, config, published.flatMap((p) => p.fresh));
  await Promise.all(
    published.map((p) => (failed.has(p.item.index) ? retryWithBackoff(p.item.msg, new Error("dedup commit failed")) : finish(env, p))),
  );

  // Only after every message is decided, and it never throws: telemetry cannot change an ack or
  // a retry. At most one Registry write per app per minute (last-delivery.ts).
  await lastDeliveryRecorder.record(seen, (app, value) => registryFor(env, app).recordLastDelivery(value));
  await flushBatchMetrics(env, metrics); // the dashboard's charts and tail: one call per batch, never throws
}
