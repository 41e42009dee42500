/**
 * The aae-forward consumer: POST each envelope to its app's destination (`forwardFor`: APPS
 * `forward_url` or FORWARD_URL) with Standard Webhooks headers signed with that app's secret.
 *
 * Per destination in a batch: ask its gate (circuit breaker + optional rate limit, shared by every
 * isolate through a Durable Object) how many may go; send those concurrently, each with a
 * timeout; decide each outcome with the pure `decideForwardOutcome`; report health back to the
 * gate. Messages held back by the gate are not retried (a retry uses one of the queue's
 * `max_retries` attempts, so a long outage or a rate-limited backlog would dead-letter them):
 * a copy carrying `held_since` is sent to FORWARD with the gate's wait as its delay, and the
 * original acked only once that send resolved. A message held longer than FORWARD_MAX_HOLD_HOURS
 * is dead-lettered instead.
 *
 * `fetch` is injected (`ForwardDeps`) so tests can stand in for the destination: workerd tests
 * cannot open a real HTTP listener, and the vitest pool has no fetch mock in this version.
 */
import { ConfigError, forwardFor, getConfig, type Config, type ForwardTarget } from "../config.ts";
import type { ForwardMessage } from "./messages.ts";
import { isForwardMessage } from "./message-guards.ts";
import { deadLetterStore, sendDeadLetter } from "./dead-letter.ts";
import { chunkForSendBatch, forwardMessageBytes, readSpilledEnvelope } from "./publish.ts";
import { standardWebhookHeaders, StandardWebhooksSecretError, secretKeyBytes } from "./standard-webhooks.ts";
import {
  decideForwardOutcome,
  decideHold,
  describeResult,
  FORWARD_TIMEOUT_MS,
  isDestinationFailure,
  type ForwardAttemptResult,
  type ForwardDecision,
  type HoldCause,
} from "./forward-policy.ts";
import { backoffSeconds, FORWARD_BACKOFF } from "./retry.ts";
import { BatchMetrics, flushBatchMetrics } from "./batch-metrics.ts";
import { ConnectionSlots, OPEN_CONNECTION_LIMIT } from "./connection-slots.ts";

/** DeadLetters instance that holds the forwarding gate. */
export const FORWARD_GATE_INSTANCE = "forward-gate";

export interface ForwardDeps {
  fetch: (input: Request) => Promise<Response>;
  now: () => number;
  random: () => number;
  /** The batch's telemetry (set by handleForwardBatch; batch-metrics.ts). */
  metrics?: BatchMetrics;
  /** The timeout of one POST, made when the POST starts (default: FORWARD_TIMEOUT_MS). */
  timeoutSignal?: () => AbortSignal;
  /** Most POSTs in flight per batch (default: the platform's 6 open connections). */
  maxConnections?: number;
  /**
   * Destinations whose gate was closed, clean (no failures) and without a rate limit, each until
   * when that may be trusted without asking the gate again. Absent: ask every batch.
   */
  gateCache?: Map<string, number>;
}

/**
 * How long a clean, closed gate is trusted per isolate before it is asked again. The isolate's own
 * first failure forgets it at once; what it can miss is an outage another isolate saw, for at most
 * this long and one batch (which then fails here and is recorded).
 */
export const GATE_CACHE_MS = 60_000;

export const DEFAULT_FORWARD_DEPS: ForwardDeps = {
  fetch: (req) => fetch(req),
  now: () => Date.now(),
  random: () => Math.random(),
  timeoutSignal: () => AbortSignal.timeout(FORWARD_TIMEOUT_MS),
  maxConnections: OPEN_CONNECTION_LIMIT,
  // Per isolate: the module lives as long as the isolate.
  gateCache: new Map(),
};

