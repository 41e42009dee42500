/**
 * The aae-forward consumer: POST each envelope to FORWARD_URL with Standard Webhooks headers.
 *
 * Per batch: ask the destination's gate (circuit breaker + optional rate limit, shared by every
 * isolate through a Durable Object) how many may go; send those concurrently, each with a
 * timeout; decide each outcome with the pure `decideForwardOutcome`; report health back to the
 * gate. Messages held back by the gate are retried after the gate's wait, without a request.
 *
 * `fetch` is injected (`ForwardDeps`) so tests can stand in for the destination: workerd tests
 * cannot open a real HTTP listener, and the vitest pool has no fetch mock in this version.
 */
import { ConfigError, getConfig, type Config } from "../config.ts";
import type { ForwardMessage } from "./messages.ts";
import { isForwardMessage } from "./message-guards.ts";
import { deadLetterStore, sendDeadLetter } from "./dead-letter.ts";
import { readSpilledEnvelope } from "./publish.ts";
import { standardWebhookHeaders, StandardWebhooksSecretError, secretKeyBytes } from "./standard-webhooks.ts";
import {
  decideForwardOutcome,
  describeResult,
  FORWARD_MAX_ATTEMPTS,
  FORWARD_TIMEOUT_MS,
  isDestinationFailure,
  type ForwardAttemptResult,
  type ForwardDecision,
} from "./forward-policy.ts";
import { backoffSeconds, clampDelay, FORWARD_BACKOFF } from "./retry.ts";

/** DeadLetters instance that holds the forwarding gate. */
export const FORWARD_GATE_INSTANCE = "forward-gate";

export interface ForwardDeps {
  fetch: (input: Request) => Promise<Response>;
  now: () => number;
  random: () => number;
}

export const DEFAULT_FORWARD_DEPS: ForwardDeps = {
  fetch: (req) => fetch(req),
  now: () => Date.now(),
  random: () => Math.random(),
};

async function attempt(deps: ForwardDeps, config: NonNullable<Config["forward"]>, id: string, body: string): Promise<ForwardAttemptResult> {
  const ts = Math.floor(deps.now() / 1000);
  const headers = await standardWebhookHeaders(config.secret, id, ts, body);
  try {
    const res = await deps.fetch(
      new Request(config.url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
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

async function deadLetter(env: Env, msg: Message<unknown>, original: ForwardMessage, reason: string): Promise<void> {
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

async function apply(env: Env, msg: Message<unknown>, original: ForwardMessage, d: ForwardDecision): Promise<void> {
  if (d.action === "ack") msg.ack();
  else if (d.action === "retry") msg.retry({ delaySeconds: d.delaySeconds });
  else await deadLetter(env, msg, original, d.reason);
}

export async function handleForwardBatch(batch: MessageBatch, env: Env, deps: ForwardDeps = DEFAULT_FORWARD_DEPS): Promise<void> {
  const valid: { msg: Message<unknown>; body: ForwardMessage }[] = [];
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
    if (config.forward !== null) secretKeyBytes(config.forward.secret);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof StandardWebhooksSecretError)) throw error;
    // An operator must fix the config; wait for it (the message is dead-lettered after max attempts).
    console.error(JSON.stringify({ msg: "forwarding misconfigured; retrying", error: error.message }));
    for (const { msg } of valid) msg.retry({ delaySeconds: backoffSeconds(msg.attempts, FORWARD_BACKOFF, deps.random()) });
    return;
  }
  const forward = config.forward;
  if (forward === null) {
    await Promise.all(valid.map(({ msg, body }) => deadLetter(env, msg, body, "forwarding is not configured (FORWARD_URL is unset)")));
    return;
  }

  const gate = env.DEAD_LETTERS.getByName(FORWARD_GATE_INSTANCE);
  let allowed: number;
  let waitMs: number;
  try {
    const a = await gate.gateAdmit(forward.url, valid.length, config.forwardRateLimit);
    allowed = a.allowed;
    waitMs = a.retryAfterMs;
  } catch (error) {
    console.error(JSON.stringify({ msg: "forward gate unavailable; retrying batch", error: String(error) }));
    for (const { msg } of valid) msg.retry({ delaySeconds: backoffSeconds(msg.attempts, FORWARD_BACKOFF, deps.random()) });
    return;
  }

  const held = valid.slice(allowed);
  await Promise.all(
    held.map(({ msg, body }) => {
      if (msg.attempts >= FORWARD_MAX_ATTEMPTS) {
        return deadLetter(env, msg, body, `gave up after ${msg.attempts} attempts; destination circuit open or rate limited`);
      }
      // Spread the held messages over a few seconds so they do not return as one herd.
      msg.retry({ delaySeconds: clampDelay(waitMs / 1000 + deps.random() * 5) });
      return Promise.resolve();
    }),
  );

  const sent = valid.slice(0, allowed);
  const results = await Promise.all(
    sent.map(async ({ msg, body }) => {
      const text = await bodyOf(env, body).catch(() => undefined);
      if (text === undefined) {
        return { msg, body, healthy: null, decision: { action: "retry", delaySeconds: backoffSeconds(msg.attempts, FORWARD_BACKOFF, deps.random()), reason: "spool unavailable" } as ForwardDecision };
      }
      if (text === null) {
        return { msg, body, healthy: null, decision: { action: "dead-letter", reason: `spilled envelope ${body.spill} not found (expired)` } as ForwardDecision };
      }
      const result = await attempt(deps, forward, body.id, text);
      const decision = decideForwardOutcome(result, msg.attempts, deps.now(), deps.random());
      if (decision.action !== "ack") {
        console.warn(JSON.stringify({ msg: "forward attempt failed", id: msg.id, envelope: body.id, attempts: msg.attempts, result: describeResult(result), action: decision.action }));
      }
      return { msg, body, healthy: !isDestinationFailure(result), decision };
    }),
  );
  const outcomes = results.flatMap((r) => (r.healthy === null ? [] : [r.healthy]));
  if (outcomes.length > 0) {
    // The decisions stand either way; a lost report only delays the breaker by one batch.
    await gate.gateRecord(forward.url, outcomes).catch((error: unknown) => {
      console.error(JSON.stringify({ msg: "forward gate record failed", error: String(error) }));
    });
  }
  await Promise.all(results.map((r) => apply(env, r.msg, r.body, r.decision)));
}
