/**
 * TOKEN_ENCRYPTION_KEY rotation through the admin API with the real Registry Durable Object:
 * tokens stored under key A keep working once the config says current = B, previous = A (and are
 * re-sealed to B when used), POST /admin/apps/:app/tokens/reseal re-seals the rest, a token under
 * an unrelated key is reported and kept, and a re-seal never overwrites a token stored meanwhile.
 * X is the in-memory XApiClient fake (admin-fake-x.ts): neither X nor the emulator can run in workerd.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAdminRouter } from "../../src/admin/router.ts";
import { registryFor, type Registry } from "../../src/state/registry.ts";
import { deriveSealKey, openToken, sealToken, TokenSealError } from "../../src/state/token-seal.ts";
import type { UserToken } from "../../src/x-api/types.ts";
import { FakeX } from "./admin-fake-x.ts";

const KEY_A = "token-key-A-aaaaaaaaaaaaaaaaaaaaaaaa";
const KEY_B = "token-key-B-bbbbbbbbbbbbbbbbbbbbbbbb";
const KEY_C = "token-key-C-cccccccccccccccccccccccc";
const AUTH = { authorization: "Bearer test-admin-token" };
const USERS = [
  { id: "2001", token: "2001-token", secret: "secret-2001" },
  { id: "2002", token: "2002-token", secret: "secret-2002" },
  { id: "2003", token: "2003-token", secret: "secret-2003" },
];

/** FakeX that also records the token pair of every user-context check. */
class RecordingX extends FakeX {
  checkedWith: UserToken[] = [];
  override async checkSubscription(webhookId: string, user: UserToken): Promise<boolean> {
    this.checkedWith.push({ ...user });
    return super.checkSubscription(webhookId, user);
  }
}

type Keys = { current?: string; previous?: string };

/** One app (fresh Registry) whose env can be rebuilt with other token keys, as a redeploy would. */
async function setup() {
  const name = `rot${Math.floor(Math.random() * 1e9)}`;
  const upper = name.toUpperCase();
  const fake = new RecordingX();
  const admin = createAdminRouter({ makeXClient: () => fake, now: () => Date.now() });
  const registry = registryFor(env, name);
  /** A fresh env object per key set: getConfig memoises per env, as a new deployment's isolate would. */
  const envWith = (keys: Keys): Env => {
    const src: Record<string, unknown> = {
      ...env,
      APPS: JSON.stringify([{ name, flavour: "v2" }]),
      [`X_CONSUMER_SECRET_${upper}`]: "s",
      [`X_BEARER_TOKEN_${upper}`]: "b",
      TOKEN_ENCRYPTION_KEY: keys.current ?? "",
      TOKEN_ENCRYPTION_KEY_PREVIOUS: keys.previous ?? "",
    };
    return src as unknown as Env;
  };
  const send = async (keys: Keys, path: string, init: RequestInit = {}): Promise<Response> =>
    (await admin.fetch(new Request(`https://edge.example/admin/apps/${name}${path}`, { ...init, headers: AUTH }), envWith(keys), createExecutionContext())) as Response;
  const reseal = async (keys: Keys) => {
    const res = await send(keys, "/tokens/reseal", { method: "POST" });
    expect(res.status).toBe(200);
    return res.json<{ resealed: number; already_current: number; unopenable: string[] }>();
  };
  /** Whether the user's stored blob opens with exactly this key. */
  const opensWith = async (userId: string, secret: string): Promise<boolean> => {
    const sealed = await registry.getSealedToken(userId);
    if (sealed === null) throw new Error(`no token stored for ${userId}`);
    try {
      await openToken(await deriveSealKey(secret), { app: name, userId }, sealed);
      return true;
    } catch (err) {
      if (err instanceof TokenSealError) return false;
      throw err;
    }
  };
  fake.webhooks.push({ id: "w1", url: `https://edge.example/webhooks/${name}`, valid: true, created_at: new Date().toISOString() });
  await registry.recordWebhook(fake.webhooks[0]!, new Date().toISOString());
  /** Subscribe every user through the admin API with key A current: their tokens are sealed with A. */
  for (const u of USERS) {
    fake.users.set(u.token, { userId: u.id, screenName: `u${u.id}`, secret: u.secret });
    const res = await send({ current: KEY_A }, "/subscriptions", { method: "POST", body: JSON.stringify({ user_id: u.id, token: u.token, secret: u.secret }) });
    expect(res.status).toBe(201);
  }
  for (const u of USERS) expect(await opensWith(u.id, KEY_A)).toBe(true);
  return { name, fake, registry, send, reseal, opensWith };
}

