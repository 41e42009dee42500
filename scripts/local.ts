/**
 * `npm start`: the whole thing on loopback, no accounts. Starts the X emulator (8788, real-time
 * clock, demo world), a sink that verifies and prints every forwarded envelope (8789), and the
 * receiver Worker (8787, workerd via wrangler's `unstable_startWorker`); registers the webhook
 * (the emulator runs X's CRC against the Worker), subscribes demo users alice and bob, and prints
 * what to try next. `--demo` also fires a few sample events. Ctrl-C stops everything.
 *
 * Settings come from `.dev.vars` if present, else `.dev.vars.example` (the emulator's demo app).
 * X_API_BASE_URL and FORWARD_URL are always the local emulator and sink: that is the point.
 *
 * The Worker's local state (KV, Durable Objects) persists in `.wrangler/state` like `wrangler
 * dev`'s; the emulator's does not, so each start registers a fresh webhook and re-syncs the
 * receiver's registry with it (`--fresh` wipes the Worker's local state first).
 */
import { existsSync, rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { startEmulator, type RunningEmulator } from "../emulator/index.ts";
import { DEMO_USERS, ROOT, startReceiver } from "../test/e2e/harness.ts";
import { startSink, type Sink } from "../test/e2e/sink.ts";
import { startConsumerWorker } from "./consumer-process.ts";
import { adminTokenExpression, readLocalSettings, wranglerDevRegistryPath, type LocalSettings } from "./settings.ts";
import { formatRecord } from "./sink.ts";

const PORTS = { worker: 8787, emulator: 8788, sink: 8789, consumer: 8790 } as const;
const HOST = "127.0.0.1";
const STATE_DIR = `${ROOT}.wrangler/state`;

function loadSettings(): LocalSettings {
  const file = existsSync(`${ROOT}.dev.vars`) ? ".dev.vars" : ".dev.vars.example";
  // Without a .dev.vars the fix of a missing secret still says to put it in one (copied from the example).
  return readLocalSettings(`${ROOT}${file}`, file, `${ROOT}wrangler.toml`, ".dev.vars");
}

const c = {
  bold: (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s),
  dim: (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s),
};

async function adminCall(base: string, token: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${base}${path}`, init);
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json.error ?? json)}`);
  return json;
}

function nextSteps(workerUrl: string, emulatorUrl: string, file: string, token: string, consumer: boolean): string {
  const { alice, bob } = DEMO_USERS;
  const ev = (json: string): string => `  curl -s -X POST ${emulatorUrl}/_emulator/events -H 'content-type: application/json' -d '${json}'`;
  const tokenHint = file === ".dev.vars" ? "ADMIN_TOKEN in your .dev.vars" : token;
  return [
    c.bold("Make activity happen (alice and bob are subscribed):"),
    ev(`{"type":"tweet","user_id":"${alice.id}","text":"hello @bob","mention_ids":["${bob.id}"]}`),
    ev(`{"type":"favorite","user_id":"${bob.id}","tweet_author_id":"${alice.id}"}`),
    ev(`{"type":"direct_message","sender_id":"${bob.id}","recipient_id":"${alice.id}","text":"hi!"}`),
    ev(`{"type":"follow","source_id":"${bob.id}","target_id":"${alice.id}"}`),
    c.dim("  (also tweet_delete, unfollow, block, mute, typing, read, revoke, raw: docs/emulator.md)"),
    "",
    c.bold("Look inside (paste from the repository root, in another terminal):"),
    `  ${workerUrl}/dashboard      ${c.dim(`# in a browser; admin token: ${tokenHint}`)}`,
    `  curl -s ${emulatorUrl}/_emulator/deliveries        ${c.dim("# what X sent and what the receiver answered")}`,
    `  export AAE_URL=${workerUrl} AAE_ADMIN_TOKEN=${adminTokenExpression(file, token)}`,
    `  curl -s -H "Authorization: Bearer $AAE_ADMIN_TOKEN" ${workerUrl}/admin/apps/default`,
    "  npx account-activity-edge status",
    "  npx account-activity-edge subscriptions list",
    "  npx account-activity-edge webhook recheck",
    "",
    c.dim(consumer
      ? "Envelopes print below as they arrive: \"sink\" lines from FORWARD_URL, \"consumer\" lines from examples/consumer-worker on aae-events. Ctrl-C stops everything."
      : "Envelopes print below as they arrive (npm start -- --consumer also runs examples/consumer-worker on aae-events). Ctrl-C stops everything."),
  ].join("\n");
}

