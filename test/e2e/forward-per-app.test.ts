/**
 * Per-app forwarding end to end over real HTTP: one Worker serving the emulator's demo apps
 * `default` (v2) and `legacy` (v1.1 Enterprise). `default` forwards through FORWARD_URL (the
 * stack's sink, FORWARD_SECRET); `legacy` has its own `forward_url` (a second sink) and its own
 * secret (`FORWARD_SECRET_LEGACY`), and `forward_types: ["direct_message_events"]`.
 *
 * Shown: a tweet and a DM for each app; default's two reach the first sink only, legacy's DM
 * reaches the second sink only, each verified by that sink with its own secret through the
 * reference `standardwebhooks` library (sink.ts); legacy's tweet reaches no sink. Credentials
 * come from the emulator's config (`buildConfig`), as in multi-app.test.ts.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AppDef } from "../../emulator/index.ts";
import { secretName } from "../../src/config.ts";
import { DEMO_SECRETS, DEMO_USERS, emulatorAppSecrets, emulatorApps, registerAndSubscribe, startStack, type Sink, type SinkRecord, type Stack } from "./harness.ts";
import { startSink } from "./sink.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const APP_NAMES = ["default", "legacy"] as const;
const X_APPS = emulatorApps();
/** legacy's own Standard Webhooks secret: differs from FORWARD_SECRET (the first sink's). */
const LEGACY_FORWARD_SECRET = `whsec_${Buffer.from("legacy-customer-forward-secret").toString("base64")}`;
/** The two sinks must not share a secret, or "verified with its own secret" would prove nothing. */
const FORWARD_SECRET_DIFFERS = DEMO_SECRETS.FORWARD_SECRET !== LEGACY_FORWARD_SECRET;

function xApp(name: string): AppDef {
  const a = X_APPS.get(name);
  if (a === undefined) throw new Error(`emulator has no app ${name}`);
  return a;
}

function appSecrets(): Record<string, string> {
  return { ...emulatorAppSecrets(APP_NAMES.map(xApp)), [secretName("FORWARD_SECRET", "legacy")]: LEGACY_FORWARD_SECRET };
}

const { alice, bob } = DEMO_USERS;
let stack: Stack;
let legacySink: Sink;

beforeAll(async () => {
  legacySink = await startSink({ secret: LEGACY_FORWARD_SECRET });
  const apps = [
    { name: "default", flavour: xApp("default").flavour },
    { name: "legacy", flavour: xApp("legacy").flavour, forward_url: legacySink.url, forward_types: ["direct_message_events"] },
  ];
  try {
    stack = await startStack({ vars: { APPS: JSON.stringify(apps) }, secrets: appSecrets() });
  } catch (err) {
    await legacySink.stop();
    throw err;
  }
  // Setup, not the assertion under test: throws if any register (X's CRC) or subscribe fails.
  for (const n of APP_NAMES) await registerAndSubscribe(stack, stack.webhookUrl(n), [alice], n);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await legacySink?.stop();
});

const marked = (records: readonly SinkRecord[], marker: string) => records.filter((r) => r.body.includes(marker));
const summary = (records: readonly SinkRecord[]) => records.map((r) => `${String(r.envelope?.app)} ${String(r.envelope?.type)} ${r.verified}`).sort();

describe("per-app forward destinations, secrets and type filter", () => {
  test("each app's events reach its own sink signed with its own secret; legacy's tweet is filtered out", async () => {
    expect(FORWARD_SECRET_DIFFERS).toBe(true);
    const marker = `per-app ${randomBytes(6).toString("hex")}`;
    const tweet = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: `tweet ${marker}` });
    expect(tweet.deliveries.map((d) => [d.app, d.status]).sort()).toEqual([["default", 200], ["legacy", 200]]);
    const dm = await stack.emulator.emit({ type: "direct_message", sender_id: bob.id, recipient_id: alice.id, text: `dm ${marker}` });
    expect(dm.deliveries.map((d) => [d.app, d.status]).sort()).toEqual([["default", 200], ["legacy", 200]]);

    // Legacy's DM was delivered to X's webhook after its tweet; once the DM is at the second sink,
    // the tweet would have been forwarded too had the filter let it through.
    await stack.sink.waitFor((r) => r.body.includes(marker), 2);
    await legacySink.waitFor((r) => r.body.includes(marker), 1);
    // Drain both paths: a later DM per app through the same pipeline, so the counts below are final.
    const drain = `drain ${randomBytes(6).toString("hex")}`;
    await stack.emulator.emit({ type: "direct_message", sender_id: bob.id, recipient_id: alice.id, text: drain });
    await stack.sink.waitFor((r) => r.body.includes(drain), 1);
    await legacySink.waitFor((r) => r.body.includes(drain), 1);

    expect(summary(marked(stack.sink.received, marker))).toEqual(["default direct_message_events true", "default tweet_create_events true"]);
    expect(summary(marked(legacySink.received, marker))).toEqual(["legacy direct_message_events true"]);
    // Nothing of either app went to the other's sink (every record of each sink is its own app's).
    expect(new Set(stack.sink.received.map((r) => r.envelope?.app))).toEqual(new Set(["default"]));
    expect(new Set(legacySink.received.map((r) => r.envelope?.app))).toEqual(new Set(["legacy"]));
    expect(legacySink.received.every((r) => r.envelope?.type === "direct_message_events")).toBe(true);
  });

  test("GET /admin/pipeline lists both destinations by host, with their apps", async () => {
    const res = await stack.admin("/admin/pipeline");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { forward_destinations: { destination_host: string; apps: string[]; phase?: string }[] };
    expect(body.forward_destinations.map((d) => [d.destination_host, d.apps, d.phase])).toEqual([
      [new URL(stack.sink.url).host, ["default"], "closed"],
      [new URL(legacySink.url).host, ["legacy"], "closed"],
    ]);
  });
});
