/**
 * examples/consumer-worker run for real: `wrangler dev` in its folder, as a child process (what a
 * user types), on the same dev registry as the receiver so it consumes the receiver's local
 * `aae-events` queue. Used by `npm start -- --consumer` and by the test that proves it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const CONSUMER_DIR = `${ROOT}examples/consumer-worker`;
const WRANGLER = `${ROOT}node_modules/.bin/wrangler`;

export interface ConsumerProcess {
  child: ChildProcess;
  /** Every stdout/stderr line so far. */
  lines: string[];
  /** Resolves with the first line matching `re` (already printed or still to come). */
  waitFor(re: RegExp): Promise<string>;
  stop(): Promise<void>;
}

export function startConsumerWorker(opts: { port: number; registry: string; onLine?: (line: string) => void }): ConsumerProcess {
  const child = spawn(WRANGLER, ["dev", "--ip", "127.0.0.1", "--port", String(opts.port), "--inspector-port", "0", "--show-interactive-dev-session=false"], {
    cwd: CONSUMER_DIR,
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_DEV_REGISTRY_PATH: opts.registry,
      // Its "Ready on" line (info) and the Worker's console.log lines (log) must print; the receiver's
      // launcher may have set a quieter level in this process's environment.
      WRANGLER_LOG: "log",
      FORCE_COLOR: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const onData = (buf: Buffer): void => {
    for (const line of buf.toString("utf8").split(/\r?\n/)) {
      if (line.trim() === "") continue;
      lines.push(line);
      opts.onLine?.(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.re.test(line)) waiters.splice(i, 1)[0]!.resolve(line);
      }
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    lines,
    waitFor(re: RegExp): Promise<string> {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ re, resolve });
        void exited.then(() => reject(new Error(`consumer worker exited before printing ${re}:\n${lines.slice(-30).join("\n")}`)));
      });
    },
    async stop(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
      await exited;
    },
  };
}
