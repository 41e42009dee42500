/**
 * Per-app forwarding: each app's envelopes go to its own destination (APPS `forward_url`), signed
 * with its own secret (`FORWARD_SECRET_<APP>`), gated per destination; `forward_types` filters
 * what reaches FORWARD while EVENTS still gets every envelope (through the real ingest consumer);
 * a message whose app lost its forwarding since it was queued is dead-lettered with its reason.
 * Real gate (DeadLetters DO), real Dedup/Spool/EVENTS; the destinations are the stand-in `fetch`
 * of forward-helpers.ts (workerd tests cannot listen on a port).
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { FORWARD_GATE_INSTANCE } from "../../src/pipeline/forward.ts";
import { handleQueue } from "../../src/pipeline/queue.ts";
import type { DeadLetterMessage, ForwardMessage, IngestMessage } from "../../src/pipeline/messages.ts";
import { verifyStandardWebhook } from "../../src/pipeline/standard-webhooks.ts";
import { FAILURE_THRESHOLD } from "../../src/pipeline/circuit-breaker.ts";
import { ingestMessage, queued, type TestEnv, testEnv } from "./pipeline-helpers.ts";
import { forwardMessage, recordSendDelays, runForward, sink } from "./forward-helpers.ts";

const FIXTURES = import.meta.glob<string>("../fixtures/payloads/*.json", { query: "?raw", import: "default", eager: true });
const fixture = (name: string): string => {
  const hit = Object.entries(FIXTURES).find(([p]) => p.endsWith(`/${name}`));
  if (hit === undefined) throw new Error(`fixture ${name} missing`);
  return hit[1];
};

const DEFAULT_URL = "https://default-sink.example/hook";
const ACME_URL = "https://acme-sink.example/in?token=acme-path-token";
const DEFAULT_SECRET = env.FORWARD_SECRET;
const ACME_SECRET = `whsec_${btoa("acme-forward-secret-0123456789")}`;

/** Two apps: `default` uses FORWARD_URL + FORWARD_SECRET, `acme` its own URL and secret. */
function twoApps(acme: Record<string, unknown> = {}): Record<string, string> {
  return {
    APPS: JSON.stringify([{ name: "default" }, { name: "acme", forward_url: ACME_URL, ...acme }]),
    X_CONSUMER_SECRET_ACME: "acme-consumer-secret",
    FORWARD_URL: DEFAULT_URL,
    FORWARD_SECRET_ACME: ACME_SECRET,
  };
}

function forAcme(n: number): ForwardMessage {
  return { ...forwardMessage(n), app: "acme" };
}

const gate = () => env.DEAD_LETTERS.getByName(FORWARD_GATE_INSTANCE);

async function verified(secret: string, r: { headers: Headers; body: string }, now: number) {
  return verifyStandardWebhook(
    secret,
    { id: r.headers.get("webhook-id"), timestamp: r.headers.get("webhook-timestamp"), signature: r.headers.get("webhook-signature") },
    r.body,
    now / 1000,
  );
}

beforeEach(async () => {
  await reset();
});

