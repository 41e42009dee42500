/**
 * `npm run bench:cost`'s Worker: the real Worker (src/index.ts), its handlers and Durable Object
 * classes unchanged, with every platform operation counted AT THE BINDING BOUNDARY. Bench only:
 * nothing here is imported by src/, and production code paths carry no counters.
 *
 * - Worker invocations: each `fetch` (bench control paths excepted) and each `queue` batch.
 * - Queues: per queue, messages written (`send`/`sendBatch`), read (each message handed to a
 *   consumer, retries included) and deleted (`ack`), each also in 64 KB units as Cloudflare bills.
 * - Durable Objects: every RPC method call on a stub, per class and method (one billed request
 *   each), from the Worker and from other objects; alarm invocations.
 * - SQLite rows read and written: workerd's own per-cursor counters (`SqlStorageCursor.rowsRead`,
 *   `.rowsWritten`) for every `ctx.storage.sql.exec`, summed per class; `setAlarm` counted apart.
 * - KV reads/writes/deletes/lists; outgoing `fetch` subrequests (the forwarder's POSTs).
 *
 * The counters live in this isolate's memory: under workerd one Worker's stateless handlers and its
 * Durable Objects share the isolate. `GET /__bench/counters` reads them, `POST /__bench/reset`
 * zeroes them, `POST /__bench/expire?class=Dedup&names=a,b&shiftMs=n` runs each named object's
 * own `alarm()` with the clock moved `shiftMs` ahead, so a short run pays the expiry its keys will
 * cost days later (the prune of the dedup window).
 */
import worker, { DeadLetters as RealDeadLetters, Dedup as RealDedup, Metrics as RealMetrics, Registry as RealRegistry, Spool as RealSpool } from "../../src/index.ts";

type Counters = Record<string, number>;
let counters: Counters = {};
let cursors: { cls: string; cursor: SqlStorageCursor<Record<string, SqlStorageValue>> }[] = [];
let inflight = 0;

function add(name: string, n = 1): void {
  counters[name] = (counters[name] ?? 0) + n;
}

/** Billable 64 KB units of one message body (Cloudflare Queues bills each operation per 64 KB). */
function units(body: unknown): number {
  let bytes: number;
  if (typeof body === "string") bytes = new TextEncoder().encode(body).byteLength;
  else if (body instanceof ArrayBuffer) bytes = body.byteLength;
  else {
    bytes = 0;
    JSON.stringify(body, (_k, v: unknown) => {
      if (v instanceof ArrayBuffer) {
        bytes += v.byteLength;
        return null;
      }
      if (typeof v === "string") bytes += v.length;
      return v;
    });
    bytes += 256;
  }
  return Math.max(1, Math.ceil(bytes / 65536));
}

function queueName(binding: string): string {
  return binding.toLowerCase();
}

