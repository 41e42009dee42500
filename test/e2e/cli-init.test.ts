/**
 * `account-activity-edge init` run for real (the CLI as a child process) in a copy of the project's
 * wrangler.toml, with a fake `wrangler` first on PATH that records each call (arguments and
 * stdin) and answers like wrangler: the README's deploy sequence in order, the KV id written
 * into wrangler.toml, an existing queue kept, secrets sent on stdin and never printed.
 */
import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "./harness.ts";

const KV_ID = "0123456789abcdef0123456789abcdef";

/** A fake wrangler: appends {args, stdin} to calls.jsonl; `queues create aae-events` says it exists. */
const FAKE = `#!/usr/bin/env node
const fs = require("node:fs");
const args = process.argv.slice(2);
let stdin = "";
process.stdin.on("data", (b) => (stdin += b));
process.stdin.on("end", () => {
  fs.appendFileSync(process.env.FAKE_WRANGLER_LOG, JSON.stringify({ args, stdin }) + "\\n");
  if (args[0] === "kv") console.log('Add the following to your configuration file:\\n[[kv_namespaces]]\\nbinding = "STATE_KV"\\nid = "${KV_ID}"');
  if (args[0] === "queues" && args[2] === "aae-events") { console.error("A queue with this name already exists [code: 11009]"); process.exit(1); }
  if (args[0] === "deploy") console.log("Deployed account-activity-edge triggers\\n  https://account-activity-edge.me.workers.dev");
});
`;

let dir = "";
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function setup(): { dir: string; bin: string; log: string } {
  dir = mkdtempSync(join(tmpdir(), "aae-init-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "wrangler"), FAKE);
  chmodSync(join(bin, "wrangler"), 0o755);
  copyFileSync(`${ROOT}wrangler.toml`, join(dir, "wrangler.toml"));
  return { dir, bin, log: join(dir, "calls.jsonl") };
}

function init(cwd: string, bin: string, log: string, extraEnv: Record<string, string>, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [`${ROOT}bin/account-activity-edge.ts`, "init", ...args], {
      cwd, env: { PATH: `${bin}:${process.env.PATH ?? ""}`, FAKE_WRANGLER_LOG: log, HOME: process.env.HOME ?? "", ...extraEnv },
    }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe("account-activity-edge init", () => {
  it("runs the deploy sequence through wrangler, printing each step; secrets on stdin, never printed", async () => {
    const { dir, bin, log } = setup();
    const r = await init(dir, bin, log, { X_CONSUMER_SECRET: "the-consumer-secret", ADMIN_TOKEN: "the-admin-token", X_BEARER_TOKEN: "the-bearer" });
    expect(r.code, r.stderr).toBe(0);
    const calls = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { args: string[]; stdin: string });
    expect(calls.map((c) => c.args.join(" "))).toEqual([
      "kv namespace create STATE_KV",
      "queues create aae-ingest",
      "queues create aae-events",
      "queues create aae-forward",
      "queues create aae-dead-letter",
      "secret put X_CONSUMER_SECRET",
      "secret put ADMIN_TOKEN",
      "secret put TOKEN_ENCRYPTION_KEY",
      "secret put X_BEARER_TOKEN",
      "deploy",
    ]);
    const stdinOf = (name: string): string => calls.find((c) => c.args[2] === name)!.stdin;
    expect(stdinOf("X_CONSUMER_SECRET")).toBe("the-consumer-secret");
    expect(stdinOf("ADMIN_TOKEN")).toBe("the-admin-token");
    expect(Buffer.from(stdinOf("TOKEN_ENCRYPTION_KEY"), "base64")).toHaveLength(32);
    expect(readFileSync(join(dir, "wrangler.toml"), "utf8")).toContain(`id = "${KV_ID}"`);
    expect(r.stdout).toContain("[1/10] wrangler kv namespace create STATE_KV: created, id");
    expect(r.stdout).toContain("[3/10] wrangler queues create aae-events: exists, kept");
    expect(r.stdout).toContain("[10/10] wrangler deploy: https://account-activity-edge.me.workers.dev");
    const printed = r.stdout + r.stderr;
    for (const secret of ["the-consumer-secret", "the-admin-token", "the-bearer", stdinOf("TOKEN_ENCRYPTION_KEY")]) expect(printed).not.toContain(secret);
  });

  it("refuses before calling wrangler when a required secret is not given, naming it (exit 2)", async () => {
    const { dir, bin, log } = setup();
    const r = await init(dir, bin, log, { ADMIN_TOKEN: "t" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/set X_CONSUMER_SECRET in the environment/);
    expect(() => readFileSync(log, "utf8")).toThrow();
  });
});
