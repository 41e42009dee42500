/**
 * The emulator's `GET /2/users/me` (emulator/api-users.ts): how an OAuth 2.0 client learns who
 * signed in. User context only (OAuth 2.0 with users.read, or OAuth 1.0a); the app bearer is 403
 * Unsupported Authentication; a token without users.read is 403 (X: missing scope), none is 401.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import { appNamed, asUser, bearer, call, userNamed } from "./helpers.ts";

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, clock: { scale: 0 } });
});

afterAll(async () => {
  await emu.stop();
});

describe("GET /2/users/me", () => {
  it("answers the OAuth 2.0 token's user, and the OAuth 1.0a user's", async () => {
    const alice = userNamed(emu, "alice");
    const grant = emu.grantOAuth2("default", alice.id, ["tweet.read", "users.read"]);
    const o2 = await call(emu, { method: "GET", path: "/2/users/me", headers: { authorization: `Bearer ${grant.access_token}` }, as: { none: true } });
    expect(o2.status).toBe(200);
    expect(o2.json).toEqual({ data: { id: alice.id, name: alice.name, username: "alice" } });
    const o1 = await call(emu, { method: "GET", path: "/2/users/me", app: appNamed(emu, "default"), as: asUser(userNamed(emu, "bob")) });
    expect((o1.json as { data: { username: string } }).data.username).toBe("bob");
  });

  it("refuses the app bearer (403), a token without users.read (403) and no credentials (401)", async () => {
    const app = appNamed(emu, "default");
    expect((await call(emu, { method: "GET", path: "/2/users/me", as: bearer(app) })).status).toBe(403);
    const grant = emu.grantOAuth2("default", userNamed(emu, "carol").id, ["tweet.read"]);
    expect((await call(emu, { method: "GET", path: "/2/users/me", headers: { authorization: `Bearer ${grant.access_token}` }, as: { none: true } })).status).toBe(403);
    expect((await call(emu, { method: "GET", path: "/2/users/me", as: { none: true } })).status).toBe(401);
  });
});
