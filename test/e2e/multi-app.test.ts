/**
 * Several X apps, one per API flavour, on ONE Worker deployment, end to end over real HTTP: the
 * emulator's demo apps `default` (v2), `legacy` (v1.1 Enterprise), `premium` (v1.1 Premium, env
 * `dev`), plus an XAA app the demo world lacks (added through the emulator's start options),
 * configured with `APPS` and per-app suffixed secrets (src/config.ts `secretName`).
 *
 * Shown here: each app's CRC is answered with that app's consumer secret (register passes on X
 * and is recorded in the Registry); one user subscribed to every app gets one delivery per app,
 * each signed with that app's secret, and the sink receives exactly one envelope per app with
 * that `app` and the flavour's normalisation (AAA key vs XAA `event_type`); and the apps are
 * isolated: a body signed with one app's secret is refused at another's URL, an unknown app
 * is 404, and each app's CRC answer differs. Credentials come from the emulator's own config
 * (`buildConfig`), so the Worker and X agree by construction, not by copied strings.
 */
import { createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AppDef } from "../../emulator/index.ts";
import { DEMO_USERS, emulatorAppSecrets, emulatorApps, registerAndSubscribe, startStack, type SinkRecord, type Stack } from "./harness.ts";
import { captureWorkerWarnings } from "./worker-logs.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

/** The XAA app, added to the emulator's demo world (which has none); a `-` exercises the suffix rule. */
const XAA_APP: Partial<AppDef> = { name: "x-activity", flavour: "xaa" };
const APP_NAMES = ["default", "legacy", "premium", "x-activity"] as const;
type AppName = (typeof APP_NAMES)[number];

/** The emulator's view of every app (demo world plus XAA_APP): the source of each credential. */
const X_APPS = emulatorApps([XAA_APP]);

function xApp(name: string): AppDef {
  const a = X_APPS.get(name);
  if (a === undefined) throw new Error(`emulator has no app ${name}`);
  return a;
}

/** `APPS` as the Worker reads it: name, flavour, and env_name for Premium. */
function appsVar(): string {
  return JSON.stringify(APP_NAMES.map((n) => {
    const a = xApp(n);
    return a.envName === undefined ? { name: n, flavour: a.flavour } : { name: n, flavour: a.flavour, env_name: a.envName };
  }));
}

/** Every app's credentials under its suffixed secret names (bare names for `default`). */
function appSecrets(): Record<string, string> {
  return emulatorAppSecrets(APP_NAMES.map(xApp));
}

/** X's signature scheme (PROTOCOL.md): `sha256=` + base64(HMAC-SHA256(consumer secret, bytes)). */
function xSignature(secret: string, data: string): string {
  return `sha256=${createHmac("sha256", secret).update(data).digest("base64")}`;
}

const { alice, bob } = DEMO_USERS;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ vars: { APPS: appsVar() }, secrets: appSecrets(), emulator: { apps: [XAA_APP] } });
  // Setup, not the assertion under test: throws if any register (X's CRC) or subscribe fails.
  for (const n of APP_NAMES) await registerAndSubscribe(stack, stack.webhookUrl(n), [alice], n);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** Sink records whose body carries `marker`, grouped by the envelope's `app`. */
function byApp(records: readonly SinkRecord[], marker: string): Map<string, SinkRecord[]> {
  const out = new Map<string, SinkRecord[]>();
  for (const r of records) {
    if (!r.body.includes(marker)) continue;
    const app = String(r.envelope?.app);
    out.set(app, [...(out.get(app) ?? []), r]);
  }
  return out;
}

/** Emit a tweet by alice and wait until every app's envelope of it is in the sink. */
async function tweetEverywhere(text: string): Promise<void> {
  const r = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text });
  expect(r.deliveries.map((d) => [d.app, d.status]).sort()).toEqual(APP_NAMES.map((n) => [n, 200]).sort());
  await stack.sink.waitFor((rec) => rec.body.includes(text), APP_NAMES.length);
}

