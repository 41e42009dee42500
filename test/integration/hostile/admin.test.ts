/**
 * Hostile input on the admin surface (/admin/*): impossible dates, prototype-named path parts
 * and keys, X answers naming prototype members, and what every admin response must carry.
 * Routes that call X use the admin router with the in-memory FakeX (../admin-fake-x.ts) and the
 * real Registry; the rest go through the Worker. Extend this file when an admin route changes.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createAdminRouter } from "../../../src/admin/router.ts";
import { parseIsoDateTime } from "../../../src/admin/iso-date.ts";
import { DEAD_LETTERS_INSTANCE } from "../../../src/pipeline/dead-letter.ts";
import { X_API_ERROR_KINDS, classifyXError } from "../../../src/x-api/errors.ts";
import { registryFor } from "../../../src/state/registry.ts";
import { FakeX } from "../admin-fake-x.ts";
import { ingestMessage } from "../pipeline-helpers.ts";

const AUTH = { authorization: "Bearer test-admin-token" };
const BASE = "https://edge.example";

const worker = (path: string, init: RequestInit = {}) =>
  exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string> | undefined) } }));

describe("Replay dates are parsed strictly (issue 10, case 5)", () => {
  let fake: FakeX;
  let testEnv: Env;
  let app: string;
  const send = (nowIso: string, path: string, init: RequestInit = {}) =>
    createAdminRouter({ makeXClient: () => fake, now: () => Date.parse(nowIso) })
      .fetch(new Request(`${BASE}${path}`, { ...init, headers: AUTH }), testEnv, createExecutionContext());
  const replay = async (nowIso: string, from: unknown, to: unknown) => {
    expect((await send(nowIso, `/admin/apps/${app}/webhooks`, { method: "POST" })).status).toBe(201);
    return send(nowIso, `/admin/apps/${app}/replay`, { method: "POST", body: JSON.stringify({ from, to }) });
  };

  beforeEach(() => {
    fake = new FakeX();
    app = `hostile${Math.floor(Math.random() * 1e9)}`;
    testEnv = {
      ...env,
      APPS: JSON.stringify([{ name: app, flavour: "v2" }]),
      [`X_CONSUMER_SECRET_${app.toUpperCase()}`]: "s",
      [`X_BEARER_TOKEN_${app.toUpperCase()}`]: "b",
    } as Env;
  });

  // Each pair would be a valid window if the impossible date were rolled over (the attack run got
  // 202 for both): the refusal can only come from the date itself.
  it.each([
    ["2026-12-04T12:00Z", "2026-12-03T24:00Z", "2026-12-04T10:00Z", '"from" has hour 24'],
    ["2026-03-02T12:00Z", "2026-02-30T00:00Z", "2026-03-02T06:00Z", '"from" has day 30: February 2026 has 28 days'],
    ["2026-12-04T12:00Z", "2026-12-04T01:00Z", "2026-12-04T10:60Z", '"to" has minute 60'],
    ["2026-12-04T12:00Z", "2026-12-04T01:00Z", "2026-12-04T09:59:60Z", '"to" has second 60'],
    ["2025-03-01T12:00Z", "2025-02-29T12:00Z", "2025-03-01T06:00Z", '"from" has day 29: February 2025 has 28 days'],
  ])("at %s, from %s to %s is a 400 (%s), and X is not asked", async (now, from, to, message) => {
    const res = await replay(now, from, to);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "bad_request", message: expect.stringContaining(message) } });
    expect(fake.calls).not.toContain("requestReplay");
  });

  it.each([
    "2026-13-01T00:00Z",
    "2026-00-10T00:00Z",
    "2026-12-00T00:00Z",
    "2026-04-31T00:00Z",
    "2100-02-29T00:00Z",
    "2026-12-03T10:00+24:00",
    "2026-12-03T10:00+05:60",
    "2026-12-03",
    "2026-12-03T10:00",
    "2026-12-03 10:00Z",
    "2026-12-03T10:00:00.Z",
    "+02026-12-03T10:00Z",
    "2026-12-03T10:00Z\n",
    "",
  ])("%j is refused with a message naming the field", async (bad) => {
    const res = await replay("2026-12-04T12:00Z", bad, "2026-12-04T10:00Z");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining('"from"') } });
  });

  it.each([42, null, true, ["2026-12-04T01:00Z"], { __proto__: "x" }])("a non-string %j is a 400", async (bad) => {
    const res = await replay("2026-12-04T12:00Z", bad, "2026-12-04T10:00Z");
    expect(res.status).toBe(400);
  });

  it("real dates still work: leap days, offsets, fractions (202)", async () => {
    const res = await replay("2024-02-29T12:00Z", "2024-02-29T01:30:15.123456+00:00", "2024-02-29T10:30+01:00");
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ job: { from_date: "2024-02-29T01:30:15.123Z", to_date: "2024-02-29T09:30:00.000Z" } });
  });

  it("the parser's leap-year rule: every 4 years, not centuries, but every 400", () => {
    expect(parseIsoDateTime("2024-02-29T00:00Z").ok).toBe(true);
    expect(parseIsoDateTime("2000-02-29T00:00Z").ok).toBe(true);
    expect(parseIsoDateTime("1900-02-29T00:00Z").ok).toBe(false);
    expect(parseIsoDateTime("2026-02-29T00:00Z").ok).toBe(false);
    expect(parseIsoDateTime("0099-12-31T23:59Z")).toEqual({ ok: true, date: new Date("0099-12-31T23:59:00.000Z") });
  });
});

describe("every admin response is no-store and nosniff (issue 10, case 6)", () => {
  it.each([
    ["200", "/admin/apps", {}],
    ["401", "/admin/apps", { authorization: "Bearer wrong" }],
    ["404 route", "/admin/nope", {}],
    ["404 app", "/admin/apps/nope/webhooks", {}],
    ["400", "/admin/apps/default/subscriptions/not-a-number", {}],
  ])("%s", async (_label, path, headers) => {
    const res = await worker(path, { headers });
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("removing a user", () => {
  let fake: FakeX;
  let testEnv: Env;
  let app: string;
  const send = (path: string, init: RequestInit = {}) =>
    createAdminRouter({ makeXClient: () => fake, now: () => Date.now() }).fetch(new Request(`${BASE}${path}`, { ...init, headers: AUTH }), testEnv, createExecutionContext());

  beforeEach(() => {
    fake = new FakeX();
    app = `hostile${Math.floor(Math.random() * 1e9)}`;
    testEnv = { ...env, APPS: JSON.stringify([{ name: app, flavour: "v2" }]), [`X_CONSUMER_SECRET_${app.toUpperCase()}`]: "s", [`X_BEARER_TOKEN_${app.toUpperCase()}`]: "b" } as Env;
  });

  it("never subscribed: 200 with removed:false (nothing changed); subscribed: removed:true, then false", async () => {
    expect((await send(`/admin/apps/${app}/webhooks`, { method: "POST" })).status).toBe(201);
    let res = await send(`/admin/apps/${app}/subscriptions/31337`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user_id: "31337", removed: false });
    fake.users.set("tok", { userId: "42", screenName: "u42", secret: "sec" });
    expect((await send(`/admin/apps/${app}/subscriptions`, { method: "POST", body: JSON.stringify({ user_id: "42", token: "tok", secret: "sec" }) })).status).toBe(201);
    res = await send(`/admin/apps/${app}/subscriptions/42`, { method: "DELETE" });
    expect(await res.json()).toMatchObject({ user_id: "42", removed: true });
    res = await send(`/admin/apps/${app}/subscriptions/42`, { method: "DELETE" });
    expect(await res.json()).toMatchObject({ user_id: "42", removed: false });
    expect(await registryFor(testEnv, app).getSealedToken("42")).toBeNull();
  });
});

describe("prototype-named names on the admin surface (issue 10, case 2: the whole-codebase sweep)", () => {
  it.each(["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"])("%s as an app, a user id, a dead-letter id or a query key: never a 500", async (name) => {
    const paths = [
      `/admin/apps/${name}`,
      `/admin/apps/${name}/webhooks`,
      `/admin/apps/default/subscriptions/${name}`,
      `/admin/apps/default/replay/${name}`,
      `/admin/dead-letters/${name}`,
      `/admin/dead-letters?app=${name}&from=${name}&${name}=1`,
      `/admin/apps/default?${name}=1`,
    ];
    for (const path of paths) {
      const res = await worker(path);
      expect(res.status, path).toBeLessThan(500);
    }
    const body = await worker("/admin/apps/default/invites", { method: "POST", body: `{"${name}":{"ttl_seconds":1}}` });
    expect(body.status).toBe(201);
  });

  it("dead-letter counts of an app named 'constructor' are a number, not Object's constructor plus one", async () => {
    const store = env.DEAD_LETTERS.getByName(DEAD_LETTERS_INSTANCE);
    const original = ingestMessage('{"x":1}', { app: "constructor" });
    await store.store(`hostile-${crypto.randomUUID()}`, { v: 1, from: "ingest", reason: "test", at: new Date().toISOString(), original });
    const page = await store.list({ app: "constructor" });
    expect(page.counts.by_app).toEqual({ constructor: 1 });
    expect(page.counts.by_from).toEqual({ ingest: 1 });
  });

  it("an X problem type naming a prototype member classifies as a known kind, not a function", () => {
    for (const name of ["constructor", "__proto__", "toString", "valueOf"]) {
      const kind = classifyXError(403, null, "", `https://api.twitter.com/2/problems/${name}`);
      expect(X_API_ERROR_KINDS).toContain(kind);
    }
  });
});
