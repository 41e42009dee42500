import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, asUser, call, userNamed } from "./helpers.ts";
import { bearerCall, oauth2Login } from "./xaa-helpers.ts";

describe("v2 user lookups (who signed in; user ids to filter on)", () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0 } });
  });
  afterEach(() => emu.reset());
  afterAll(() => emu.stop());
  const app = (): ReturnType<typeof appNamed> => appNamed(emu, "default");

  it("GET /2/users/me answers the OAuth 2.0 token's user (users.read + tweet.read) or the OAuth 1.0a user; a bearer is refused", async () => {
    const alice = userNamed(emu, "alice");
    const t = await oauth2Login(emu, app(), alice, ["tweet.read", "users.read", "offline.access"]);
    const me = await bearerCall(emu, t.access_token, "GET", "/2/users/me");
    expect(me.json).toEqual({ data: { id: alice.id, name: alice.name, username: alice.screenName } });
    const bob = userNamed(emu, "bob");
    expect((await call(emu, { method: "GET", path: "/2/users/me", as: asUser(bob) })).json).toEqual({ data: { id: bob.id, name: bob.name, username: bob.screenName } });
    const narrow = await oauth2Login(emu, app(), userNamed(emu, "carol"), ["like.read"]);
    expect((await bearerCall(emu, narrow.access_token, "GET", "/2/users/me")).status).toBe(403);
    const asApp = await bearerCall(emu, app().bearerToken, "GET", "/2/users/me");
    expect(asApp.status).toBe(403);
    expect(asApp.headers["content-type"]).toBe("application/problem+json");
    expect((await bearerCall(emu, "nope", "GET", "/2/users/me")).status).toBe(401);
  });

  it("GET /2/users/by/username/:username and /2/users/:id, as the XAA quickstart looks ids up", async () => {
    const alice = userNamed(emu, "alice");
    expect((await bearerCall(emu, app().bearerToken, "GET", "/2/users/by/username/ALICE")).json).toEqual({ data: { id: alice.id, name: alice.name, username: "alice" } });
    expect((await bearerCall(emu, app().bearerToken, "GET", `/2/users/${alice.id}`)).json).toMatchObject({ data: { id: alice.id } });
    const missing = await bearerCall(emu, app().bearerToken, "GET", "/2/users/by/username/nobody");
    expect(missing.status).toBe(200);
    expect(missing.json).toMatchObject({ errors: [{ title: "Not Found Error", resource_type: "user" }] });
  });
});
