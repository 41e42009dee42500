/**
 * `npm run bench`: the receiver's hot path under bare `workerd serve`, against the runtime's floor.
 *
 * Builds the Worker (`wrangler deploy --dry-run`), serves it and a floor Worker (HMAC only) from
 * one workerd process on 127.0.0.1 with local stand-ins for Queues and KV, checks both answer
 * correctly, then loads four scenarios (floor GET, CRC GET, floor POST, signed POST + enqueue),
 * plus one diagnostic (floor POST + the same queue send, which prices the send alone), and writes bench/results/<date>-hot-path.{json,md}. Not `wrangler dev`: its proxy layers cost
 * more than the Worker does and would hide it.
 *
 * Loopback only, bounded (runs, duration and concurrency are capped) and stops by itself; the
 * only process it signals is the workerd it started.
 *
 *   npm run bench -- [--runs 3] [--duration 10] [--warmup 3] [--concurrency 16]
 *                    [--only floor-get,floor-post] [--sinks process|inline] [--skip-build] [--no-write]
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildWorker, stripWorker, workerModules } from "./lib/build.ts";
import { runLoad, type LoadRequest } from "./lib/load.ts";
import { loadAverageNow, machineInfo } from "./lib/machine.ts";
import { benchSecret, crcToken, tweetCreateBody, xSignature } from "./lib/payload.ts";
import { SCENARIOS, SCENARIO_LABELS, renderMarkdown, type HotPathResult, type RunFigures, type ScenarioName } from "./lib/report.ts";
import { median, round } from "./lib/stats.ts";
import {
  ingestServiceName,
  renderStubsConfig,
  renderWorkerdConfig,
  secretEnvName,
  stubServices,
  type WorkerdConfigInput,
} from "./lib/workerd-config.ts";
import { freePort, startWorkerd, waitReady, type WorkerdHandle } from "./lib/workerd-process.ts";
import { readWorkerBindings } from "./lib/wrangler-toml.ts";
import { checkFloor, checkWorker, ingestCount } from "./lib/preflight.ts";

const LOAD_AT_START = loadAverageNow();
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const TMP = join(ROOT, "bench/.tmp");
const WORKERD = join(ROOT, "node_modules/.bin/workerd");
const APP = "default";
const BODY_BYTES = 2048;
const TARGETS = { crcOverFloorGet: 0.9, postOverFloorPost: 0.6 } as const;

function intArg(value: string | undefined, fallback: number, min: number, max: number, name: string): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number in ${min}..${max}`);
  return n;
}

const { values: args } = parseArgs({
  options: {
    runs: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    concurrency: { type: "string" },
    only: { type: "string" },
    "skip-build": { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    sinks: { type: "string", default: "process" },
  },
});
const RUNS = intArg(args.runs, 3, 1, 10, "runs");
const DURATION_S = intArg(args.duration, 10, 1, 60, "duration");
const WARMUP_S = intArg(args.warmup, 3, 0, 30, "warmup");
const CONCURRENCY = intArg(args.concurrency, 16, 1, 256, "concurrency");
const ONLY = args.only === undefined ? [...SCENARIOS] : args.only.split(",").map((s) => s.trim());
for (const s of ONLY) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--only: unknown scenario ${s}`);
const SINKS: "process" | "inline" = args.sinks === "inline" ? "inline" : "process";
if (args.sinks !== "process" && args.sinks !== "inline") throw new Error("--sinks must be process or inline");
const SELECTED = SCENARIOS.filter((s) => ONLY.includes(s));
const usesWorker = SELECTED.includes("crc-get") || SELECTED.includes("signed-post");

function logErrorLines(path: string): number {
  try {
    return readFileSync(path, "utf8").split("\n").filter((l) => /error|exception|uncaught/i.test(l)).length;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const placeholder = readFileSync(join(ROOT, "src/webhook/routes.ts"), "utf8").includes("PLACEHOLDER");
  if (placeholder && usesWorker) {
    throw new Error("src/webhook/routes.ts is still the PLACEHOLDER: run with --only floor-get,floor-post");
  }
  mkdirSync(TMP, { recursive: true });
  if (!args["skip-build"]) {
    console.log("building the Worker (wrangler deploy --dry-run) ...");
    buildWorker(ROOT, join(TMP, "build"));
  }
  const bindings = readWorkerBindings(readFileSync(join(ROOT, "wrangler.toml"), "utf8"));
  const ports = { worker: await freePort(), floor: await freePort(), floorSend: await freePort() };
  const stubsModulePath = stripWorker(ROOT, TMP, "stubs");
  const ingestService = ingestServiceName(bindings);
  let stubs: WorkerdConfigInput["stubs"];
  let sinkPort: number;
  if (SINKS === "process") {
    const stubPorts: Record<string, number> = {};
    for (const st of stubServices(bindings)) stubPorts[st.name] = await freePort();
    stubs = { mode: "process", ports: stubPorts };
    sinkPort = stubPorts[ingestService]!;
    writeFileSync(join(TMP, "stubs.capnp"), renderStubsConfig(bindings, stubsModulePath, stubPorts));
  } else {
    sinkPort = await freePort();
    stubs = { mode: "inline", ingestAdminPort: sinkPort };
  }
  const configPath = join(TMP, "workerd.capnp");
  writeFileSync(
    configPath,
    renderWorkerdConfig({
      bindings,
      // Outbound calls go nowhere anyway (blackhole); this keeps X's host out of the run entirely.
      varOverrides: { APPS: "", X_API_BASE_URL: "http://127.0.0.1:9", FORWARD_URL: "", ALERT_URL: "" },
      workerModules: workerModules(join(TMP, "build"), "build"),
      floorModulePath: stripWorker(ROOT, TMP, "floor"),
      stubsModulePath,
      ports,
      stubs,
    }),
  );
  const secrets: Record<string, string> = {};
  for (const s of new Set([...bindings.secrets, "X_CONSUMER_SECRET"])) secrets[secretEnvName(s)] = benchSecret();
  const secret = secrets[secretEnvName("X_CONSUMER_SECRET")]!;
  const sink = `http://127.0.0.1:${sinkPort}`;

  const handles: WorkerdHandle[] = [];
  const stopAll = async (): Promise<void> => {
    for (const h of handles.reverse()) await h.stop();
  };
  const onSignal = (): void => void stopAll().then(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (SINKS === "process") {
      const st = startWorkerd(WORKERD, join(TMP, "stubs.capnp"), { ...process.env }, join(TMP, "workerd-stubs.log"));
      handles.push(st);
      await waitReady(st, [`${sink}/__bench/count`], 20_000);
    }
    const main = startWorkerd(WORKERD, configPath, { ...process.env, ...secrets }, join(TMP, "workerd.log"));
    handles.push(main);
    const origin = {
      worker: `http://127.0.0.1:${ports.worker}`,
      floor: `http://127.0.0.1:${ports.floor}`,
      floorSend: `http://127.0.0.1:${ports.floorSend}`,
    };
    await waitReady(main, [`${origin.floor}/healthz`, ...(usesWorker ? [`${origin.worker}/healthz`] : [])], 20_000);
    await run(origin, sink, secret, handles.map((h) => h.logPath));
  } finally {
    await stopAll();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function run(origin: { worker: string; floor: string; floorSend: string }, sink: string, secret: string, logPaths: string[]): Promise<void> {
  const path = `/webhooks/${APP}`;
  const tokens = Array.from({ length: 256 }, () => crcToken());
  const bodies = Array.from({ length: 64 }, (_, i) => {
    const body = tweetCreateBody(i, BODY_BYTES);
    return { body, signature: xSignature(secret, body) };
  });
  const bodyBytes = Buffer.byteLength(bodies[0]!.body);

  await checkFloor(origin.floor, path, secret);
  if (SELECTED.includes("floor-post-send")) await checkFloor(origin.floorSend, path, secret);
  if (usesWorker) await checkWorker(origin.worker, sink, path, secret);
  console.log("preflight ok: both Workers answer CRC and signed POSTs correctly");

  const get = (i: number): LoadRequest => ({ method: "GET", path: `${path}?crc_token=${tokens[i % tokens.length]}` });
  const post = (i: number): LoadRequest => {
    const b = bodies[i % bodies.length]!;
    return {
      method: "POST",
      path,
      headers: { "content-type": "application/json", "x-twitter-webhooks-signature": b.signature },
      body: b.body,
    };
  };
  const plan: Record<ScenarioName, { origin: string; next: (i: number) => LoadRequest }> = {
    "floor-get": { origin: origin.floor, next: get },
    "crc-get": { origin: origin.worker, next: get },
    "floor-post": { origin: origin.floor, next: post },
    "floor-post-send": { origin: origin.floorSend, next: post },
    "signed-post": { origin: origin.worker, next: post },
  };
  const once = async (name: ScenarioName, seconds: number): Promise<RunFigures> => {
    const sends = name === "signed-post" || name === "floor-post-send";
    const before = sends ? await ingestCount(sink) : 0;
    const r = await runLoad({ ...plan[name], concurrency: CONCURRENCY, durationMs: seconds * 1000, expectStatus: 200 });
    const figures: RunFigures = {
      rps: round(r.rps, 1),
      p50Ms: round(r.p50Ms, 3),
      p99Ms: round(r.p99Ms, 3),
      maxMs: round(r.maxMs, 3),
      ok: r.ok,
      errors: r.errors,
      unexpected: r.unexpected,
    };
    if (sends) figures.ingestSends = (await ingestCount(sink)) - before;
    return figures;
  };

  if (WARMUP_S > 0) {
    for (const name of SELECTED) {
      console.log(`warm-up ${name} (${WARMUP_S} s)`);
      await once(name, WARMUP_S);
    }
  }
  const runs: Partial<Record<ScenarioName, RunFigures[]>> = {};
  for (let r = 1; r <= RUNS; r++) {
    for (const name of SELECTED) {
      const f = await once(name, DURATION_S);
      (runs[name] ??= []).push(f);
      console.log(`run ${r}/${RUNS} ${name}: ${f.rps.toFixed(0)} req/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, errors ${f.errors}`);
    }
  }

  const result = buildResult(runs, bodyBytes, tokens.length, bodies.length, logPaths.reduce((n, p) => n + logErrorLines(p), 0));
  console.log("\n" + renderMarkdown(result));
  const complete = SELECTED.length === SCENARIOS.length;
  if (args["no-write"] || !complete) {
    console.log(complete ? "--no-write: results not saved" : "partial run (--only): results not saved");
    return;
  }
  const outDir = join(ROOT, "bench/results");
  mkdirSync(outDir, { recursive: true });
  const stem = join(outDir, `${result.date.slice(0, 10)}-hot-path`);
  writeFileSync(`${stem}.json`, JSON.stringify(result, null, 2) + "\n");
  writeFileSync(`${stem}.md`, renderMarkdown(result));
  console.log(`wrote ${relative(ROOT, stem)}.json and .md`);
}

function buildResult(
  runs: Partial<Record<ScenarioName, RunFigures[]>>,
  bodyBytes: number,
  crcTokens: number,
  distinctBodies: number,
  workerdLogErrorLines: number,
): HotPathResult {
  const scenarios: HotPathResult["scenarios"] = {};
  for (const name of SELECTED) {
    const rs = runs[name] ?? [];
    scenarios[name] = {
      label: SCENARIO_LABELS[name],
      median: {
        rps: round(median(rs.map((x) => x.rps)), 1),
        p50Ms: round(median(rs.map((x) => x.p50Ms)), 3),
        p99Ms: round(median(rs.map((x) => x.p99Ms)), 3),
      },
      runs: rs,
    };
  }
  const ratio = (a: ScenarioName, b: ScenarioName, target: number): HotPathResult["ratios"]["crcOverFloorGet"] => {
    const x = scenarios[a];
    const y = scenarios[b];
    if (x === undefined || y === undefined) return undefined;
    const value = round(x.median.rps / y.median.rps, 3);
    return { value, target, pass: value >= target };
  };
  const ratios: HotPathResult["ratios"] = {};
  const crc = ratio("crc-get", "floor-get", TARGETS.crcOverFloorGet);
  const post = ratio("signed-post", "floor-post", TARGETS.postOverFloorPost);
  if (crc !== undefined) ratios.crcOverFloorGet = crc;
  if (post !== undefined) ratios.postOverFloorPost = post;
  const sp = scenarios["signed-post"]?.runs;
  const fps = scenarios["floor-post-send"]?.median.rps;
  const spRps = scenarios["signed-post"]?.median.rps;
  const diagnostics: HotPathResult["diagnostics"] = {};
  if (fps !== undefined && spRps !== undefined) diagnostics.postOverFloorPostSend = round(spRps / fps, 3);
  return {
    benchmark: "hot-path",
    date: new Date().toISOString(),
    machine: machineInfo(WORKERD, ROOT, LOAD_AT_START),
    load: {
      generator: "undici Pool, closed loop, keep-alive, no pipelining",
      concurrency: CONCURRENCY,
      durationSeconds: DURATION_S,
      warmupSeconds: WARMUP_S,
      runs: RUNS,
      postBodyBytes: bodyBytes,
      crcTokens,
      distinctBodies,
      sinks: SINKS,
    },
    scenarios,
    ratios,
    diagnostics,
    ingestConsistent: sp === undefined ? null : sp.every((r) => (r.ingestSends ?? 0) >= r.ok),
    workerdLogErrorLines,
    notes: [
      "The load generator (one Node process) shares the machine's cores with workerd, so absolute req/s " +
        "is a lower bound for the runtime alone; the ratios compare like with like (same process, same load).",
      SINKS === "process"
        ? "Queues and KV are local stand-ins in a second workerd (its own thread): the Worker's thread pays its " +
          "side of a send (serialise, HTTP to loopback), as on Cloudflare where the queue is elsewhere; the sink " +
          "answers at once, so no Cloudflare Queues latency is included."
        : "Queues and KV are local stand-ins inline in the same workerd: the sink's own handling is charged to " +
          "the Worker's thread, which overstates the cost of a send.",
      "The floor imports the HMAC key once per isolate, as the Worker does, so both pay the same for keys.",
      "floor POST + INGEST send is a diagnostic, not a target: signed POST / floor-post-send is the share of " +
        "the POST gap that is the Worker's own code rather than the queue send.",
    ],
  };
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
