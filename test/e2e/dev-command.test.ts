/**
 * `npm run dev` started for real (a child process, as a user types it) with `.dev.vars.example`
 * pointed at the emulator: every secret of the file reaches the Worker, so it can register the
 * webhook (user context: X_CONSUMER_KEY + X_ACCESS_TOKEN + X_ACCESS_TOKEN_SECRET), list it
 * (bearer: X_BEARER_TOKEN) and subscribe a user. Plain `wrangler dev` dropped all four (only
 * `[secrets] required` names pass), and register answered 503 missing_credential.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { DEMO_USERS, ROOT } from "./harness.ts";

function settingsFile(dir: string, emulatorUrl: string, drop: string[] = []): string {
  const text = readFileSync(`${ROOT}.dev.vars.example`, "utf8")
    .replace(/^X_API_BASE_URL=.*$/m, `X_API_BASE_URL=${emulatorUrl}`)
    .replace(/^FORWARD_URL=.*$/m, "FORWARD_URL=")
    .split("\n").filter((l) => !drop.some((name) => l.startsWith(`${name}=`))).join("\n");
  const path = join(dir, drop.length === 0 ? "dev.vars" : "dev-partial.vars");
  writeFileSync(path, text);
  return path;
}

/** Start `npm run dev` and resolve with its URL once it prints "Receiver ready on". */
function startDev(envFile: string, state: string): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn("npm", ["run", "dev", "--", "--port", "0", "--env-file", envFile, "--persist-to", state, "--no-watch"], {
    cwd: ROOT, env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"], detached: true,
  });
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer): void => {
      out += b.toString("utf8");
      const m = /Receiver ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ url: m[1]!, child, output: () => out });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`npm run dev exited (${code}) before it was ready:\n${out}`)));
  });
}

async function stopDev(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid!, "SIGINT"); // the npm process group: npm, node scripts/dev.ts, workerd
  await exited;
}

describe("npm run dev with .dev.vars.example pointed at the emulator", () => {
  const dir = mkdtempSync(join(tmpdir(), "aae-npm-run-dev-"));
  let emulator: RunningEmulator;
  let dev: Awaited<ReturnType<typeof startDev>>;
  const token = "local-admin-token-change-me"; // ADMIN_TOKEN of .dev.vars.example
  const admin = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${dev.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } });

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, clock: { scale: 0 } });
    dev = await startDev(settingsFile(dir, emulator.url), join(dir, "state"));
  });
  afterAll(async () => {
    await stopDev(dev?.child);
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers the webhook, lists it and subscribes a user: every secret of the file reached the Worker", async () => {
    const reg = await admin("/admin/apps/default/webhooks", { method: "POST", body: JSON.stringify({ url: `${dev.url}/webhooks/default` }) });
    expect(reg.status, await reg.clone().text()).toBe(201);
    expect(((await reg.json()) as { webhook: { valid: boolean } }).webhook.valid).toBe(true);
    const list = await admin("/admin/apps/default/webhooks");
    expect(list.status).toBe(200);
    const { alice } = DEMO_USERS;
    const sub = await admin("/admin/apps/default/subscriptions", { method: "POST", body: JSON.stringify({ user_id: alice.id, token: alice.token, secret: alice.secret }) });
    expect(sub.status, await sub.clone().text()).toBeLessThan(300);
    expect([...emulator.state.webhooks.values()].map((w) => w.url)).toContain(`${dev.url}/webhooks/default`);
  });

  it("prints the secrets it passed by name, never their values", () => {
    const out = dev.output();
    expect(out).toMatch(/secrets .*X_BEARER_TOKEN/);
    expect(out).not.toContain("emulator-default-bearer-token");
    expect(out).not.toContain("emulator-default-consumer-secret");
  });
});

describe("npm run dev with a credential missing from the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "aae-npm-run-dev-missing-"));
  let emulator: RunningEmulator;
  let dev: Awaited<ReturnType<typeof startDev>>;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, clock: { scale: 0 } });
    dev = await startDev(settingsFile(dir, emulator.url, ["X_BEARER_TOKEN", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"]), join(dir, "state"));
  });
  afterAll(async () => {
    await stopDev(dev?.child);
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("says to add it to the settings file (the Worker knows it runs locally), not wrangler secret put alone", async () => {
    const res = await fetch(`${dev.url}/admin/apps/default/webhooks`, { headers: { authorization: "Bearer local-admin-token-change-me" } });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; fix: string } };
    expect(body.error.code).toBe("missing_credential");
    expect(body.error.fix).toMatch(/^Add X_BEARER_TOKEN=\.\.\. to .*dev-partial\.vars and restart npm run dev/);
  });
});
