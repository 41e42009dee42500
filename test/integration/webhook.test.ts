/**
 * The hot path end to end inside workerd: CRC GET and delivery POST on /webhooks/:app.
 *
 * Two ways in:
 * - `exports.default.fetch` goes through the real Worker entrypoint with the test env
 *   (vitest.config.ts bindings: app "default", secret "test-consumer-secret").
 * - `worker.fetch(request, envCopy, ctx)` calls the same handler with an env copy, for what the
 *   real env cannot show: other app layouts/secrets (getConfig caches per env object, so a copy
 *   re-parses), and observing queue sends. To observe a send we wrap the REAL local INGEST queue
 *   in a recorder that forwards every send to it and records the message only once the real send
 *   resolved: the message really reaches Miniflare's queue, and the test sees exactly what was
 *   sent (a queue consumer would only see it after the batch timeout, and the pipeline consumer
 *   is someone else's code). The one fake is `failingQueue`: a failure injection, since the local
 *   queue cannot be made to fail on demand.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import vectors from "../fixtures/vectors.json";
import favoriteRaw from "../fixtures/payloads/favorite_events.json?raw";
import { sign } from "../../src/webhook/signature.ts";
import type { IngestMessage } from "../../src/pipeline/messages.ts";

const SECRET = "test-consumer-secret"; // vitest.config.ts miniflare binding for app "default"
const BASE = "https://receiver.example";
const SIG = "x-twitter-webhooks-signature";
const utf8 = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>;

type Sent = { body: IngestMessage; options: QueueSendOptions | undefined };

function recordingQueue(real: Queue): { queue: Queue; sent: Sent[] } {
  const sent: Sent[] = [];
  const queue = {
    async send(body: IngestMessage, options?: QueueSendOptions): Promise<void> {
      await real.send(body, options);
      sent.push({ body, options });
    },
    sendBatch: (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => real.sendBatch(messages, options),
    // Cast: only the two methods the Worker calls are implemented.
  } as unknown as Queue;
  return { queue, sent };
}

const failingQueue = {
  send: () => Promise.reject(new Error("queue backend exploded: internal detail")),
  sendBatch: () => Promise.reject(new Error("queue backend exploded: internal detail")),
} as unknown as Queue; // failure injection (see file comment)

async function call(request: Request, e: Env): Promise<Response> {
  const ctx = createExecutionContext();
  // Cast: a test-made Request has no edge `cf` properties; the handler does not read them.
  const res = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, e, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function signedPost(path: string, body: Uint8Array<ArrayBuffer>, secret: string, extra: Record<string, string> = {}): Promise<Request> {
  return new Request(`${BASE}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", [SIG]: await sign(secret, body), ...extra },
    body,
  });
}

async function errorCode(res: Response): Promise<string> {
  const json = (await res.json()) as { error: { code: string } };
  return json.error.code;
}

/** A body stream that remembers whether anyone read it. */
function watchedStream(bytes: number): { stream: ReadableStream<Uint8Array>; pulled: () => boolean } {
  let pulled = false;
  // highWaterMark 0: the stream does not pre-pull a chunk on creation, only when read.
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        pulled = true;
        c.enqueue(new Uint8Array(bytes));
        c.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled };
}

afterEach(() => vi.restoreAllMocks());

/**
 * The refusal log lines (webhook/signature-failures.ts) a test provokes on purpose: captured, so
 * the output shows failures rather than expected warnings, and returned to be asserted.
 */
function captureRefusals(): () => { app: string; request: string; reason: string }[] {
  const spy = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  return () => spy.mock.calls.map((c) => JSON.parse(String(c[0])) as { app: string; request: string; reason: string });
}

