/**
 * `npm run bench:pipeline`: the whole pipeline, signed POST to sink, on loopback.
 *
 * Bare workerd (what bench/hot-path.ts uses) has no queue broker, so this leg runs the real
 * Worker under wrangler's `unstable_startWorker` (Miniflare: real local Queues, Durable Objects,
 * KV; test/e2e/harness.ts `startReceiver`) with FORWARD_URL pointing at the Standard Webhooks
 * sink of test/e2e/sink.ts. Miniflare's proxy and broker add overhead that Cloudflare does not
 * have, so the figures are a lower bound for throughput and an upper bound for latency.
 *
 * Load: signed ~2 KB `tweet_create_events` deliveries (bench/lib/payload.ts, unique tweet ids)
 * POSTed straight to `/webhooks/default`, as X would. Per scenario:
 * - open loop at a fixed offered rate (`--rates`, events/s) for `--duration` seconds: sends are
 *   scheduled by the clock, not by answers, so a slow pipeline shows as latency, not lower load;
 * - one closed loop (`--concurrency` senders, each POSTing the next when its answer arrives)
 *   for max throughput.
 * At the sink each envelope is matched to its send by tweet id: events/s delivered, latency from
 * POST start to sink receipt (p50/p99), and exactly-once (lost, duplicates, unverified).
 * Bounded: every phase has a deadline, and it only stops what it started.
 *
 *   npm run bench:pipeline -- --rates 100,300 --duration 20 --concurrency 16 [--connections 128] [--no-write]
 */
import { writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { startEmulator } from "../emulator/index.ts";
import { DEMO_SECRETS, ROOT, startReceiver } from "../test/e2e/harness.ts";
import { startSink, type SinkRecord } from "../test/e2e/sink.ts";
import { loadAverageNow, machineInfo, type MachineInfo } from "./lib/machine.ts";
import { tweetCreateBody, xSignature } from "./lib/payload.ts";
import { round, summarizeLatencies } from "./lib/stats.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const { values: args } = parseArgs({
  options: {
    rates: { type: "string", default: "100,300" },
    duration: { type: "string", default: "20" },
    concurrency: { type: "string", default: "16" },
    /** Seconds to wait after the last send for every accepted event to reach the sink. */
    drain: { type: "string", default: "60" },
    /** Most connections the load generator keeps open to the receiver (a sender's pool). */
    connections: { type: "string", default: "128" },
    "no-write": { type: "boolean", default: false },
  },
});
const RATES = args.rates.split(",").map(Number).filter((r) => r > 0 && r <= 2000);
const DURATION_S = Math.min(60, Math.max(1, Number(args.duration)));
const CONCURRENCY = Math.min(128, Math.max(1, Number(args.concurrency)));
const DRAIN_MS = Math.min(300, Math.max(5, Number(args.drain))) * 1000;
const CONNECTIONS = Math.min(4096, Math.max(1, Number(args.connections)));
/**
 * The load generator's connection pool: keep-alive, at most CONNECTIONS sockets; a POST beyond
 * that waits in the pool, and its wait counts in its latency and its timeout (the open loop's
 * clock keeps sending). Unbounded (global fetch), an overloaded receiver under Miniflare piled
 * up to ~3,000 POSTs in flight at 300/s, about 9,000 open files in workerd, and once workerd hit
 * the process's limit (20,000 here: `accept(): Too many open files`) it stopped answering for
 * the rest of the run.
 */
const AGENT = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
const BODY_BYTES = 2048;
const POST_TIMEOUT_MS = 10_000;
/** After the last expected arrival, how long the sink must stay quiet (late duplicates). */
const QUIET_MS = 2000;
const WORKERD = join(ROOT, "node_modules/.bin/workerd");
const SECRET = DEMO_SECRETS.X_CONSUMER_SECRET ?? "";

