/**
 * `npm run rehearse:migration`: the AAA→XAA migration rehearsal at a larger size, recorded like
 * the soak (bench/results/). See test/e2e/rehearsal.ts for what it does; the small version runs
 * in `npm test` (test/e2e/migration-rehearsal.test.ts).
 *
 * Exit 0 only when the migration completed, every unique event arrived downstream exactly once
 * (lost == 0, duplicates == 0) and the emulator holds no AAA subscription.
 *
 *   npm run rehearse:migration -- --before 200 --during 200 --after 200
 */
import { parseArgs } from "node:util";
import { runRehearsal } from "../test/e2e/rehearsal.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const { values: args } = parseArgs({
  options: {
    before: { type: "string", default: "200" },
    during: { type: "string", default: "200" },
    after: { type: "string", default: "200" },
    timeout: { type: "string", default: "600" },
  },
});

const started = Date.now();
const result = await runRehearsal({
  before: Number(args.before),
  during: Number(args.during),
  after: Number(args.after),
  drainTimeoutMs: Number(args.timeout) * 1000,
  log: (line) => console.log(line),
});
console.log(JSON.stringify({ ...result, seconds: Math.round((Date.now() - started) / 1000) }, null, 2));
const ok = result.migrate_runs.at(-1)?.state === "complete" && result.lost === 0 && result.duplicates === 0 && result.aaa_subscriptions_left === 0 && result.unique_received === result.expected;
console.log(ok ? "PASS" : "FAIL");
process.exit(ok ? 0 : 1);
