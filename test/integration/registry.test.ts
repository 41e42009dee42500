/**
 * The Registry Durable Object through runInDurableObject / stubs: tables, revoke, replay jobs and
 * the gaps they cover, KV mirror.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { registryFor, type Registry } from "../../src/state/registry.ts";
import { applyControlEvents } from "../../src/state/control-events.ts";
import { statusKey, subscriptionsKey } from "../../src/state/kv-mirror.ts";
import type { Envelope } from "../../src/events/envelope.ts";

const T0 = "2026-03-10T12:00:00.000Z";
const T1 = "2026-03-10T13:00:00.000Z";
const T2 = "2026-03-10T14:00:00.000Z";
const hook = { id: "1001", url: "https://edge.example/webhooks/reg", valid: true, created_at: T0 };

function envelope(app: string, type: string, event: unknown): Envelope {
  return { id: `${type}:1`, event_key: `${type}:1`, app, type, format: "aaa", activity: type, object_key: `${type}:1`, for_user_id: null, created_at: null, received_at: T1, event, delivery_id: "d" };
}

/** Make webhook `w` known good at `okAt`, invalid just after, valid again at `upAt`: one closed gap [okAt, upAt]. */
async function downBetween(stub: DurableObjectStub<Registry>, w: typeof hook, okAt: string, upAt: string): Promise<number> {
  await stub.recordWebhook(w, okAt);
  await stub.recordWebhook({ ...w, valid: false }, new Date(Date.parse(okAt) + 60_000).toISOString());
  await stub.recordWebhook(w, upAt);
  const gap = (await stub.gaps()).at(-1)!;
  expect(gap).toMatchObject({ webhook_id: w.id, from_at: okAt, to_at: upAt, state: "closed" });
  return gap.id;
}