interface ScenarioFigures {
  name: string;
  mode: "open" | "closed";
  offeredRate: number | null;
  concurrency: number | null;
  durationSeconds: number;
  sent: number;
  accepted: number;
  rejected: Record<string, number>;
  delivered: number;
  lost: number;
  /** When the first lost events were sent, ms after the scenario's first send (up to 20): clustering hints at a cause. */
  lostSendOffsetsMs: number[];
  duplicates: number;
  unverified: number;
  /** Accepted POSTs per second over the send window. */
  acceptedPerSecond: number;
  /** Distinct events reaching the sink per second, first send to last arrival. */
  deliveredPerSecond: number;
  endToEnd: { p50Ms: number; p99Ms: number; maxMs: number };
  post: { p50Ms: number; p99Ms: number };
}

/** Tweet id -> when its POST started (performance.now ms). Shared across scenarios: ids never repeat. */
const sendTimes = new Map<string, number>();
/** Tweet id -> sink arrival times (performance.now ms), one per arrival. */
const arrivals = new Map<string, number[]>();
let unverifiedCount = 0;
let seq = 0;
/** What the run is doing, printed every few seconds so a stall shows where it is. */
const progress = { phase: "start", posted: 0, answered: 0 };

const TWEET_ID = /"event_key":"tweet_create_events:(\d+)"|tweet_create_events:\d+:(\d+)/;

function onReceive(r: SinkRecord): void {
  const at = performance.now();
  if (!r.verified) unverifiedCount++;
  const m = TWEET_ID.exec(r.body);
  const id = m?.[1] ?? m?.[2];
  if (id === undefined) return;
  const list = arrivals.get(id);
  if (list) list.push(at);
  else arrivals.set(id, [at]);
  // The sink keeps every record; the bench only needs the times, so keep memory flat.
  r.body = "";
  r.envelope = null;
}

interface Sent {
  id: string;
  status: number | "error";
  postMs: number;
}

async function postOne(url: string): Promise<Sent> {
  const n = seq++;
  const body = tweetCreateBody(n, BODY_BYTES);
  const id = (1924465506158878979n + BigInt(n)).toString();
  const start = performance.now();
  sendTimes.set(id, start);
  progress.posted++;
  // node:http through AGENT (a bounded pool), with a ref'd timer of our own that destroys the
  // request: global fetch had no pool bound, and a few fetches given AbortSignal.timeout(10 s)
  // never settled (undici can lose a signal's abort after a GC, nodejs/undici#4068).
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await new Promise<number | "timeout">((resolve, reject) => {
      const req = request(
        url,
        {
          method: "POST",
          agent: AGENT,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            "x-twitter-webhooks-signature": xSignature(SECRET, body),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      timer = setTimeout(() => {
        resolve("timeout");
        req.destroy();
      }, POST_TIMEOUT_MS);
      req.end(body);
    });
    return { id, status: answer === "timeout" ? "error" : answer, postMs: performance.now() - start };
  } catch {
    return { id, status: "error", postMs: performance.now() - start };
  } finally {
    clearTimeout(timer);
    progress.answered++;
  }
}

async function openLoop(url: string, rate: number, seconds: number): Promise<Sent[]> {
  const total = Math.round(rate * seconds);
  const pending: Promise<Sent>[] = [];
  const t0 = performance.now();
  while (pending.length < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    while (pending.length < due) pending.push(postOne(url));
    await new Promise((r) => setTimeout(r, 2));
  }
  return Promise.all(pending);
}

async function closedLoop(url: string, concurrency: number, seconds: number): Promise<Sent[]> {
  const out: Sent[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) out.push(await postOne(url));
    }),
  );
  return out;
}

/** Wait until every accepted id has arrived (or the drain deadline), then for a quiet spell. */
async function drain(accepted: readonly string[]): Promise<void> {
  const deadline = performance.now() + DRAIN_MS;
  while (performance.now() < deadline && accepted.some((id) => !arrivals.has(id))) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, QUIET_MS));
}

