/**
 * CRC as X performs it: GET <url>?crc_token=<token>&nonce=<nonce>, the legacy
 * `x-twitter-webhooks-signature` over the raw query string, a time limit, then a verdict.
 *
 * Verdict -> X's 214 message (the five seed messages), and whether X invalidates at once:
 * | verdict       | cause                                          | message            | immediate |
 * | wrong_token   | 200 JSON with a wrong response_token           | Invalid CRC token  | yes |
 * | bad_json      | 200 not JSON / no response_token, or other 2xx | Invalid CRC token  | yes |
 * | slow          | no full answer within the timeout              | High latency       | no  |
 * | non_200       | 4xx / 5xx                                      | Non-200            | no  |
 * | redirect      | 3xx or 1xx                                     | Non-200            | yes |
 * | gzip_mismatch | gzip declared but not sent, or sent undeclared | URL requirements   | yes |
 * | tls_error     | certificate / TLS failure                      | URL requirements   | yes |
 * | unreachable   | connection refused, DNS, reset                 | URL requirements   | no  |
 */
import { createHmac, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { gunzipSync } from "node:zlib";
import { MESSAGES } from "./errors.ts";

export type CrcVerdict =
  | "ok"
  | "wrong_token"
  | "bad_json"
  | "slow"
  | "non_200"
  | "redirect"
  | "gzip_mismatch"
  | "tls_error"
  | "unreachable";

export interface CrcOutcome {
  verdict: CrcVerdict;
  ok: boolean;
  status: number | null;
  latencyMs: number;
  /** X's 214 message for a failure, null on success. */
  message: string | null;
  /** X marks the webhook invalid at once (no 28 h grace). */
  immediate: boolean;
  crcToken: string;
  nonce: string | null;
}

/** `sha256=` + base64(HMAC-SHA256(consumer secret, message)): CRC answers and delivery signatures. */
export function sha256Signature(secret: string, message: string | Buffer): string {
  return "sha256=" + createHmac("sha256", secret).update(message).digest("base64");
}

const VERDICT_RULES: Record<CrcVerdict, { message: string | null; immediate: boolean }> = {
  ok: { message: null, immediate: false },
  wrong_token: { message: MESSAGES.crcInvalidToken, immediate: true },
  bad_json: { message: MESSAGES.crcInvalidToken, immediate: true },
  slow: { message: MESSAGES.crcLatency, immediate: false },
  non_200: { message: MESSAGES.crcNon200, immediate: false },
  redirect: { message: MESSAGES.crcNon200, immediate: true },
  gzip_mismatch: { message: MESSAGES.urlRequirements, immediate: true },
  tls_error: { message: MESSAGES.urlRequirements, immediate: true },
  unreachable: { message: MESSAGES.urlRequirements, immediate: false },
};

export function verdictRule(v: CrcVerdict): { message: string | null; immediate: boolean } {
  return VERDICT_RULES[v];
}

/** Pure: judge a complete CRC response. */
export function classifyCrcResponse(
  status: number,
  contentEncoding: string | undefined,
  body: Buffer,
  expectedToken: string,
): CrcVerdict {
  if (status < 200 || (status >= 300 && status < 400)) return "redirect";
  if (status >= 400) return "non_200";
  const declaredGzip = /\bgzip\b/i.test(contentEncoding ?? "");
  const looksGzip = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  if (declaredGzip !== looksGzip) return "gzip_mismatch";
  if (status !== 200) return "bad_json";
  let text: string;
  try {
    text = (declaredGzip ? gunzipSync(body) : body).toString("utf8");
  } catch {
    return "gzip_mismatch";
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "bad_json";
  }
  if (typeof parsed !== "object" || parsed === null) return "bad_json";
  const token = (parsed as Record<string, unknown>).response_token;
  if (typeof token !== "string") return "bad_json";
  return token === expectedToken ? "ok" : "wrong_token";
}

export function newCrcToken(): string {
  return randomBytes(24).toString("base64url");
}

/** X's legacy nonce looked like base64 of the epoch-ms timestamp without padding. */
export function newNonce(nowMs: number): string {
  return Buffer.from(String(nowMs)).toString("base64").replace(/=+$/, "");
}

export interface CrcProbeOptions {
  timeoutMs: number;
  legacyNonce: boolean;
  nowMs: number;
}

/** Send one CRC GET and judge it. Never throws. */
export function performCrc(url: string, consumerSecret: string, options: CrcProbeOptions): Promise<CrcOutcome> {
  const crcToken = newCrcToken();
  const nonce = options.legacyNonce ? newNonce(options.nowMs) : null;
  const query = `crc_token=${encodeURIComponent(crcToken)}` + (nonce === null ? "" : `&nonce=${encodeURIComponent(nonce)}`);
  const expected = sha256Signature(consumerSecret, crcToken);
  const started = performance.now();
  const finish = (verdict: CrcVerdict, status: number | null): CrcOutcome => {
    const rule = VERDICT_RULES[verdict];
    return {
      verdict,
      ok: verdict === "ok",
      status,
      latencyMs: Math.round(performance.now() - started),
      message: rule.message,
      immediate: rule.immediate,
      crcToken,
      nonce,
    };
  };
  let target: URL;
  try {
    target = new URL(url);
    target.search = target.search ? `${target.search.slice(1)}&${query}` : query;
  } catch {
    return Promise.resolve(finish("unreachable", null));
  }
  const headers: Record<string, string> = { "user-agent": "x-emulator-crc/1.0", "accept-encoding": "gzip" };
  if (nonce !== null) headers["x-twitter-webhooks-signature"] = sha256Signature(consumerSecret, query);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<CrcOutcome>((resolve) => {
    let settled = false;
    const done = (o: CrcOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = send(target, { method: "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        done(finish(classifyCrcResponse(status, res.headers["content-encoding"], Buffer.concat(chunks), expected), status));
      });
      res.on("error", () => done(finish("unreachable", res.statusCode ?? null)));
    });
    const timer = setTimeout(() => {
      done(finish("slow", null));
      req.destroy();
    }, options.timeoutMs);
    req.on("error", (e: NodeJS.ErrnoException) => {
      const tls = /CERT|SSL|TLS|SELF_SIGNED/i.test(e.code ?? "") || /certificate|ssl|tls/i.test(e.message);
      done(finish(tls ? "tls_error" : "unreachable", null));
    });
    req.end();
  });
}

/**
 * Pure invalidation policy (PROTOCOL.md): a good CRC makes the webhook valid; an "immediate"
 * failure invalidates at once; a transient one invalidates only once more than
 * `invalidateAfterMs` (24 h + 4 h grace) has passed since the last good CRC.
 */
export function applyCrcPolicy(
  current: { valid: boolean; lastCrcOkAt: number | null },
  outcome: Pick<CrcOutcome, "ok" | "immediate">,
  now: number,
  invalidateAfterMs: number,
): { valid: boolean; lastCrcOkAt: number | null } {
  if (outcome.ok) return { valid: true, lastCrcOkAt: now };
  if (!current.valid) return current;
  if (outcome.immediate) return { valid: false, lastCrcOkAt: current.lastCrcOkAt };
  const since = current.lastCrcOkAt ?? now;
  return { valid: now - since <= invalidateAfterMs, lastCrcOkAt: current.lastCrcOkAt };
}
