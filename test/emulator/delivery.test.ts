import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultSettings } from "../../emulator/config.ts";
import { sha256Signature } from "../../emulator/crc.ts";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, call, registerV2, startFakeWebhook, subscribeV2, userNamed, type FakeWebhook } from "./helpers.ts";

type Json = Record<string, unknown>;

describe("deliveries: fan-out, payloads, signatures", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  beforeAll(async () => {
    emu = await startEmulator({
      clock: { scale: 0 },
      apps: [{ name: "other", flavour: "v2" }, { name: "activity", flavour: "xaa" }],
    });
    hook = await startFakeWebhook(appNamed(emu, "default").consumerSecret);
  });
  afterEach(() => {
    emu.reset();
    hook.received.length = 0;
    hook.secrets = [appNamed(emu, "default").consumerSecret];
  });
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });
  const alice = (): ReturnType<typeof userNamed> => userNamed(emu, "alice");
  const bob = (): ReturnType<typeof userNamed> => userNamed(emu, "bob");

  it("A mentions B, both subscribed: two signed POSTs told apart by for_user_id", async () => {
    const id = await registerV2(emu, hook.url);
    await subscribeV2(emu, id, alice());
    await subscribeV2(emu, id, bob());
    const res = await emu.emit({ type: "tweet", user_id: alice().id, mention_ids: [bob().id], text: "hi", user_has_blocked: false });
    expect(res.deliveries.map((d) => [d.for_user_id, d.status])).toEqual([[alice().id, 200], [bob().id, 200]]);
    expect(hook.received).toHaveLength(2);
    expect(hook.received.every((r) => r.signatureValid)).toBe(true);
    const [forAlice, forBob] = hook.received.map((r) => JSON.parse(r.body) as Json);
    expect(forAlice!.for_user_id).toBe(alice().id);
    expect(forAlice).not.toHaveProperty("user_has_blocked");
    expect(forBob).toMatchObject({ for_user_id: bob().id, user_has_blocked: false });
    const tweet = (forBob!.tweet_create_events as Json[])[0]!;
    expect(tweet.id_str).toBe(res.ids.tweet_id);
    expect(tweet.text).toBe("@bob hi");
    expect((tweet.entities as { user_mentions: Json[] }).user_mentions[0]).toMatchObject({ id_str: bob().id, indices: [0, 4] });
    // 64-bit ids are raw JSON digits, all of them (JSON.parse would round them).
    expect(hook.received[0]!.body).toContain(`"id":${res.ids.tweet_id},"id_str":"${res.ids.tweet_id}"`);
    expect(String(tweet.id)).not.toBe(res.ids.tweet_id);
  });

  it("one delivery per app sharing a URL, each signed with its own consumer secret", async () => {
    const def = appNamed(emu, "default");
    const other = appNamed(emu, "other");
    const a = await registerV2(emu, hook.url, def);
    hook.secrets = [other.consumerSecret, def.consumerSecret];
    const b = await registerV2(emu, hook.url, other);
    await subscribeV2(emu, a, alice(), def);
    await subscribeV2(emu, b, alice(), other);
    await emu.emit({ type: "favorite", user_id: alice().id, tweet_author_id: bob().id });
    expect(hook.received).toHaveLength(2);
    const byIndex = hook.received.map((r) => r.secretIndex).sort();
    expect(byIndex).toEqual([0, 1]);
    for (const r of hook.received) {
      const like = (JSON.parse(r.body) as { favorite_events: Json[] }).favorite_events[0]!;
      expect(typeof like.timestamp_ms).toBe("number");
      expect(like.id).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it("follows reach both subscribed users; blocks and mutes only the actor", async () => {
    const id = await registerV2(emu, hook.url);
    await subscribeV2(emu, id, alice());
    await subscribeV2(emu, id, bob());
    await emu.emit({ type: "follow", source_id: alice().id, target_id: bob().id });
    expect(hook.received.map((r) => (JSON.parse(r.body) as Json).for_user_id)).toEqual([alice().id, bob().id]);
    hook.received.length = 0;
    await emu.emit({ type: "block", source_id: alice().id, target_id: bob().id });
    expect(hook.received).toHaveLength(1);
    expect(JSON.parse(hook.received[0]!.body)).toMatchObject({ for_user_id: alice().id, block_events: [{ type: "block" }] });
  });

  it("DMs carry users and apps (apps can be left out, as real DMs sometimes do)", async () => {
    const id = await registerV2(emu, hook.url);
    await subscribeV2(emu, id, bob());
    await emu.emit({ type: "direct_message", sender_id: alice().id, recipient_id: bob().id, text: "café 🐦" });
    const dm = JSON.parse(hook.received[0]!.body) as Json;
    expect(dm).toMatchObject({ for_user_id: bob().id, direct_message_events: [{ type: "message_create", message_create: { sender_id: alice().id, message_data: { text: "café 🐦" } } }] });
    expect(Object.keys(dm.users as Json).sort()).toEqual([alice().id, bob().id].sort());
    expect(dm).toHaveProperty("apps");
    await emu.emit({ type: "direct_message", sender_id: alice().id, recipient_id: bob().id, omit_apps: true });
    expect(JSON.parse(hook.received[1]!.body)).not.toHaveProperty("apps");
  });

  it("typing indicators and read receipts go to the recipient; deletes to the author", async () => {
    const id = await registerV2(emu, hook.url);
    await subscribeV2(emu, id, alice());
    await subscribeV2(emu, id, bob());
    await emu.emit({ type: "typing", sender_id: alice().id, recipient_id: bob().id });
    await emu.emit({ type: "read", sender_id: alice().id, recipient_id: bob().id });
    await emu.emit({ type: "tweet_delete", user_id: alice().id, tweet_id: "1045405559317569537" });
    const bodies = hook.received.map((r) => JSON.parse(r.body) as Json);
    expect(bodies.map((b) => [b.for_user_id, Object.keys(b)[1]])).toEqual([
      [bob().id, "direct_message_indicate_typing_events"],
      [bob().id, "direct_message_mark_read_events"],
      [alice().id, "tweet_delete_events"],
    ]);
  });

  it("xaa-flavour apps subscribed through AAA get the XAA envelope (emulator shortcut): post.create for the author, post.mention.create for the mentioned", async () => {
    const xaa = appNamed(emu, "activity");
    hook.secrets = [xaa.consumerSecret];
    const id = await registerV2(emu, hook.url, xaa);
    await subscribeV2(emu, id, alice(), xaa);
    await subscribeV2(emu, id, bob(), xaa);
    const res = await emu.emit({ type: "tweet", user_id: alice().id, mention_ids: [bob().id] });
    expect(hook.received).toHaveLength(2);
    expect(hook.received.every((r) => r.signatureValid)).toBe(true);
    const [own, mention] = hook.received.map((r) => (JSON.parse(r.body) as { data: Json }).data);
    expect(own).toMatchObject({ filter: { user_id: alice().id }, event_type: "post.create", payload: { id: res.ids.tweet_id, author_id: alice().id } });
    expect(own!.event_uuid).toMatch(/^-?\d+$/);
    expect(mention).toMatchObject({ filter: { user_id: bob().id }, event_type: "post.mention.create", payload: { id: res.ids.tweet_id, author_id: alice().id } });
  });

  it("a revoke is a user_event without for_user_id, and X drops the subscription", async () => {
    const id = await registerV2(emu, hook.url);
    await subscribeV2(emu, id, alice());
    await emu.emit({ type: "revoke", user_id: alice().id, app: "default" });
    const body = JSON.parse(hook.received[0]!.body) as Json;
    expect(body).not.toHaveProperty("for_user_id");
    expect(body).toMatchObject({ user_event: { revoke: { target: { app_id: appNamed(emu, "default").appId }, source: { user_id: alice().id } } } });
    expect(emu.state.webhooks.get(id)!.subscriptions.has(alice().id)).toBe(false);
  });

  it("POST /_emulator/events and GET /_emulator/deliveries over HTTP", async () => {
    const id = await registerV2(emu, hook.url);
    await subscribeV2(emu, id, alice());
    const r = await call(emu, { method: "POST", path: "/_emulator/events", json: { type: "tweet", user_id: alice().id }, as: { none: true } });
    expect(r.status).toBe(200);
    const list = await call(emu, { method: "GET", path: "/_emulator/deliveries", query: { webhook_id: id }, as: { none: true } });
    const [attempt] = list.json as Json[];
    expect(attempt).toMatchObject({ status: 200, attempt: 1, outcome: "delivered", forUserId: alice().id, eventType: "tweet_create_events" });
    expect(attempt!.signature).toBe(sha256Signature(appNamed(emu, "default").consumerSecret, attempt!.body as string));
    expect(typeof attempt!.latencyMs).toBe("number");
    const bad = await call(emu, { method: "POST", path: "/_emulator/events", json: { type: "nope" }, as: { none: true } });
    expect(bad.status).toBe(400);
  });
});

describe("delivery retries on the virtual clock", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  afterEach(async () => {
    await emu.stop();
    await hook.close();
  });

  async function setup(delivery: { retryDelaysMs?: number[]; timeoutMs?: number }): Promise<void> {
    emu = await startEmulator({ clock: { scale: 0 }, delivery });
    hook = await startFakeWebhook(appNamed(emu, "default").consumerSecret);
    const id = await registerV2(emu, hook.url);
    await subscribeV2(emu, id, userNamed(emu, "alice"));
  }

  it("defaults to X's legacy timeline: waits of 3 s, 27 s and 242 s, then drops", async () => {
    expect(defaultSettings().delivery.retryDelaysMs).toEqual([3000, 27_000, 242_000]);
    await setup({});
    hook.deliveryStatus = 503;
    const t0 = emu.clock.now();
    await emu.emit({ type: "tweet", user_id: userNamed(emu, "alice").id });
    await emu.advance(10 * 60_000);
    const attempts = emu.state.deliveries;
    expect(attempts.map((a) => a.at - t0)).toEqual([0, 3000, 30_000, 272_000]);
    expect(attempts.map((a) => a.outcome)).toEqual(["retrying", "retrying", "retrying", "dropped"]);
    expect(new Set(attempts.map((a) => a.deliveryId)).size).toBe(1);
    expect(hook.received).toHaveLength(4);
  });

  it("retries on a configured short schedule until a 200", async () => {
    await setup({ retryDelaysMs: [1000, 5000, 10_000] });
    hook.deliveryQueue = [500, 500];
    await emu.emit({ type: "tweet", user_id: userNamed(emu, "alice").id });
    expect(hook.received).toHaveLength(1);
    await emu.advance(999);
    expect(hook.received).toHaveLength(1);
    await emu.advance(1);
    expect(hook.received).toHaveLength(2);
    await emu.advance(5000);
    expect(hook.received).toHaveLength(3);
    await emu.advance(60_000);
    expect(hook.received).toHaveLength(3);
    expect(emu.state.deliveries.map((a) => [a.status, a.outcome])).toEqual([[500, "retrying"], [500, "retrying"], [200, "delivered"]]);
    expect(new Set(hook.received.map((r) => r.body)).size).toBe(1);
  });

  it("an answer slower than the timeout counts as a failure", async () => {
    await setup({ retryDelaysMs: [1000], timeoutMs: 100 });
    hook.deliveryDelayMs = 500;
    await emu.emit({ type: "tweet", user_id: userNamed(emu, "alice").id });
    expect(emu.state.deliveries[0]).toMatchObject({ status: null, error: "timeout", outcome: "retrying" });
    hook.deliveryDelayMs = 0;
    await emu.advance(1000);
    expect(emu.state.deliveries[1]).toMatchObject({ status: 200, outcome: "delivered" });
  });
});