function figures(name: string, mode: "open" | "closed", sent: Sent[], seconds: number, extra: { rate?: number; concurrency?: number }): ScenarioFigures {
  const rejected: Record<string, number> = {};
  const accepted = sent.filter((s) => s.status === 200);
  for (const s of sent) if (s.status !== 200) rejected[String(s.status)] = (rejected[String(s.status)] ?? 0) + 1;
  const latencies: number[] = [];
  let delivered = 0;
  let duplicates = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const s of sent) {
    const t = sendTimes.get(s.id) ?? 0;
    first = Math.min(first, t);
    const got = arrivals.get(s.id);
    if (!got || got.length === 0) continue;
    delivered++;
    duplicates += got.length - 1;
    const arrivedAt = Math.min(...got);
    last = Math.max(last, arrivedAt);
    latencies.push(arrivedAt - t);
  }
  const e2e = summarizeLatencies(Float64Array.from(latencies));
  const post = summarizeLatencies(Float64Array.from(sent.map((s) => s.postMs)));
  const lostIds = accepted.filter((s) => !arrivals.has(s.id));
  const lost = lostIds.length;
  const lostSendOffsetsMs = lostIds.slice(0, 20).map((s) => round((sendTimes.get(s.id) ?? 0) - first, 0));
  return {
    name,
    mode,
    offeredRate: extra.rate ?? null,
    concurrency: extra.concurrency ?? null,
    durationSeconds: seconds,
    sent: sent.length,
    accepted: accepted.length,
    rejected,
    delivered,
    lost,
    lostSendOffsetsMs,
    duplicates,
    unverified: 0,
    acceptedPerSecond: round(accepted.length / seconds, 1),
    deliveredPerSecond: round(delivered / ((last - first) / 1000), 1),
    endToEnd: { p50Ms: round(e2e.p50Ms, 1), p99Ms: round(e2e.p99Ms, 1), maxMs: round(e2e.maxMs, 1) },
    post: { p50Ms: round(post.p50Ms, 2), p99Ms: round(post.p99Ms, 2) },
  };
}

interface PipelineResult {
  benchmark: "pipeline";
  date: string;
  machine: MachineInfo;
  setup: string;
  load: { runsPerScenario: number; postBodyBytes: number; rates: number[]; durationSeconds: number; concurrency: number; drainSeconds: number; connections: number };
  scenarios: ScenarioFigures[];
  exactlyOnce: boolean;
}

const SETUP =
  "Worker under wrangler unstable_startWorker (Miniflare: real local Queues, Durable Objects, KV; persist off), " +
  "FORWARD_URL = Node Standard Webhooks sink (test/e2e/sink.ts, verifies every request), X emulator for X_API_BASE_URL, " +
  "load from the same Node process (global fetch, keep-alive). Miniflare's proxy and queue broker add overhead: " +
  "throughput is a lower bound and latency an upper bound for the Worker on Cloudflare.";

