/**
 * `npm run soak`: the delivery guarantee under load and faults, on loopback, bounded in time.
 *
 * Starts the end-to-end stack (test/e2e/harness.ts: X emulator, the Worker in workerd, a
 * Standard Webhooks sink) with a slow-ack proxy between the Worker and the sink, then has X
 * send `--events` activities (tweets, mentions and DMs: the last two fan out to two users) while
 * injecting faults:
 * - duplicates from X: answers lost on the way back (a relay passes the delivery to the Worker,
 *   then tells X 503, so X retries it) and exact re-sends of earlier deliveries;
 * - slow acks: the proxy holds some of the sink's answers for up to half a second;
 * - sink failures: short bursts where the sink answers 500 (the forwarder retries with backoff,
 *   and the circuit breaker may open).
 * Then it waits for the pipeline to drain and prints sent, unique, delivered, duplicates, lost.
 * Exit 0 only when every unique envelope reached the sink with a 2xx (delivered == unique,
 * lost == 0). Duplicates are reported, not failed: the guarantee is at least once, and
 * consumers drop repeats by `webhook-id` (docs/consuming.md).
 *
 *   npm run soak -- --events 2000 --timeout 600
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { sha256Signature } from "../emulator/index.ts";
import { normaliseDelivery } from "../src/events/normalise.ts";
import { DEMO_SECRETS, DEMO_USERS, registerAndSubscribe, startRelay, startStack } from "../test/e2e/harness.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "8" },
    /** Seconds to wait for the drain before giving up (the run fails then). */
    timeout: { type: "string", default: "600" },
  },
});
const EVENTS = Number(args.events);
const CONCURRENCY = Number(args.concurrency);
const DRAIN_TIMEOUT_MS = Number(args.timeout) * 1000;
/** After the last expected envelope, how long the sink must stay quiet (late duplicates). */
const QUIET_MS = 5_000;
const RETRY_DELAYS_MS = [1000, 2000, 4000];
const USERS = [DEMO_USERS.alice, DEMO_USERS.bob, DEMO_USERS.carol];

interface Answer {
  id: string;
  status: number;
}

/** A proxy to the sink that holds some answers (slow acks) and logs the status of each. */
async function startSlowAckProxy() {
  let target = "";
  const answers: Answer[] = [];
  const read = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks)));
      req.on("error", reject);
    });
  const server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
      const r = await fetch(target, { method: req.method ?? "POST", headers, body: new Uint8Array(body) });
      await r.arrayBuffer();
      if (Math.random() < 0.2) await new Promise((ok) => setTimeout(ok, 50 + Math.random() * 450));
      answers.push({ id: headers["webhook-id"] ?? "", status: r.status });
      res.writeHead(r.status, { "content-type": "application/json" }).end("{}");
    })().catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    answers,
    setTarget(url: string) {
      target = url;
    },
    stop: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

function activity(n: number): Record<string, unknown> {
  const author = pick(USERS);
  const other = pick(USERS.filter((u) => u !== author));
  const r = Math.random();
  if (r < 0.7) return { type: "tweet", user_id: author.id, text: `soak ${n}` };
  if (r < 0.85) return { type: "tweet", user_id: author.id, text: `soak ${n} @mention`, mention_ids: [other.id] };
  return { type: "direct_message", sender_id: author.id, recipient_id: other.id, text: `soak dm ${n}` };
}

