/**
 * Helpers for the pipeline integration tests (not a test file).
 *
 * `recordingQueue` wraps a real queue binding: it records what our code sends and, when
 * `passThrough` is set, hands the same call to the real Miniflare queue (so its size and content
 * type checks apply). It can also be told to fail, which is how "the queue is down" is produced:
 * Miniflare's queues cannot be made to fail on demand.
 */
import { env } from "cloudflare:workers";
import type { IngestMessage } from "../../src/pipeline/messages.ts";

export interface SentMessage {
  body: unknown;
  contentType: QueueContentType | undefined;
}

export interface RecordingQueue extends Queue {
  sent: SentMessage[];
  /** Number of sendBatch/send calls (successful or not). */
  calls: number;
  /** Fail the next n calls. */
  failNext: number;
}

export function recordingQueue(real: Queue, passThrough: boolean): RecordingQueue {
  const q: RecordingQueue = {
    sent: [],
    calls: 0,
    failNext: 0,
    async metrics() {
      return real.metrics();
    },
    async send(body, options) {
      q.calls++;
      if (q.failNext > 0) {
        q.failNext--;
        throw new Error("queue unavailable (test)");
      }
      const r = passThrough ? await real.send(body, options) : { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
      q.sent.push({ body, contentType: options?.contentType });
      return r;
    },
    async sendBatch(messages, options) {
      q.calls++;
      if (q.failNext > 0) {
        q.failNext--;
        throw new Error("queue unavailable (test)");
      }
      const list = [...messages];
      const r = passThrough
        ? await real.sendBatch(list, options)
        : { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
      for (const m of list) q.sent.push({ body: m.body, contentType: m.contentType });
      return r;
    },
  };
  return q;
}

export interface TestEnv {
  env: Env;
  events: RecordingQueue;
  forward: RecordingQueue;
  deadLetter: RecordingQueue;
}

/**
 * The real env with recording EVENTS/FORWARD/DEAD_LETTER queues and optional var overrides.
 * EVENTS passes through to the real queue (no consumer is bound to it). FORWARD and DEAD_LETTER
 * only record unless asked: their real consumers would run in the background of the test.
 */
export function testEnv(vars: Record<string, string> = {}, opts: { deadLetterPassThrough?: boolean } = {}): TestEnv {
  const events = recordingQueue(env.EVENTS, true);
  const forward = recordingQueue(env.FORWARD, false);
  const deadLetter = recordingQueue(env.DEAD_LETTER, opts.deadLetterPassThrough ?? false);
  const e = { ...env, ...vars, EVENTS: events, FORWARD: forward, DEAD_LETTER: deadLetter } as Env;
  return { env: e, events, forward, deadLetter };
}

type StubMethod = (...args: unknown[]) => unknown;

/**
 * Put the real Durable Object namespace `binding` in `t.env` behind a Proxy: each stub method is
 * handed to `wrap` (with the stub's name and the real method) and `wrap`'s function used in its
 * place; `undefined` keeps the real one. How a test counts a shard's calls or breaks one.
 */
export function interceptStubs(
  t: TestEnv,
  binding: "DEDUP" | "SPOOL" | "DEAD_LETTERS",
  wrap: (name: string, method: string, real: StubMethod) => StubMethod | undefined,
): void {
  const real = env[binding] as unknown as { getByName(name: string): object };
  (t.env as unknown as Record<string, unknown>)[binding] = {
    getByName(name: string) {
      return new Proxy(real.getByName(name), {
        get(target, prop) {
          const v = Reflect.get(target, prop) as unknown;
          if (typeof prop !== "string" || typeof v !== "function") return v;
          return wrap(name, prop, (...args) => Reflect.apply(v as StubMethod, target, args)) ?? v;
        },
      });
    },
  };
}

const UTF8 = new TextEncoder();

export function ingestMessage(text: string | Uint8Array, overrides: Partial<IngestMessage> = {}): IngestMessage {
  const bytes = typeof text === "string" ? UTF8.encode(text) : text;
  return {
    v: 1,
    delivery_id: crypto.randomUUID(),
    app: "default",
    received_at: "2026-11-24T12:00:00.000Z",
    body: new Uint8Array(bytes).buffer,
    ...overrides,
  };
}

let seq = 0;
/** A MessageBatch message with a unique id. */
export function queued<T>(body: T, attempts = 1): { id: string; timestamp: Date; attempts: number; body: T } {
  seq++;
  return { id: `msg-${seq}-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body };
}

/**
 * Record the `delaySeconds` each message is retried with. The plugin's `getQueueResult` (1.5.0)
 * reports which messages were retried but drops the delay, although its type declares it.
 */
export function recordRetryDelays(batch: MessageBatch): Map<string, number | undefined> {
  const delays = new Map<string, number | undefined>();
  for (const m of batch.messages) {
    const original = m.retry.bind(m);
    Object.defineProperty(m, "retry", {
      value: (options?: QueueRetryOptions) => {
        delays.set(m.id, options?.delaySeconds);
        original(options);
      },
    });
  }
  return delays;
}
