/**
 * A Standard Webhooks sink: the downstream service FORWARD_URL points at, as a real node:http
 * server on loopback. It verifies each POST with the reference `standardwebhooks` library (not
 * our own signing code, so a bug there cannot hide behind a matching bug here) and records
 * every request, verified or not, so tests can assert both "arrived exactly once" and
 * "arrived signed".
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface SinkRecord {
  /** The `webhook-id` header ("" if missing). */
  id: string;
  /** The exact body text. */
  body: string;
  /** The parsed body; null when it is not JSON. Shaped like src/events/envelope.ts `Envelope`. */
  // Envelope fields are read loosely in tests and the demo printer; `any` keeps those reads short.
  envelope: any;
  headers: Record<string, string>;
  /** Whether the Standard Webhooks signature verified with the sink's secret. */
  verified: boolean;
  /** The request path, e.g. "/events". */
  path: string;
}

export interface Sink {
  /** Base URL plus `/events`, ready for FORWARD_URL. */
  url: string;
  received: SinkRecord[];
  /**
   * Status for the next responses; null restores the default 200. "drop" destroys each
   * connection once the request is read, without an answer: the sender sees a network error, as
   * for an endpoint that is gone from the network (the request is still recorded).
   */
  respondWith(status: number | "drop" | null): void;
  /**
   * Resolves with the matching records once at least `count` (default 1) have arrived; rejects
   * after `timeoutMs` (default 20 s) listing what did arrive, so a failure says why.
   */
  waitFor(pred: (r: SinkRecord) => boolean, count?: number, timeoutMs?: number): Promise<SinkRecord[]>;
  stop(): Promise<void>;
}

export interface SinkOptions {
  /** The FORWARD_SECRET (`whsec_...`) the receiver signs with. */
  secret: string;
  port?: number;
  host?: string;
  /** Called after each request is recorded (the local demo prints it). */
  onReceive?: (r: SinkRecord) => void;
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

export async function startSink(opts: SinkOptions): Promise<Sink> {
  const verifier = new Webhook(opts.secret);
  const received: SinkRecord[] = [];
  const waiters = new Set<() => void>();
  let status: number | "drop" | null = null;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const headers = flatHeaders(req);
      let verified = false;
      try {
        verifier.verify(body, headers);
        verified = true;
      } catch {
        verified = false;
      }
      let envelope: unknown = null;
      try {
        envelope = JSON.parse(body);
      } catch {
        envelope = null;
      }
      const record: SinkRecord = { id: headers["webhook-id"] ?? "", body, envelope, headers, verified, path: req.url ?? "/" };
      received.push(record);
      opts.onReceive?.(record);
      for (const w of [...waiters]) w();
      if (status === "drop") {
        req.socket.destroy();
        return;
      }
      const code = status ?? 200;
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: code < 300 }));
    })().catch(() => {
      res.writeHead(400);
      res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${opts.host ?? "127.0.0.1"}:${addr.port}/events`;

  return {
    url,
    received,
    respondWith(s) {
      status = s;
    },
    waitFor(pred, count = 1, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hits = received.filter(pred);
          if (hits.length < count) return false;
          cleanup();
          resolve(hits);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          const seen = received.map((r) => `${r.envelope?.type ?? "?"}/${r.envelope?.for_user_id ?? "-"} (${r.id})`);
          reject(new Error(`sink: wanted ${count} matching record(s) within ${timeoutMs} ms; received ${received.length}: ${seen.join(", ") || "none"}`));
        }, timeoutMs);
        const listener = (): void => {
          check();
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(listener);
        };
        waiters.add(listener);
        check();
      });
    },
    stop() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
