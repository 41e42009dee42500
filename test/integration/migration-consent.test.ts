/**
 * A migrating AAA app (APPS `flavour: "v2"`, `migrating: true`) collects OAuth 2.0 consent: an
 * invite naming a profile leads to Sign in with X over OAuth 2.0 (src/oauth/oauth2-routes.ts), and
 * the migration plan (POST /admin/apps/:app/migration) then counts the grant's scopes, so a private
 * type becomes subscribable now for that user. Real Registry; X is the in-memory fakes.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAdminRouter } from "../../src/admin/router.ts";
import { createOAuth2Router } from "../../src/oauth/oauth2-routes.ts";
import { registryFor } from "../../src/state/registry.ts";
import { FakeX } from "./admin-fake-x.ts";
import { FakeXaaX } from "./xaa-fake-x.ts";

const ALICE = "2244994945";
const HOOK = "1976325569252868099";
const ADMIN = { authorization: "Bearer test-admin-token" };
const TYPES = ["post.create", "post.mention.create"];

interface Report {
  plan: { users: number; move: number; partial: number; consent_required: number };
  waiting_for_consent: { user_id: string; event_types: string[] }[];
  actions: { kind: string; user_id: string | null; event_type?: string; result: string }[];
}

async function setup(app: Record<string, unknown>) {
  const name = `mc${Math.floor(Math.random() * 1e9)}`;
  const upper = name.toUpperCase();
  const appEnv = {
    ...env,
    APPS: JSON.stringify([{ name, ...app }]),
    [`X_CONSUMER_SECRET_${upper}`]: "s", [`X_BEARER_TOKEN_${upper}`]: "app-bearer", [`X_OAUTH2_CLIENT_ID_${upper}`]: "client-id-mig",
  } as unknown as Env;
  const aaa = new FakeX();
  const x = new FakeXaaX("app-bearer");
  const now = Date.parse("2026-12-04T12:00:00.000Z");
  const deps = { makeXClient: () => aaa, now: () => now, xFetch: x.fetch };
  const oauth2 = createOAuth2Router(deps);
  const admin = createAdminRouter(deps);
  const registry = registryFor(env, name);
  await registry.recordWebhook({ id: HOOK, url: `https://edge.example/webhooks/${name}`, valid: true, created_at: "2026-12-01T00:00:00.000Z" }, new Date(now).toISOString());
  aaa.subs.add(ALICE);
  await registry.upsertSubscription({ user_id: ALICE, screen_name: null, by: "test", sealed: null }, new Date(now).toISOString());
  const get = async (url: string, headers: Record<string, string> = {}) => (await oauth2.fetch(new Request(url, { headers }), appEnv)) as Response;
  const adminCall = async (method: string, path: string, body?: unknown) =>
    (await admin.fetch(new Request(`https://edge.example/admin/apps/${name}${path}`, { method, headers: { ...ADMIN, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }), appEnv)) as Response;
  const plan = async () => {
    const res = await adminCall("POST", "/migration", { dry_run: true, types: TYPES });
    expect(res.status).toBe(200);
    return (await res.json()) as Report;
  };
  return { name, aaa, x, registry, get, adminCall, plan };
}

describe("consent during an AAA → XAA migration", () => {
  it("a migrating v2 app's user signs in over OAuth 2.0 by an invite; the plan then moves a private type for them now", async () => {
    const t = await setup({ flavour: "v2", migrating: true, xaa_profiles: { likes: { event_types: ["like.create"] } } });

    const before = await t.plan();
    expect(before.plan).toMatchObject({ users: 1, partial: 1, move: 0 });
    const mention = { kind: "create_xaa", user_id: ALICE, event_type: "post.mention.create", result: "planned" };
    expect(before.actions).toContainEqual({ ...mention, event_type: "post.create" });
    expect(before.actions).not.toContainEqual(mention);

    // Without "profile" a migrating app's invite is still the OAuth 1.0a one (its AAA sign-in).
    const plain = (await (await t.adminCall("POST", "/invites", {})).json()) as { url: string };
    expect(plain.url).toContain(`/oauth/${t.name}/start?invite=`);
    const inviteRes = await t.adminCall("POST", "/invites", { profile: "likes" });
    expect(inviteRes.status).toBe(201);
    const inv = (await inviteRes.json()) as { url: string; profile: string; event_types: string[] };
    expect(inv.url).toContain(`/oauth2/${t.name}/start?invite=`);
    expect(inv.event_types).toStrictEqual(["like.create"]);

    const u = new URL(inv.url);
    u.searchParams.set("go", "1");
    const started = await t.get(u.href);
    expect(started.status).toBe(302);
    const cookie = (started.headers.get("set-cookie") ?? "").split(";")[0]!;
    const done = await t.get(t.x.authorize(started.headers.get("location")!, ALICE), { cookie });
    expect(done.status).toBe(200);
    expect((await t.registry.getOAuth2Token(ALICE))?.scopes.split(" ")).toContain("tweet.read");

    const after = await t.plan();
    expect(after.plan).toMatchObject({ users: 1, move: 1, partial: 0, consent_required: 0 });
    expect(after.waiting_for_consent).toStrictEqual([]);
    expect(after.actions).toContainEqual(mention);
    // The XAA admin routes answer for the migrating app too.
    expect((await t.adminCall("GET", "/xaa")).status).toBe(200);
  });

  it("an AAA app that is not migrating: the XAA routes and OAuth 2.0 sign-in are a 400 naming the setting, and an invite may not name a profile", async () => {
    const t = await setup({ flavour: "v2" });
    const res = await t.adminCall("GET", "/xaa/profiles");
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("not_xaa_app");
    expect(body.error.message).toContain('"migrating": true');
    expect((await t.get(`https://edge.example/oauth2/${t.name}/start`, ADMIN)).status).toBe(400);
    expect((await t.adminCall("POST", "/invites", { profile: "likes" })).status).toBe(400);
  });
});
