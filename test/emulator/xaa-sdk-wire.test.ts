/**
 * The emulator driven with the exact requests X's own sample code and the common SDKs put on the
 * wire (read from their public sources, re-typed here): X's quickstart curl (Bearer, a JSON body
 * sent with curl's default form content type), the XDK's activity client (JSON, max_results /
 * pagination_token, comma-joined ids) and twitter-api-v2's OAuth 2.0 helpers (lower-case
 * `code_challenge_method=s256`, client_id and client_secret in the form body, refresh and revoke).
 */
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, rawRequest, registerV2, startFakeWebhook, userNamed, type FakeWebhook } from "./helpers.ts";

type Json = Record<string, unknown>;

describe("what X's sample code and SDKs send works unchanged", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  const REDIRECT = "https://app.example.com/oauth2/callback";
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0 }, apps: [{ name: "sdk", flavour: "xaa", callbackUrls: [REDIRECT] }] });
    hook = await startFakeWebhook(appNamed(emu, "sdk").consumerSecret);
  });
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });
  const app = (): ReturnType<typeof appNamed> => appNamed(emu, "sdk");

  it("X's quickstart: curl -H 'Authorization: Bearer …' -X POST -d '{json}' creates, lists, updates and deletes", async () => {
    const webhookId = await registerV2(emu, hook.url, app());
    const bio = { event_type: "profile.update.bio", filter: { user_id: "2244994945" }, tag: "Xdevelopers' bio updates" };
    // curl -d without -H Content-Type sends application/x-www-form-urlencoded.
    const curl = (method: string, path: string, body?: unknown): ReturnType<typeof rawRequest> =>
      rawRequest(`${emu.url}${path}`, method, { authorization: `Bearer ${app().bearerToken}`, accept: "*/*", "user-agent": "curl/8.5.0", ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) }, body ? JSON.stringify(body) : undefined);
    const created = await curl("POST", "/2/activity/subscriptions", bio);
    expect(created.status).toBe(200);
    const sub = (created.json as { data: { subscription: Json } }).data.subscription;
    expect(sub).toMatchObject({ event_type: "profile.update.bio", filter: { user_id: "2244994945" }, tag: "Xdevelopers' bio updates" });
    const listed = await curl("GET", "/2/activity/subscriptions");
    expect((listed.json as { data: Json[] }).data).toEqual([sub]);
    const put = await curl("PUT", `/2/activity/subscriptions/${String(sub.subscription_id)}`, { tag: "my new tag", webhook_id: webhookId });
    expect(put.json).toMatchObject({ data: { subscription: { tag: "my new tag", webhook_id: webhookId } } });
    expect((await curl("DELETE", `/2/activity/subscriptions/${String(sub.subscription_id)}`)).json).toEqual({ data: { deleted: true } });
  });

  it("the XDK's activity client: JSON bodies, max_results / pagination_token, ids joined by commas", async () => {
    const xdk = (method: string, path: string, query: Record<string, string> = {}, body?: unknown): ReturnType<typeof rawRequest> => {
      const url = new URL(`${emu.url}${path}`);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      return rawRequest(url.toString(), method, { authorization: `Bearer ${app().bearerToken}`, "content-type": "application/json", accept: "application/json" }, body === undefined ? undefined : JSON.stringify(body));
    };
    const ids: string[] = [];
    for (const u of ["1600000000000000002", "1600000000000000003", "1600000000000000004"]) {
      const r = await xdk("POST", "/2/activity/subscriptions", {}, { event_type: "post.create", filter: { user_id: u } });
      ids.push(String((r.json as { data: { subscription: Json } }).data.subscription.subscription_id));
    }
    const page1 = await xdk("GET", "/2/activity/subscriptions", { max_results: "2" });
    const next = (page1.json as { meta: { next_token: string } }).meta.next_token;
    const page2 = await xdk("GET", "/2/activity/subscriptions", { max_results: "2", pagination_token: next });
    expect([...(page1.json as { data: Json[] }).data, ...(page2.json as { data: Json[] }).data].map((d) => d.subscription_id)).toEqual(expect.arrayContaining(ids));
    const del = await xdk("DELETE", "/2/activity/subscriptions", { ids: ids.join(",") });
    expect((del.json as { data: Json[] }).data).toHaveLength(3);
  });

  it("twitter-api-v2's OAuth 2.0: s256 link, token with client_id + client_secret in the body, Bearer calls, refresh, revoke", async () => {
    const alice = userNamed(emu, "alice");
    // generateOAuth2AuthLink: https://twitter.com/i/oauth2/authorize?response_type&client_id&redirect_uri&state&code_challenge&code_challenge_method=s256&scope
    const codeVerifier = randomBytes(64).toString("base64url").slice(0, 128);
    const codeChallenge = createHash("sha256").update(codeVerifier).digest("base64url");
    const link = new URL(`${emu.url}/i/oauth2/authorize`);
    for (const [k, v] of Object.entries({ response_type: "code", client_id: app().clientId, redirect_uri: REDIRECT, state: randomBytes(24).toString("base64url"), code_challenge: codeChallenge, code_challenge_method: "s256", scope: "tweet.read users.read like.read offline.access" })) {
      link.searchParams.set(k, v);
    }
    link.searchParams.set("user_id", alice.id); // the emulator's "who is signed in" knob
    const consent = await rawRequest(link.toString(), "GET", {});
    expect(consent.status).toBe(302);
    const back = new URL(String(consent.headers.location));
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get("state")).toBe(link.searchParams.get("state"));
    const form = (fields: Record<string, string>): ReturnType<typeof rawRequest> =>
      rawRequest(`${emu.url}/2/oauth2/token`, "POST", { "content-type": "application/x-www-form-urlencoded" }, new URLSearchParams(fields).toString());
    // loginWithOAuth2
    const login = await form({ code: back.searchParams.get("code")!, code_verifier: codeVerifier, redirect_uri: REDIRECT, grant_type: "authorization_code", client_id: app().clientId, client_secret: app().clientSecret });
    expect(login.status, login.text).toBe(200);
    const tokens = login.json as { token_type: string; expires_in: number; access_token: string; scope: string; refresh_token: string };
    expect(tokens.scope.split(" ").filter((e) => e)).toEqual(["tweet.read", "users.read", "like.read", "offline.access"]);
    // new TwitterApi(accessToken): Bearer
    const bearer = (token: string, body: unknown): ReturnType<typeof rawRequest> =>
      rawRequest(`${emu.url}/2/activity/subscriptions`, "POST", { authorization: `Bearer ${token}`, "content-type": "application/json; charset=utf-8" }, JSON.stringify(body));
    const like = await bearer(tokens.access_token, { event_type: "like.create", filter: { user_id: alice.id, direction: "outbound" }, tag: "likes" });
    expect(like.status, like.text).toBe(200);
    // refreshOAuth2Token
    const refreshed = await form({ refresh_token: tokens.refresh_token, grant_type: "refresh_token", client_id: app().clientId, client_secret: app().clientSecret });
    expect(refreshed.status).toBe(200);
    const again = refreshed.json as { access_token: string; refresh_token: string };
    expect(again.refresh_token).not.toBe(tokens.refresh_token);
    // revokeOAuth2Token
    const revoked = await rawRequest(`${emu.url}/2/oauth2/revoke`, "POST", { "content-type": "application/x-www-form-urlencoded" }, new URLSearchParams({ client_id: app().clientId, client_secret: app().clientSecret, token: again.access_token, token_type_hint: "access_token" }).toString());
    expect(revoked.json).toEqual({ revoked: true });
    expect((await bearer(again.access_token, { event_type: "post.create", filter: { user_id: alice.id } })).status).toBe(401);
  });
});
