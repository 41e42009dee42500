/**
 * Cross-API dedup through the Worker's real queue handler, real Dedup Durable Objects and a
 * real EVENTS queue: while an app migrates (APPS `migrating: true`) the same event delivered
 * through AAA and through XAA reaches consumers once; without the flag both are published (the
 * receiver never guesses); follow/block/mute/like canonical keys are remembered only for the
 * short pair window, so a genuine second follow later is published.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, reset } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { normaliseDelivery } from "../../src/events/normalise.ts";
import { handleQueue } from "../../src/pipeline/queue.ts";
import type { IngestMessage } from "../../src/pipeline/messages.ts";
import { BUSY_RETRY_SECONDS, DEDUP_LEASE_MS } from "../../src/pipeline/ingest.ts";
import { dedupClaims, MIGRATION_PAIR_WINDOW_SECONDS } from "../../src/pipeline/dedup-keys.ts";
import { ingestMessage, queued, recordRetryDelays, testEnv, type TestEnv } from "./pipeline-helpers.ts";
import postCreateRaw from "../fixtures/payloads/xaa.post.create.json?raw";
import mentionRaw from "../fixtures/payloads/xaa.post.mention.create.json?raw";
import followRaw from "../fixtures/payloads/xaa.follow.follow.json?raw";

const USER = "1111111111111111111";
const POST = "2080761390344937796";

const MIGRATING = { APPS: JSON.stringify([{ name: "default", migrating: true }]) };

async function ingest(t: TestEnv, texts: string[]) {
  const messages = texts.map((text) => queued<IngestMessage>(ingestMessage(text)));
  const batch = createMessageBatch("aae-ingest", messages);
  const ctx = createExecutionContext();
  await handleQueue(batch, t.env, ctx);
  return getQueueResult(batch, ctx);
}

function published(t: TestEnv): { activity: string; object_key: string; format: string; for_user_id: string | null }[] {
  return t.events.sent.map((s) => JSON.parse(s.body as string) as ReturnType<typeof published>[number]);
}

/** The AAA delivery of the XAA example's post, for its author. */
const aaaPost = JSON.stringify({
  for_user_id: USER,
  tweet_create_events: [{ created_at: "Fri Jul 24 21:05:48 +0000 2026", id_str: POST, text: "Hello from the Activity API", user: { id_str: USER } }],
});

/** The AAA delivery of the XAA follow example (1111… follows 4444…), for the follower. */
const aaaFollow = JSON.stringify({
  for_user_id: USER,
  follow_events: [{ type: "follow", created_timestamp: "1784927000000", source: { id_str: USER }, target: { id_str: "4444444444444444444" } }],
});

/** The same post seen by the user as a mention and a reply: two XAA subscriptions, two deliveries. */
const asReply = mentionRaw.replace('"event_type": "post.mention.create"', '"event_type": "post.reply.create"').replace('"event_uuid": "2080765813578191303"', '"event_uuid": "-1"');

beforeEach(async () => {
  await reset();
});