async function fireDemo(x: RunningEmulator): Promise<void> {
  const { alice, bob, carol } = DEMO_USERS;
  const events: Record<string, unknown>[] = [
    { type: "tweet", user_id: alice.id, text: "Hello from the local demo, @bob!", mention_ids: [bob.id] },
    { type: "favorite", user_id: bob.id, tweet_author_id: alice.id },
    { type: "follow", source_id: carol.id, target_id: alice.id },
    { type: "direct_message", sender_id: bob.id, recipient_id: alice.id, text: "Did you get my mention?" },
    { type: "typing", sender_id: alice.id, recipient_id: bob.id },
  ];
  for (const e of events) {
    const r = await x.emit(e);
    const statuses = r.deliveries.map((d) => d.status ?? d.outcome).join(", ");
    console.log(c.dim(`demo: emitted ${String(e.type)}: X delivered ${r.deliveries.length} (answers: ${statuses || "none"})`));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { demo: { type: "boolean" }, fresh: { type: "boolean" }, watch: { type: "boolean" }, consumer: { type: "boolean" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    console.log(
      [
        "Usage: npm start [-- --demo] [-- --fresh] [-- --watch] [-- --consumer]",
        "  --demo   fire a few sample events after start",
        "  --fresh  wipe the Worker's local state (.wrangler/state) first",
        "  --consumer  also run examples/consumer-worker under wrangler dev (port 8790): it consumes",
        "           the local aae-events queue and prints a \"consumed ...\" line per envelope",
        "  --watch  rebuild and reload the Worker when src/ or wrangler.toml changes. A reload drops",
        "           queue messages not yet consumed: local Queues live in memory (Cloudflare's do not)",
      ].join("\n"),
    );
    return;
  }
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  process.env.WRANGLER_SEND_METRICS ??= "false";
  if (values.fresh) rmSync(STATE_DIR, { recursive: true, force: true });

  const { file, vars: fileVars, secrets: fileSecrets } = loadSettings();
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const stopAll = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    }
    process.exit(code);
  };
  process.once("SIGINT", () => void stopAll(0));
  process.once("SIGTERM", () => void stopAll(0));

  try {
    const emulator = await startEmulator({ port: PORTS.emulator, host: HOST, clock: { scale: 1 } });
    stops.push(() => emulator.stop());
    const forwardSecret = fileSecrets.FORWARD_SECRET ?? "";
    const sink: Sink = await startSink({ secret: forwardSecret, port: PORTS.sink, host: HOST, onReceive: (r) => console.log(formatRecord(r)) });
    stops.push(() => sink.stop());

    const vars: Record<string, string> = { ...fileVars };
    const secrets: Record<string, string> = { ...fileSecrets };
    vars.X_API_BASE_URL = emulator.url;
    vars.FORWARD_URL = sink.url;
    const registry = wranglerDevRegistryPath();
    const worker = await startReceiver({ vars, secrets, port: PORTS.worker, persistTo: STATE_DIR, logLevel: "warn", watch: values.watch ?? false, registry });
    stops.push(() => worker.dispose());
    if (values.consumer) {
      const consumer = startConsumerWorker({
        port: PORTS.consumer,
        registry: process.env.CLOUDFLARE_DEV_REGISTRY_PATH || registry,
        onLine: (line) => { if (/consumed |retrying message|dropping message|ERROR|Uncaught/.test(line)) console.log(`${c.dim("consumer")} ${line}`); },
      });
      stops.push(() => consumer.stop());
      await consumer.waitFor(/Ready on/);
    }

    const adminToken = secrets.ADMIN_TOKEN ?? "";
    const registered = await adminCall(worker.url, adminToken, "POST", "/admin/apps/default/webhooks", { url: `${worker.url}/webhooks/default` });
    const webhook = registered.webhook as { id: string; valid: boolean };
    // The emulator is new on every start: drop webhooks the persisted registry remembers from before.
    await adminCall(worker.url, adminToken, "GET", "/admin/apps/default/webhooks");
    for (const u of [DEMO_USERS.alice, DEMO_USERS.bob]) {
      await adminCall(worker.url, adminToken, "POST", "/admin/apps/default/subscriptions", { user_id: u.id, token: u.token, secret: u.secret });
    }

    console.log(
      [
        "",
        c.bold("account-activity-edge, locally") + c.dim(` (settings from ${file})`),
        `  receiver   ${worker.url}   webhook ${worker.url}/webhooks/default`,
        `  X emulator ${emulator.url}   (demo apps and users: docs/emulator.md)`,
        `  sink       ${sink.url}   (verifies Standard Webhooks signatures, prints envelopes)`,
        "",
        `Webhook ${webhook.id} registered: X's CRC ${webhook.valid ? "passed" : "FAILED"}. Subscribed alice (${DEMO_USERS.alice.id}) and bob (${DEMO_USERS.bob.id}).`,
        "",
        nextSteps(worker.url, emulator.url, file, adminToken, values.consumer === true),
        "",
      ].join("\n"),
    );
    if (values.demo) await fireDemo(emulator);
  } catch (err) {
    console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof Error && /EADDRINUSE/.test(err.message)) console.error(`A port (${Object.values(PORTS).join(", ")}) is taken: is another npm start or npm run dev running?`);
    await stopAll(1);
  }
}

await main();
