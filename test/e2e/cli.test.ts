/**
 * The CLI (bin/account-activity-edge.ts) as a user runs it: a child process on Node 22 talking to
 * a live Worker's /admin API over HTTP, with the emulator as X. Exit codes 0 / 1 / 2 and --json.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SECRETS, ROOT, startStack, type Stack } from "./harness.ts";

const run = promisify(execFile);
const CLI = `${ROOT}/bin/account-activity-edge.ts`;

interface CliResult { code: number; stdout: string; stderr: string }

async function cli(stack: Stack | null, args: string[], token = DEMO_SECRETS.ADMIN_TOKEN!): Promise<CliResult> {
  const env = { ...process.env, AAE_URL: stack?.workerUrl ?? "http://127.0.0.1:9", AAE_ADMIN_TOKEN: token };
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("CLI against a live Worker and the emulator", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ forward: false });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("registers the webhook (X's CRC passes) and shows it valid with --json", async () => {
    const reg = await cli(stack, ["webhook", "register", "--webhook-url", stack.webhookUrl(), "--json"]);
    expect(reg.code, reg.stderr).toBe(0);
    const body = JSON.parse(reg.stdout) as { webhook?: { valid?: boolean; url?: string } };
    expect(body.webhook).toMatchObject({ valid: true, url: stack.webhookUrl() });
    expect([...stack.emulator.state.webhooks.values()].map((w) => w.url)).toContain(stack.webhookUrl());

    const status = await cli(stack, ["status", "--json"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(stack.webhookUrl());
  });

  it("exits 1 with X's reason when X refuses (a second webhook on the demo tier)", async () => {
    const again = await cli(stack, ["webhook", "register", "--webhook-url", `${stack.workerUrl}/webhooks/other`]);
    expect(again.code).toBe(1);
    expect(again.stderr + again.stdout).toMatch(/214|Too many resources|does not meet/);
  });

  it("exits 1 on a wrong admin token without echoing it", async () => {
    const res = await cli(stack, ["status"], "wrong-token-123");
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).not.toContain("wrong-token-123");
  });

  it("prints aligned tables by default (no 0:/1: keys) and dates absolute and relative", async () => {
    const list = await cli(stack, ["webhook", "list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(/^\s*0:/m);
    expect(list.stdout).toMatch(/^\s+id\s+url\s+valid/m);
    expect(list.stdout).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z \((just now|\d+ (s|min|h|d) ago)\)/);
    const status = await cli(stack, ["status"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^app\s+flavour\s+webhook/);
    expect(status.stdout).toMatch(/^default\s+v2\s+valid/m);
  });

  it("says when an operation changed nothing and exits 3 (removing a user who was never subscribed)", async () => {
    const res = await cli(stack, ["subscriptions", "remove", "1600000000000000004"]);
    expect(res.code, res.stderr).toBe(3);
    expect(res.stderr).toMatch(/nothing changed: This user was not subscribed/);
    expect(res.stdout).toMatch(/removed\s+no/);
    const json = await cli(stack, ["subscriptions", "remove", "1600000000000000004", "--json"]);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ removed: false });
  });

  it("exits 2 on a usage error, naming it", async () => {
    const res = await cli(stack, ["no-such-command"]);
    expect(res.code).toBe(2);
    expect(res.stderr + res.stdout).toMatch(/unknown command "no-such-command"/);
  });
});
