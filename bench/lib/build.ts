/**
 * The code workerd serves: the Worker bundled exactly as `wrangler deploy` would upload it, and
 * the bench's own Workers (floor, stubs) with their TypeScript types stripped.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { join } from "node:path";

/** `wrangler deploy --dry-run --outdir <outDir>`: the deployable bundle, nothing uploaded. */
export function buildWorker(root: string, outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  const res = spawnSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", outDir], {
    cwd: root,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
    encoding: "utf8",
    timeout: 180_000,
  });
  if (res.status !== 0) throw new Error(`wrangler build failed:\n${res.stdout}\n${res.stderr}`);
}

/** The bundle's modules, main (`index.js`) first, named by path under `prefix`. */
export function workerModules(outDir: string, prefix: string): { name: string; path: string }[] {
  const files = readdirSync(outDir).filter((f) => !f.endsWith(".map") && f !== "README.md");
  const other = files.filter((f) => f !== "index.js");
  const bad = other.filter((f) => !f.endsWith(".js") && !f.endsWith(".mjs"));
  if (!files.includes("index.js")) throw new Error(`build: no index.js in ${outDir}`);
  if (bad.length > 0) throw new Error(`build: module types the bench does not map yet: ${bad.join(", ")}`);
  return ["index.js", ...other].map((f) => ({ name: f, path: `${prefix}/${f}` }));
}

/** bench/workers/<name>.ts as JS in <tmp>/workers; returns its path relative to `tmp`. */
export function stripWorker(root: string, tmp: string, name: string): string {
  const src = readFileSync(join(root, "bench/workers", `${name}.ts`), "utf8");
  mkdirSync(join(tmp, "workers"), { recursive: true });
  writeFileSync(join(tmp, "workers", `${name}.js`), stripTypeScriptTypes(src, { mode: "strip" }));
  return `workers/${name}.js`;
}
