/**
 * The README's deploy sequence, checked as far as it can be offline: the commands name the KV
 * binding and the queues wrangler.toml declares, the secrets they put cover `[secrets] required`,
 * and `[secrets] required` is exactly what a minimal deploy needs (the Worker's config parses
 * with only those set and the default vars; without X_CONSUMER_SECRET it refuses; optional
 * secrets such as FORWARD_SECRET are not required). The bundle itself is built by
 * `npm run build:check` (`wrangler deploy --dry-run`), which `npm test` runs first.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { ConfigError, parseConfig } from "../../src/config.ts";
import { ROOT } from "./harness.ts";

const config = unstable_readConfig({ config: `${ROOT}wrangler.toml` }, { hideWarnings: true });
const readme = readFileSync(`${ROOT}README.md`, "utf8");
const deploySection = readme.slice(readme.indexOf("## Deploy"), readme.indexOf("\n## ", readme.indexOf("## Deploy") + 3));
const deployBlock = /```sh\n([\s\S]*?)```/.exec(deploySection)?.[1] ?? "";
const REQUIRED: string[] = config.secrets?.required ?? [];

describe("[secrets] required is what a minimal deploy needs", () => {
  const vars = Object.fromEntries(Object.entries(config.vars ?? {}).map(([k, v]) => [k, String(v)]));
  const only = (names: readonly string[]): Record<string, string> => ({ ...vars, ...Object.fromEntries(names.map((n) => [n, n === "TOKEN_ENCRYPTION_KEY" ? "dGVzdC10b2tlbi1lbmNyeXB0aW9uLWtleS0zMi1ieXQ=" : `value-of-${n}`])) });

  it("lists the consumer secret, the admin token and the token key, and no optional secret", () => {
    expect([...REQUIRED].sort()).toEqual(["ADMIN_TOKEN", "TOKEN_ENCRYPTION_KEY", "X_CONSUMER_SECRET"]);
    for (const optional of ["FORWARD_SECRET", "X_CONSUMER_KEY", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET", "X_BEARER_TOKEN"]) expect(REQUIRED).not.toContain(optional);
  });

  it("with only the required secrets and wrangler.toml's vars, the Worker's config parses: receiver, admin and token storage all on", () => {
    const c = parseConfig(only(REQUIRED));
    expect(c.apps.get("default")?.consumerSecret).toBe("value-of-X_CONSUMER_SECRET");
    expect(c.adminToken).not.toBeNull();
    expect(c.tokenEncryptionKey).not.toBeNull();
    expect(c.secretsSource).toBeNull(); // deployed: a missing secret's fix says `wrangler secret put`
  });

  it("each required secret is needed: without it the Worker cannot receive, be administered or store tokens", () => {
    expect(() => parseConfig(only(REQUIRED.filter((n) => n !== "X_CONSUMER_SECRET")))).toThrow(ConfigError);
    expect(parseConfig(only(REQUIRED.filter((n) => n !== "ADMIN_TOKEN"))).adminToken).toBeNull();
    expect(parseConfig(only(REQUIRED.filter((n) => n !== "TOKEN_ENCRYPTION_KEY"))).tokenEncryptionKey).toBeNull();
  });
});

describe("the README's deploy commands match wrangler.toml", () => {
  it("has a deploy block ending in wrangler deploy", () => {
    expect(deployBlock).toMatch(/npx wrangler deploy\s*$/);
  });

  it("creates the KV namespace under the binding name wrangler.toml uses", () => {
    const kv = config.kv_namespaces.map((k: { binding: string }) => k.binding);
    expect(kv).toEqual(["STATE_KV"]);
    expect(deployBlock).toContain(`npx wrangler kv namespace create ${kv[0]}`);
  });

  it("creates every queue wrangler.toml produces to, consumes or dead-letters into, and no other", () => {
    type Consumer = { queue: string; dead_letter_queue?: string };
    const queues = new Set([
      ...((config.queues.producers ?? []) as { queue: string }[]).map((q) => q.queue),
      ...((config.queues.consumers ?? []) as Consumer[]).flatMap((q) => [q.queue, ...(q.dead_letter_queue ? [q.dead_letter_queue] : [])]),
    ]);
    const loop = /for q in ([^;]+); do npx wrangler queues create \$q; done/.exec(deployBlock);
    expect(loop).not.toBeNull();
    expect(new Set(loop![1]!.trim().split(/\s+/))).toEqual(queues);
  });

  it("puts every required secret", () => {
    const put = new Set([...deployBlock.matchAll(/wrangler secret put ([A-Z0-9_]+)/g)].map((m) => m[1]));
    for (const name of REQUIRED) expect(put, name).toContain(name);
  });
});
