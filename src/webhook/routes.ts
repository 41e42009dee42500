/**
 * The hot path X sees: `GET /webhooks/:app?crc_token=` (CRC) and `POST /webhooks/:app`
 * (deliveries). Only what keeps the data safe happens here: look up the app, bound the body,
 * verify the signature over the exact bytes, check the body is JSON, make it durable (queue,
 * plus the Spool for big bodies), answer. Normalising and deduplicating happen in the queue
 * consumer, so a bug there can never fail a delivery at X (DESIGN.md "The hot path is tiny").
 *
 * A ConfigError thrown by `getConfig` is an operator error: `toErrorResponse` logs the setting's
 * name and answers a generic 500.
 */
import { getConfig, type AppConfig, type Config } from "../config.ts";
import { HttpError, jsonError } from "../http/errors.ts";
import { QUEUE_LIMITS, type IngestMessage } from "../pipeline/messages.ts";
import { crcResponseBody, crcTokenRefusal, rawQueryString } from "./crc.ts";
import { recordCrcAnswered } from "./crc-record.ts";
import { registryFor } from "../state/registry.ts";
import { recordRefusal, type RefusedRequest } from "./signature-failures.ts";
import { declaredLength, readBodyCapped } from "./read-body.ts";
import { deliverySecrets, SIGNATURE_HEADER, verifySignature, type SignatureFailure } from "./signature.ts";
import { ingestQueueFor } from "../pipeline/ingest-queues.ts";

/**
 * Largest body sent inline in an INGEST message. The queue's per-message limit
 * (QUEUE_LIMITS.messageBytes, 128 KiB) also has to hold the envelope fields and the v8
 * serialisation overhead, so leave a margin; bigger bodies go to the Spool first.
 */
export const INLINE_BODY_MAX_BYTES = Math.min(120_000, QUEUE_LIMITS.messageBytes - 8 * 1024);

/** Key of a spilled delivery body in the app's Spool. */
export const ingestSpillKey = (deliveryId: string): string => `ingest:${deliveryId}`;

/** CRC answers must reach X byte for byte: no caching, and no edge compression (no-transform). */
const CRC_HEADERS = {
  "content-type": "application/json",
  "cache-control": "no-store, no-transform",
} as const;

const SIGNATURE_ERRORS: Record<SignatureFailure, { code: string; message: string }> = {
  missing: { code: "signature_missing", message: `The ${SIGNATURE_HEADER} header is missing.` },
  malformed: { code: "signature_malformed", message: `The ${SIGNATURE_HEADER} header is malformed.` },
  mismatch: { code: "signature_mismatch", message: `The ${SIGNATURE_HEADER} header does not match.` },
};

const encoder = new TextEncoder();
/** Fatal: invalid UTF-8 is malformed, not silently replaced. Stateless between `decode` calls. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function lookupApp(name: string, env: Env): { config: Config; app: AppConfig } {
  const config = getConfig(env);
  const app = config.apps.get(name);
  if (app === undefined) throw new HttpError(404, "unknown_app", "No webhook is configured at this path.");
  return { config, app };
}

/**
 * A refused signature: logged and counted per app (signature-failures.ts: the count reaches the
 * Registry at most once a minute per isolate, through waitUntil), then the same 401 as before.
 */
function signatureError(req: Request, env: Env, ctx: ExecutionContext, app: string, what: RefusedRequest, reason: SignatureFailure): Response {
  recordRefusal((batch) => registryFor(env, app).recordSignatureFailures(batch), ctx, app, what, reason, req.headers.get("cf-connecting-ip"), Date.now());
  const e = SIGNATURE_ERRORS[reason];
  return jsonError(401, e.code, e.message);
}

function tooLarge(maxBytes: number): Response {
  return jsonError(413, "body_too_large", `The body exceeds ${maxBytes} bytes.`);
}

/** CRC: sign the token with the app's CURRENT secret, after the signing-oracle guard. */
export async function handleWebhookGet(req: Request, appName: string, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { config, app } = lookupApp(appName, env);
  // Only the query matters here: parsing it alone is cheaper than a whole URL (bench/README.md).
  const query = rawQueryString(req.url);
  const token = new URLSearchParams(query).get("crc_token");
  const refusal = crcTokenRefusal(token, config.crcTokenPattern);
  if (refusal === "missing") {
    return jsonError(400, "crc_token_missing", "The crc_token query parameter is required.");
  }
  if (refusal === "pattern") {
    return jsonError(400, "crc_token_refused", "The crc_token is not in the accepted token format.");
  }
  // Legacy X signs the CRC GET's raw query string; v2 does not. Verify it when present.
  const header = req.headers.get(SIGNATURE_HEADER);
  if (header !== null) {
    const verdict = await verifySignature(header, encoder.encode(query), deliverySecrets(app));
    if (!verdict.ok) return signatureError(req, env, ctx, app.name, "crc", verdict.reason);
  }
  const body = await crcResponseBody(app.consumerSecret, token!);
  recordCrcAnswered(env.STATE_KV, ctx, app.name, req.headers.get("cf-connecting-ip"), new Date());
  return new Response(body, { status: 200, headers: CRC_HEADERS });
}

/** True when the bytes are UTF-8 JSON whose top level is an object (every AAA/XAA body is). */
function isJsonObject(bytes: Uint8Array): boolean {
  try {
    const value: unknown = JSON.parse(utf8.decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** Delivery: 200 only once the delivery is durable (queued, and spilled first if large). */
export async function handleWebhookPost(req: Request, appName: string, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { config, app } = lookupApp(appName, env);
  const declared = declaredLength(req.headers.get("content-length"));
  if (declared !== null && declared > config.maxBodyBytes) return tooLarge(config.maxBodyBytes);
  const read = await readBodyCapped(req.body, config.maxBodyBytes);
  if (!read.ok) {
    return read.reason === "too_large"
      ? tooLarge(config.maxBodyBytes)
      : jsonError(400, "body_unreadable", "The body could not be read.");
  }
  const bytes = read.bytes;

  const verdict = await verifySignature(req.headers.get(SIGNATURE_HEADER), bytes, deliverySecrets(app));
  if (!verdict.ok) return signatureError(req, env, ctx, app.name, "delivery", verdict.reason);
  if (!isJsonObject(bytes)) return jsonError(400, "malformed_json", "The body is not a JSON object.");

  const deliveryId = crypto.randomUUID();
  const message: IngestMessage = {
    v: 1,
    delivery_id: deliveryId,
    app: app.name,
    received_at: new Date().toISOString(),
  };
  try {
    if (bytes.byteLength > INLINE_BODY_MAX_BYTES) {
      const key = ingestSpillKey(deliveryId);
      await env.SPOOL.getByName(app.name).putSpill(key, bytes.buffer);
      message.spill = key;
    } else {
      message.body = bytes.buffer;
    }
    // v8 (structured clone) carries the ArrayBuffer as bytes; JSON would turn it into {}.
    await ingestQueueFor(env, config, deliveryId).send(message, { contentType: "v8" });
  } catch (err) {
    console.error(JSON.stringify({
      msg: "ingest enqueue failed",
      app: app.name,
      delivery_id: deliveryId,
      spilled: message.spill !== undefined,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    }));
    // X retries a failed delivery; nothing was acknowledged.
    return jsonError(503, "enqueue_failed", "The delivery could not be stored; retry later.", { "retry-after": "3" });
  }
  return Response.json({ ok: true, delivery_id: deliveryId });
}
