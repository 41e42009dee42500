/**
 * Shared pieces of the control-plane end-to-end files (control-plane-webhooks.test.ts and
 * control-plane-subscriptions.test.ts): the tier they run on, loose JSON reads of admin and
 * emulator answers, and the operator's alert endpoint. No test cases here; the stack itself comes
 * from harness.ts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { DEMO_USERS, type SinkRecord, type Stack } from "./harness.ts";
import type { StartOptions } from "../../emulator/index.ts";

export type Json = Record<string, any>; // Response bodies are read loosely; every field used is asserted.

/** X's message for error 214 (a tier's webhook or subscription limit). */
export const TOO_MANY = "Too many resources already created.";

/** Pay-per-use: 1 webhook, 3 subscriptions per webhook (PROTOCOL.md). */
export const PAY_PER_USE: NonNullable<StartOptions["accounts"]> = [{ name: "demo", tier: "pay-per-use" }];

export async function body(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

/** An admin call that must answer `status`; the body is shown when it does not. */
export async function adminOk(stack: Stack, path: string, status: number, init?: RequestInit): Promise<Json> {
  const res = await stack.admin(path, init);
  const text = await res.text();
  expect(res.status, `${init?.method ?? "GET"} ${path}: ${text}`).toBe(status);
  return JSON.parse(text) as Json;
}

export const post = (payload: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(payload) });

/** GET one of the emulator's inspection endpoints (/_emulator/...), which must answer 200. */
export async function emulatorJson(stack: Stack, path: string): Promise<any> {
  const res = await fetch(`${stack.emulator.url}/_emulator/${path}`);
  expect(res.status).toBe(200);
  return res.json();
}

/** A tweet_create_events envelope for alice whose body contains `text`. */
export const isTweet = (text: string) => (r: SinkRecord): boolean =>
  r.envelope?.type === "tweet_create_events" && r.envelope?.for_user_id === DEMO_USERS.alice.id && r.body.includes(text);

export interface AlertReceiver {
  url: string;
  received: Json[];
  stop(): Promise<void>;
}

/** The operator's alert endpoint: records every JSON POST (ALERT_URL points here). */
export async function startAlertReceiver(): Promise<AlertReceiver> {
  const received: Json[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        received.push({ method: req.method, contentType: req.headers["content-type"], body: JSON.parse(text) as Json });
      } catch {
        received.push({ method: req.method, contentType: req.headers["content-type"], body: null, text });
      }
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
