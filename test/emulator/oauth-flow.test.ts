import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oauthAuthorizationHeader } from "../../emulator/oauth1.ts";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, call, firstError, rawRequest, registerV2, startFakeWebhook, userNamed, type FakeWebhook } from "./helpers.ts";

describe("Sign in with X (OAuth 1.0a three-legged)", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0 } });
    hook = await startFakeWebhook(appNamed(emu, "default").consumerSecret);
  });
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });

  async function requestToken(callback: string): Promise<URLSearchParams> {
    const app = appNamed(emu, "default");
    const url = `${emu.url}/oauth/request_token`;
    const header = oauthAuthorizationHeader({ method: "POST", url, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, oauthExtra: { oauth_callback: callback } });
    const r = await rawRequest(url, "POST", { authorization: header });
    expect(r.status).toBe(200);
    return new URLSearchParams(r.text);
  }

  async function accessToken(token: string, secret: string, verifier: string): Promise<Awaited<ReturnType<typeof rawRequest>>> {
    const app = appNamed(emu, "default");
    const url = `${emu.url}/oauth/access_token`;
    const header = oauthAuthorizationHeader({ method: "POST", url, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, token, tokenSecret: secret, oauthExtra: { oauth_verifier: verifier } });
    return rawRequest(url, "POST", { authorization: header });
  }

  it("request_token -> authorize -> access_token yields a token that can subscribe", async () => {
    const rt = await requestToken("http://127.0.0.1:9/oauth/default/callback");
    expect(rt.get("oauth_callback_confirmed")).toBe("true");
    const token = rt.get("oauth_token")!;
    const bob = userNamed(emu, "bob");
    const auth = await rawRequest(`${emu.url}/oauth/authorize?oauth_token=${token}&user_id=${bob.id}`, "GET", {});
    expect(auth.status).toBe(302);
    const back = new URL(String(auth.headers.location));
    expect(back.pathname).toBe("/oauth/default/callback");
    expect(back.searchParams.get("oauth_token")).toBe(token);
    const at = await accessToken(token, rt.get("oauth_token_secret")!, back.searchParams.get("oauth_verifier")!);
    expect(at.status).toBe(200);
    const granted = new URLSearchParams(at.text);
    expect([granted.get("user_id"), granted.get("screen_name")]).toEqual([bob.id, "bob"]);

    const id = await registerV2(emu, hook.url);
    const sub = await call(emu, { method: "POST", path: `/2/account_activity/webhooks/${id}/subscriptions/all`, as: { user: { token: granted.get("oauth_token")!, secret: granted.get("oauth_token_secret")! } } });
    expect(sub.json).toEqual({ data: { subscribed: true } });
    expect(emu.state.webhooks.get(id)!.subscriptions.has(bob.id)).toBe(true);
    // The minted token belongs to this app only.
    const other = appNamed(emu, "legacy");
    const foreign = await call(emu, { method: "GET", path: "/1.1/account_activity/webhooks/1/subscriptions/all.json", app: other, as: { user: { token: granted.get("oauth_token")!, secret: granted.get("oauth_token_secret")! } } });
    expect([foreign.status, firstError(foreign).code]).toEqual([401, 32]);
  });

  it("authorize without user_id signs in as the first demo user who owns no app", async () => {
    const rt = await requestToken("http://127.0.0.1:9/cb");
    const auth = await rawRequest(`${emu.url}/oauth/authorize?oauth_token=${rt.get("oauth_token")}`, "GET", {});
    const v = new URL(String(auth.headers.location)).searchParams.get("oauth_verifier")!;
    const at = await accessToken(rt.get("oauth_token")!, rt.get("oauth_token_secret")!, v);
    expect(new URLSearchParams(at.text).get("screen_name")).toBe("alice");
  });

  it("a wrong verifier is refused, and a request token works only once", async () => {
    const rt = await requestToken("http://127.0.0.1:9/cb");
    const auth = await rawRequest(`${emu.url}/oauth/authorize?oauth_token=${rt.get("oauth_token")}`, "GET", {});
    const v = new URL(String(auth.headers.location)).searchParams.get("oauth_verifier")!;
    expect((await accessToken(rt.get("oauth_token")!, rt.get("oauth_token_secret")!, "wrong")).status).toBe(401);
    expect((await accessToken(rt.get("oauth_token")!, rt.get("oauth_token_secret")!, v)).status).toBe(200);
    const reuse = await accessToken(rt.get("oauth_token")!, rt.get("oauth_token_secret")!, v);
    expect([reuse.status, firstError(reuse).code]).toEqual([401, 32]);
  });

  it("request_token with a bad consumer signature is 401 code 32; unknown request tokens cannot authorize", async () => {
    const app = appNamed(emu, "default");
    const url = `${emu.url}/oauth/request_token`;
    const header = oauthAuthorizationHeader({ method: "POST", url, consumerKey: app.consumerKey, consumerSecret: "wrong", oauthExtra: { oauth_callback: "http://127.0.0.1:9/cb" } });
    const r = await rawRequest(url, "POST", { authorization: header });
    expect([r.status, firstError(r).code]).toEqual([401, 32]);
    expect((await rawRequest(`${emu.url}/oauth/authorize?oauth_token=nope`, "GET", {})).status).toBe(400);
  });
});