describe("Registry", () => {
  it("creates its tables", async () => {
    const stub = registryFor(env, "reg-tables");
    const names = await runInDurableObject(stub, (_i: Registry, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").toArray().map((r) => r.name));
    expect(names).toEqual(expect.arrayContaining(["webhooks", "subscriptions", "user_tokens", "replay_jobs", "gaps", "oauth_requests", "invites_used", "invite_claims", "meta"]));
  });

  it("records webhook validity and opens / closes a delivery gap", async () => {
    const stub = registryFor(env, "reg-gap");
    await stub.recordWebhook(hook, T0);
    await stub.recordWebhook({ ...hook, valid: false }, T1);
    let gaps = await stub.gaps();
    expect(gaps).toMatchObject([{ webhook_id: "1001", from_at: T0, to_at: null, state: "open" }]);
    expect((await stub.currentWebhook())).toMatchObject({ valid: false, invalid_since: T1 });
    await stub.recordRecheck("1001", true, null, T2);
    gaps = await stub.gaps();
    expect(gaps).toMatchObject([{ from_at: T0, to_at: T2, state: "closed" }]);
    expect(await stub.currentWebhook()).toMatchObject({ valid: true, invalid_since: null, last_recheck_result: "ok", last_ok_at: T2 });
  });

  it("revokes a user's subscription and token on user_event, idempotently, not undoing a later sign-in", async () => {
    const app = "reg-revoke";
    const stub = registryFor(env, app);
    await stub.upsertSubscription({ user_id: "63046977", screen_name: "a", by: "oauth", sealed: "v1.sealed.blob" }, "2018-05-24T09:00:00.000Z");
    await stub.upsertSubscription({ user_id: "42", screen_name: "b", by: "admin", sealed: null }, "2018-05-24T09:00:00.000Z");
    const revoke = envelope(app, "user_event", { revoke: { date_time: "2018-05-24T09:48:12+00:00", target: { app_id: "1" }, source: { user_id: "63046977" } } });
    await applyControlEvents(env, [revoke]);
    await applyControlEvents(env, [revoke]);
    const all = await stub.listSubscriptions(true);
    expect(all.find((s) => s.user_id === "63046977")).toMatchObject({ status: "revoked", has_token: false });
    expect(all.find((s) => s.user_id === "42")).toMatchObject({ status: "active" });
    expect(await stub.getSealedToken("63046977")).toBeNull();
    // The user signs in again after the revoke; a redelivered old revoke must not remove it.
    await stub.upsertSubscription({ user_id: "63046977", screen_name: "a", by: "oauth", sealed: "v1.new.blob" }, "2018-05-25T00:00:00.000Z");
    await applyControlEvents(env, [revoke]);
    expect((await stub.listSubscriptions()).map((s) => s.user_id).sort()).toEqual(["42", "63046977"]);
    expect(await stub.getSealedToken("63046977")).toBe("v1.new.blob");
  });

  it("applies a revoke stamped in the same second as the sign-in (X's whole-second stamps)", async () => {
    const app = "reg-revoke-same-second";
    const stub = registryFor(env, app);
    // Signed in at 09:48:12.700; X's revoke says 09:48:12 (no milliseconds).
    await stub.upsertSubscription({ user_id: "7", screen_name: "c", by: "oauth", sealed: "v1.blob" }, "2018-05-24T09:48:12.700Z");
    const revoke = envelope(app, "user_event", { revoke: { date_time: "2018-05-24T09:48:12+00:00", target: { app_id: "1" }, source: { user_id: "7" } } });
    await applyControlEvents(env, [revoke]);
    expect((await stub.listSubscriptions(true)).find((s) => s.user_id === "7")).toMatchObject({ status: "revoked", has_token: false });
  });

  it("closes a replay job on replay_job_status, once", async () => {
    const app = "reg-replay";
    const stub = registryFor(env, app);
    await stub.createReplayJob({ job_id: "1095098195724558337", webhook_id: "1001", from_date: T0, to_date: T1, requested_at: new Date().toISOString(), requested_by: "admin" }, null);
    expect(await stub.openReplayJob(Date.now())).toMatchObject({ job_id: "1095098195724558337" });
    const status = envelope(app, "replay_job_status", { webhook_id: "1001", job_state: "Incomplete", job_state_description: "first", job_id: "1095098195724558337" });
    await applyControlEvents(env, [status]);
    await applyControlEvents(env, [{ ...status, event: { ...(status.event as object), job_state: "Complete", job_state_description: "second" } }]);
    expect(await stub.openReplayJob(Date.now())).toBeNull();
    expect((await stub.listReplayJobs())[0]).toMatchObject({ state: "Incomplete", state_description: "first" });
  });

  it("links a replay job to the closed gaps entirely inside its window, and only those", async () => {
    const app = "reg-cover";
    const stub = registryFor(env, app);
    const at = (hhmm: string) => `2026-03-10T${hhmm}:00.000Z`;
    const other = { ...hook, id: "2002", url: "https://edge.example/webhooks/other" };
    // Webhook 1001: a gap starting before the window, one inside it, then one still open.
    const partly = await downBetween(stub, hook, at("08:30"), at("09:30"));
    const inside = await downBetween(stub, hook, at("10:00"), at("10:30"));
    await stub.recordWebhook(hook, at("11:00"));
    await stub.recordWebhook({ ...hook, valid: false }, at("11:10"));
    const open = (await stub.gaps()).find((g) => g.state === "open")!;
    expect(open).toMatchObject({ webhook_id: "1001", from_at: at("11:00"), to_at: null });
    // Webhook 2002: a closed gap inside the same window, but Replay is per webhook.
    const elsewhere = await downBetween(stub, other, at("10:00"), at("10:30"));

    const job = await stub.createReplayJob({ job_id: "7001", webhook_id: "1001", from_date: at("09:00"), to_date: at("12:00"), requested_at: new Date().toISOString(), requested_by: "admin" }, null);
    expect(job.gap_ids).toEqual([inside]);
    const byId = new Map((await stub.gaps()).map((g) => [g.id, g]));
    expect(byId.get(inside)).toMatchObject({ state: "requested", job_id: "7001" });
    expect(byId.get(partly)).toMatchObject({ state: "closed", job_id: null });
    expect(byId.get(open.id)).toMatchObject({ state: "open", job_id: null });
    expect(byId.get(elsewhere)).toMatchObject({ state: "closed", job_id: null });
    expect(await stub.openReplayJob(Date.now())).toMatchObject({ job_id: "7001", gap_ids: [inside] });
  });

  it("moves every gap of a job to done when X reports it Complete, and not again on a later status", async () => {
    const app = "reg-cover-done";
    const stub = registryFor(env, app);
    const a = await downBetween(stub, hook, "2026-03-10T10:00:00.000Z", "2026-03-10T10:20:00.000Z");
    const b = await downBetween(stub, hook, "2026-03-10T10:40:00.000Z", "2026-03-10T11:00:00.000Z");
    const c = await downBetween(stub, hook, "2026-03-10T11:30:00.000Z", "2026-03-10T12:30:00.000Z");
    // Like revalidation: c is requested explicitly (its window clipped), a and b lie inside.
    const job = await stub.createReplayJob({ job_id: "7002", webhook_id: "1001", from_date: "2026-03-10T09:59:00.000Z", to_date: "2026-03-10T12:00:00.000Z", requested_at: new Date().toISOString(), requested_by: "revalidation" }, c);
    expect(job.gap_ids).toEqual([a, b, c]);
    const status = envelope(app, "replay_job_status", { webhook_id: "1001", job_state: "Complete", job_id: "7002" });
    await applyControlEvents(env, [status]);
    await applyControlEvents(env, [{ ...status, event: { webhook_id: "1001", job_state: "Incomplete", job_id: "7002" } }]);
    expect((await stub.gaps()).map((g) => [g.id, g.state, g.job_id])).toEqual([[a, "done", "7002"], [b, "done", "7002"], [c, "done", "7002"]]);
    expect((await stub.listReplayJobs())[0]).toMatchObject({ job_id: "7002", state: "Complete", gap_ids: [a, b, c] });
  });

  it("moves every gap of a job to failed, with X's description, when X reports it Incomplete", async () => {
    const app = "reg-cover-failed";
    const stub = registryFor(env, app);
    const a = await downBetween(stub, hook, "2026-03-10T10:00:00.000Z", "2026-03-10T10:20:00.000Z");
    const b = await downBetween(stub, hook, "2026-03-10T10:40:00.000Z", "2026-03-10T11:00:00.000Z");
    await stub.createReplayJob({ job_id: "7003", webhook_id: "1001", from_date: "2026-03-10T10:00:00.000Z", to_date: "2026-03-10T11:00:00.000Z", requested_at: new Date().toISOString(), requested_by: "admin" }, null);
    await applyControlEvents(env, [envelope(app, "replay_job_status", { webhook_id: "1001", job_state: "Incomplete", job_state_description: "webhook down", job_id: "7003" })]);
    const gaps = await stub.gaps();
    expect(gaps.map((g) => [g.id, g.state])).toEqual([[a, "failed"], [b, "failed"]]);
    expect(gaps[0]!.note).toContain("webhook down");
  });

  it("takes an OAuth request once, only for its own browser, and never after it expires", async () => {
    const stub = registryFor(env, "reg-oauth");
    const row = { oauth_token: "rt1", sealed_secret: "v1.x.y", browser_hash: "h", invite_id: null, expires_at_ms: 2000 };
    await stub.putOAuthRequest(row, 1000);
    expect(await stub.takeOAuthRequest("rt1", "other", 1500)).toBe("other_browser");
    expect(await stub.takeOAuthRequest("rt1", "h", 1500)).toEqual(row);
    expect(await stub.takeOAuthRequest("rt1", "h", 1500)).toBe("missing");
    await stub.putOAuthRequest({ ...row, oauth_token: "rt2" }, 1000);
    expect(await stub.takeOAuthRequest("rt2", "h", 2000)).toBe("missing");
  });

  it("an invite is claimed by one flow, released on failure, used up on completion; a lapsed claim frees it", async () => {
    const stub = registryFor(env, "reg-invites");
    expect(await stub.claimInvite("inv", "flow-a", 5000, 1000)).toBe(true);
    expect(await stub.claimInvite("inv", "flow-b", 5000, 1001)).toBe(false);
    expect(await stub.releaseInvite("inv", "flow-b")).toBe(false); // only the holder releases
    expect(await stub.releaseInvite("inv", "flow-a")).toBe(true);
    expect(await stub.claimInvite("inv", "flow-b", 5000, 1002)).toBe(true);
    expect(await stub.completeInvite("inv", 100_000, 1003)).toBe(true);
    expect(await stub.claimInvite("inv", "flow-c", 9000, 1004)).toBe(false);
    expect(await stub.completeInvite("inv", 100_000, 1005)).toBe(false);
    // Abandoned: the claim lapses at its hold time.
    expect(await stub.claimInvite("inv2", "flow-a", 5000, 1000)).toBe(true);
    expect(await stub.claimInvite("inv2", "flow-b", 9000, 4999)).toBe(false);
    expect(await stub.claimInvite("inv2", "flow-b", 9000, 5000)).toBe(true);
  });

  it("mirrors status and subscriptions to KV, and writes only when they change", async () => {
    const app = "reg-mirror";
    const stub = registryFor(env, app);
    await stub.recordWebhook(hook, T0);
    await stub.upsertSubscription({ user_id: "7", screen_name: "seven", by: "admin", sealed: "v1.secret.blob" }, T0);
    // Changes within a second of the last write go through the alarm (KV: 1 write/s/key).
    await runDurableObjectAlarm(stub);
    const status = await env.STATE_KV.get(statusKey(app), "json");
    expect(status).toMatchObject({ app, webhook: { id: "1001", valid: true }, subscription_count: 1, open_replay_job: null });
    const subs = await env.STATE_KV.get<{ count: number; subscriptions: { user_id: string }[] }>(subscriptionsKey(app), "json");
    expect(subs).toMatchObject({ count: 1, subscriptions: [{ user_id: "7", screen_name: "seven" }] });
    expect(JSON.stringify(subs)).not.toContain("v1.secret.blob");

    // Unchanged state: the mirror must not be rewritten (a sentinel we put stays).
    await env.STATE_KV.put(statusKey(app), "sentinel");
    await env.STATE_KV.put(subscriptionsKey(app), "sentinel");
    await stub.recordWebhook(hook, T1);
    await stub.upsertSubscription({ user_id: "7", screen_name: "seven", by: "admin", sealed: null }, T1);
    await runDurableObjectAlarm(stub);
    expect(await env.STATE_KV.get(statusKey(app))).toBe("sentinel");
    expect(await env.STATE_KV.get(subscriptionsKey(app))).toBe("sentinel");

    // A real change is written.
    await stub.removeSubscription("7", "test", T2);
    await runDurableObjectAlarm(stub);
    expect(await env.STATE_KV.get(statusKey(app), "json")).toMatchObject({ subscription_count: 0 });
    expect(await env.STATE_KV.get(subscriptionsKey(app), "json")).toMatchObject({ count: 0, subscriptions: [] });
  });
});

describe("Registry: replay tries per gap", () => {
  it("counts a try each time a job is linked to a gap (not twice for the same job) and records when it failed", async () => {
    const app = "reg-tries";
    const stub = registryFor(env, app);
    const gap = await downBetween(stub, hook, "2026-03-10T10:00:00.000Z", "2026-03-10T10:20:00.000Z");
    expect((await stub.gaps())[0]).toMatchObject({ tries: 0, failed_at: null });
    const job = { webhook_id: "1001", from_date: "2026-03-10T10:00:00.000Z", to_date: "2026-03-10T10:21:00.000Z", requested_at: new Date().toISOString(), requested_by: "revalidation" };
    await stub.createReplayJob({ ...job, job_id: "8001" }, gap);
    await stub.createReplayJob({ ...job, job_id: "8001" }, gap); // recorded twice (a retried RPC): still one try
    expect((await stub.gaps())[0]).toMatchObject({ state: "requested", job_id: "8001", tries: 1 });
    await stub.closeReplayJob("8001", "Incomplete", "internal error", T2);
    expect((await stub.gaps())[0]).toMatchObject({ state: "failed", tries: 1, failed_at: T2, note: expect.stringContaining("internal error") });

    // The retry: a second job, a second try; its Complete keeps the count.
    await stub.createReplayJob({ ...job, job_id: "8002" }, gap);
    expect((await stub.gaps())[0]).toMatchObject({ state: "requested", job_id: "8002", tries: 2, note: null });
    await stub.closeReplayJob("8002", "Complete", null, "2026-03-10T15:00:00.000Z");
    expect((await stub.gaps())[0]).toMatchObject({ state: "done", tries: 2 });
  });

  it("links a manual job to the failed gaps entirely inside its window (counting the try), not a given-up one", async () => {
    const app = "reg-tries-manual";
    const stub = registryFor(env, app);
    const at = (hhmm: string) => `2026-03-10T${hhmm}:00.000Z`;
    const inside = await downBetween(stub, hook, at("10:00"), at("10:20"));
    const partly = await downBetween(stub, hook, at("08:00"), at("09:30"));
    const gaveUp = await downBetween(stub, hook, at("10:40"), at("10:50"));
    const first = { webhook_id: "1001", requested_at: new Date().toISOString(), requested_by: "revalidation" };
    await stub.createReplayJob({ ...first, job_id: "8101", from_date: at("08:00"), to_date: at("11:00") }, null);
    await stub.closeReplayJob("8101", "Incomplete", "x side", T2);
    await stub.updateGap(gaveUp, "given_up", "8101", "gave up: test");
    expect((await stub.gaps()).map((g) => [g.id, g.state, g.tries])).toEqual([[inside, "failed", 1], [partly, "failed", 1], [gaveUp, "given_up", 1]]);

    // As POST /admin/apps/:app/replay records it: no gap of its own (null), a window from 09:00.
    const manual = await stub.createReplayJob({ ...first, requested_by: "admin", job_id: "8102", from_date: at("09:00"), to_date: at("11:00") }, null);
    expect(manual.gap_ids).toEqual([inside]);
    const byId = new Map((await stub.gaps()).map((g) => [g.id, g]));
    expect(byId.get(inside)).toMatchObject({ state: "requested", job_id: "8102", tries: 2 });
    expect(byId.get(partly)).toMatchObject({ state: "failed", job_id: "8101", tries: 1 });
    expect(byId.get(gaveUp)).toMatchObject({ state: "given_up", job_id: "8101", tries: 1 });
  });

  it("skips a deleted webhook's failed gaps (no retry can reach them: Replay is per webhook)", async () => {
    const stub = registryFor(env, "reg-tries-deleted");
    const gap = await downBetween(stub, hook, "2026-03-10T10:00:00.000Z", "2026-03-10T10:20:00.000Z");
    await stub.createReplayJob({ job_id: "8201", webhook_id: "1001", from_date: "2026-03-10T10:00:00.000Z", to_date: "2026-03-10T10:30:00.000Z", requested_at: new Date().toISOString(), requested_by: "admin" }, null);
    await stub.closeReplayJob("8201", "Incomplete", "x side", T2);
    expect(await stub.removeWebhook("1001")).toBe(true);
    expect((await stub.gaps()).find((g) => g.id === gap)).toMatchObject({ state: "skipped", note: "webhook deleted" });
  });

  it("migrates a gaps table made before tries / failed_at: adds the columns once and backfills them", async () => {
    const { ensureRegistrySchema } = await import("../../src/state/registry-schema.ts");
    const stub = registryFor(env, "reg-tries-migrate");
    const result = await runInDurableObject(stub, (_i: Registry, state) => {
      const sql = state.storage.sql;
      // The table as the first release created it, with a row in each relevant state.
      sql.exec("DROP TABLE gaps");
      sql.exec("CREATE TABLE gaps (id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, from_at TEXT NOT NULL, to_at TEXT, state TEXT NOT NULL, job_id TEXT, note TEXT)");
      sql.exec("INSERT INTO replay_jobs (job_id, webhook_id, from_date, to_date, requested_at, requested_by, state, state_description, closed_at) VALUES ('old1', '1001', ?, ?, ?, 'revalidation', 'Incomplete', 'x side', ?)", T0, T1, T1, T2);
      sql.exec("INSERT INTO gaps (webhook_id, from_at, to_at, state, job_id, note) VALUES ('1001', ?, ?, 'failed', 'old1', 'replay job Incomplete: x side')", T0, T1);
      sql.exec("INSERT INTO gaps (webhook_id, from_at, to_at, state, job_id, note) VALUES ('1001', ?, ?, 'closed', NULL, NULL)", T1, T2);
      ensureRegistrySchema(sql);
      ensureRegistrySchema(sql); // idempotent: a second run adds nothing and keeps the values
      const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('gaps')").toArray().map((c) => c.name);
      return { columns };
    });
    expect(result.columns.filter((c) => c === "tries" || c === "failed_at")).toEqual(["tries", "failed_at"]);
    expect((await stub.gaps()).map((g) => [g.state, g.tries, g.failed_at])).toEqual([["failed", 1, T2], ["closed", 0, null]]);
    // And the migrated table works as a new one: linking counts on from the backfilled value.
    const gap = (await stub.gaps())[0]!.id;
    await stub.createReplayJob({ job_id: "old2", webhook_id: "1001", from_date: T0, to_date: T1, requested_at: new Date().toISOString(), requested_by: "revalidation" }, gap);
    expect((await stub.gaps())[0]).toMatchObject({ state: "requested", tries: 2 });
  });
});