describe("per-app forwarding", () => {
  it("one batch mixing two apps: each message goes to its app's destination, signed with its app's secret only", async () => {
    const t = testEnv(twoApps());
    const now = Date.parse("2026-11-24T12:00:00Z");
    const s = sink(() => new Response(null, { status: 204 }), now);
    const msgs = [queued(forwardMessage(1)), queued(forAcme(2)), queued(forwardMessage(3)), queued(forAcme(4))];
    const result = await runForward(t, s, msgs);
    expect(result.explicitAcks.sort()).toEqual(msgs.map((q) => q.id).sort());
    expect(s.requests).toHaveLength(4);
    for (const q of msgs) {
      const r = s.requests.find((x) => x.headers.get("webhook-id") === q.body.id)!;
      const [mine, other] = q.body.app === "acme" ? [ACME_SECRET, DEFAULT_SECRET] : [DEFAULT_SECRET, ACME_SECRET];
      expect(r.url).toBe(q.body.app === "acme" ? ACME_URL : DEFAULT_URL);
      expect(r.body).toBe(q.body.json);
      expect(await verified(mine, r, now)).toEqual({ ok: true });
      expect((await verified(other, r, now)).ok).toBe(false);
    }
  });

  it("gates each destination on its own: acme's open circuit holds only acme's messages, default's are sent", async () => {
    const t = testEnv(twoApps());
    await gate().gateRecord(ACME_URL, Array<boolean>(FAILURE_THRESHOLD).fill(false));
    expect((await gate().gateInspect(ACME_URL)).phase).toBe("open");
    const s = sink(() => new Response(null, { status: 204 }));
    const sends = recordSendDelays(t);
    const acme = [queued(forAcme(1)), queued(forAcme(2))];
    const dflt = [queued(forwardMessage(3)), queued(forwardMessage(4))];
    const result = await runForward(t, s, [acme[0]!, dflt[0]!, acme[1]!, dflt[1]!]);
    // default's two were POSTed; acme's were not, and came back as held copies (no retry used).
    expect(s.requests.map((r) => r.url)).toEqual([DEFAULT_URL, DEFAULT_URL]);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual([...acme, ...dflt].map((q) => q.id).sort());
    expect(sends.map((m) => (m.body as ForwardMessage).id).sort()).toEqual(acme.map((q) => q.body.id).sort());
    for (const m of sends) expect((m.body as ForwardMessage).held_since).toEqual(expect.any(String));
    // default's gate saw only successes; acme's stays open.
    expect((await gate().gateInspect(DEFAULT_URL)).phase).toBe("closed");
    expect((await gate().gateInspect(ACME_URL)).phase).toBe("open");
  });

  it("a failing destination opens only its own circuit", async () => {
    const t = testEnv(twoApps());
    const s = sink(() => new Response(null, { status: 204 }));
    const failing = { ...s, deps: { ...s.deps, fetch: async (req: Request) => (req.url === ACME_URL ? new Response(null, { status: 503 }) : s.deps.fetch(req)) } };
    const msgs = Array.from({ length: FAILURE_THRESHOLD }, (_, i) => [queued(forAcme(i)), queued(forwardMessage(100 + i))]).flat();
    const result = await runForward(t, failing, msgs);
    expect((await gate().gateInspect(ACME_URL)).phase).toBe("open");
    expect((await gate().gateInspect(DEFAULT_URL)).phase).toBe("closed");
    expect(new Set(result.retryMessages.map((r) => r.msgId))).toEqual(new Set(msgs.filter((q) => q.body.app === "acme").map((q) => q.id)));
  });

  it("dead-letters a message whose app's forwarding was turned off, or whose app left APPS, since it was queued", async () => {
    const t = testEnv({ ...twoApps({ forward_url: null }), FORWARD_SECRET_ACME: "" });
    const s = sink(() => new Response(null, { status: 204 }));
    const off = queued(forAcme(1));
    const gone = queued({ ...forwardMessage(2), app: "retired" });
    const kept = queued(forwardMessage(3));
    const result = await runForward(t, s, [off, gone, kept]);
    expect(s.requests.map((r) => r.url)).toEqual([DEFAULT_URL]);
    expect(result.explicitAcks.sort()).toEqual([off.id, gone.id, kept.id].sort());
    const letters = t.deadLetter.sent.map((x) => x.body as DeadLetterMessage);
    expect(letters.find((l) => (l.original as ForwardMessage).id === off.body.id)?.reason).toBe(
      'forwarding is not configured for app "acme" (its forward_url is null, or FORWARD_URL is unset)',
    );
    expect(letters.find((l) => (l.original as ForwardMessage).id === gone.body.id)?.reason).toContain('app "retired" is no longer configured');
    expect(letters).toHaveLength(2);
  });
});

describe("forward_types through the real ingest consumer", () => {
  async function runIngest(t: TestEnv, messages: ReturnType<typeof queued<IngestMessage>>[]) {
    const batch = createMessageBatch("aae-ingest", messages);
    const ctx = createExecutionContext();
    await handleQueue(batch, t.env, ctx);
    return getQueueResult(batch, ctx);
  }

  it("acme forwards DMs only, default everything; EVENTS gets every envelope of both", async () => {
    const t = testEnv(twoApps({ forward_types: ["direct_message_events", "dm.*"] }));
    const deliveries = [
      ingestMessage(fixture("tweet_create_events.docs.json"), { app: "acme" }),
      ingestMessage(fixture("direct_message_events.json"), { app: "acme" }),
      ingestMessage(fixture("favorite_events.json"), { app: "default" }),
      ingestMessage(fixture("direct_message_events.json"), { app: "default" }),
    ];
    const result = await runIngest(t, deliveries.map((m) => queued(m)));
    expect(result.retryMessages).toEqual([]);
    const events = t.events.sent.map((m) => JSON.parse(String(m.body)) as { app: string; type: string });
    const forwards = t.forward.sent.map((m) => m.body as ForwardMessage);
    const typeOf = (f: ForwardMessage) => (JSON.parse(f.json!) as { type: string }).type;
    expect(events.map((e) => `${e.app}/${e.type}`).sort()).toEqual(
      ["acme/tweet_create_events", "acme/direct_message_events", "default/favorite_events", "default/direct_message_events"].sort(),
    );
    expect(forwards.map((f) => `${f.app}/${typeOf(f)}`).sort()).toEqual(
      ["acme/direct_message_events", "default/favorite_events", "default/direct_message_events"].sort(),
    );
  });
});