async function attempt(deps: ForwardDeps, config: ForwardTarget, id: string, body: string): Promise<ForwardAttemptResult> {
  const ts = Math.floor(deps.now() / 1000);
  const headers = await standardWebhookHeaders(config.secret, id, ts, body);
  try {
    // The timer starts here, with the request: the caller holds a connection slot already.
    const signal = deps.timeoutSignal?.() ?? AbortSignal.timeout(FORWARD_TIMEOUT_MS);
    const res = await deps.fetch(
      new Request(config.url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal,
      }),
    );
    const retryAfter = res.headers.get("retry-after");
    // We never read the destination's answer: release the connection.
    await res.body?.cancel();
    return { kind: "response", status: res.status, retryAfter };
  } catch (error) {
    if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")) {
      return { kind: "timeout" };
    }
    // The error text names the failure (DNS, TLS, connection reset); it holds no secret.
    return { kind: "network", detail: error instanceof Error ? error.message : String(error) };
  }
}

async function bodyOf(env: Env, m: ForwardMessage): Promise<string | null> {
  if (m.json !== undefined) return m.json;
  return readSpilledEnvelope(env, m.app, m.spill!);
}

async function deadLetter(env: Env, msg: Message<unknown>, body: ForwardMessage, reason: string): Promise<void> {
  // Stored without `held_since`: a redrive (typically once the destination is back) starts a new
  // hold clock instead of expiring at once if the circuit has not closed yet.
  const { held_since: _heldSince, ...original } = body;
  try {
    await sendDeadLetter(env, "forward", reason, original, new Date());
  } catch (error) {
    console.error(JSON.stringify({ msg: "dead-letter send failed; retrying", id: msg.id, error: String(error) }));
    msg.retry({ delaySeconds: backoffSeconds(msg.attempts, FORWARD_BACKOFF, Math.random()) });
    return;
  }
  console.warn(JSON.stringify({ msg: "forward message dead-lettered", id: msg.id, envelope: original.id, reason }));
  msg.ack();
}

interface HeldCopy {
  msg: Message<unknown>;
  copy: ForwardMessage;
  delaySeconds: number;
}

/**
 * Hold back messages the gate did not admit, without using queue attempts: re-send each as a
 * delayed copy carrying `held_since`, then ack the original. The original is acked only after its
 * copy's send resolved; if the send fails it is retried instead (never acked without a durable
 * copy). Messages held longer than `maxHoldHours` are dead-lettered.
 */
async function holdBack(
  env: Env,
  held: readonly { msg: Message<unknown>; body: ForwardMessage }[],
  gateWaitMs: number,
  cause: HoldCause,
  maxHoldHours: number,
  deps: ForwardDeps,
): Promise<void> {
  const now = deps.now();
  const copies: HeldCopy[] = [];
  const expired: Promise<void>[] = [];
  for (const { msg, body } of held) {
    const d = decideHold(body.held_since, now, gateWaitMs, deps.random(), maxHoldHours, cause);
    deps.metrics?.forwarded(body.app, d.action === "dead-letter" ? "dead_lettered" : "held");
    if (d.action === "dead-letter") expired.push(deadLetter(env, msg, body, d.reason));
    else copies.push({ msg, copy: { ...body, held_since: d.heldSince }, delaySeconds: d.delaySeconds });
  }
  const groups = chunkForSendBatch(copies.map((c) => ({ item: c, bytes: forwardMessageBytes(c.copy) })));
  await Promise.all([
    ...expired,
    ...groups.map(async (group) => {
      try {
        // "v8", the content type the publisher (publish.ts) sends every ForwardMessage with.
        await env.FORWARD.sendBatch(group.map((c) => ({ body: c.copy, contentType: "v8" as const, delaySeconds: c.delaySeconds })));
      } catch (error) {
        console.error(JSON.stringify({ msg: "forward hold re-send failed; retrying instead", count: group.length, error: String(error) }));
        for (const c of group) c.msg.retry({ delaySeconds: c.delaySeconds });
        return;
      }
      for (const c of group) c.msg.ack();
    }),
  ]);
}

