/**
 * What the numbers were measured on: without the machine, the runtime version and the load
 * shape, a req/s figure cannot be compared with anything.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg, release, totalmem } from "node:os";

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  /** 1-minute load average when the run started: anything well above ~1.2 means others were busy. */
  loadAverageAtStart: number;
  node: string;
  workerd: string;
  git: { commit: string; dirty: boolean } | null;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    return m?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

function gitState(cwd: string): MachineInfo["git"] {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd, encoding: "utf8" }).trim();
    const status = execFileSync("git", ["status", "--porcelain"], { cwd, encoding: "utf8" });
    return { commit, dirty: status.trim() !== "" };
  } catch {
    return null;
  }
}

/** Sample before load starts: during the run the benchmark itself keeps the load near 1-1.5. */
export function loadAverageNow(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

export function machineInfo(workerdBin: string, repoRoot: string, loadAverageAtStart: number): MachineInfo {
  return {
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    loadAverageAtStart,
    node: process.version,
    workerd: execFileSync(workerdBin, ["--version"], { encoding: "utf8" }).trim(),
    git: gitState(repoRoot),
  };
}