describe("CRC GET", () => {
  const vector = vectors.crc.vectors.find((v) => v.crc_token === "FAKE_CRC_TOKEN_1234567890abcdef")!;

  it("answers 200 with exactly {response_token}, JSON, no-store/no-transform, never gzip", async () => {
    const token = "dGhpcyBpcyBhIHRlc3QgdG9rZW4=";
    const res = await exports.default.fetch(`${BASE}/webhooks/default?crc_token=${encodeURIComponent(token)}`, {
      headers: { "accept-encoding": "gzip, br" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("cache-control")).toBe("no-store, no-transform");
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(await res.text()).toBe(`{"response_token":"${await sign(SECRET, token)}"}`);
  });

  it("matches the published vector when the app's secret is the vector's", async () => {
    const e = { ...env, X_CONSUMER_SECRET: vector.consumer_secret! };
    const res = await call(new Request(`${BASE}/webhooks/default?crc_token=${vector.crc_token}`), e);
    expect(await res.json()).toEqual(vector.response_body);
  });

  it("signs with the CURRENT secret while a previous one is configured", async () => {
    const e = { ...env, X_CONSUMER_SECRET: "new-secret", X_CONSUMER_SECRET_PREVIOUS: "old-secret" };
    const res = await call(new Request(`${BASE}/webhooks/default?crc_token=${vector.crc_token}`), e);
    expect(await res.json()).toEqual({ response_token: await sign("new-secret", vector.crc_token) });
  });

  it("400 crc_token_missing when the token is absent or empty", async () => {
    for (const q of ["", "?crc_token=", "?nonce=abc"]) {
      const res = await exports.default.fetch(`${BASE}/webhooks/default${q}`);
      expect(res.status, q).toBe(400);
      expect(await errorCode(res)).toBe("crc_token_missing");
    }
  });

  it("400 crc_token_refused for a token that could be an event body (signing oracle)", async () => {
    const res = await exports.default.fetch(`${BASE}/webhooks/default?crc_token=${encodeURIComponent(favoriteRaw)}`);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("crc_token_refused");
  });

  it("with CRC_TOKEN_PATTERN=off a body is still refused, and a token outside the default pattern is signed", async () => {
    const e = { ...env, CRC_TOKEN_PATTERN: "off" };
    const refused = await call(new Request(`${BASE}/webhooks/default?crc_token=${encodeURIComponent(favoriteRaw)}`), e);
    expect(refused.status).toBe(400);
    expect(await errorCode(refused)).toBe("crc_token_refused");
    const short = "short.token"; // under 16 characters, and "." is outside the default alphabet
    const res = await call(new Request(`${BASE}/webhooks/default?crc_token=${short}`), e);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ response_token: await sign(SECRET, short) });
  });

  it("404 for an unknown app", async () => {
    const res = await exports.default.fetch(`${BASE}/webhooks/nope?crc_token=${vector.crc_token}`);
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe("unknown_app");
  });

  it("legacy signed GET: verified over the raw query; 401 when wrong", async () => {
    const refusals = captureRefusals();
    const v = vectors.crc_get_signature.vectors[0]!;
    const e = { ...env, X_CONSUMER_SECRET: v.consumer_secret };
    const url = `${BASE}/webhooks/default?${v.raw_query}`;
    const ok = await call(new Request(url, { headers: { [SIG]: v.header[SIG] } }), e);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(v.crc_response);
    const wrong = await call(new Request(url, { headers: { [SIG]: await sign("other", v.raw_query) } }), e);
    expect(wrong.status).toBe(401);
    expect(await errorCode(wrong)).toBe("signature_mismatch");
    const malformed = await call(new Request(url, { headers: { [SIG]: "sha256=nope" } }), e);
    expect(await errorCode(malformed)).toBe("signature_malformed");
    expect(refusals().map((r) => `${r.request}_${r.reason}`)).toEqual(["crc_mismatch", "crc_malformed"]);
  });

  it("records the last CRC answered in KV after the answer, at most once a minute per app", async () => {
    const app = `crc-kv-${crypto.randomUUID().slice(0, 8)}`;
    const e = { ...env, APPS: JSON.stringify([{ name: app }]), [`X_CONSUMER_SECRET_${app.toUpperCase().replace(/-/g, "_")}`]: "s" };
    const url = `${BASE}/webhooks/${app}?crc_token=${vector.crc_token}`;
    const first = await call(new Request(url, { headers: { "cf-connecting-ip": "203.0.113.7" } }), e);
    expect(first.status).toBe(200);
    const stored = JSON.parse((await env.STATE_KV.get(`crc:last:${app}`))!) as { at: string; ip: string };
    expect(stored.ip).toBe("203.0.113.7");
    expect(Number.isNaN(Date.parse(stored.at))).toBe(false);
    // A second CRC within the minute is answered but not written (KV: 1 write/s/key; CRC is public).
    const second = await call(new Request(url, { headers: { "cf-connecting-ip": "198.51.100.9" } }), e);
    expect(second.status).toBe(200);
    expect(JSON.parse((await env.STATE_KV.get(`crc:last:${app}`))!)).toEqual(stored);
  });

  it("a bad config is a generic 500 that logs the setting name, never a value", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const e = { ...env, APPS: '[{"name":"acme"}]' }; // X_CONSUMER_SECRET_ACME is missing
    const res = await call(new Request(`${BASE}/webhooks/acme?crc_token=${vector.crc_token}`), e);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("X_CONSUMER_SECRET");
    expect(JSON.parse(text).error.code).toBe("internal");
    const log = logged.mock.calls.map((c) => String(c[0])).join("\n");
    expect(log).toContain("X_CONSUMER_SECRET_ACME");
    expect(log).not.toContain(SECRET);
  });
});