function wrapQueue(binding: string, q: Queue): Queue {
  const name = queueName(binding);
  return new Proxy(q, {
    get(target, prop) {
      if (prop === "send") {
        return (body: unknown, opts?: QueueSendOptions) => {
          add(`queue.${name}.write`);
          add(`queue.${name}.write_units`, units(body));
          add("queue.send_calls");
          return target.send(body, opts);
        };
      }
      if (prop === "sendBatch") {
        return (msgs: Iterable<MessageSendRequest>, opts?: QueueSendBatchOptions) => {
          const list = [...msgs];
          add(`queue.${name}.write`, list.length);
          add(`queue.${name}.write_units`, list.reduce((a, m) => a + units(m.body), 0));
          add("queue.send_calls");
          return target.sendBatch(list, opts);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function wrapStub(cls: string, stub: object): object {
  return new Proxy(stub, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof prop !== "string" || typeof v !== "function" || prop === "then") return v;
      return (...args: unknown[]) => {
        add(`do.${cls}.requests`);
        add(`do.${cls}.${prop}`);
        // Reflect.apply: an RPC stub's method would treat `.apply` as one more remote method.
        return Reflect.apply(v as (...a: unknown[]) => unknown, target, args);
      };
    },
  });
}

const CLASS_OF: Record<string, string> = { DEDUP: "Dedup", REGISTRY: "Registry", SPOOL: "Spool", DEAD_LETTERS: "DeadLetters" };

function wrapNamespace(binding: string, ns: DurableObjectNamespace): DurableObjectNamespace {
  const cls = CLASS_OF[binding] ?? binding;
  return new Proxy(ns, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== "function") return v;
      if (prop === "getByName" || prop === "get") {
        return (...args: unknown[]) => {
          // Which objects a scenario used, so the bench can run their expiry afterwards.
          if (prop === "getByName") add(`touched.${cls}.${String(args[0])}`, 0);
          return wrapStub(cls, (v as (...a: unknown[]) => object).apply(target, args));
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function wrapKv(kv: KVNamespace): KVNamespace {
  return new Proxy(kv, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        const kind = prop === "get" || prop === "getWithMetadata" ? "read" : prop === "put" ? "write" : prop === "delete" ? "delete" : prop === "list" ? "list" : String(prop);
        add(`kv.${kind}`);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const wrapped = new WeakMap<object, Env>();

/** The same bindings, counted. One wrapper per env object, so config caches keyed on it still hit. */
function countedEnv(env: Env): Env {
  const hit = wrapped.get(env);
  if (hit !== undefined) return hit;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env as unknown as Record<string, unknown>)) {
    if (v !== null && typeof v === "object" && "getByName" in v) out[k] = wrapNamespace(k, v as DurableObjectNamespace);
    else if (v !== null && typeof v === "object" && "sendBatch" in v) out[k] = wrapQueue(k, v as Queue);
    else if (v !== null && typeof v === "object" && "getWithMetadata" in v) out[k] = wrapKv(v as KVNamespace);
    else out[k] = v;
  }
  const e = out as unknown as Env;
  wrapped.set(env, e);
  return e;
}

function wrapMessage(name: string, msg: Message<unknown>): Message<unknown> {
  const u = units(msg.body);
  return new Proxy(msg, {
    get(target, prop) {
      if (prop === "ack") {
        return () => {
          add(`queue.${name}.delete`);
          add(`queue.${name}.delete_units`, u);
          target.ack();
        };
      }
      if (prop === "retry") {
        return (opts?: QueueRetryOptions) => {
          add(`queue.${name}.retry`);
          target.retry(opts);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Queue name as the wrapper counts it: the binding's name for our own queues. */
function consumedName(queue: string): string {
  if (queue.startsWith("aae-dead-letter")) return "dead_letter";
  if (queue.startsWith("aae-ingest")) return "ingest" + queue.slice("aae-ingest".length).replace(/^-/, "_");
  if (queue.startsWith("aae-forward")) return "forward";
  if (queue.startsWith("aae-events")) return "events";
  return queue;
}

// Outgoing fetch from the Worker and its objects (the forwarder resolves `fetch` at call time).
const realFetch = globalThis.fetch.bind(globalThis);
globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  add("subrequests.fetch");
  return realFetch(input, init);
}) as typeof fetch;

/** Count every statement's rows with workerd's own cursor counters; setAlarm as a storage write. */
function instrumentStorage(cls: string, ctx: DurableObjectState): void {
  const sql = ctx.storage.sql;
  const exec = sql.exec.bind(sql);
  Object.defineProperty(sql, "exec", {
    configurable: true,
    value: (query: string, ...bindings: unknown[]) => {
      const cursor = exec(query, ...bindings);
      cursors.push({ cls, cursor });
      return cursor;
    },
  });
  const setAlarm = ctx.storage.setAlarm.bind(ctx.storage);
  Object.defineProperty(ctx.storage, "setAlarm", {
    configurable: true,
    value: (at: number | Date, opts?: DurableObjectSetAlarmOptions) => {
      add(`do.${cls}.set_alarm`);
      return setAlarm(at, opts);
    },
  });
}

function readCounters(): Counters {
  const out: Counters = { ...counters };
  for (const { cls, cursor } of cursors) {
    out[`sql.${cls}.rows_read`] = (out[`sql.${cls}.rows_read`] ?? 0) + cursor.rowsRead;
    out[`sql.${cls}.rows_written`] = (out[`sql.${cls}.rows_written`] ?? 0) + cursor.rowsWritten;
  }
  return out;
}

/** Run `fn` with Date.now moved ahead (the expiry pass); nothing else runs meanwhile in the bench. */
async function withShiftedClock<T>(shiftMs: number, fn: () => Promise<T>): Promise<T> {
  const realNow = Date.now;
  Date.now = () => realNow() + shiftMs;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

// Only the constructor's shape matters here; the classes' own methods pass through untouched.
type Ctor = new (ctx: DurableObjectState, env: Env) => object;

function counted<T extends Ctor>(cls: string, Base: T): T {
  return class extends (Base as Ctor) {
    constructor(ctx: DurableObjectState, env: Env) {
      instrumentStorage(cls, ctx);
      super(ctx, countedEnv(env));
    }

    async alarm(): Promise<void> {
      add(`do.${cls}.requests`);
      add(`do.${cls}.alarm`);
      await (Base.prototype as { alarm?(): void | Promise<void> }).alarm?.call(this);
    }

    /** Bench only: this object's own alarm, as if `shiftMs` had passed (see the file comment). */
    async benchExpire(shiftMs: number): Promise<void> {
      await withShiftedClock(shiftMs, () => this.alarm());
    }
  } as unknown as T;
}

export const Dedup = counted("Dedup", RealDedup);
export const Registry = counted("Registry", RealRegistry);
export const Spool = counted("Spool", RealSpool);
export const DeadLetters = counted("DeadLetters", RealDeadLetters);
export const Metrics = counted("Metrics", RealMetrics);

async function control(req: Request, env: Env): Promise<Response> {
  const url = new URL(req.url);
  if (url.pathname === "/__bench/counters") return Response.json({ counters: readCounters(), inflight });
  if (url.pathname === "/__bench/reset" && req.method === "POST") {
    counters = {};
    cursors = [];
    return Response.json({ ok: true });
  }
  if (url.pathname === "/__bench/expire" && req.method === "POST") {
    const cls = url.searchParams.get("class") ?? "";
    const binding = Object.keys(CLASS_OF).find((b) => CLASS_OF[b] === cls);
    if (binding === undefined) return new Response("unknown class", { status: 400 });
    const shiftMs = Number(url.searchParams.get("shiftMs") ?? "0");
    const names = (url.searchParams.get("names") ?? "").split(",").filter((n) => n !== "");
    for (const name of names) {
      // Counted as the alarm request it stands for (inside), not as an extra RPC.
      const stub = (env[binding as keyof Env] as unknown as DurableObjectNamespace).getByName(name) as unknown as { benchExpire(ms: number): Promise<void> };
      await stub.benchExpire(shiftMs);
    }
    return Response.json({ ok: true, expired: names.length });
  }
  return new Response("not found", { status: 404 });
}

export default {
  async fetch(req, env, ctx) {
    if (new URL(req.url).pathname.startsWith("/__bench/")) return control(req, env);
    add("worker.invocations");
    add("worker.fetch");
    return worker.fetch(req, countedEnv(env), ctx);
  },
  async queue(batch, env, ctx) {
    add("worker.invocations");
    const name = consumedName(batch.queue);
    add(`worker.queue.${name}`);
    add(`queue.${name}.read`, batch.messages.length);
    add(`queue.${name}.read_units`, batch.messages.reduce((a, m) => a + units(m.body), 0));
    const messages = batch.messages.map((m) => wrapMessage(name, m));
    const counted: MessageBatch = {
      queue: batch.queue,
      messages,
      ackAll: () => {
        for (const m of messages) m.ack();
      },
      retryAll: (opts?: QueueRetryOptions) => {
        for (const m of messages) m.retry(opts);
      },
      ...(batch.metadata !== undefined ? { metadata: batch.metadata } : {}),
    } as MessageBatch;
    inflight++;
    try {
      await worker.queue(counted, countedEnv(env), ctx);
    } finally {
      inflight--;
    }
  },
  async scheduled(controller, env, ctx) {
    add("worker.invocations");
    await worker.scheduled(controller, countedEnv(env), ctx);
  },
} satisfies ExportedHandler<Env>;
