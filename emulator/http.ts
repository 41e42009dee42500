/**
 * The small HTTP layer: a parsed request, a reply, and a router over `:param` patterns
 * (a param may carry a suffix, as in `/webhooks/:id.json`).
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";

export interface Req {
  method: string;
  /** Path without query. */
  path: string;
  /** Raw query string without "?" (signed exactly as received). */
  rawQuery: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** `http://<Host header>`: the base URL clients signed against. */
  origin: string;
  params: Record<string, string>;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  contentType?: string;
}

export type Handler = (req: Req) => Promise<Reply> | Reply;

export const MAX_BODY_BYTES = 1_048_576;

export async function readRequest(message: IncomingMessage, fallbackOrigin: string): Promise<Req> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of message) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY_BYTES) throw new Error("body too large");
    chunks.push(b);
  }
  const rawUrl = message.url ?? "/";
  const q = rawUrl.indexOf("?");
  const rawQuery = q >= 0 ? rawUrl.slice(q + 1) : "";
  const host = message.headers.host;
  const proto = message.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  return {
    method: (message.method ?? "GET").toUpperCase(),
    path: q >= 0 ? rawUrl.slice(0, q) : rawUrl,
    rawQuery,
    query: new URLSearchParams(rawQuery),
    headers: message.headers,
    body: Buffer.concat(chunks),
    origin: host ? `${proto}://${host}` : fallbackOrigin,
    params: {},
  };
}

export function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
  const r: Reply = { status, body: JSON.stringify(value), contentType: "application/json; charset=utf-8" };
  if (headers) r.headers = headers;
  return r;
}

export function noContent(): Reply {
  return { status: 204 };
}

/** Parse a JSON body; null when absent or malformed (the caller answers 400). */
export function jsonBody(req: Req): unknown {
  if (req.body.length === 0) return null;
  try {
    return JSON.parse(req.body.toString("utf8"));
  } catch {
    return null;
  }
}

export function isFormBody(req: Req): boolean {
  const ct = req.headers["content-type"] ?? "";
  return ct.toLowerCase().startsWith("application/x-www-form-urlencoded");
}

interface Route {
  method: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

export class Router {
  #routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const names: string[] = [];
    const src = pattern
      .split(/(:[A-Za-z_]+)/)
      .map((part) => {
        if (part.startsWith(":")) {
          names.push(part.slice(1));
          return "([^/]+?)";
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      })
      .join("");
    this.#routes.push({ method, regex: new RegExp(`^${src}$`), names, handler });
    return this;
  }

  /** The handler for a request, "method" when only the method is wrong, null when no path matches. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | "method" | null {
    let pathMatched = false;
    for (const r of this.#routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => {
        let v = m[i + 1] ?? "";
        try {
          v = decodeURIComponent(v);
        } catch {
          // keep the raw segment: a bad escape is not a server error
        }
        params[n] = v;
      });
      return { handler: r.handler, params };
    }
    return pathMatched ? "method" : null;
  }
}