describe("delivery POST", () => {
  const body = utf8(favoriteRaw);

  it("200 only after the message was really sent, with the exact bytes", async () => {
    const { queue, sent } = recordingQueue(env.INGEST);
    const res = await call(await signedPost("/webhooks/default", body, SECRET), { ...env, INGEST: queue });
    expect(res.status).toBe(200);
    const { delivery_id } = (await res.json()) as { delivery_id: string };
    expect(sent).toHaveLength(1);
    const msg = sent[0]!.body;
    expect(msg).toMatchObject({ v: 1, app: "default", delivery_id });
    expect(Number.isNaN(Date.parse(msg.received_at))).toBe(false);
    expect(msg.spill).toBeUndefined();
    expect(new Uint8Array(msg.body!)).toEqual(body);
    expect(sent[0]!.options?.contentType).toBe("v8");
  });

  it("goes through the real entrypoint too (200 from exports.default.fetch)", async () => {
    const res = await exports.default.fetch(await signedPost("/webhooks/default", body, SECRET));
    expect(res.status).toBe(200);
  });

  it("404 for an unknown app, before reading the body", async () => {
    const { stream, pulled } = watchedStream(10);
    const res = await call(new Request(`${BASE}/webhooks/nope`, { method: "POST", body: stream }), env);
    expect(res.status).toBe(404);
    expect(pulled()).toBe(false);
  });

  it("401 with one stable code per failure, and nothing sent", async () => {
    const refusals = captureRefusals();
    const { queue, sent } = recordingQueue(env.INGEST);
    const e = { ...env, INGEST: queue };
    const cases: Array<[Record<string, string>, string]> = [
      [{}, "signature_missing"],
      [{ [SIG]: "sha1=abc" }, "signature_malformed"],
      [{ [SIG]: (await sign(SECRET, body)).slice(0, -2) }, "signature_malformed"],
      [{ [SIG]: await sign("wrong-secret", body) }, "signature_mismatch"],
    ];
    for (const [headers, code] of cases) {
      const res = await call(new Request(`${BASE}/webhooks/default`, { method: "POST", headers, body }), e);
      expect(res.status, code).toBe(401);
      expect(await errorCode(res)).toBe(code);
    }
    expect(sent).toHaveLength(0);
    expect(refusals().map((r) => r.reason)).toEqual(["missing", "malformed", "malformed", "mismatch"]);
  });

  it("signature is checked before JSON: bad JSON with a bad signature is 401", async () => {
    const refusals = captureRefusals();
    const res = await call(new Request(`${BASE}/webhooks/default`, {
      method: "POST",
      headers: { [SIG]: await sign("wrong", "{not json") },
      body: "{not json",
    }), env);
    expect(res.status).toBe(401);
    expect(refusals()).toHaveLength(1);
  });

  it("400 malformed_json for a signed body that is not a JSON object (empty included)", async () => {
    const { queue, sent } = recordingQueue(env.INGEST);
    for (const text of ["{not json", "", "[1,2]", "\"str\"", '{"a":1'] ) {
      const res = await call(await signedPost("/webhooks/default", utf8(text), SECRET), { ...env, INGEST: queue });
      expect(res.status, text).toBe(400);
      expect(await errorCode(res)).toBe("malformed_json");
    }
    expect(sent).toHaveLength(0);
  });

  it("413 from Content-Length alone, without reading the body", async () => {
    const { stream, pulled } = watchedStream(10);
    const req = new Request(`${BASE}/webhooks/default`, {
      method: "POST",
      headers: { "content-length": String(1_048_577), [SIG]: await sign(SECRET, "x") },
      body: stream,
    });
    const res = await call(req, env);
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe("body_too_large");
    expect(pulled()).toBe(false);
  });

  it("413 for a chunked body with no length once it crosses the cap", async () => {
    let sentBytes = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sentBytes > 2 * 1_048_576) return c.close();
        sentBytes += 65_536;
        c.enqueue(new Uint8Array(65_536).fill(0x20));
      },
    });
    const req = new Request(`${BASE}/webhooks/default`, { method: "POST", headers: { [SIG]: await sign(SECRET, "x") }, body: stream });
    expect(req.headers.get("content-length")).toBeNull();
    const res = await exports.default.fetch(req);
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe("body_too_large");
  });

  it("a body stream that breaks mid-way is a 400, never a 500", async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(utf8('{"for_user_id":'));
      },
      pull(c) {
        c.error(new Error("connection reset"));
      },
    });
    const req = new Request(`${BASE}/webhooks/default`, { method: "POST", headers: { [SIG]: await sign(SECRET, "x") }, body: broken });
    const res = await call(req, env);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("body_unreadable");
  });

  it("a smaller MAX_BODY_BYTES is honoured", async () => {
    const e = { ...env, MAX_BODY_BYTES: "2048" };
    const big = utf8(JSON.stringify({ pad: "x".repeat(3000) }));
    expect((await call(await signedPost("/webhooks/default", big, SECRET), e)).status).toBe(413);
  });

  it("503 when the queue send fails; the internal error stays in the log", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await call(await signedPost("/webhooks/default", body, SECRET), { ...env, INGEST: failingQueue });
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe("enqueue_failed");
    expect(text).not.toContain("exploded");
    expect(logged.mock.calls.map((c) => String(c[0])).join("\n")).toContain("exploded");
  });

  it("a 300 KB body is spilled to the app's Spool first; the message carries only the key", async () => {
    const { queue, sent } = recordingQueue(env.INGEST);
    const big = utf8(JSON.stringify({ for_user_id: "1", favorite_events: [], pad: "y".repeat(300_000) }));
    const res = await call(await signedPost("/webhooks/default", big, SECRET), { ...env, INGEST: queue });
    expect(res.status).toBe(200);
    const msg = sent[0]!.body;
    expect(msg.body).toBeUndefined();
    expect(msg.spill).toBe(`ingest:${msg.delivery_id}`);
    const stored = await env.SPOOL.getByName("default").getSpill(msg.spill!);
    expect(stored && new Uint8Array(stored)).toEqual(big);
  });

  it("multi-app: each app verifies with its own secret, and the previous secret still works", async () => {
    const refusals = captureRefusals();
    const { queue, sent } = recordingQueue(env.INGEST);
    const e = {
      ...env,
      INGEST: queue,
      APPS: JSON.stringify([{ name: "acme" }, { name: "beta-2" }]),
      X_CONSUMER_SECRET_ACME: "acme-secret",
      X_CONSUMER_SECRET_BETA_2: "beta-secret",
      X_CONSUMER_SECRET_PREVIOUS_BETA_2: "beta-old",
    };
    expect((await call(await signedPost("/webhooks/acme", body, "acme-secret"), e)).status).toBe(200);
    expect((await call(await signedPost("/webhooks/beta-2", body, "beta-old"), e)).status).toBe(200);
    expect((await call(await signedPost("/webhooks/beta-2", body, "acme-secret"), e)).status).toBe(401);
    // The single-app default is gone once APPS is set.
    expect((await call(await signedPost("/webhooks/default", body, SECRET), e)).status).toBe(404);
    expect(sent.map((s) => s.body.app)).toEqual(["acme", "beta-2"]);
    expect(refusals()).toEqual([expect.objectContaining({ app: "beta-2", request: "delivery", reason: "mismatch" })]);
  });
});