function markdown(r: PipelineResult): string {
  const m = r.machine;
  const rows = r.scenarios.map(
    (s) =>
      `| ${s.name} | ${s.sent} | ${s.accepted} | ${s.acceptedPerSecond} | ${s.delivered} | ${s.deliveredPerSecond} | ${s.endToEnd.p50Ms} | ${s.endToEnd.p99Ms} | ${s.endToEnd.maxMs} | ${s.post.p50Ms} / ${s.post.p99Ms} | ${s.lost} | ${s.duplicates} |`,
  );
  return [
    `# Pipeline benchmark, ${r.date}`,
    "",
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, kernel ${m.kernel}, load average at start ${m.loadAverageAtStart}; Node ${m.node}; workerd ${m.workerd}; git ${m.git ? `${m.git.commit}${m.git.dirty ? " (dirty)" : ""}` : "unknown"}.`,
    "",
    `Setup: ${r.setup}`,
    "",
    `Load: ${r.load.runsPerScenario} run per scenario; ${r.load.postBodyBytes}-byte signed \`tweet_create_events\` bodies, unique tweet ids; open loop at ${r.load.rates.join(", ")} events/s for ${r.load.durationSeconds} s each; closed loop with ${r.load.concurrency} senders for ${r.load.durationSeconds} s; drain up to ${r.load.drainSeconds} s; at most ${r.load.connections} connections to the receiver (keep-alive pool; a POST waiting for one counts the wait). Latency: POST start to sink receipt.`,
    "",
    "| scenario | sent | accepted (200) | accepted/s | delivered | delivered/s | e2e p50 ms | e2e p99 ms | e2e max ms | POST p50 / p99 ms | lost | duplicates |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    `Exactly once (every accepted event delivered once, every sink request verified): **${r.exactlyOnce ? "yes" : "no"}**. Unverified sink requests: ${r.scenarios.reduce((a, s) => a + s.unverified, 0)}.`,
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const loadAtStart = loadAverageNow();
  const t0 = performance.now();
  const ticker = setInterval(() => {
    const s = ((performance.now() - t0) / 1000).toFixed(0);
    console.error(`pipeline: ${s} s, ${progress.phase}: ${progress.posted} posted, ${progress.answered} answered, ${arrivals.size} arrived at the sink`);
  }, 10_000);
  ticker.unref();
  const emulator = await startEmulator({ port: 0, clock: { scale: 0 } });
  const sink = await startSink({ secret: DEMO_SECRETS.FORWARD_SECRET ?? "", onReceive });
  let worker: { url: string; dispose(): Promise<void> } | null = null;
  try {
    worker = await startReceiver({ vars: { X_API_BASE_URL: emulator.url, FORWARD_URL: sink.url }, secrets: { ...DEMO_SECRETS }, logLevel: "error" });
    const url = `${worker.url}/webhooks/default`;
    // Warm-up (not measured): compiles the Worker, creates the DOs, starts the consumers.
    progress.phase = "warm-up";
    const warm = await openLoop(url, 50, 2);
    await drain(warm.filter((s) => s.status === 200).map((s) => s.id));
    const scenarios: ScenarioFigures[] = [];
    for (const rate of RATES) {
      console.error(`pipeline: open loop ${rate} events/s for ${DURATION_S} s`);
      const before = unverifiedCount;
      progress.phase = `open-${rate}`;
      const sent = await openLoop(url, rate, DURATION_S);
      progress.phase = `open-${rate} drain`;
      await drain(sent.filter((s) => s.status === 200).map((s) => s.id));
      scenarios.push({ ...figures(`open-${rate}`, "open", sent, DURATION_S, { rate }), unverified: unverifiedCount - before });
    }
    console.error(`pipeline: closed loop, ${CONCURRENCY} senders for ${DURATION_S} s`);
    const before = unverifiedCount;
    progress.phase = `closed-${CONCURRENCY}`;
    const sent = await closedLoop(url, CONCURRENCY, DURATION_S);
    progress.phase = `closed-${CONCURRENCY} drain`;
    await drain(sent.filter((s) => s.status === 200).map((s) => s.id));
    scenarios.push({ ...figures(`closed-${CONCURRENCY}`, "closed", sent, DURATION_S, { concurrency: CONCURRENCY }), unverified: unverifiedCount - before });

    const date = new Date().toISOString().slice(0, 10);
    const result: PipelineResult = {
      benchmark: "pipeline",
      date,
      machine: machineInfo(WORKERD, ROOT, loadAtStart),
      setup: SETUP,
      load: { runsPerScenario: 1, postBodyBytes: BODY_BYTES, rates: RATES, durationSeconds: DURATION_S, concurrency: CONCURRENCY, drainSeconds: DRAIN_MS / 1000, connections: CONNECTIONS },
      scenarios,
      exactlyOnce: scenarios.every((s) => s.lost === 0 && s.duplicates === 0 && s.unverified === 0),
    };
    const md = markdown(result);
    console.log(md);
    if (!args["no-write"]) {
      const base = join(ROOT, "bench/results", `${date}-pipeline`);
      writeFileSync(`${base}.json`, JSON.stringify(result, null, 2) + "\n");
      writeFileSync(`${base}.md`, md);
      console.error(`pipeline: wrote ${base}.json and .md`);
    }
    if (!result.exactlyOnce) process.exitCode = 1;
  } finally {
    progress.phase = "stopping";
    clearInterval(ticker);
    AGENT.destroy();
    await worker?.dispose();
    await sink.stop();
    await emulator.stop();
  }
}

await main();
