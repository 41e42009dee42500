/**
 * Helpers for the forwarder's integration tests (not a test file): a stand-in destination and a
 * record of the delayed copies the forwarder sends to FORWARD.
 *
 * The destination is a stand-in `fetch` injected through `ForwardDeps`: a workerd test cannot
 * listen on a real HTTP port, and @cloudflare/vitest-plugin 1.5 has no outbound fetch mock. The
 * stand-in records each Request exactly as the forwarder built it (method, headers, body).
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { handleForwardBatch, type ForwardDeps } from "../../src/pipeline/forward.ts";
import type { ForwardMessage } from "../../src/pipeline/messages.ts";
import { queued, recordRetryDelays, type TestEnv } from "./pipeline-helpers.ts";

export interface Sink {
  requests: { url: string; method: string; headers: Headers; body: string }[];
  deps: ForwardDeps;
}

export function sink(respond: (n: number) => Response | Promise<Response>, now = Date.now()): Sink {
  const requests: Sink["requests"] = [];
  return {
    requests,
    deps: {
      now: () => now,
      random: () => 0.5,
      fetch: async (req) => {
        requests.push({ url: req.url, method: req.method, headers: req.headers, body: await req.text() });
        return respond(requests.length);
      },
    },
  };
}

export function forwardMessage(n: number): ForwardMessage {
  const id = `tweet_create_events:2244994945:${1924465506158878979n + BigInt(n)}`;
  return { v: 1, id, app: "default", json: `{"id":"${id}","event":{"id":${1924465506158878979n + BigInt(n)}}}` };
}

export async function runForward(t: TestEnv, s: Sink, messages: ReturnType<typeof queued<unknown>>[]) {
  const batch = createMessageBatch("aae-forward", messages);
  const delays = recordRetryDelays(batch);
  const ctx = createExecutionContext();
  await handleForwardBatch(batch, t.env, s.deps);
  return { ...(await getQueueResult(batch, ctx)), delays };
}

/**
 * Record every message sent to FORWARD with its per-message `delaySeconds`, which the shared
 * recording queue (pipeline-helpers.ts, itself a wrapper around env.FORWARD) does not keep.
 * Wraps `t.forward.sendBatch`, so its `failNext` still applies; a failed call records nothing.
 */
export function recordSendDelays(t: TestEnv): MessageSendRequest[] {
  const sent: MessageSendRequest[] = [];
  const inner = t.forward.sendBatch.bind(t.forward);
  t.forward.sendBatch = async (messages, options) => {
    const list = [...messages];
    const r = await inner(list, options);
    sent.push(...list);
    return r;
  };
  return sent;
}
