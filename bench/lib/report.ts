/**
 * The hot-path result as data (what bench/results/*.json holds) and as the Markdown summary
 * next to it. Pure: the result in, text out.
 */
import type { MachineInfo } from "./machine.ts";
import { round } from "./stats.ts";

export const SCENARIOS = ["floor-get", "crc-get", "floor-post", "floor-post-send", "signed-post"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const SCENARIO_LABELS: Record<ScenarioName, string> = {
  "floor-get": "floor GET (HMAC of the token only)",
  "crc-get": "CRC GET (the Worker)",
  "floor-post": "floor POST (HMAC verify only)",
  "floor-post-send": "floor POST + the same INGEST send (diagnostic)",
  "signed-post": "signed POST + INGEST send (the Worker)",
};

export interface RunFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  ok: number;
  errors: number;
  unexpected: Record<string, number>;
  /** signed-post and floor-post-send: messages the INGEST sink received during the run. */
  ingestSends?: number;
}

export interface ScenarioResult {
  label: string;
  /** Median over runs of each figure separately. */
  median: { rps: number; p50Ms: number; p99Ms: number };
  runs: RunFigures[];
}

export interface Ratio {
  value: number;
  target: number;
  pass: boolean;
}

export interface HotPathResult {
  benchmark: "hot-path";
  date: string;
  machine: MachineInfo;
  load: {
    generator: string;
    concurrency: number;
    durationSeconds: number;
    warmupSeconds: number;
    runs: number;
    postBodyBytes: number;
    crcTokens: number;
    distinctBodies: number;
    /** Where the Queue/KV stand-ins ran: a second workerd ("process") or the same one ("inline"). */
    sinks: "process" | "inline";
  };
  scenarios: Partial<Record<ScenarioName, ScenarioResult>>;
  ratios: { crcOverFloorGet?: Ratio; postOverFloorPost?: Ratio };
  /** No target: signed POST / (floor POST + the same send); what the Worker's code costs beyond the send. */
  diagnostics: { postOverFloorPostSend?: number };
  /** Every 200 to a signed POST was backed by an INGEST send (sink count >= ok count). */
  ingestConsistent: boolean | null;
  workerdLogErrorLines: number;
  notes: string[];
}

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? round(n, digits).toFixed(digits) : "n/a";
}

export function renderMarkdown(r: HotPathResult): string {
  const m = r.machine;
  const rows = SCENARIOS.flatMap((name) => {
    const s = r.scenarios[name];
    if (s === undefined) return [];
    const perRun = s.runs.map((x) => fmt(x.rps, 0)).join(" / ");
    const errors = s.runs.reduce((a, x) => a + x.errors, 0);
    return [
      `| ${s.label} | ${fmt(s.median.rps, 0)} | ${fmt(s.median.p50Ms, 2)} | ${fmt(s.median.p99Ms, 2)} | ${perRun} | ${errors} |`,
    ];
  });
  const ratio = (name: string, x: Ratio | undefined): string =>
    x === undefined ? `| ${name} | n/a | | |` : `| ${name} | ${fmt(x.value, 2)} | >= ${x.target} | ${x.pass ? "pass" : "FAIL"} |`;
  return `# Hot-path benchmark, ${r.date.slice(0, 10)}

Bare \`workerd serve\` on 127.0.0.1, the built Worker and a floor Worker (HMAC only) in the same
process; closed-loop keep-alive load from Node (${r.load.generator}).

| scenario | req/s (median) | p50 ms | p99 ms | req/s per run | errors |
| --- | ---: | ---: | ---: | --- | ---: |
${rows.join("\n")}

| ratio | value | target | |
| --- | ---: | --- | --- |
${ratio("CRC GET / floor GET", r.ratios.crcOverFloorGet)}
${ratio("signed POST with enqueue / floor POST", r.ratios.postOverFloorPost)}
| signed POST / floor POST + send (diagnostic) | ${fmt(r.diagnostics.postOverFloorPostSend ?? Number.NaN, 2)} | none | |

- Every 200 to a signed POST backed by an INGEST send: ${r.ingestConsistent === null ? "not measured" : r.ingestConsistent ? "yes" : "NO"}.
- workerd log lines mentioning an error during the run: ${r.workerdLogErrorLines}.

## Setup

- Machine: ${m.nproc} cores, ${m.cpuModel}, ${m.memoryGiB} GiB RAM, Linux ${m.kernel}; load average ${m.loadAverageAtStart} when the run started.
- ${m.workerd}; Node ${m.node}; commit ${m.git === null ? "unknown" : `${m.git.commit}${m.git.dirty ? " (working tree modified)" : ""}`}.
- Load: ${r.load.concurrency} connections, ${r.load.runs} runs x ${r.load.durationSeconds} s per scenario after
  ${r.load.warmupSeconds} s of warm-up each, runs interleaved across scenarios; median of the runs reported.
- POST body: \`tweet_create_events\`, ${r.load.postBodyBytes} bytes, ${r.load.distinctBodies} distinct signed bodies;
  ${r.load.crcTokens} distinct CRC tokens.
- Queue and KV stand-ins (bench/workers/stubs.ts): ${r.load.sinks === "process" ? "in a second workerd process, reached over loopback HTTP" : "inline, in the same workerd as the Worker"}.

${r.notes.map((n) => `- ${n}`).join("\n")}
`;
}