const ROTATED: Keys = { current: KEY_B, previous: KEY_A };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("TOKEN_ENCRYPTION_KEY rotation", () => {
  it("without the previous key, tokens under the old key cannot be used (the failure this feature fixes)", async () => {
    const t = await setup();
    const res = await t.send({ current: KEY_B }, `/subscriptions/${USERS[0]!.id}`);
    expect(res.status).toBe(409);
    const text = await res.text();
    expect(text).toContain("token_unopenable");
    expect(text).not.toContain(KEY_A);
    expect(text).not.toContain(KEY_B);
    expect(t.fake.checkedWith).toEqual([]);
  });

  it("a user-context call opens a token with the previous key, X gets the right token, and it is re-sealed with the current key", async () => {
    const t = await setup();
    const [u] = USERS;
    const res = await t.send(ROTATED, `/subscriptions/${u!.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ x_subscribed: true, checked_with: "user_token" });
    expect(t.fake.checkedWith).toEqual([{ token: u!.token, secret: u!.secret }]);
    expect(await t.opensWith(u!.id, KEY_B)).toBe(true);
    expect(await t.opensWith(u!.id, KEY_A)).toBe(false);
    // The others are untouched until used or re-sealed.
    expect(await t.opensWith(USERS[1]!.id, KEY_A)).toBe(true);

    // Re-subscribing with the stored token (no pair given) works the same way.
    t.fake.subs.delete(USERS[1]!.id);
    const add = await t.send(ROTATED, "/subscriptions", { method: "POST", body: JSON.stringify({ user_id: USERS[1]!.id }) });
    expect(add.status).toBe(201);
    expect(t.fake.subs.has(USERS[1]!.id)).toBe(true);
    expect(await t.opensWith(USERS[1]!.id, KEY_B)).toBe(true);
  });

  it("the reseal endpoint re-seals the rest and reports counts; afterwards the previous key is not needed", async () => {
    const t = await setup();
    await t.send(ROTATED, `/subscriptions/${USERS[0]!.id}`); // lazily re-sealed: already current below
    expect(await t.reseal(ROTATED)).toEqual({ resealed: 2, already_current: 1, unopenable: [] });
    for (const u of USERS) expect(await t.opensWith(u.id, KEY_B)).toBe(true);
    // Idempotent.
    expect(await t.reseal(ROTATED)).toEqual({ resealed: 0, already_current: 3, unopenable: [] });

    // TOKEN_ENCRYPTION_KEY_PREVIOUS removed: everything still opens with B alone.
    expect(await t.reseal({ current: KEY_B })).toEqual({ resealed: 0, already_current: 3, unopenable: [] });
    t.fake.checkedWith = [];
    for (const u of USERS) {
      const res = await t.send({ current: KEY_B }, `/subscriptions/${u.id}`);
      expect(await res.json()).toMatchObject({ x_subscribed: true, checked_with: "user_token" });
    }
    expect(t.fake.checkedWith).toEqual(USERS.map((u) => ({ token: u.token, secret: u.secret })));
  });

  it("re-sealing keeps stored_at (a revoke compares with it) and the subscription rows", async () => {
    const t = await setup();
    const storedAt = () => runInDurableObject(t.registry, (_o: Registry, state) =>
      state.storage.sql.exec("SELECT user_id, stored_at FROM user_tokens ORDER BY user_id").toArray());
    const before = await storedAt();
    const subsBefore = await t.registry.listSubscriptions(true);
    await t.reseal(ROTATED);
    expect(await storedAt()).toEqual(before);
    expect(await t.registry.listSubscriptions(true)).toEqual(subsBefore);
  });

  it("reports a token sealed with an unrelated key as unopenable and does not delete it", async () => {
    const t = await setup();
    const stray = "2999";
    const underC = await sealToken(await deriveSealKey(KEY_C), { app: t.name, userId: stray }, { token: "t-c", secret: "s-c" });
    await t.registry.upsertSubscription({ user_id: stray, screen_name: null, by: "admin", sealed: underC }, new Date().toISOString());

    expect(await t.reseal(ROTATED)).toEqual({ resealed: 3, already_current: 0, unopenable: [stray] });
    expect(await t.registry.getSealedToken(stray)).toBe(underC);
    expect((await t.registry.listSubscriptions()).find((s) => s.user_id === stray)).toMatchObject({ status: "active", has_token: true });
    // A call needing it says what to do, and leaves it in place.
    const res = await t.send(ROTATED, `/subscriptions/${stray}`);
    expect(res.status).toBe(409);
    expect(await t.registry.getSealedToken(stray)).toBe(underC);
    // Once the key it was sealed with is given as the previous key, it is re-sealed like any other.
    expect(await t.reseal({ current: KEY_B, previous: KEY_C })).toEqual({ resealed: 1, already_current: 3, unopenable: [] });
  });

  it("compare-and-set: a re-seal never overwrites a token stored after it was read", async () => {
    const t = await setup();
    const [u] = USERS;
    const read = (await t.registry.getSealedToken(u!.id))!;
    const resealed = await sealToken(await deriveSealKey(KEY_B), { app: t.name, userId: u!.id }, { token: u!.token, secret: u!.secret });
    // The user signs in again meanwhile: a fresh token, sealed with B, replaces the one read.
    const fresh = await sealToken(await deriveSealKey(KEY_B), { app: t.name, userId: u!.id }, { token: "fresh-token", secret: "fresh-secret" });
    await t.registry.upsertSubscription({ user_id: u!.id, screen_name: null, by: "oauth", sealed: fresh }, new Date().toISOString());

    expect(await t.registry.replaceSealedTokens([
      { user_id: u!.id, expected: read, sealed: resealed },
      { user_id: USERS[1]!.id, expected: (await t.registry.getSealedToken(USERS[1]!.id))!, sealed: "v1.replaced.blob" },
    ])).toEqual([USERS[1]!.id]);
    expect(await t.registry.getSealedToken(u!.id)).toBe(fresh);
    expect(await t.registry.getSealedToken(USERS[1]!.id)).toBe("v1.replaced.blob");
  });

  it("the cron's reconciliation re-subscribes with a token under the previous key and re-seals it", async () => {
    const t = await setup();
    const [, , u] = USERS;
    t.fake.subs.delete(u!.id); // X dropped the user
    const res = await t.send(ROTATED, "/subscriptions/reconcile", { method: "POST" });
    expect(await res.json()).toMatchObject({ status: "ok", resubscribed: [u!.id], failed: [] });
    expect(t.fake.subs.has(u!.id)).toBe(true);
    expect(await t.opensWith(u!.id, KEY_B)).toBe(true);
  });

  it("a previous key too short to use is a configuration error naming the setting, never its value", async () => {
    const t = await setup();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await t.send({ current: KEY_B, previous: "tiny-old" }, "/tokens/reseal", { method: "POST" });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("tiny-old");
    const logged = errors.mock.calls.map((c) => String(c[0])).join("\n");
    expect(logged).toContain("TOKEN_ENCRYPTION_KEY_PREVIOUS");
    expect(logged).not.toContain("tiny-old");
  });

  it("answers 503 when no TOKEN_ENCRYPTION_KEY is set", async () => {
    const t = await setup();
    const res = await t.send({ previous: KEY_A }, "/tokens/reseal", { method: "POST" });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "token_storage_disabled" } });
  });
});
