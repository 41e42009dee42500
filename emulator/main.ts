/**
 * `npm run emulator`: start the X emulator. Flags (or environment variables):
 *   --port / EMULATOR_PORT (default 8788)   --host / EMULATOR_HOST (default 127.0.0.1)
 *   --config / EMULATOR_CONFIG (JSON file)  --scale / EMULATOR_CLOCK_SCALE (default 1 = real time)
 *   --no-demo (start without the built-in demo apps and users)   --log (log each request)
 */
import { parseArgs } from "node:util";
import { startEmulator, type StartOptions } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    config: { type: "string" },
    scale: { type: "string" },
    "no-demo": { type: "boolean", default: false },
    log: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log("usage: npm run emulator -- [--port 8788] [--host 127.0.0.1] [--config emulator.json] [--scale 1] [--no-demo] [--log]");
  process.exit(0);
}

function number(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`emulator: ${name} must be a non-negative number, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

const options: StartOptions = {
  port: number("port", values.port ?? process.env.EMULATOR_PORT, 8788),
  host: values.host ?? process.env.EMULATOR_HOST ?? "127.0.0.1",
  log: values.log,
  clock: { scale: number("scale", values.scale ?? process.env.EMULATOR_CLOCK_SCALE, 1) },
};
const configFile = values.config ?? process.env.EMULATOR_CONFIG;
if (configFile) options.configFile = configFile;
if (values["no-demo"]) options.demo = false;

try {
  const emu = await startEmulator(options);
  console.log(`X emulator listening on ${emu.url}`);
  for (const app of emu.state.apps.values()) {
    console.log(
      `  app ${app.name} (${app.flavour}${app.envName ? `, env ${app.envName}` : ""}): consumer key ${app.consumerKey}, consumer secret ${app.consumerSecret}, bearer ${app.bearerToken}`,
    );
  }
  console.log(`  users: ${[...emu.state.users.values()].map((u) => `${u.screenName}=${u.id}`).join(", ")}`);
  console.log(`  control API: ${emu.url}/_emulator/  (see docs/emulator.md)`);
  const shutdown = (): void => {
    void emu.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
} catch (e) {
  console.error(`emulator: ${(e as Error).message}`);
  process.exit(1);
}