async function apply(env: Env, msg: Message<unknown>, original: ForwardMessage, d: ForwardDecision): Promise<void> {
  if (d.action === "ack") msg.ack();
  else if (d.action === "retry") msg.retry({ delaySeconds: d.delaySeconds });
  else await deadLetter(env, msg, original, d.reason);
}

type Item = { msg: Message<unknown>; body: ForwardMessage };

/** Why a message has no destination: its app left APPS, or its forwarding is off. */
function noDestinationReason(config: Config, app: string): string {
  if (!config.apps.has(app)) return `app "${app}" is no longer configured (not in APPS): nothing to forward it to`;
  return `forwarding is not configured for app "${app}" (its forward_url is null, or FORWARD_URL is unset)`;
}

/**
 * One destination's share of a batch: ask its gate how many may go, hold the rest back, send the
 * admitted ones (each signed with its own app's secret), report health to the gate, apply the
 * decisions. A gate that cannot be answered retries this destination's messages only.
 */
async function forwardToDestination(
  env: Env,
  config: Config,
  url: string,
  items: readonly (Item & { target: ForwardTarget })[],
  deps: ForwardDeps,
  slots: ConnectionSlots,
): Promise<void> {
  const gate = env.DEAD_LETTERS.getByName(FORWARD_GATE_INSTANCE);
  let allowed: number;
  let waitMs: number;
  let cause: HoldCause;
  // A clean closed gate (no failures, no rate limit) seen by this isolate a moment ago is trusted
  // without an RPC; any failure here forgets it. Another isolate's outage is noticed within
  // GATE_CACHE_MS (or at this isolate's own first failure). The rate limit needs the gate every batch.
  const cache = config.forwardRateLimit === null ? deps.gateCache : undefined;
  const trusted = (cache?.get(url) ?? 0) > deps.now();
  /** The gate was closed with no failures counted: successes would change nothing there. */
  let clean = trusted;
  try {
    if (trusted) {
      allowed = items.length;
      waitMs = 0;
      cause = "rate limited";
    } else {
      const a = await gate.gateAdmit(url, items.length, config.forwardRateLimit);
      allowed = a.allowed;
      waitMs = a.retryAfterMs;
      // A closed breaker holds nothing back: only the rate limit can have.
      cause = a.phase === "closed" ? "rate limited" : "circuit open";
      clean = a.phase === "closed" && a.failures === 0;
      if (cache !== undefined) {
        if (clean) cache.set(url, deps.now() + GATE_CACHE_MS);
        else cache.delete(url);
      }
    }
  } catch (error) {
    console.error(JSON.stringify({ msg: "forward gate unavailable; retrying batch", error: String(error) }));
    for (const { msg } of items) msg.retry({ delaySeconds: backoffSeconds(msg.attempts, FORWARD_BACKOFF, deps.random()) });
    return;
  }

  await holdBack(env, items.slice(allowed), waitMs, cause, config.forwardMaxHoldHours, deps);

  const sent = items.slice(0, allowed);
  const results = await Promise.all(
    sent.map(({ msg, body, target }) => slots.run(async () => {
      const text = await bodyOf(env, body).catch(() => undefined);
      if (text === undefined) {
        return { msg, body, healthy: null, decision: { action: "retry", delaySeconds: backoffSeconds(msg.attempts, FORWARD_BACKOFF, deps.random()), reason: "spool unavailable" } as ForwardDecision };
      }
      if (text === null) {
        const held = body.held_since === undefined ? "" : `; held since ${body.held_since}`;
        return { msg, body, healthy: null, decision: { action: "dead-letter", reason: `spilled envelope ${body.spill} not found (expired${held})` } as ForwardDecision };
      }
      const result = await attempt(deps, target, body.id, text);
      const decision = decideForwardOutcome(result, msg.attempts, deps.now(), deps.random());
      deps.metrics?.forwarded(body.app, decision.action === "ack" ? "delivered" : decision.action === "retry" ? "retried" : "dead_lettered", text);
      if (decision.action !== "ack") {
        console.warn(JSON.stringify({ msg: "forward attempt failed", id: msg.id, envelope: body.id, attempts: msg.attempts, result: describeResult(result), action: decision.action }));
      }
      return { msg, body, healthy: !isDestinationFailure(result), decision };
    })),
  );
  const outcomes = results.flatMap((r) => (r.healthy === null ? [] : [r.healthy]));
  const allHealthy = outcomes.every((h) => h);
  if (!allHealthy) cache?.delete(url);
  // Successes through a clean closed gate change nothing there: no RPC, no write.
  if (outcomes.length > 0 && !(clean && allHealthy)) {
    // The decisions stand either way; a lost report only delays the breaker by one batch.
    await gate.gateRecord(url, outcomes).catch((error: unknown) => {
      console.error(JSON.stringify({ msg: "forward gate record failed", error: String(error) }));
    });
  }
  await Promise.all(results.map((r) => apply(env, r.msg, r.body, r.decision)));
}

