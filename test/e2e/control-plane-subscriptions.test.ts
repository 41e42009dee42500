/**
 * The control plane end to end, subscription side: the real X emulator over loopback HTTP, the
 * real Worker (workerd via wrangler: local KV, Durable Objects, Queues) and a Standard Webhooks
 * sink (see harness.ts). One story on one stack, in order, after a webhook is registered: Sign in
 * with X, the tier's subscription limit, a revoke, rate limits. Nothing is mocked. Registration,
 * revalidation and Replay are in control-plane-webhooks.test.ts.
 *
 * Clock: the harness default (the emulator's clock stands still). Nothing here waits on X's
 * timers: deliveries are first attempts, and the rate-limit window is X's 15 minutes from the
 * first count, which the Worker reads from X's headers.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startStack, DEMO_USERS, type Stack } from "./harness.ts";
import { adminOk, body, emulatorJson, isTweet, PAY_PER_USE, post, TOO_MANY, type Json } from "./control-plane-helpers.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const { alice, bob, carol } = DEMO_USERS;
/** The app owner (demo_owner): a fourth user for the subscription limit of pay-per-use (3). */
const owner = { id: "1600000000000000001", token: "1600000000000000001-emulator-default-owner-token", secret: "emulator-default-owner-token-secret" };

describe("control plane end to end: Sign in with X, subscriptions, revoke and rate limits", () => {
  let stack: Stack;
  let webhookId = "";

  beforeAll(async () => {
    stack = await startStack({ emulator: { accounts: PAY_PER_USE } });
    // Setup, not under test (registration is covered in control-plane-webhooks.test.ts).
    const reg = await adminOk(stack, "/admin/apps/default/webhooks", 201, post({ url: stack.webhookUrl() }));
    webhookId = reg.webhook.id as string;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test("Sign in with X: start needs an invite; with one, one visit subscribes the user and events flow", async () => {
    const refused = await fetch(`${stack.workerUrl}/oauth/default/start`, { redirect: "manual" });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await refused.text()).toContain("This link needs an invitation");

    const invite = await adminOk(stack, "/admin/apps/default/invites", 201, post({}));
    const start = await fetch(invite.url as string, { redirect: "manual" });
    expect(start.status).toBe(302);
    const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(cookie).toMatch(/^aae_oauth_default=./);
    const authorize = new URL(start.headers.get("location")!);
    expect(authorize.origin + authorize.pathname).toBe(`${stack.emulator.url}/oauth/authorize`);

    // The browser at X: the emulator approves as alice and sends it back to our callback.
    authorize.searchParams.set("user_id", alice.id);
    const approved = await fetch(authorize, { redirect: "manual" });
    expect(approved.status).toBe(302);
    const callback = new URL(approved.headers.get("location")!);
    expect(callback.origin + callback.pathname).toBe(`${stack.workerUrl}/oauth/default/callback`);

    const done = await fetch(callback, { redirect: "manual", headers: { cookie } });
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await done.text()).toContain("@alice is subscribed");

    // Subscribed at X, and recorded here with the token sealed.
    expect(await emulatorJson(stack, "subscriptions")).toEqual([{ webhook_id: webhookId, app: "default", user_id: alice.id }]);
    const ours = await adminOk(stack, "/admin/apps/default/subscriptions?source=registry", 200);
    expect(ours.registry).toEqual([expect.objectContaining({ user_id: alice.id, status: "active", subscribed_by: "oauth", has_token: true })]);

    // The callback URL works once: a second visit is refused.
    const again = await fetch(callback, { redirect: "manual", headers: { cookie } });
    expect(again.status).toBe(400);

    const emitted = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: "signed in via X" });
    expect(emitted.deliveries.map((d) => d.status)).toEqual([200]);
    const [got] = await stack.sink.waitFor(isTweet("signed in via X"));
    expect(got!.verified).toBe(true);
    expect(got!.envelope).toMatchObject({ app: "default", for_user_id: alice.id });
  });

  test("the subscription limit of pay-per-use (3) is X's 214 through the admin API", async () => {
    for (const u of [bob, carol]) {
      await adminOk(stack, "/admin/apps/default/subscriptions", 201, post({ user_id: u.id, token: u.token, secret: u.secret }));
    }
    const res = await stack.admin("/admin/apps/default/subscriptions", post({ user_id: owner.id, token: owner.token, secret: owner.secret }));
    expect(res.status).toBe(403);
    expect((await body(res)).error).toMatchObject({ x_code: 214, message: TOO_MANY });
    const ours = await adminOk(stack, "/admin/apps/default/subscriptions?source=registry", 200);
    expect(ours.registry.map((s: Json) => s.user_id).sort()).toEqual([alice.id, bob.id, carol.id].sort());
    const list = await adminOk(stack, "/admin/apps/default/subscriptions", 200);
    expect(list.in_sync).toBe(true);
  });

  test("a revoke (X's user_event) removes the subscription in the Registry and its token", async () => {
    const r = await stack.emulator.emit({ type: "revoke", user_id: alice.id, app: "default" });
    expect(r.deliveries.map((d) => d.status)).toEqual([200]);
    // X's user_event names the user only inside the event (no for_user_id). The revoke is applied
    // to the Registry before the envelope is published, so once it is at the sink it is recorded.
    await stack.sink.waitFor((rec) => rec.envelope?.type === "user_event" && rec.body.includes(alice.id));

    const active = await adminOk(stack, "/admin/apps/default/subscriptions?source=registry", 200);
    expect(active.registry.map((s: Json) => s.user_id).sort()).toEqual([bob.id, carol.id].sort());
    const all = await adminOk(stack, "/admin/apps/default/subscriptions?source=registry&all=true", 200);
    expect(all.registry.find((s: Json) => s.user_id === alice.id)).toMatchObject({ status: "revoked", has_token: false });
    // X dropped it too, so both sides agree.
    const list = await adminOk(stack, "/admin/apps/default/subscriptions", 200);
    expect(list).toMatchObject({ in_sync: true, differences: { only_on_x: [], only_in_registry: [] } });
    expect(list.x).not.toContain(alice.id);
  });

  test("X's rate limit is a 429 with Retry-After and X's fix, refused before X is asked once used up", async () => {
    // v2 allows 15 subscription counts per 15 minutes.
    const statuses: number[] = [];
    let limited: Response | null = null;
    for (let i = 0; i < 20 && limited === null; i++) {
      const res = await stack.admin("/admin/apps/default/subscriptions/count");
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else expect(res.status, await res.text()).toBe(200);
    }
    expect(limited).not.toBeNull();
    expect(statuses.filter((s) => s === 200).length).toBe(15);
    const retryAfter = Number(limited!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    // X's reset is whole epoch seconds and Retry-After rounds up: at most the window plus one.
    expect(retryAfter).toBeLessThanOrEqual(15 * 60 + 1);
    const { error } = await body(limited!);
    expect(error.code).toBe("rate_limited");
    expect(typeof error.fix).toBe("string");

    // The Worker refused without asking X (its tracker knew the window was used up), and X agrees.
    expect(error.message).toContain("refused before sending");
    const atX = await fetch(`${stack.emulator.url}/2/account_activity/subscriptions/count`, {
      headers: { authorization: "Bearer emulator-default-bearer-token" },
    });
    expect(atX.status).toBe(429);
    expect(Number(atX.headers.get("x-rate-limit-remaining"))).toBe(0);
  });
});
