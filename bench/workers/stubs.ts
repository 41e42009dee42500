/**
 * Local stand-ins for the platform services the Worker's bindings talk to under bare workerd,
 * which has no Queues or KV backend of its own (Miniflare supplies them under `wrangler dev`).
 * One module, several services; `env.ROLE` picks the job:
 *
 * - "queue": the target of a workerd `queue` binding. workerd turns `send()` into
 *   `POST /message` (body: the serialised message) and `sendBatch()` into `POST /batch` (JSON),
 *   and expects 200 with `{metadata: {metrics}}`, as Miniflare's queue broker answers. The body
 *   is read in full (as a broker would) and counted, so the benchmark can check that every 200
 *   it got for a delivery was backed by a send. `GET /__bench/count` reports the counts.
 * - "kv": the target of a workerd `kvNamespace` binding, in memory: `GET|PUT|DELETE /<key>`,
 *   `GET /` (list), `POST /bulk/get`, with the `CF-KV-Metadata` / `CF-Expiration` headers.
 * - "blackhole": the global outbound, so nothing in the benchmark can leave loopback.
 *
 * Runs inside workerd: `hot-path.ts` strips the types (node:module) before serving it.
 */

interface StubEnv {
  ROLE: string;
}

interface KvEntry {
  value: ArrayBuffer;
  metadata: string | null;
  expiration: string | null;
}

/** Bound on the in-memory KV so a long run cannot grow workerd's memory without limit. */
const KV_MAX_KEYS = 10_000;

const counts = { messages: 0, batches: 0, batchMessages: 0, bytes: 0 };
const kv = new Map<string, KvEntry>();

function queueAnswer(): Response {
  return Response.json({ metadata: { metrics: { backlogCount: 0, backlogBytes: 0, oldestMessageTimestamp: 0 } } });
}

async function queue(request: Request, url: URL): Promise<Response> {
  if (request.method === "GET" && url.pathname === "/__bench/count") return Response.json(counts);
  if (request.method === "POST" && url.pathname === "/message") {
    counts.messages++;
    counts.bytes += (await request.arrayBuffer()).byteLength;
    return queueAnswer();
  }
  if (request.method === "POST" && url.pathname === "/batch") {
    const body = (await request.json()) as { messages?: unknown[] };
    counts.batches++;
    counts.batchMessages += body.messages?.length ?? 0;
    return queueAnswer();
  }
  if (request.method === "GET" && url.pathname === "/metrics") return Response.json(counts);
  return new Response("queue stub: unknown call", { status: 404 });
}

function kvKey(url: URL): string {
  const raw = url.pathname.slice(1);
  return url.searchParams.get("urlencoded")?.toLowerCase() === "true" ? decodeURIComponent(raw) : raw;
}

async function kvService(request: Request, url: URL): Promise<Response> {
  if (request.method === "GET" && url.pathname === "/") {
    const prefix = url.searchParams.get("prefix") ?? "";
    const keys = [...kv.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([name, e]) => ({ name, metadata: e.metadata ?? undefined, expiration: e.expiration ?? undefined }));
    return Response.json({ keys, list_complete: true, cacheStatus: null });
  }
  if (request.method === "POST" && url.pathname === "/bulk/get") {
    const body = (await request.json()) as { keys: string[] };
    const out: Record<string, string | null> = {};
    for (const k of body.keys) {
      const e = kv.get(k);
      out[k] = e === undefined ? null : new TextDecoder().decode(e.value);
    }
    return Response.json(out);
  }
  const key = kvKey(url);
  if (request.method === "GET") {
    const e = kv.get(key);
    if (e === undefined) return new Response("Not Found", { status: 404 });
    const headers = new Headers();
    if (e.metadata !== null) headers.set("CF-KV-Metadata", e.metadata);
    if (e.expiration !== null) headers.set("CF-Expiration", e.expiration);
    return new Response(e.value, { headers });
  }
  if (request.method === "PUT") {
    const value = await request.arrayBuffer();
    if (!kv.has(key) && kv.size >= KV_MAX_KEYS) {
      const oldest = kv.keys().next();
      if (oldest.done !== true) kv.delete(oldest.value);
    }
    kv.set(key, {
      value,
      metadata: request.headers.get("CF-KV-Metadata"),
      expiration: url.searchParams.get("expiration"),
    });
    return new Response(null);
  }
  if (request.method === "DELETE") {
    kv.delete(key);
    return new Response(null);
  }
  return new Response("kv stub: unknown call", { status: 405 });
}

export default {
  async fetch(request: Request, env: StubEnv): Promise<Response> {
    const url = new URL(request.url);
    if (env.ROLE === "queue") return queue(request, url);
    if (env.ROLE === "kv") return kvService(request, url);
    return new Response("benchmark: outbound network disabled", { status: 502 });
  },
};