async function main(): Promise<number> {
  const started = Date.now();
  const proxy = await startSlowAckProxy();
  const stack = await startStack({
    vars: { FORWARD_URL: proxy.url },
    emulator: { delivery: { retryDelaysMs: RETRY_DELAYS_MS } },
  });
  proxy.setTarget(stack.sink.url);
  const relay = await startRelay(stack.workerUrl);
  try {
    await registerAndSubscribe(stack, `${relay.url}/webhooks/default`, USERS);

    let resent = 0;
    let bursts = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < EVENTS) {
        const n = next++;
        if (n % 50 === 25) relay.loseNextAnswers(2);
        if (n % 250 === 125) {
          bursts++;
          stack.sink.respondWith(500);
          setTimeout(() => stack.sink.respondWith(null), 1500);
        }
        if (n % 100 === 99) await stack.emulator.advance(1000);
        await stack.emulator.emit(activity(n));
        const done = n % 10 === 5 ? stack.emulator.state.deliveries.filter((d) => d.status === 200) : [];
        if (done.length > 0) {
          // X sends an earlier delivery again, byte for byte.
          const again = pick(done);
          const res = await fetch(`${stack.workerUrl}/webhooks/default`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-twitter-webhooks-signature": sha256Signature(DEMO_SECRETS.X_CONSUMER_SECRET!, again.body) },
            body: again.body,
          });
          await res.arrayBuffer();
          if (res.status === 200) resent++;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    // Run X's remaining retries (every wait of the schedule), with the sink healthy.
    await sleep(300);
    stack.sink.respondWith(null);
    await stack.emulator.advance(RETRY_DELAYS_MS.reduce((a, b) => a + b, 0) + 1000);
    const driven = Date.now();

    // What X delivered: one envelope per distinct delivery (each carries one event).
    const bodies = new Map<string, string>();
    for (const d of stack.emulator.state.deliveries) bodies.set(d.deliveryId, d.body);
    const expected = new Set<string>();
    for (const body of bodies.values()) {
      for (const e of normaliseDelivery(body, { app: "default", received_at: "", delivery_id: "" })) expected.add(e.id);
    }
    const ok = (): Answer[] => proxy.answers.filter((a) => a.status >= 200 && a.status < 300);
    const deliveredIds = (): Set<string> => new Set(ok().map((a) => a.id).filter((id) => expected.has(id)));

    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (deliveredIds().size < expected.size && Date.now() < deadline) await sleep(500);
    // Then wait for quiet: a late duplicate would arrive now.
    let seen = proxy.answers.length;
    let quietSince = Date.now();
    while (Date.now() - quietSince < QUIET_MS && Date.now() < deadline) {
      await sleep(250);
      if (proxy.answers.length !== seen) {
        seen = proxy.answers.length;
        quietSince = Date.now();
      }
    }
    const deadLetters = ((await (await stack.admin("/admin/dead-letters?limit=500")).json()) as { entries: unknown[] }).entries.length;

    const attemptsFromX = stack.emulator.state.deliveries.length;
    const retriesFromX = stack.emulator.state.deliveries.filter((d) => d.attempt > 1).length;
    const delivered = deliveredIds().size;
    const okCount = ok().length;
    const report = {
      events: EVENTS,
      sent: attemptsFromX + resent,
      sent_first_attempts: bodies.size,
      sent_x_retries: retriesFromX,
      sent_resends: resent,
      unique: expected.size,
      delivered,
      duplicates: okCount - new Set(ok().map((a) => a.id)).size,
      lost: expected.size - delivered,
      unexpected: new Set(ok().map((a) => a.id).filter((id) => !expected.has(id))).size,
      sink_failures_answered: proxy.answers.length - okCount,
      sink_500_bursts: bursts,
      dead_letters: deadLetters,
      verified_signatures: `${stack.sink.received.filter((r) => r.verified).length}/${stack.sink.received.length}`,
      drive_seconds: Math.round((driven - started) / 1000),
      drain_seconds: Math.round((Date.now() - driven) / 1000),
    };
    for (const [k, v] of Object.entries(report)) console.log(`${k.padEnd(24)} ${v}`);
    const pass = report.delivered === report.unique && report.lost === 0 && report.unexpected === 0;
    console.log(pass ? "PASS: every unique envelope delivered" : "FAIL: delivered != unique or lost > 0");
    return pass ? 0 : 1;
  } finally {
    await relay.stop();
    await stack.stop();
    await proxy.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
