/**
 * XAA end to end over real HTTP: the Worker, the emulator as X, the sink. An XAA app subscribes a
 * user by profile through Sign in with X over OAuth 2.0 (invite → consent page → PKCE redirect →
 * the emulator's authorize page → callback: code exchanged with the verifier, /2/users/me, grant
 * stored, one XAA subscription per type), receives each subscribed type and nothing else, and the
 * user's revoke (`oauth.revoke`) removes their grant and every subscription, at X and here.
 * The user unticks `dm.read` on X's consent screen, so `dm.received` is reported not covered and
 * never delivered.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AppDef } from "../../emulator/index.ts";
import { secretName } from "../../src/config.ts";
import { DEMO_USERS, emulatorAppSecrets, emulatorApps, startStack, type SinkRecord, type Stack } from "./harness.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const APP = "x-activity";
const XAA_APP: Partial<AppDef> = { name: APP, flavour: "xaa" };
const X_APP = emulatorApps([XAA_APP]).get(APP)!;
const PROFILE_TYPES = ["post.create", "post.mention.create", "like.create", "dm.received"];
const { alice, bob } = DEMO_USERS;

let stack: Stack;

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

/** The emulator's control API (no auth). */
async function emu<T>(path: string, body?: unknown): Promise<T> {
  const init: RequestInit = body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  return json<T>(fetch(`${stack.emulator.url}/_emulator/${path}`, init));
}

function mine(r: SinkRecord): boolean {
  return r.envelope?.app === APP;
}