describe("one Worker, one app per flavour", () => {
  test.each(APP_NAMES)("%s: registered with its own secret, valid on X and in the Registry", async (name) => {
    const a = xApp(name);
    const onX = [...stack.emulator.state.webhooks.values()].filter((w) => w.appName === name);
    expect(onX.map((w) => ({ url: w.url, valid: w.valid }))).toEqual([{ url: stack.webhookUrl(name), valid: true }]);
    // X ran the CRC against this app's URL with this app's secret, and the Worker's answer matched.
    const crcs = stack.emulator.state.crcChecks.filter((c) => c.appName === name);
    expect(crcs.length).toBeGreaterThan(0);
    expect(crcs.every((c) => c.ok && c.url === stack.webhookUrl(name))).toBe(true);
    const health = await stack.admin(`/admin/apps/${name}`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      app: name,
      flavour: a.flavour,
      credentials: { consumer_key: true, access_token: true, bearer_token: true },
      webhook: { id: onX[0]!.id, url: stack.webhookUrl(name), valid: true },
      subscription_count: 1,
    });
  });

  test("a tweet by a user subscribed to every app reaches the sink once per app, normalised per flavour", async () => {
    const text = `multi-app tweet ${randomBytes(6).toString("hex")}`;
    await tweetEverywhere(text);
    // Each app's delivery was signed by X with that app's own consumer secret.
    const attempts = stack.emulator.state.deliveries.filter((d) => d.body.includes(text));
    expect(attempts.map((d) => d.appName).sort()).toEqual([...APP_NAMES].sort());
    for (const d of attempts) expect(d.signature).toBe(xSignature(xApp(d.appName).consumerSecret, d.body));
    // Drain: a later event through the same FIFO pipeline, so the counts below are final.
    await tweetEverywhere(`multi-app drain ${randomBytes(6).toString("hex")}`);
    const got = byApp(stack.sink.received, text);
    expect([...got.keys()].sort()).toEqual([...APP_NAMES].sort());
    for (const name of APP_NAMES) {
      const recs = got.get(name)!;
      expect(recs, `${name}: exactly once`).toHaveLength(1);
      const rec = recs[0]!;
      expect(rec.verified).toBe(true);
      expect(rec.id).toBe(rec.envelope.id);
      const env = rec.envelope;
      expect(env).toMatchObject({ app: name, for_user_id: alice.id });
      if (xApp(name).flavour === "xaa") {
        expect(env).toMatchObject({ format: "xaa", type: "post.create", event: { event_type: "post.create", filter: { user_id: alice.id } } });
        expect(env.id).toBe(`post.create:${alice.id}:${env.event.event_uuid}`);
      } else {
        expect(env).toMatchObject({ format: "aaa", type: "tweet_create_events", event: { text, user: { id_str: alice.id } } });
        expect(env.id).toBe(`tweet_create_events:${alice.id}:${env.event.id_str}`);
      }
    }
    // The three AAA apps saw the same tweet: one event_key, three app-scoped deliveries.
    const aaaKeys = APP_NAMES.filter((n) => xApp(n).flavour !== "xaa").map((n) => got.get(n)![0]!.envelope.event_key);
    expect(new Set(aaaKeys).size).toBe(1);
  });

  test("a follow maps to follow_events (AAA) and follow.follow (XAA), one per app", async () => {
    const before = stack.sink.received.length;
    const r = await stack.emulator.emit({ type: "follow", source_id: alice.id, target_id: bob.id });
    expect(r.deliveries.map((d) => [d.app, d.status]).sort()).toEqual(APP_NAMES.map((n) => [n, 200]).sort());
    const isFollow = (rec: SinkRecord): boolean => rec.envelope?.type === "follow_events" || rec.envelope?.type === "follow.follow";
    await stack.sink.waitFor(isFollow, APP_NAMES.length);
    await tweetEverywhere(`multi-app drain ${randomBytes(6).toString("hex")}`);
    const follows = stack.sink.received.slice(before).filter(isFollow);
    expect(follows.every((f) => f.verified)).toBe(true);
    const seen = follows.map((f) => `${String(f.envelope.app)} ${String(f.envelope.format)} ${String(f.envelope.type)}`).sort();
    const want = APP_NAMES.map((n) => (xApp(n).flavour === "xaa" ? `${n} xaa follow.follow` : `${n} aaa follow_events`)).sort();
    expect(seen).toEqual(want);
  });
});

describe("isolation between apps", () => {
  test("a body signed with legacy's secret is refused at premium's URL and never reaches the sink", async () => {
    const warnings = captureWorkerWarnings();
    const marker = `forged-${randomBytes(6).toString("hex")}`;
    const tweetId = `19${String(Date.now()).padStart(17, "0")}`;
    const body = JSON.stringify({
      for_user_id: alice.id,
      tweet_create_events: [{ id_str: tweetId, text: marker, created_at: "Tue Nov 24 20:00:00 +0000 2026", user: { id_str: alice.id } }],
    });
    const post = (app: string, secret: string): Promise<Response> =>
      fetch(stack.webhookUrl(app), {
        method: "POST",
        headers: { "content-type": "application/json", "x-twitter-webhooks-signature": xSignature(secret, body) },
        body,
      });
    const wrongApp = await post("premium", xApp("legacy").consumerSecret);
    expect(wrongApp.status).toBe(401);
    expect(await wrongApp.json()).toMatchObject({ error: { code: "signature_mismatch" } });
    await warnings.waitFor(/webhook signature refused.*"app":"premium","request":"delivery","reason":"mismatch"/);
    warnings.restore();
    const unknown = await post("no-such-app", xApp("legacy").consumerSecret);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "unknown_app" } });
    // Control: the same bytes and signature are accepted at legacy's own URL, so the 401 above
    // is about the app, not a malformed body; that copy arrives as app legacy only.
    expect((await post("legacy", xApp("legacy").consumerSecret)).status).toBe(200);
    await stack.sink.waitFor((rec) => rec.body.includes(marker));
    await tweetEverywhere(`multi-app drain ${randomBytes(6).toString("hex")}`);
    const got = byApp(stack.sink.received, marker);
    expect([...got.keys()]).toEqual(["legacy"]);
    expect(got.get("legacy")).toHaveLength(1);
  });

  test("each app answers CRC with its own consumer secret; an unknown app is 404", async () => {
    const token = randomBytes(24).toString("base64url");
    const answers = new Map<AppName, string>();
    for (const name of APP_NAMES) {
      const res = await fetch(`${stack.webhookUrl(name)}?crc_token=${token}`);
      expect(res.status).toBe(200);
      const { response_token } = (await res.json()) as { response_token: string };
      expect(response_token).toBe(xSignature(xApp(name).consumerSecret, token));
      answers.set(name, response_token);
    }
    expect(new Set(answers.values()).size).toBe(APP_NAMES.length);
    const unknown = await fetch(`${stack.webhookUrl("no-such-app")}?crc_token=${token}`);
    expect(unknown.status).toBe(404);
  });
});
