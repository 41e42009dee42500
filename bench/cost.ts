/**
 * `npm run bench:cost`: what one event costs on Cloudflare, from counted platform operations.
 *
 * Runs the real Worker under Miniflare (real local Queues, Durable Objects, KV) through the bench
 * entry `bench/workers/cost-entry.ts`, which counts every operation at the binding boundary
 * (Worker invocations, queue writes/reads/deletes per queue in 64 KB units, Durable Object
 * requests per class, SQLite rows read/written from workerd's cursor counters, KV, subrequests).
 * FORWARD_URL points at the Standard Webhooks sink (test/e2e/sink.ts). Scenarios:
 *
 * - low-rate: one event per delivery, each delivery alone in its ingest and forward batch;
 * - full-batches: one event per delivery, sent fast enough that batches fill (50 ingest, 25 forward);
 * - five-per-delivery: five events per delivery, fast;
 * - duplicate: deliveries X sends again after they were processed (cost per duplicate delivery).
 *
 * Expiry: after the scenarios, every Dedup object the run touched runs its own expiry (`alarm()`
 * with the clock moved past the dedup window), measured apart and spread over every key the run
 * committed (warm-up included), so the prune each key costs days later is in every scenario's
 * figures: exact for a per-row prune; for whole-bucket drops (a fixed cost per shard and day) it
 * overstates the cost at any real daily volume, where far more keys share a bucket.
 * The warm-up (200 deliveries) touches every shard first, so scenarios run on warm objects.
 * Operations are priced with the dated table in bench/lib/prices.ts. EVENTS has no consumer
 * here; a bound consumer's read and delete of each EVENTS message (2 operations) are added.
 * CPU is the workerd process's CPU time (Miniflare's proxy, broker and timers included), shown but
 * not priced: it cannot be told apart from the Worker's own.
 *
 * Configurations: "both" (EVENTS and forwarding, what wrangler.toml deploys) and, with
 * `--configs forward-only,both`, "forward-only" (PUBLISH_EVENTS=false: no EVENTS consumer bound).
 * The headline, the LAST line, is the first configuration listed:
 *   cost per million events: full batches $A, low rate $B
 *
 *   npm run bench:cost -- [--label after] [--configs forward-only,both] [--no-write]
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { unstable_startWorker } from "wrangler";
import { startEmulator } from "../emulator/index.ts";
import { DEMO_SECRETS, ROOT } from "../test/e2e/harness.ts";
import { startSink } from "../test/e2e/sink.ts";
import { loadAverageNow, machineInfo } from "./lib/machine.ts";
import { tweetCreateBody, xSignature } from "./lib/payload.ts";
import { markdown, price, type Counters, type Scenario } from "./lib/cost-report.ts";
import { PRICES } from "./lib/prices.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });
process.env.WRANGLER_LOG ??= "error";

const { values: args } = parseArgs({
  options: {
    label: { type: "string", default: "after" },
    configs: { type: "string", default: "forward-only,both" },
    "no-write": { type: "boolean", default: false },
    /** Deliveries in the full-batch scenarios. */
    deliveries: { type: "string", default: "500" },
  },
});
const FULL = Math.min(2000, Math.max(100, Number(args.deliveries)));
const LOW = 6;
const FIVE = Math.round(FULL / 5);
const DUPES = 100;
const CONFIGS: Record<string, Record<string, string>> = {
  "forward-only": { PUBLISH_EVENTS: "false" },
  both: {},
};
const chosen = args.configs.split(",").filter((c) => c in CONFIGS);
const SECRET = DEMO_SECRETS.X_CONSUMER_SECRET ?? "";
const WORKERD = join(ROOT, "node_modules/.bin/workerd");
const DAY_MS = 86_400_000;


/** A delivery body with `events` tweet_create_events for one user, ids from `seq`. */
function deliveryBody(seq: number, events: number): string {
  if (events === 1) return tweetCreateBody(seq, 2048);
  const parsed = Array.from({ length: events }, (_, i) => JSON.parse(tweetCreateBody(seq * 10 + i, 2048)) as { for_user_id: string; tweet_create_events: unknown[] });
  return JSON.stringify({ for_user_id: parsed[0]!.for_user_id, tweet_create_events: parsed.flatMap((p) => p.tweet_create_events) });
}