describe("cross-API dedup while an app migrates", () => {
  it("publishes a post delivered through AAA and then XAA once", async () => {
    const t = testEnv(MIGRATING);
    await ingest(t, [aaaPost]);
    const second = await ingest(t, [postCreateRaw]);
    expect(second.explicitAcks).toHaveLength(1);
    expect(published(t)).toEqual([expect.objectContaining({ format: "aaa", activity: "post.create", object_key: `post:${POST}` })]);
  });

  it("publishes a post once when its AAA and XAA copies arrive in one consumer batch (the batch's one begin per shard)", async () => {
    const t = testEnv(MIGRATING);
    const aaa = queued<IngestMessage>(ingestMessage(aaaPost));
    const xaa = queued<IngestMessage>(ingestMessage(postCreateRaw));
    const batch = createMessageBatch("aae-ingest", [aaa, xaa]);
    const delays = recordRetryDelays(batch);
    const ctx = createExecutionContext();
    await handleQueue(batch, t.env, ctx);
    const result = await getQueueResult(batch, ctx);
    // The first claims the canonical key; the second finds it leased by another message: busy.
    expect(result.explicitAcks).toEqual([aaa.id]);
    expect(delays.get(xaa.id)).toBe(BUSY_RETRY_SECONDS);
    expect(published(t).map((e) => e.format)).toEqual(["aaa"]);
    // Its redelivery finds the canonical key committed: acked, nothing published.
    const again = createMessageBatch("aae-ingest", [{ ...xaa, attempts: 2 }]);
    const ctx2 = createExecutionContext();
    await handleQueue(again, t.env, ctx2);
    expect((await getQueueResult(again, ctx2)).explicitAcks).toEqual([xaa.id]);
    expect(published(t).map((e) => e.format)).toEqual(["aaa"]);
  });

  it("publishes it once whichever API comes first, and X's retries of either change nothing", async () => {
    const t = testEnv(MIGRATING);
    await ingest(t, [postCreateRaw]);
    await ingest(t, [aaaPost]);
    await ingest(t, [aaaPost]);
    await ingest(t, [postCreateRaw]);
    expect(published(t).map((e) => e.format)).toEqual(["xaa"]);
  });

  it("publishes a post once when XAA delivers it for two subscriptions (mention and reply)", async () => {
    const t = testEnv(MIGRATING);
    await ingest(t, [mentionRaw]);
    await ingest(t, [asReply]);
    expect(published(t)).toHaveLength(1);
  });

  it("keeps one event for two users apart (each user's copy is published)", async () => {
    const t = testEnv(MIGRATING);
    const forOther = aaaPost.replace(`"for_user_id":"${USER}"`, '"for_user_id":"2222222222222222222"');
    await ingest(t, [aaaPost]);
    await ingest(t, [forOther]);
    await ingest(t, [postCreateRaw]);
    expect(published(t).map((e) => e.for_user_id)).toEqual([USER, "2222222222222222222"]);
  });

  it("does nothing across APIs for an app that is not migrating", async () => {
    const t = testEnv();
    await ingest(t, [aaaPost]);
    await ingest(t, [postCreateRaw]);
    expect(published(t).map((e) => e.format)).toEqual(["aaa", "xaa"]);
  });

  it("publishes a follow through AAA and XAA once, and remembers the pair only for the pair window", async () => {
    const t = testEnv(MIGRATING);
    await ingest(t, [aaaFollow]);
    await ingest(t, [followRaw]);
    expect(published(t)).toEqual([expect.objectContaining({ activity: "follow.follow", object_key: `follow:${USER}:4444444444444444444` })]);

    // Ask the Dedup shards directly, at chosen times, about the keys the two deliveries claimed.
    const now = Date.now();
    const policy = { collapseAcrossUsers: false, migrating: true, shards: 16, windowSeconds: 432_000 };
    const [aaaEnvelope] = normaliseDelivery(aaaFollow, { app: "default", received_at: "", delivery_id: "x" });
    const [idClaim, pairClaim] = dedupClaims(aaaEnvelope!, policy);
    const shard = (n: number) => env.DEDUP.getByName(`dedup-${n}`);
    const at = async (claim: typeof idClaim, ms: number) => (await shard(claim!.shard).begin([claim!.key], DEDUP_LEASE_MS, `probe-${ms}`, ms))[0];
    expect(await at(pairClaim, now + 60_000)).toBe("done");
    // After the pair window a genuine second follow's pair claim is new again...
    expect(await at(pairClaim, now + (MIGRATION_PAIR_WINDOW_SECONDS + 60) * 1000)).toBe("new");
    // ...while X's retries of the first one are still recognised by their id.
    expect(await at(idClaim, now + (MIGRATION_PAIR_WINDOW_SECONDS + 60) * 1000)).toBe("done");
  });
});
