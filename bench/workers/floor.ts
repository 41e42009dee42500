/**
 * The runtime's floor: a Worker that does only the HMAC, served by the same workerd as the real
 * one, so "CRC GET / floor GET" and "signed POST / floor POST" measure what the receiver adds
 * (routing, config, token guard, body limit, JSON check, queue send) and not the runtime or the
 * machine.
 *
 * It does what a minimal correct receiver must and nothing else: signs the token, or verifies
 * the signature over the raw body in constant time. The HMAC key is imported once per isolate,
 * as the Worker does (src/webhook/signature.ts), so the floor is the runtime's real minimum and
 * key handling is not counted as a difference.
 *
 * Bound with an `INGEST` queue (the "floor-send" service), a verified POST also sends the same
 * message the Worker sends (v8, body inline). That diagnostic separates the cost of the queue
 * send itself (here: the local stand-in sink in the same workerd) from the Worker's own code.
 *
 * Runs inside workerd: `hot-path.ts` strips the types (node:module) before serving it.
 */

interface FloorEnv {
  X_CONSUMER_SECRET: string;
  INGEST?: { send(message: unknown, options: { contentType: "v8" }): Promise<void> };
}

const encoder = new TextEncoder();

let cachedKey: { secret: string; key: Promise<CryptoKey> } | null = null;

function hmacKey(secret: string): Promise<CryptoKey> {
  if (cachedKey?.secret !== secret) {
    const key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    cachedKey = { secret, key };
  }
  return cachedKey.key;
}

function toBase64(bytes: ArrayBuffer): string {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const s = atob(text);
    const out = new Uint8Array(new ArrayBuffer(s.length));
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

async function crc(url: URL, env: FloorEnv): Promise<Response> {
  const token = url.searchParams.get("crc_token");
  if (token === null) return Response.json({ error: "crc_token missing" }, { status: 400 });
  const key = await hmacKey(env.X_CONSUMER_SECRET);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(token));
  return Response.json({ response_token: "sha256=" + toBase64(mac) });
}

async function delivery(request: Request, env: FloorEnv): Promise<Response> {
  const header = request.headers.get("x-twitter-webhooks-signature") ?? "";
  const body = await request.arrayBuffer();
  const sig = header.startsWith("sha256=") ? fromBase64(header.slice(7)) : null;
  if (sig === null) return Response.json({ error: "bad signature" }, { status: 401 });
  const key = await hmacKey(env.X_CONSUMER_SECRET);
  const ok = await crypto.subtle.verify("HMAC", key, sig, body);
  if (!ok) return Response.json({ error: "bad signature" }, { status: 401 });
  if (env.INGEST !== undefined) {
    const message = { v: 1, delivery_id: crypto.randomUUID(), app: "default", received_at: new Date().toISOString(), body };
    await env.INGEST.send(message, { contentType: "v8" });
  }
  return new Response(null, { status: 200 });
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/healthz") return Response.json({ ok: true });
    if (request.method === "GET") return crc(url, env);
    if (request.method === "POST") return delivery(request, env);
    return new Response(null, { status: 405 });
  },
};