/** CPU seconds used so far by workerd processes below this one (Linux /proc). */
function workerdCpuMs(): number {
  const byParent = new Map<number, number[]>();
  const names = new Map<number, string>();
  const ticks = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const f = stat.slice(close + 2).split(" ");
      const pid = Number(d);
      const ppid = Number(f[1]);
      names.set(pid, name);
      ticks.set(pid, Number(f[11]) + Number(f[12]));
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), pid]);
    } catch {
      // The process ended while we looked.
    }
  }
  let total = 0;
  const walk = (pid: number): void => {
    for (const c of byParent.get(pid) ?? []) {
      if ((names.get(c) ?? "").includes("workerd")) total += ticks.get(c) ?? 0;
      walk(c);
    }
  };
  walk(process.pid);
  return total * 10; // USER_HZ = 100 on Linux
}


async function run(config: string): Promise<Scenario[]> {
  const emulator = await startEmulator({ port: 0, clock: { scale: 0 } });
  const arrived = new Set<string>();
  const sink = await startSink({
    secret: DEMO_SECRETS.FORWARD_SECRET ?? "",
    onReceive: (r) => {
      arrived.add(r.id);
      r.body = "";
      r.envelope = null;
    },
  });
  mkdirSync(join(ROOT, "bench/.tmp"), { recursive: true });
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8").replace(/^main = .*$/m, 'main = "../workers/cost-entry.ts"');
  const cfg = join(ROOT, "bench/.tmp/wrangler.cost.toml");
  writeFileSync(cfg, toml);
  const bindings: Record<string, { type: "plain_text" | "secret_text"; value: string }> = {};
  for (const [k, v] of Object.entries({ X_API_BASE_URL: emulator.url, FORWARD_URL: sink.url, ...CONFIGS[config] })) bindings[k] = { type: "plain_text", value: v };
  for (const [k, v] of Object.entries(DEMO_SECRETS)) bindings[k] = { type: "secret_text", value: v };
  const worker = await unstable_startWorker({
    config: cfg,
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, persist: false, logLevel: "error" },
    bindings,
  });
  try {
    await worker.ready;
    const base = (await worker.url).toString().replace(/\/+$/, "");
    const post = async (body: string): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${base}/webhooks/default`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-twitter-webhooks-signature": xSignature(SECRET, body) },
          body,
        });
        await res.arrayBuffer();
        if (res.status === 200) return;
        if (attempt >= 5) throw new Error(`POST answered ${res.status}`);
      }
    };
    const counters = async (): Promise<{ counters: Counters; inflight: number }> =>
      (await (await fetch(`${base}/__bench/counters`)).json()) as { counters: Counters; inflight: number };
    const reset = async (): Promise<void> => {
      await (await fetch(`${base}/__bench/reset`, { method: "POST" })).arrayBuffer();
    };
    /** Until `done(counters)` holds and no consumer batch has run for a while (bounded). */
    const settle = async (done: (c: Counters) => boolean): Promise<void> => {
      const deadline = Date.now() + 120_000;
      let quiet = 0;
      while (Date.now() < deadline) {
        const c = await counters();
        quiet = c.inflight === 0 && done(c.counters) ? quiet + 1 : 0;
        if (quiet >= 4) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error("bench:cost: the pipeline did not settle within 120 s");
    };
    const ingestDone = (n: number) => (c: Counters) => (c["queue.ingest.delete"] ?? 0) >= n;
    const expire = async (names: string[]): Promise<void> => {
      if (names.length === 0) return;
      const res = await fetch(`${base}/__bench/expire?class=Dedup&names=${names.join(",")}&shiftMs=${40 * DAY_MS}`, { method: "POST" });
      await res.arrayBuffer();
    };
    let seq = 0;
    const sendAll = async (bodies: string[], concurrency: number): Promise<void> => {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < bodies.length) await post(bodies[next++]!);
        }),
      );
    };
    const waitArrived = async (n: number): Promise<void> => {
      const deadline = Date.now() + 120_000;
      while (arrived.size < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (arrived.size < n) throw new Error(`bench:cost: ${arrived.size} of ${n} envelopes reached the sink`);
    };
    const touched = new Set<string>();
    const measure = async (name: string, deliveries: number, events: number, body: () => Promise<void>): Promise<Scenario> => {
      console.error(`bench:cost [${config}] ${name}: ${deliveries} deliveries, ${events} events`);
      await reset();
      const cpu0 = workerdCpuMs();
      await body();
      const cpuMs = workerdCpuMs() - cpu0;
      const c = (await counters()).counters;
      for (const k of Object.keys(c)) if (k.startsWith("touched.Dedup.")) touched.add(k);
      return { name, deliveries, events, counters: c, cpuMs };
    };

    // Warm-up: compiles the Worker, creates the objects and their tables on every shard.
    const WARM = 200;
    await reset();
    await sendAll(Array.from({ length: WARM }, () => deliveryBody(seq++, 1)), 32);
    await waitArrived(WARM);
    await settle(ingestDone(WARM));
    for (const k of Object.keys((await counters()).counters)) if (k.startsWith("touched.Dedup.")) touched.add(k);

    const out: Scenario[] = [];
    out.push(
      await measure("low-rate", LOW, LOW, async () => {
        for (let i = 0; i < LOW; i++) {
          const before = arrived.size;
          const base0 = (await counters()).counters["queue.ingest.delete"] ?? 0;
          await post(deliveryBody(seq++, 1));
          await waitArrived(before + 1);
          await settle(ingestDone(base0 + 1));
        }
      }),
    );
    out.push(
      await measure("full-batches", FULL, FULL, async () => {
        const before = arrived.size;
        await sendAll(Array.from({ length: FULL }, () => deliveryBody(seq++, 1)), 32);
        await waitArrived(before + FULL);
        await settle(ingestDone(FULL));
      }),
    );
    out.push(
      await measure("five-per-delivery", FIVE, FIVE * 5, async () => {
        const before = arrived.size;
        await sendAll(Array.from({ length: FIVE }, () => deliveryBody(seq++, 5)), 32);
        await waitArrived(before + FIVE * 5);
        await settle(ingestDone(FIVE));
      }),
    );
    const originals = Array.from({ length: DUPES }, () => deliveryBody(seq++, 1));
    const beforeDupes = arrived.size;
    await sendAll(originals, 32);
    await waitArrived(beforeDupes + DUPES);
    await settle(() => true);
    out.push(
      await measure("duplicate", DUPES, 0, async () => {
        await sendAll(originals, 32);
        await settle(ingestDone(DUPES));
        if (arrived.size !== beforeDupes + DUPES) throw new Error("bench:cost: a duplicate delivery reached the sink");
      }),
    );
    // The expiry of every key the run committed (one per distinct event reaching the sink).
    await reset();
    await expire([...touched].map((k) => k.slice("touched.Dedup.".length)));
    const expiry = (await counters()).counters;
    const keys = arrived.size;
    console.error(`bench:cost [${config}] expiry of ${keys} keys on ${touched.size} shards`);
    for (const sc of out) {
      sc.expiry = { keysInRun: keys, share: sc.events / keys, counters: expiry };
      for (const [k, v] of Object.entries(expiry)) {
        if (k.startsWith("touched.")) continue;
        sc.counters[k] = (sc.counters[k] ?? 0) + (v * sc.events) / keys;
      }
    }
    return out;
  } finally {
    await worker.dispose();
    await sink.stop();
    await emulator.stop();
  }
}

async function main(): Promise<void> {
  const load = loadAverageNow();
  const results: Record<string, Scenario[]> = {};
  for (const config of chosen) results[config] = await run(config);
  const date = new Date().toISOString().slice(0, 10);
  const machine = machineInfo(WORKERD, ROOT, load);
  const md = markdown(args.label, date, results, machine);
  if (!args["no-write"]) {
    const base = join(ROOT, "bench/results", `${date}-cost-${args.label}`);
    const priced = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.map((s) => ({ ...s, ...price(s) }))]));
    writeFileSync(`${base}.json`, JSON.stringify({ benchmark: "cost", label: args.label, date, machine, prices: PRICES, results: priced }, null, 2) + "\n");
    writeFileSync(`${base}.md`, md);
    console.error(`bench:cost: wrote ${base}.json and .md`);
  }
  console.log(md);
  const head = results[chosen[0]!]!;
  const full = price(head.find((s) => s.name === "full-batches")!).total;
  const low = price(head.find((s) => s.name === "low-rate")!).total;
  console.log(`cost per million events: full batches $${full.toFixed(2)}, low rate $${low.toFixed(2)}`);
}

await main();
