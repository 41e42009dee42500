/**
 * Starts bare `workerd serve` on a generated config and stops it again: the process this
 * benchmark starts is the only one it ever signals, by its own pid.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { createServer } from "node:net";

export interface WorkerdHandle {
  child: ChildProcess;
  logPath: string;
  stop: () => Promise<void>;
}

/** A free loopback port (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr !== null ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

export function startWorkerd(bin: string, configPath: string, env: NodeJS.ProcessEnv, logPath: string): WorkerdHandle {
  const log = createWriteStream(logPath);
  const child = spawn(bin, ["serve", configPath, "--verbose"], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    log.end();
  };
  return { child, logPath, stop };
}

/** Poll `urls` until each answers 200, or throw (with the log's tail) after `timeoutMs`. */
export async function waitReady(handle: WorkerdHandle, urls: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const url of urls) {
    for (;;) {
      if (handle.child.exitCode !== null) {
        throw new Error(`workerd exited with ${handle.child.exitCode}:\n${tail(handle.logPath, 30)}`);
      }
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`workerd not ready at ${url}:\n${tail(handle.logPath, 30)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
