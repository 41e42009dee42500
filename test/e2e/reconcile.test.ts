/**
 * Subscription reconciliation end to end: the real Worker (workerd via wrangler: Registry DO,
 * KV, Queues), the real X emulator over loopback HTTP, the real CLI and a Standard Webhooks sink.
 * X silently drops bob (the emulator's own app-only unsubscribe, as another tool or an X clean-up
 * would), the webhook stays valid, and reconciliation re-subscribes bob with his stored token, so
 * his events reach the sink again. Nothing is mocked.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEMO_SECRETS, DEMO_USERS, ROOT, registerAndSubscribe, startStack, type SinkRecord, type Stack } from "./harness.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const { alice, bob } = DEMO_USERS;
const run = promisify(execFile);

type Json = Record<string, any>; // Response bodies are read loosely; every field used is asserted.

async function emulatorJson(stack: Stack, path: string): Promise<unknown> {
  const res = await fetch(`${stack.emulator.url}/_emulator/${path}`);
  expect(res.status).toBe(200);
  return res.json();
}

async function subscribedAtX(stack: Stack): Promise<string[]> {
  return ((await emulatorJson(stack, "subscriptions")) as { user_id: string; app: string }[]).filter((s) => s.app === "default").map((s) => s.user_id).sort();
}

const tweetFor = (userId: string, text: string) => (r: SinkRecord): boolean =>
  r.envelope?.type === "tweet_create_events" && r.envelope?.for_user_id === userId && r.body.includes(text);

describe("subscription reconciliation (emulator, Worker, sink over HTTP)", () => {
  let stack: Stack;
  let webhookId = "";

  beforeAll(async () => {
    stack = await startStack();
    await registerAndSubscribe(stack, stack.webhookUrl(), [alice, bob]);
    webhookId = ((await (await stack.admin("/admin/apps/default")).json()) as Json).webhook.id as string;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test("X drops bob; reconcile re-subscribes him with his stored token and his events flow again", async () => {
    expect(await subscribedAtX(stack)).toEqual([alice.id, bob.id].sort());

    // X drops bob: the app-only unsubscribe endpoint, called directly, not through the Worker.
    const drop = await fetch(`${stack.emulator.url}/2/account_activity/webhooks/${webhookId}/subscriptions/${bob.id}/all`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${DEMO_SECRETS.X_BEARER_TOKEN}` },
    });
    expect(drop.status).toBe(200);
    expect(await subscribedAtX(stack)).toEqual([alice.id]);
    const lost = await stack.emulator.emit({ type: "tweet", user_id: bob.id, text: "while dropped" });
    expect(lost.deliveries).toEqual([]); // X no longer delivers bob's activity: the silent stop

    const res = await stack.admin("/admin/apps/default/subscriptions/reconcile", { method: "POST" });
    expect(res.status).toBe(200);
    const out = (await res.json()) as Json;
    expect(out).toMatchObject({ status: "ok", at_x: 1, ours: 2, resubscribed: [bob.id], failed: [], removed: [], unknown: [] });
    expect(typeof out.checked_at).toBe("string");
    expect(JSON.stringify(out)).not.toContain(bob.token);

    expect(await subscribedAtX(stack)).toEqual([alice.id, bob.id].sort());
    const emitted = await stack.emulator.emit({ type: "tweet", user_id: bob.id, text: "healed by reconcile" });
    expect(emitted.deliveries.map((d) => d.status)).toEqual([200]);
    const [got] = await stack.sink.waitFor(tweetFor(bob.id, "healed by reconcile"));
    expect(got!.verified).toBe(true);

    // The outcome is recorded for the dashboard, and the Registry row says it was re-subscribed.
    const health = (await (await stack.admin("/admin/apps/default")).json()) as Json;
    expect(health.last_reconcile).toMatchObject({ resubscribed: [bob.id] });
    const subs = (await (await stack.admin("/admin/apps/default/subscriptions?source=registry")).json()) as Json;
    expect(subs.registry.find((s: Json) => s.user_id === bob.id)).toMatchObject({ status: "active", resubscribe_count: 1 });
  });

  test("the CLI runs it too: in sync now, nothing to do (exit 0, --json)", async () => {
    const env = { ...process.env, AAE_URL: stack.workerUrl, AAE_ADMIN_TOKEN: DEMO_SECRETS.ADMIN_TOKEN! };
    const { stdout } = await run(process.execPath, [`${ROOT}/bin/account-activity-edge.ts`, "subscriptions", "reconcile", "--json"], { env, timeout: 30_000 });
    expect(JSON.parse(stdout)).toMatchObject({ status: "ok", at_x: 2, ours: 2, resubscribed: [], failed: [], removed: [], unknown: [] });
  });
});
