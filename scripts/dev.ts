/**
 * `npm run dev`: the receiver Worker alone (workerd via wrangler's `unstable_startWorker`, local
 * KV / Durable Objects / Queues persisted in `.wrangler/state`), with its settings from
 * `.dev.vars`. Unlike `npx wrangler dev`, EVERY line of the file reaches the Worker: the optional
 * management credentials and per-app secrets too (scripts/settings.ts says why). Reloads when
 * src/ or wrangler.toml change (`--no-watch` to turn that off: a reload drops queue messages not
 * yet consumed, because local Queues live in memory). Ctrl-C stops it.
 *
 * Options: --port N (default 8787; 0 = any free port), --env-file PATH (default .dev.vars),
 * --persist-to DIR (default .wrangler/state), --no-watch.
 */
import { existsSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, startReceiver } from "../test/e2e/harness.ts";
import { readLocalSettings, wranglerDevRegistryPath } from "./settings.ts";

const HELP = `Usage: npm run dev [-- --port N] [-- --env-file PATH] [-- --persist-to DIR] [-- --no-watch]
  The receiver Worker on http://127.0.0.1:8787 with every setting of .dev.vars
  (cp .dev.vars.example .dev.vars first: it points at the X emulator, npm run emulator).`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" }, "env-file": { type: "string" }, "persist-to": { type: "string" },
      "no-watch": { type: "boolean" }, help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  process.env.WRANGLER_SEND_METRICS ??= "false";
  const envFile = values["env-file"] ?? ".dev.vars";
  const envPath = isAbsolute(envFile) ? envFile : resolve(process.cwd(), envFile);
  if (!existsSync(envPath)) {
    console.error(`npm run dev: ${envFile} not found. Copy the example (it points at the local X emulator):\n  cp .dev.vars.example .dev.vars`);
    return 1;
  }
  const port = Number(values.port ?? "8787");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`npm run dev: --port must be a port number (got ${values.port ?? ""})`);
    return 2;
  }
  const shown = relative(ROOT, envPath).startsWith("..") ? envPath : relative(ROOT, envPath);
  const settings = readLocalSettings(envPath, shown, `${ROOT}wrangler.toml`);
  const worker = await startReceiver({
    vars: settings.vars,
    secrets: settings.secrets,
    port,
    persistTo: values["persist-to"] ?? `${ROOT}.wrangler/state`,
    logLevel: "info",
    watch: values["no-watch"] !== true,
    registry: wranglerDevRegistryPath(),
  });
  console.log([
    `Receiver ready on ${worker.url} (webhook ${worker.url}/webhooks/<app>, admin ${worker.url}/admin, dashboard ${worker.url}/dashboard)`,
    `Settings from ${shown}: secrets ${Object.keys(settings.secrets).sort().join(", ") || "(none)"} (values not shown); vars ${Object.keys(settings.vars).sort().join(", ")}.`,
    `X's API: ${settings.vars.X_API_BASE_URL ?? "https://api.x.com (wrangler.toml)"}. Ctrl-C stops.`,
  ].join("\n"));
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await worker.dispose().catch(() => undefined);
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  return -1; // keep running
}

main().then((code) => {
  if (code >= 0) process.exit(code);
}, (err: unknown) => {
  console.error(`npm run dev failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
