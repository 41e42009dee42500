/**
 * examples/consumer-worker started for real, as a user does (`wrangler dev` in its folder, a
 * child process, not imported), beside the receiver: an event X delivers to the receiver is
 * normalised, published on the local `aae-events` queue and consumed by the example, which
 * prints its "consumed <type> <id>" line. Both sessions share a private wrangler dev registry
 * (CLOUDFLARE_DEV_REGISTRY_PATH), so other local sessions on this machine cannot interfere.
 *
 * Also: the folder copied out of the repository builds on its own (`wrangler deploy --dry-run`
 * there), so it has no import reaching back into the receiver's sources.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSUMER_DIR, startConsumerWorker, type ConsumerProcess } from "../../scripts/consumer-process.ts";
import { DEMO_USERS, ROOT, startStack, type Stack } from "./harness.ts";

const run = promisify(execFile);

describe("examples/consumer-worker under wrangler dev beside the receiver", () => {
  const registry = mkdtempSync(join(tmpdir(), "aae-dev-registry-"));
  const previous = process.env.CLOUDFLARE_DEV_REGISTRY_PATH;
  let stack: Stack;
  let consumer: ConsumerProcess;

  beforeAll(async () => {
    process.env.CLOUDFLARE_DEV_REGISTRY_PATH = registry;
    stack = await startStack({ forward: false, registry });
    consumer = startConsumerWorker({ port: 0, registry });
    await consumer.waitFor(/Ready on http/);
  });
  afterAll(async () => {
    await consumer?.stop();
    await stack?.stop();
    if (previous === undefined) delete process.env.CLOUDFLARE_DEV_REGISTRY_PATH;
    else process.env.CLOUDFLARE_DEV_REGISTRY_PATH = previous;
    rmSync(registry, { recursive: true, force: true });
  });

  it("consumes an event X delivered, from the local aae-events queue", async () => {
    const reg = await stack.admin("/admin/apps/default/webhooks", { method: "POST", body: JSON.stringify({ url: stack.webhookUrl() }) });
    expect(reg.status).toBe(201);
    const { alice } = DEMO_USERS;
    const sub = await stack.admin("/admin/apps/default/subscriptions", { method: "POST", body: JSON.stringify({ user_id: alice.id, token: alice.token, secret: alice.secret }) });
    expect(sub.ok).toBe(true);

    const r = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: "for the consumer example" });
    expect(r.deliveries.map((d) => d.status)).toEqual([200]);
    const line = await consumer.waitFor(new RegExp(`consumed tweet_create_events tweet_create_events:${alice.id}:\\d+ for ${alice.id}`));
    expect(line).toContain("consumed tweet_create_events");
    // The main module exports only its handler: no entrypoint error from workerd.
    expect(consumer.lines.join("\n")).not.toMatch(/Incorrect type for map entry|Uncaught/);
  });

  it("copied out of the repository, builds on its own (no import outside its folder)", async () => {
    const out = mkdtempSync(join(tmpdir(), "aae-consumer-copy-"));
    try {
      cpSync(CONSUMER_DIR, out, { recursive: true, filter: (src) => !/node_modules|\.wrangler/.test(src) });
      const pkg = JSON.parse(readFileSync(join(out, "package.json"), "utf8")) as { devDependencies?: Record<string, string>; scripts?: Record<string, string> };
      expect(Object.keys(pkg.devDependencies ?? {})).toContain("wrangler");
      expect(pkg.scripts?.dev).toBe("wrangler dev");
      expect(existsSync(join(out, "README.md"))).toBe(true);
      await run(`${ROOT}node_modules/.bin/wrangler`, ["deploy", "--dry-run", "--outdir", join(out, "dist")], {
        cwd: out, env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "error" }, timeout: 60_000,
      });
      expect(readFileSync(join(out, "dist", "index.js"), "utf8")).toContain("consumed ");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
