/**
 * bench:cost's pricing and report: counted operations per event (per delivery for duplicates),
 * priced with the dated table in prices.ts, as the Markdown written to bench/results.
 */
import type { MachineInfo } from "./machine.ts";
import { PRICES } from "./prices.ts";

export type Counters = Record<string, number>;

export interface Scenario {
  name: string;
  deliveries: number;
  events: number;
  /** Counted in the scenario, plus its share of the run's expiry. */
  counters: Counters;
  cpuMs: number;
  /** The run's expiry pass and this scenario's share of it (its events / every key committed). */
  expiry?: { keysInRun: number; share: number; counters: Counters };
}

export interface Priced {
  perEvent: Record<string, number>;
  dollars: Record<string, number>;
  total: number;
}

/** Per event (per delivery for duplicates), and dollars per million of them. */
export function price(s: Scenario): Priced {
  const n = s.events > 0 ? s.events : s.deliveries;
  const c = s.counters;
  const sum = (re: RegExp) => Object.entries(c).filter(([k]) => re.test(k)).reduce((a, [, v]) => a + v, 0);
  const eventsWrites = c["queue.events.write_units"] ?? 0;
  const perEvent: Record<string, number> = {
    worker_invocations: (c["worker.invocations"] ?? 0) / n,
    queue_ops: (sum(/^queue\.[a-z_0-9]+\.(write|read|delete)_units$/) + 2 * eventsWrites) / n,
    do_requests: sum(/^do\.[A-Za-z]+\.requests$/) / n,
    sql_rows_read: sum(/^sql\.[A-Za-z]+\.rows_read$/) / n,
    sql_rows_written: (sum(/^sql\.[A-Za-z]+\.rows_written$/) + sum(/^do\.[A-Za-z]+\.set_alarm$/)) / n,
    kv_reads: (c["kv.read"] ?? 0) / n,
    kv_writes: ((c["kv.write"] ?? 0) + (c["kv.delete"] ?? 0) + (c["kv.list"] ?? 0)) / n,
    subrequests: (c["subrequests.fetch"] ?? 0) / n,
    cpu_ms: s.cpuMs / n,
  };
  // CPU is shown, not priced: the workerd process's time includes Miniflare's proxy, queue broker
  // and idle timers (at low rate mostly those), so it says nothing reliable about billed CPU.
  const dollars: Record<string, number> = {
    worker_invocations: perEvent.worker_invocations! * PRICES.workerRequestsPerMillion,
    queue_ops: perEvent.queue_ops! * PRICES.queueOpsPerMillion,
    do_requests: perEvent.do_requests! * PRICES.doRequestsPerMillion,
    sql_rows_read: perEvent.sql_rows_read! * PRICES.sqlRowsReadPerMillion,
    sql_rows_written: perEvent.sql_rows_written! * PRICES.sqlRowsWrittenPerMillion,
    kv: perEvent.kv_reads! * PRICES.kvReadsPerMillion + perEvent.kv_writes! * PRICES.kvWritesPerMillion,
  };
  return { perEvent, dollars, total: Object.values(dollars).reduce((a, b) => a + b, 0) };
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function markdown(label: string, date: string, results: Record<string, Scenario[]>, machine: MachineInfo): string {
  const lines = [
    `# Cost per event, ${label}, ${date}`,
    "",
    `git ${machine.git ? `${machine.git.commit}${machine.git.dirty ? " (dirty)" : ""}` : "unknown"}; prices as of ${PRICES.asOf} (bench/lib/prices.ts); Node ${machine.node}, workerd ${machine.workerd}, load average at start ${machine.loadAverageAtStart}.`,
    "",
    "Counted at the binding boundary (bench/workers/cost-entry.ts) over real Miniflare runs; per event (per delivery for `duplicate`). Queue operations in 64 KB units, including a bound EVENTS consumer's read and delete. SQLite rows from workerd's cursor counters (plus one per setAlarm). CPU: workerd process time per event, Miniflare's proxy, broker and idle timers included: shown, not priced (the Worker's own CPU is a few ms per event, $0.02 per million CPU-ms). The dedup expiry the keys cost later (their prune, or their bucket's drop) is measured once after the scenarios and spread over every key the run committed.",
    "",
  ];
  for (const [config, scenarios] of Object.entries(results)) {
    lines.push(`## ${config}`, "", "| scenario | deliveries | events | worker inv. | queue ops | DO requests | rows read | rows written | KV r/w | subreq. | CPU ms | $ / million |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const s of scenarios) {
      const p = price(s);
      const e = p.perEvent;
      lines.push(`| ${s.name} | ${s.deliveries} | ${s.events} | ${r3(e.worker_invocations!)} | ${r3(e.queue_ops!)} | ${r3(e.do_requests!)} | ${r3(e.sql_rows_read!)} | ${r3(e.sql_rows_written!)} | ${r3(e.kv_reads!)} / ${r3(e.kv_writes!)} | ${r3(e.subrequests!)} | ${r3(e.cpu_ms!)} | **${r2(p.total)}** |`);
    }
    lines.push("", "Dollars per million events by component:", "", "| scenario | workers | queues | DO requests | rows read | rows written | KV |", "| --- | --- | --- | --- | --- | --- | --- |");
    for (const s of scenarios) {
      const d = price(s).dollars;
      lines.push(`| ${s.name} | ${r2(d.worker_invocations!)} | ${r2(d.queue_ops!)} | ${r2(d.do_requests!)} | ${r2(d.sql_rows_read!)} | ${r2(d.sql_rows_written!)} | ${r2(d.kv!)} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

