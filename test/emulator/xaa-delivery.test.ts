import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, registerV2, startFakeWebhook, subscribeV2, userNamed, type FakeWebhook } from "./helpers.ts";
import { bearerCall, oauth2Login } from "./xaa-helpers.ts";

type Json = Record<string, unknown>;
interface XaaBody {
  data: { event_uuid: string; filter: Json; event_type: string; tag?: string; payload: Json; includes?: Json };
}

function fixture(name: string): XaaBody {
  return JSON.parse(readFileSync(new URL(`../fixtures/payloads/${name}`, import.meta.url), "utf8")) as XaaBody;
}

const keys = (o: unknown): string[] => Object.keys(o as Json).sort();

describe("XAA deliveries: one per matching subscription, in X's payload shapes", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  let webhookId: string;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0, start: Date.UTC(2026, 11, 4, 12) } });
    hook = await startFakeWebhook(appNamed(emu, "default").consumerSecret);
  });
  afterEach(() => {
    emu.reset();
    hook.received.length = 0;
  });
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });
  const app = (): ReturnType<typeof appNamed> => appNamed(emu, "default");
  const alice = (): ReturnType<typeof userNamed> => userNamed(emu, "alice");
  const bob = (): ReturnType<typeof userNamed> => userNamed(emu, "bob");
  const subscribe = async (body: Json, token = app().bearerToken): Promise<string> => {
    const r = await bearerCall(emu, token, "POST", "/2/activity/subscriptions", { webhook_id: webhookId, ...body });
    if (r.status !== 200) throw new Error(`subscribe failed ${r.status} ${r.text}`);
    return String((r.json as { data: { subscription: Json } }).data.subscription.subscription_id);
  };
  const bodies = (): XaaBody[] => hook.received.filter((r) => r.body.startsWith('{"data"')).map((r) => JSON.parse(r.body) as XaaBody);
  const setup = async (): Promise<void> => {
    webhookId = await registerV2(emu, hook.url);
  };

  it("each matching subscription gets its own signed delivery carrying its tag and filter; others get nothing", async () => {
    await setup();
    await subscribe({ event_type: "post.create", filter: { user_id: alice().id }, tag: "alice-posts" });
    const other = await registerV2(emu, `${hook.url}?second`);
    await subscribe({ event_type: "post.create", filter: { user_id: alice().id }, tag: "copy", webhook_id: other });
    await subscribe({ event_type: "post.create", filter: { user_id: bob().id }, tag: "bob-posts" });
    await subscribe({ event_type: "post.delete", filter: { user_id: alice().id }, tag: "deletes" });
    const res = await emu.emit({ type: "tweet", user_id: alice().id, text: "hello" });
    expect(hook.received.every((r) => r.signatureValid)).toBe(true);
    const got = bodies();
    expect(got.map((b) => b.data.tag).sort()).toEqual(["alice-posts", "copy"]);
    for (const b of got) {
      expect(b.data).toMatchObject({ event_type: "post.create", filter: { user_id: alice().id }, payload: { id: res.ids.tweet_id, author_id: alice().id, text: "hello" } });
      expect(b.data.event_uuid).toMatch(/^-?\d{1,19}$/);
    }
    expect(got[0]!.data.event_uuid).not.toBe(got[1]!.data.event_uuid);
    expect(res.deliveries.map((d) => d.api)).toEqual(["xaa", "xaa"]);
  });

  it("like.create follows direction: outbound for the liker, inbound for the author; payload as X's (timestamp_ms the like, created_at the liked post)", async () => {
    await setup();
    await oauth2Login(emu, app(), alice(), ["like.read"]);
    await oauth2Login(emu, app(), bob(), ["like.read"]);
    await subscribe({ event_type: "like.create", filter: { user_id: alice().id, direction: "outbound" }, tag: "alice-out" });
    await subscribe({ event_type: "like.create", filter: { user_id: alice().id, direction: "inbound" }, tag: "alice-in" });
    await subscribe({ event_type: "like.create", filter: { user_id: bob().id }, tag: "bob-any" });
    const res = await emu.emit({ type: "favorite", user_id: alice().id, tweet_author_id: bob().id, tweet_id: "1900000000000000001" });
    const got = bodies();
    expect(got.map((b) => [b.data.tag, b.data.filter])).toEqual([
      ["alice-out", { user_id: alice().id, direction: "outbound" }],
      ["bob-any", { user_id: bob().id }],
    ]);
    const like = got[0]!.data.payload;
    expect(keys(like)).toEqual(keys(fixture("xaa.like.create.json").data.payload));
    expect(like).toMatchObject({ id: res.ids.favorite_id, liked_tweet_id: "1900000000000000001", liked_tweet_author_id: bob().id, timestamp_ms: String(emu.clock.now()) });
    expect(Date.parse(String(like.created_at))).toBeLessThan(emu.clock.now());
    expect(keys(got[0]!.data.includes)).toEqual(["tweets", "users"]);
  });

  it("one activity seen through AAA and XAA carries the same object ids (post, DM event, liked post, like)", async () => {
    await setup();
    await subscribeV2(emu, webhookId, alice());
    await oauth2Login(emu, app(), alice(), ["dm.read", "like.read", "tweet.read"]);
    await subscribe({ event_type: "post.create", filter: { user_id: alice().id } });
    await subscribe({ event_type: "dm.sent", filter: { user_id: alice().id } });
    await subscribe({ event_type: "like.create", filter: { user_id: alice().id } });
    const tweet = await emu.emit({ type: "tweet", user_id: alice().id });
    const dm = await emu.emit({ type: "direct_message", sender_id: alice().id, recipient_id: bob().id });
    const fav = await emu.emit({ type: "favorite", user_id: alice().id, tweet_author_id: bob().id });
    const aaa = hook.received.map((r) => JSON.parse(r.body) as Json).filter((b) => "for_user_id" in b);
    const xaa = bodies();
    expect(aaa).toHaveLength(3);
    expect(xaa).toHaveLength(3);
    const [aTweet, aDm, aFav] = aaa as [Json & { tweet_create_events: Json[] }, Json & { direct_message_events: Json[] }, Json & { favorite_events: (Json & { favorited_status: Json })[] }];
    const [xTweet, xDm, xFav] = xaa as [XaaBody, XaaBody, XaaBody];
    expect(aTweet.tweet_create_events[0]!.id_str).toBe(tweet.ids.tweet_id);
    expect(xTweet.data.payload.id).toBe(tweet.ids.tweet_id);
    expect(aDm.direct_message_events[0]!.id).toBe(dm.ids.dm_id);
    expect((xDm.data.payload.direct_message_events as Json[])[0]!.id).toBe(dm.ids.dm_id);
    expect(aFav.favorite_events[0]!.id).toBe(fav.ids.favorite_id);
    expect(xFav.data.payload.id).toBe(fav.ids.favorite_id);
    expect(aFav.favorite_events[0]!.favorited_status.id_str).toBe(xFav.data.payload.liked_tweet_id);
  });

  it("every family is delivered in the shape of X's event-payloads examples", async () => {
    await setup();
    await oauth2Login(emu, app(), alice(), ["dm.read", "tweet.read"]);
    for (const t of ["post.create", "post.delete", "post.mention.create", "post.reply.create", "post.quote.create", "post.repost.create", "follow.follow", "follow.unfollow", "dm.sent", "dm.received", "dm.read", "dm.indicate_typing"]) {
      await subscribe({ event_type: t, filter: { user_id: alice().id }, tag: t });
    }
    await subscribe({ event_type: "oauth.revoke", filter: {} });
    const byType = (t: string): XaaBody => {
      const b = bodies().find((x) => x.data.event_type === t);
      if (!b) throw new Error(`no ${t} delivered`);
      return b;
    };
    const own = await emu.emit({ type: "tweet", user_id: alice().id });
    await emu.emit({ type: "tweet", user_id: bob().id, mention_ids: [alice().id] });
    await emu.emit({ type: "tweet", user_id: bob().id, in_reply_to_status_id: own.ids.tweet_id, in_reply_to_user_id: alice().id, text: "nice" });
    await emu.emit({ type: "tweet", user_id: bob().id, quoted_status_id: own.ids.tweet_id, quoted_user_id: alice().id });
    await emu.emit({ type: "tweet", user_id: bob().id, retweeted_status_id: own.ids.tweet_id, retweeted_user_id: alice().id });
    await emu.emit({ type: "tweet_delete", user_id: alice().id, tweet_id: own.ids.tweet_id });
    await emu.emit({ type: "follow", source_id: alice().id, target_id: bob().id });
    await emu.emit({ type: "unfollow", source_id: alice().id, target_id: bob().id });
    await emu.emit({ type: "direct_message", sender_id: alice().id, recipient_id: bob().id });
    await emu.emit({ type: "direct_message", sender_id: bob().id, recipient_id: alice().id });
    await emu.emit({ type: "typing", sender_id: bob().id, recipient_id: alice().id });
    await emu.emit({ type: "read", sender_id: bob().id, recipient_id: alice().id });

    for (const [type, file] of [
      ["post.create", "xaa.post.create.json"],
      ["post.delete", "xaa.post.delete.json"],
      ["post.mention.create", "xaa.post.mention.create.json"],
      ["post.reply.create", "xaa.post.reply.create.json"],
      ["follow.follow", "xaa.follow.follow.json"],
      ["follow.unfollow", "xaa.follow.unfollow.json"],
      ["dm.sent", "xaa.dm.sent.json"],
      ["dm.received", "xaa.dm.received.json"],
    ] as const) {
      const got = byType(type).data;
      const want = fixture(file).data;
      expect(keys(got).filter((k) => k !== "includes"), type).toEqual(keys(want).filter((k) => k !== "includes"));
      expect(got.tag).toBe(type);
      expect(got.filter).toEqual({ user_id: alice().id });
      // Every top-level payload field we send is one X sends for this family.
      for (const k of Object.keys(got.payload)) expect(Object.keys(want.payload), `${type}.${k}`).toContain(k);
    }
    expect(keys(byType("follow.follow").data.payload)).toEqual(["source", "target"]);
    expect(byType("post.reply.create").data.payload).toMatchObject({ in_reply_to_tweet_id: own.ids.tweet_id, in_reply_to_user_id: alice().id, referenced_tweets: [{ type: "replied_to", id: own.ids.tweet_id }] });
    expect(byType("post.quote.create").data.payload.referenced_tweets).toEqual([{ type: "quoted", id: own.ids.tweet_id }]);
    expect(byType("post.repost.create").data.payload.referenced_tweets).toEqual([{ type: "retweeted", id: own.ids.tweet_id }]);
    expect(keys(byType("dm.indicate_typing").data.payload)).toEqual(["direct_message_indicate_typing_events", "users"]);
    expect(keys(byType("dm.read").data.payload)).toEqual(["direct_message_mark_read_events", "users"]);
    expect(byType("post.delete").data.payload).toEqual({ id: own.ids.tweet_id, author_id: alice().id });
  });

  it("XAA-only families (profile, Spaces, broadcast, XChat, news) in the event-payloads page's shapes; AAA gets nothing", async () => {
    await setup();
    await subscribeV2(emu, webhookId, alice());
    await oauth2Login(emu, app(), alice(), ["dm.read", "broadcast.read"]);
    for (const t of ["profile.update.bio", "spaces.start", "spaces.end", "broadcast.start", "broadcast.end", "broadcast.chat", "chat.sent", "chat.received", "chat.conversation.join"]) {
      await subscribe({ event_type: t, filter: { user_id: alice().id }, tag: t });
    }
    await subscribe({ event_type: "news.new", filter: { keyword: "openai" }, tag: "news" });
    await emu.emit({ type: "profile_update", user_id: alice().id, field: "bio", before: "old", after: "new" });
    await emu.emit({ type: "spaces", user_id: alice().id, action: "start", broadcast_id: "1qxvvvyLLdnxB" });
    await emu.emit({ type: "broadcast", user_id: alice().id, action: "start" });
    await emu.emit({ type: "broadcast", user_id: alice().id, action: "end" });
    await emu.emit({ type: "broadcast", user_id: alice().id, action: "chat", author_id: bob().id, text: "hi" });
    await emu.emit({ type: "chat", sender_id: alice().id, recipient_id: bob().id });
    await emu.emit({ type: "chat", sender_id: bob().id, recipient_id: alice().id });
    await emu.emit({ type: "chat", sender_id: bob().id, recipient_id: alice().id, join: true });
    await emu.emit({ type: "news", name: "OpenAI ships a thing" });
    await emu.emit({ type: "news", name: "Nothing to see" });
    const got = new Map(bodies().map((b) => [b.data.event_type, b.data] as const));
    expect([...got.keys()].sort()).toEqual(["broadcast.chat", "broadcast.end", "broadcast.start", "chat.conversation.join", "chat.received", "chat.sent", "news.new", "profile.update.bio", "spaces.start"]);
    expect(hook.received.every((r) => r.body.startsWith('{"data"'))).toBe(true); // nothing through AAA
    expect(got.get("profile.update.bio")!.payload).toEqual({ before: "old", after: "new" });
    expect(got.get("spaces.start")!.payload).toMatchObject({ broadcast_id: "1qxvvvyLLdnxB", event_type: "spaces_start", user: { data: { id: alice().id } } });
    expect(got.get("broadcast.start")!.payload).toMatchObject({ broadcast_state: "Running", event_timestamp_ms: emu.clock.now(), event_timestamp_ms_str: String(emu.clock.now()) });
    expect(got.get("broadcast.end")!.payload).toMatchObject({ broadcast_state: "Ended", available_for_replay: true });
    expect(got.get("broadcast.chat")!.payload).toMatchObject({ message: "hi", author: { data: { id: bob().id } } });
    expect(keys(got.get("chat.sent")!.payload)).toEqual(["conversation_id", "conversation_key_change_event", "conversation_key_version", "created_at_msec", "encoded_event", "id", "message_event_signature", "sender_id", "conversation_token"].sort());
    expect(got.get("chat.received")!.payload).toMatchObject({ sender_id: bob().id, created_at_msec: String(emu.clock.now()) });
    expect(got.get("news.new")!.filter).toEqual({ keyword: "openai" });
    expect(got.get("news.new")!.payload).toMatchObject({ name: "OpenAI ships a thing", category: "News" });
  });

  it("revoking a grant delivers oauth.revoke with an empty filter (and user_event to AAA), then the tokens and the user's private subscriptions are gone", async () => {
    await setup();
    await subscribeV2(emu, webhookId, alice());
    const tokens = await oauth2Login(emu, app(), alice(), ["dm.read", "tweet.read"]);
    await subscribe({ event_type: "oauth.revoke", filter: {} });
    const privateSub = await subscribe({ event_type: "dm.received", filter: { user_id: alice().id } }, tokens.access_token);
    const publicSub = await subscribe({ event_type: "post.create", filter: { user_id: alice().id } });
    const r = await fetch(`${emu.url}/_emulator/oauth2/revoke`, { method: "POST", body: JSON.stringify({ user_id: alice().id, app: "default" }) });
    expect(r.status).toBe(200);
    const revoke = bodies().find((b) => b.data.event_type === "oauth.revoke")!;
    const want = fixture("xaa.oauth.revoke.json").data;
    expect(revoke.data.filter).toEqual({});
    expect(keys(revoke.data)).toEqual(keys(want));
    expect(revoke.data.payload).toMatchObject({ user_id: alice().id, app_id: app().appId });
    expect(keys(revoke.data.payload)).toEqual(keys(want.payload));
    expect(hook.received.some((x) => x.body.startsWith('{"user_event"'))).toBe(true);
    expect((await bearerCall(emu, tokens.access_token, "GET", "/2/activity/subscriptions")).status).toBe(401);
    expect(emu.state.xaaSubscriptions.has(privateSub)).toBe(false);
    expect(emu.state.xaaSubscriptions.has(publicSub)).toBe(true);
    expect(emu.state.webhooks.get(webhookId)!.subscriptions.has(alice().id)).toBe(false);
  });

  it("no webhook_id (stream only), an invalid webhook and protected authors' posts deliver nothing", async () => {
    await setup();
    await bearerCall(emu, app().bearerToken, "POST", "/2/activity/subscriptions", { event_type: "post.create", filter: { user_id: bob().id } });
    emu.addUser({ id: "1600000000000000009", screenName: "locked", protected: true });
    await subscribe({ event_type: "post.create", filter: { user_id: "1600000000000000009" } });
    await emu.emit({ type: "tweet", user_id: bob().id });
    await emu.emit({ type: "tweet", user_id: "1600000000000000009" });
    expect(hook.received).toHaveLength(0);
  });

  it("/_emulator/deliveries filters by api and subscription_id", async () => {
    await setup();
    await subscribeV2(emu, webhookId, alice());
    const sub = await subscribe({ event_type: "post.create", filter: { user_id: alice().id } });
    await emu.emit({ type: "tweet", user_id: alice().id });
    const xaa = (await (await fetch(`${emu.url}/_emulator/deliveries?api=xaa`)).json()) as Json[];
    const aaa = (await (await fetch(`${emu.url}/_emulator/deliveries?api=aaa`)).json()) as Json[];
    expect(xaa.map((d) => [d.subscriptionId, d.eventType, d.outcome])).toEqual([[sub, "post.create", "delivered"]]);
    expect(aaa.map((d) => [d.subscriptionId, d.eventType])).toEqual([[null, "tweet_create_events"]]);
    const listed = (await (await fetch(`${emu.url}/_emulator/xaa/subscriptions?app=default`)).json()) as Json[];
    expect(listed.map((s) => [s.app, s.subscription_id])).toEqual([["default", sub]]);
  });
});
