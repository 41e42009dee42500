/**
 * `account-activity-edge init`: the README's deploy sequence as one command, each step printed.
 * Runs `wrangler` (from PATH: `npx account-activity-edge` puts the project's on it) in the
 * current folder: creates the KV namespace (and writes its id into wrangler.toml), creates every
 * queue wrangler.toml names (one that already exists is kept), puts the secrets, deploys.
 *
 * Secret values come from this command's environment under their own names (X_CONSUMER_SECRET,
 * ADMIN_TOKEN, ...) and go to `wrangler secret put` on stdin: never on a command line, never
 * printed. TOKEN_ENCRYPTION_KEY, when not given, is 32 fresh random bytes (nobody needs to know
 * it). The required secrets are wrangler.toml's `[secrets] required`; the optional ones are put
 * when set.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const OPTIONAL_SECRETS = ["X_CONSUMER_KEY", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET", "X_BEARER_TOKEN", "FORWARD_SECRET", "X_CONSUMER_SECRET_PREVIOUS", "TOKEN_ENCRYPTION_KEY_PREVIOUS"] as const;
const KV_PLACEHOLDER = "REPLACE_WITH_KV_NAMESPACE_ID";

export interface InitOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  deploy: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
}

interface Ran { code: number; stdout: string; stderr: string }

function wrangler(args: string[], cwd: string, env: Record<string, string | undefined>, stdin?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn("wrangler", args, { cwd, env: { ...env, WRANGLER_SEND_METRICS: env.WRANGLER_SEND_METRICS ?? "false" } as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
    child.on("error", (e) => resolve({ code: 127, stdout, stderr: `${stderr}${e.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

/** What init needs from wrangler.toml: the KV binding, every queue, the required secrets, the KV id line. */
export function readPlan(toml: string): { kvBinding: string | null; kvPlaceholder: boolean; queues: string[]; required: string[] } {
  const kvBinding = /\[\[kv_namespaces\]\][^[]*?binding\s*=\s*"([^"]+)"/.exec(toml)?.[1] ?? null;
  const queues = [...new Set([...toml.matchAll(/^\s*(?:queue|dead_letter_queue)\s*=\s*"([^"]+)"/gm)].map((m) => m[1]!))];
  const requiredList = /\[secrets\][^[]*?required\s*=\s*\[([^\]]*)\]/.exec(toml)?.[1] ?? "";
  const required = [...requiredList.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  return { kvBinding, kvPlaceholder: toml.includes(KV_PLACEHOLDER), queues, required };
}

function randomKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
}

/** Returns the exit code: 0 done, 1 a wrangler step failed, 2 a required secret was not given. */
export async function runInit(opts: InitOptions): Promise<number> {
  const tomlPath = join(opts.cwd, "wrangler.toml");
  let toml: string;
  try {
    toml = readFileSync(tomlPath, "utf8");
  } catch {
    opts.err(`error: no wrangler.toml in ${opts.cwd}: run init from the account-activity-edge folder`);
    return 2;
  }
  const plan = readPlan(toml);
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const name of plan.required) {
    const v = opts.env[name];
    if (v) values.set(name, v);
    else if (name === "TOKEN_ENCRYPTION_KEY") values.set(name, randomKey());
    else missing.push(name);
  }
  if (missing.length > 0) {
    opts.err(`error: set ${missing.join(", ")} in the environment of this command (each goes to wrangler secret put on stdin, never printed), e.g.\n  read -rs X_CONSUMER_SECRET && export X_CONSUMER_SECRET`);
    return 2;
  }
  for (const name of OPTIONAL_SECRETS) {
    const v = opts.env[name];
    if (v && !values.has(name)) values.set(name, v);
  }

  const steps: { title: string; run: () => Promise<string> }[] = [];
  if (plan.kvBinding !== null && plan.kvPlaceholder) {
    const binding = plan.kvBinding;
    steps.push({
      title: `wrangler kv namespace create ${binding}`,
      run: async () => {
        const r = await wrangler(["kv", "namespace", "create", binding], opts.cwd, opts.env);
        if (r.code !== 0) throw new Error(r.stderr.trim() || r.stdout.trim());
        const id = /\bid\b["']?\s*[:=]\s*["']([0-9a-f]{32})["']/.exec(r.stdout)?.[1];
        if (id === undefined) throw new Error(`created, but its id was not in wrangler's output: put it into wrangler.toml yourself\n${r.stdout}`);
        writeFileSync(tomlPath, readFileSync(tomlPath, "utf8").replace(KV_PLACEHOLDER, id));
        return `created, id ${id} written into wrangler.toml`;
      },
    });
  } else if (plan.kvBinding !== null) {
    opts.out(`wrangler.toml already has the ${plan.kvBinding} namespace id: not creating it`);
  }
  for (const q of plan.queues) {
    steps.push({
      title: `wrangler queues create ${q}`,
      run: async () => {
        const r = await wrangler(["queues", "create", q], opts.cwd, opts.env);
        if (r.code === 0) return "created";
        if (/already (exists|taken)|11009/i.test(r.stderr + r.stdout)) return "exists, kept";
        throw new Error(r.stderr.trim() || r.stdout.trim());
      },
    });
  }
  for (const [name, value] of values) {
    const generated = name === "TOKEN_ENCRYPTION_KEY" && !opts.env.TOKEN_ENCRYPTION_KEY;
    steps.push({
      title: `wrangler secret put ${name}`,
      run: async () => {
        const r = await wrangler(["secret", "put", name], opts.cwd, opts.env, value);
        if (r.code !== 0) throw new Error(r.stderr.trim() || r.stdout.trim());
        return generated ? "set (32 random bytes, generated here, not shown)" : "set (value from the environment, not shown)";
      },
    });
  }
  if (opts.deploy) {
    steps.push({
      title: "wrangler deploy",
      run: async () => {
        const r = await wrangler(["deploy"], opts.cwd, opts.env);
        if (r.code !== 0) throw new Error(r.stderr.trim() || r.stdout.trim());
        return /https:\/\/\S+\.workers\.dev/.exec(r.stdout)?.[0] ?? "deployed";
      },
    });
  }

  for (const [i, step] of steps.entries()) {
    const label = `[${i + 1}/${steps.length}] ${step.title}`;
    try {
      opts.out(`${label}: ${await step.run()}`);
    } catch (e) {
      opts.err(`${label}: FAILED\n${e instanceof Error ? e.message : String(e)}`);
      return 1;
    }
  }
  opts.out(opts.deploy
    ? "Done. Next: export AAE_URL=<the URL above> AAE_ADMIN_TOKEN=<your ADMIN_TOKEN>; npx account-activity-edge webhook register"
    : "Done (not deployed: run npx wrangler deploy).");
  return 0;
}
