/**
 * Before any load: each target must answer the way X needs, or the req/s it posts would be the
 * speed of a wrong answer. Checks the CRC token against one computed here, that a signed POST
 * gets 200 and reaches the INGEST sink, and that a bad signature does not get 200.
 */
import { crcToken, tweetCreateBody, xSignature } from "./payload.ts";

async function expectCrc(origin: string, path: string, secret: string, who: string): Promise<void> {
  const token = crcToken();
  const res = await fetch(`${origin}${path}?crc_token=${token}`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`preflight ${who}: CRC GET answered ${res.status}: ${text.slice(0, 200)}`);
  let got: unknown;
  try {
    got = (JSON.parse(text) as { response_token?: unknown }).response_token;
  } catch {
    throw new Error(`preflight ${who}: CRC answer is not JSON: ${text.slice(0, 200)}`);
  }
  if (got !== xSignature(secret, token)) throw new Error(`preflight ${who}: CRC response_token is wrong`);
}

async function post(origin: string, path: string, body: string, signature: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${origin}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-twitter-webhooks-signature": signature },
    body,
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, text: await res.text() };
}

async function expectPosts(origin: string, path: string, secret: string, who: string): Promise<void> {
  const body = tweetCreateBody(0, 2048);
  const good = await post(origin, path, body, xSignature(secret, body));
  if (good.status !== 200) throw new Error(`preflight ${who}: signed POST answered ${good.status}: ${good.text.slice(0, 200)}`);
  const bad = await post(origin, path, body, xSignature(secret + "x", body));
  if (bad.status === 200 || bad.status >= 500) {
    throw new Error(`preflight ${who}: POST with a wrong signature answered ${bad.status}`);
  }
}

/** Messages the INGEST sink has received so far. */
export async function ingestCount(sink: string): Promise<number> {
  const res = await fetch(`${sink}/__bench/count`, { signal: AbortSignal.timeout(5000) });
  const counts = (await res.json()) as { messages: number; batchMessages: number };
  return counts.messages + counts.batchMessages;
}

export async function checkFloor(origin: string, path: string, secret: string): Promise<void> {
  await expectCrc(origin, path, secret, "floor");
  await expectPosts(origin, path, secret, "floor");
}

export async function checkWorker(origin: string, sink: string, path: string, secret: string): Promise<void> {
  await expectCrc(origin, path, secret, "Worker");
  const before = await ingestCount(sink);
  await expectPosts(origin, path, secret, "Worker");
  const sent = (await ingestCount(sink)) - before;
  if (sent !== 1) throw new Error(`preflight Worker: one signed POST made ${sent} INGEST sends (expected 1)`);
}
