/**
 * Test helpers: a signed client for the emulator's management API and fake webhook receivers
 * (real node:http servers on 127.0.0.1) whose CRC and delivery behaviour each test chooses.
 */
import { createHmac } from "node:crypto";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import type { AppDef, UserDef } from "../../emulator/config.ts";
import { oauthAuthorizationHeader } from "../../emulator/oauth1.ts";
import type { RunningEmulator } from "../../emulator/server.ts";

export interface CallResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export type As = { user: { token: string; secret: string } } | { bearer: string } | { owner: true } | { none: true };

export interface CallInput {
  method: string;
  path: string;
  query?: Record<string, string>;
  app?: AppDef;
  as?: As;
  json?: unknown;
  headers?: Record<string, string>;
}

/** Make a raw HTTP request (node:http, so Host and other headers are exactly as given). */
export function rawRequest(url: string, method: string, headers: Record<string, string>, body?: string): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Call the emulator signed as the app owner (default), a user, a bearer, or unauthenticated. */
export function call(emu: RunningEmulator, input: CallInput): Promise<CallResult> {
  const app = input.app ?? appNamed(emu, "default");
  const qs = new URLSearchParams(input.query ?? {}).toString().replace(/\+/g, "%20");
  const url = `${emu.url}${input.path}${qs ? `?${qs}` : ""}`;
  const headers: Record<string, string> = { ...(input.headers ?? {}) };
  const as = input.as ?? { owner: true };
  if ("bearer" in as) headers.authorization = `Bearer ${as.bearer}`;
  else if ("owner" in as || "user" in as) {
    const tok = "owner" in as ? { token: app.accessToken, secret: app.accessTokenSecret } : as.user;
    headers.authorization = oauthAuthorizationHeader({
      method: input.method,
      url,
      consumerKey: app.consumerKey,
      consumerSecret: app.consumerSecret,
      token: tok.token,
      tokenSecret: tok.secret,
    });
  }
  let body: string | undefined;
  if (input.json !== undefined) {
    body = JSON.stringify(input.json);
    headers["content-type"] = "application/json";
  }
  return rawRequest(url, input.method, headers, body);
}

export function appNamed(emu: RunningEmulator, name: string): AppDef {
  const a = emu.state.apps.get(name);
  if (!a) throw new Error(`no app ${name}`);
  return a;
}

export function userNamed(emu: RunningEmulator, screenName: string): UserDef {
  const u = [...emu.state.users.values()].find((x) => x.screenName === screenName);
  if (!u) throw new Error(`no user ${screenName}`);
  return u;
}

export function asUser(u: UserDef): As {
  return { user: { token: u.accessToken, secret: u.accessTokenSecret } };
}

export function bearer(app: AppDef): As {
  return { bearer: app.bearerToken };
}

/** The first error of a v1.1 or v2 error body. */
export function firstError(r: CallResult): { code?: number; message: string } {
  const errors = (r.json as { errors?: { code?: number; message: string }[] } | null)?.errors;
  if (!errors?.[0]) throw new Error(`no errors in ${r.status} ${r.text}`);
  return errors[0];
}

export type CrcMode = "ok" | "wrong_token" | "bad_json" | "slow" | "status_500" | "status_404" | "redirect" | "gzip_declared_not_sent" | "gzip_sent_undeclared" | "gzip_ok";

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The signature verifies against one of the secrets this fake knows. */
  signatureValid: boolean;
  /** Index in `secrets` of the secret that verified, -1 if none. */
  secretIndex: number;
}

export interface FakeWebhook {
  url: string;
  /** CRC answers use secrets[0]; a delivery verifies if any secret matches. */
  secrets: string[];
  /** Delay before answering a delivery (to provoke the delivery timeout). */
  deliveryDelayMs: number;
  crcMode: CrcMode;
  /** Status codes to answer deliveries with, consumed in order; then `deliveryStatus`. */
  deliveryQueue: number[];
  deliveryStatus: number;
  received: Received[];
  crcRequests: { rawQuery: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

function sign(secret: string, msg: string | Buffer): string {
  return "sha256=" + createHmac("sha256", secret).update(msg).digest("base64");
}

/** A webhook receiver like the real one, with switchable faults. `slowMs` is how long "slow" waits. */
export async function startFakeWebhook(secret: string, options: { path?: string; slowMs?: number } = {}): Promise<FakeWebhook> {
  const fake: FakeWebhook = {
    url: "",
    secrets: [secret],
    deliveryDelayMs: 0,
    crcMode: "ok",
    deliveryQueue: [],
    deliveryStatus: 200,
    received: [],
    crcRequests: [],
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = req.url ?? "/";
      const rawQuery = raw.includes("?") ? raw.slice(raw.indexOf("?") + 1) : "";
      if (req.method === "GET") {
        fake.crcRequests.push({ rawQuery, headers: req.headers });
        const token = new URLSearchParams(rawQuery).get("crc_token") ?? "";
        const good = JSON.stringify({ response_token: sign(fake.secrets[0] ?? secret, token) });
        switch (fake.crcMode) {
          case "ok":
            res.writeHead(200, { "content-type": "application/json" }).end(good);
            return;
          case "wrong_token":
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ response_token: sign("not-the-secret", token) }));
            return;
          case "bad_json":
            res.writeHead(200, { "content-type": "application/json" }).end("response_token=nope");
            return;
          case "slow":
            setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(good), options.slowMs ?? 1500);
            return;
          case "status_500":
            res.writeHead(500).end("boom");
            return;
          case "status_404":
            res.writeHead(404).end("not here");
            return;
          case "redirect":
            res.writeHead(302, { location: "http://127.0.0.1:1/" }).end();
            return;
          case "gzip_declared_not_sent":
            res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" }).end(good);
            return;
          case "gzip_sent_undeclared":
            res.writeHead(200, { "content-type": "application/json" }).end(gzipSync(good));
            return;
          case "gzip_ok":
            res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" }).end(gzipSync(good));
            return;
        }
      }
      const body = Buffer.concat(chunks);
      const header = req.headers["x-twitter-webhooks-signature"];
      const secretIndex = fake.secrets.findIndex((s) => header === sign(s, body));
      fake.received.push({ headers: req.headers, body: body.toString("utf8"), signatureValid: secretIndex >= 0, secretIndex });
      const status = fake.deliveryQueue.shift() ?? fake.deliveryStatus;
      if (fake.deliveryDelayMs > 0) setTimeout(() => res.writeHead(status).end(), fake.deliveryDelayMs);
      else res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${options.path ?? "/webhooks/default"}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return fake;
}

/** A port nothing listens on (bound then released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Register a webhook for `app` (v1.1 path for v1.1 apps, v2 otherwise) and return its id. */
export async function registerV2(emu: RunningEmulator, url: string, app?: AppDef): Promise<string> {
  const r = await call(emu, { method: "POST", path: "/2/webhooks", json: { url }, ...(app ? { app } : {}) });
  if (r.status !== 200) throw new Error(`register failed: ${r.status} ${r.text}`);
  return (r.json as { data: { id: string } }).data.id;
}

export async function subscribeV2(emu: RunningEmulator, webhookId: string, user: UserDef, app?: AppDef): Promise<void> {
  const r = await call(emu, { method: "POST", path: `/2/account_activity/webhooks/${webhookId}/subscriptions/all`, as: asUser(user), ...(app ? { app } : {}) });
  if (r.status !== 200) throw new Error(`subscribe failed: ${r.status} ${r.text}`);
}