beforeAll(async () => {
  const secrets = {
    ...emulatorAppSecrets([X_APP]),
    [secretName("X_OAUTH2_CLIENT_ID", APP)]: X_APP.clientId,
    [secretName("X_OAUTH2_CLIENT_SECRET", APP)]: X_APP.clientSecret,
  };
  const apps = [{ name: APP, flavour: "xaa", xaa_profiles: { standard: { event_types: PROFILE_TYPES, tag: "acme-standard" } } }];
  stack = await startStack({ vars: { APPS: JSON.stringify(apps) }, secrets, emulator: { apps: [XAA_APP] } });
  const reg = await stack.admin(`/admin/apps/${APP}/webhooks`, { method: "POST", body: JSON.stringify({ url: stack.webhookUrl(APP) }) });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("XAA: Sign in with X (OAuth 2.0), subscribe by profile, deliveries, revoke", () => {
  test("the invite's consent page, PKCE through the emulator's authorize page, one subscription per covered type", async () => {
    const invite = await json<{ url: string; event_types: string[] }>(stack.admin(`/admin/apps/${APP}/invites`, { method: "POST", body: JSON.stringify({ profile: "standard" }) }));
    expect(invite.event_types).toEqual(PROFILE_TYPES);
    const page = await fetch(invite.url);
    expect(page.status).toBe(200);
    const text = await page.text();
    for (const t of PROFILE_TYPES) expect(text).toContain(`<code>${t}</code>`);

    const go = new URL(invite.url);
    go.searchParams.set("go", "1");
    const start = await fetch(go, { redirect: "manual" });
    expect(start.status).toBe(302);
    const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0]!;
    const authorize = new URL(start.headers.get("location")!);
    expect(authorize.origin + authorize.pathname).toBe(`${stack.emulator.url}/i/oauth2/authorize`);
    expect(authorize.searchParams.get("scope")!.split(" ").sort()).toEqual(["dm.read", "like.read", "offline.access", "tweet.read", "users.read"]);

    // Alice approves everything but dm.read on X's consent screen.
    await emu("oauth2/consent", { user_id: alice.id, decision: "approve", scopes: ["tweet.read", "users.read", "offline.access", "like.read"] });
    authorize.searchParams.set("user_id", alice.id);
    const consent = await fetch(authorize, { redirect: "manual" });
    expect(consent.status).toBe(302);
    const callback = new URL(consent.headers.get("location")!);
    expect(callback.searchParams.get("code")).not.toBeNull();

    const done = await fetch(callback, { headers: { cookie } });
    const result = await done.text();
    expect(done.status, result).toBe(200);
    expect(result).toContain("dm.received</code>: not granted (dm.read)");

    const user = await json<{ consent: string; scopes: string[]; subscriptions: { event_type: string; tag: string; subscription_id: string }[] }>(stack.admin(`/admin/apps/${APP}/xaa/users/${alice.id}`));
    expect(user.consent).toBe("active");
    expect(user.subscriptions.map((s) => s.event_type).sort()).toEqual(["like.create", "post.create", "post.mention.create"]);
    // X holds exactly those, with the profile's tag and the webhook, plus the app's oauth.revoke.
    const list = await emu<{ subscription_id: string; event_type: string; filter: Record<string, string>; tag?: string; webhook_id?: string }[]>(`xaa/subscriptions?app=${APP}`);
    expect(list.map((s) => s.event_type).sort()).toEqual(["like.create", "oauth.revoke", "post.create", "post.mention.create"]);
    for (const s of list.filter((x) => x.event_type !== "oauth.revoke")) expect(s).toMatchObject({ filter: { user_id: alice.id }, tag: "acme-standard" });
    expect(new Set(list.map((s) => s.webhook_id)).size).toBe(1);
    const overview = await json<{ counts: { total: number; by_type: Record<string, number> } }>(stack.admin(`/admin/apps/${APP}/xaa`));
    expect(overview.counts.total).toBe(4);
  });

  test("each subscribed type is delivered once; types not subscribed (or not consented) are not", async () => {
    const tag = randomBytes(5).toString("hex");
    await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: `own ${tag}` });
    await stack.emulator.emit({ type: "tweet", user_id: bob.id, text: `hi @alice ${tag}`, mention_ids: [alice.id] });
    await stack.emulator.emit({ type: "favorite", user_id: bob.id, tweet_author_id: alice.id });
    await stack.emulator.emit({ type: "direct_message", sender_id: bob.id, recipient_id: alice.id, text: `dm ${tag}` });
    await stack.emulator.emit({ type: "follow", source_id: bob.id, target_id: alice.id });
    await stack.emulator.emit({ type: "tweet_delete", user_id: alice.id });
    // Drain: a last subscribed event through the same FIFO pipeline; everything before it has arrived.
    await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: `drain ${tag}` });
    await stack.sink.waitFor((r) => mine(r) && r.body.includes(`drain ${tag}`), 1, 60_000);
    const got = stack.sink.received.filter(mine);
    const types = got.map((r) => String(r.envelope.type)).sort();
    expect(types).toEqual(["like.create", "post.create", "post.create", "post.mention.create"]);
    for (const r of got) {
      expect(r.verified).toBe(true);
      expect(r.envelope).toMatchObject({ format: "xaa", for_user_id: alice.id, event: { tag: "acme-standard" } });
    }
    // X made no delivery for the types the user has no subscription for.
    const xaaTypes = new Set(stack.emulator.state.deliveries.filter((d) => d.appName === APP).map((d) => (JSON.parse(d.body) as { data: { event_type: string } }).data.event_type));
    expect([...xaaTypes].sort()).toEqual(["like.create", "post.create", "post.mention.create"]);
  });

  test("the user revokes the app: oauth.revoke removes the grant and every subscription, at X and here", async () => {
    const before = stack.sink.received.filter(mine).length;
    await stack.emulator.emit({ type: "revoke", user_id: alice.id, app: APP });
    await stack.sink.waitFor((r) => mine(r) && r.envelope.type === "oauth.revoke", 1, 60_000);
    // The ingest consumer applied it: no grant, subscriptions marked revoked (still counted: X has the public ones).
    const after = await json<{ consent: string; subscriptions: { status: string }[] }>(stack.admin(`/admin/apps/${APP}/xaa/users/${alice.id}`));
    expect(after.consent).toBe("none");
    expect(after.subscriptions.map((s) => s.status)).toEqual(["revoked", "revoked", "revoked"]);
    // The control plane's next pass deletes them at X (the public one X kept, the private ones X already dropped).
    const settle = await json<{ revoked: { deleted: string[]; failed: unknown[] } }>(stack.admin(`/admin/apps/${APP}/xaa/reconcile`, { method: "POST" }));
    expect(settle.revoked.deleted).toHaveLength(3);
    expect(settle.revoked.failed).toEqual([]);
    expect((await stack.admin(`/admin/apps/${APP}/xaa/users/${alice.id}`)).status).toBe(404);
    const list = await emu<{ event_type: string; filter: { user_id?: string } }[]>(`xaa/subscriptions?app=${APP}`);
    expect(list.filter((s) => s.filter.user_id === alice.id)).toEqual([]);
    // Nothing more is delivered for her.
    const tag = randomBytes(5).toString("hex");
    await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: `after ${tag}` });
    expect(stack.emulator.state.deliveries.filter((d) => d.appName === APP && d.body.includes(`after ${tag}`))).toEqual([]);
    expect(stack.sink.received.filter(mine).length).toBe(before + 1);
  });
});