/**
 * Each message goes to its app's destination (`forwardFor`): the batch is grouped by destination
 * URL, in order, and each group is gated on its own (a down destination holds only its messages).
 */
export async function handleForwardBatch(batch: MessageBatch, env: Env, deps: ForwardDeps = DEFAULT_FORWARD_DEPS): Promise<void> {
  const metrics = new BatchMetrics(deps.now);
  await forwardBatch(batch, env, { ...deps, metrics });
  await flushBatchMetrics(env, metrics); // the dashboard's charts: one call per batch, never throws
}

async function forwardBatch(batch: MessageBatch, env: Env, deps: ForwardDeps): Promise<void> {
  const valid: Item[] = [];
  for (const msg of batch.messages) {
    if (isForwardMessage(msg.body)) valid.push({ msg, body: msg.body });
    else {
      // Nothing to redrive; keep it for inspection under its own reason.
      try {
        await deadLetterStore(env).storeRaw(msg.id, "unknown", "malformed forward message", new Date().toISOString(), msg.body);
        msg.ack();
      } catch {
        msg.retry({ delaySeconds: backoffSeconds(msg.attempts, FORWARD_BACKOFF, deps.random()) });
      }
    }
  }
  if (valid.length === 0) return;

  let config: Config;
  try {
    config = getConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // An operator must fix the config; wait for it (the message is dead-lettered after max attempts).
    console.error(JSON.stringify({ msg: "forwarding misconfigured; retrying", error: error.message }));
    for (const { msg } of valid) msg.retry({ delaySeconds: backoffSeconds(msg.attempts, FORWARD_BACKOFF, deps.random()) });
    return;
  }

  const groups = new Map<string, (Item & { target: ForwardTarget })[]>();
  const orphans: Promise<void>[] = [];
  for (const item of valid) {
    const target = forwardFor(config, item.body.app);
    if (target === null) {
      orphans.push(deadLetter(env, item.msg, item.body, noDestinationReason(config, item.body.app)));
      continue;
    }
    try {
      secretKeyBytes(target.secret);
    } catch (error) {
      if (!(error instanceof StandardWebhooksSecretError)) throw error;
      // The message names the problem, never the secret. Wait for the operator's fix.
      console.error(JSON.stringify({ msg: "forwarding misconfigured; retrying", app: item.body.app, error: error.message }));
      item.msg.retry({ delaySeconds: backoffSeconds(item.msg.attempts, FORWARD_BACKOFF, deps.random()) });
      continue;
    }
    const group = groups.get(target.url) ?? [];
    group.push({ ...item, target });
    groups.set(target.url, group);
  }
  // One limit on open connections for the whole invocation, every destination included.
  const slots = new ConnectionSlots(deps.maxConnections ?? OPEN_CONNECTION_LIMIT);
  await Promise.all([...orphans, ...[...groups].map(([url, items]) => forwardToDestination(env, config, url, items, deps, slots))]);
  // Every valid message of the batch is decided here (acked, retried, held or dead-lettered);
  // handleForwardBatch records the batch's metrics after this returns.
}
