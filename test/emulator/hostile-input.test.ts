import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oauthAuthorizationHeader, parseOAuthHeader } from "../../emulator/oauth1.ts";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, call, rawRequest } from "./helpers.ts";

describe("attacker-shaped input never makes a 500", () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0 } });
  });
  afterAll(() => emu.stop());

  it("a Host header that is not a URL authority is an auth failure", async () => {
    const app = appNamed(emu, "legacy");
    const url = `${emu.url}/1.1/account_activity/webhooks/1.json`;
    const header = oauthAuthorizationHeader({ method: "PUT", url, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, token: app.accessToken, tokenSecret: app.accessTokenSecret });
    const r = await rawRequest(url, "PUT", { host: "bad host[", authorization: header });
    expect(r.status).toBe(401);
  });

  it("bad escapes, bad JSON and bad ids get 4xx answers", async () => {
    const a = await call(emu, { method: "PUT", path: "/2/webhooks/%E0%A4%A", as: { bearer: appNamed(emu, "default").bearerToken } });
    expect(a.status).toBe(404);
    const b = await rawRequest(`${emu.url}/2/webhooks`, "POST", { authorization: `Bearer ${appNamed(emu, "default").bearerToken}`, "content-type": "application/json" }, "{not json");
    expect(b.status).toBe(400);
    const c = await call(emu, { method: "POST", path: "/_emulator/events", json: { type: "tweet", user_id: "1", mention_ids: ["x"] }, as: { none: true } });
    expect(c.status).toBe(400);
    const d = await call(emu, { method: "POST", path: "/_emulator/events", json: ["not", "an", "object"], as: { none: true } });
    expect(d.status).toBe(400);
    const e = await call(emu, { method: "POST", path: "/_emulator/events", json: { type: "tweet", user_id: "1", mention_ids: [{ toString: 1 }] }, as: { none: true } });
    expect(e.status).toBe(400);
  });

  it("XAA, OAuth 2.0 and their control endpoints answer hostile shapes with 4xx and never touch Object.prototype", async () => {
    const bearer = { authorization: `Bearer ${appNamed(emu, "default").bearerToken}`, "content-type": "application/json" };
    const bodies = [
      "null",
      "[]",
      '"text"',
      '{"event_type":{"toString":1},"filter":{"user_id":"1"}}',
      '{"event_type":"post.create","filter":[]}',
      '{"event_type":"post.create","filter":{"user_id":"1","__proto__":{"polluted":true}}}',
      '{"constructor":{"prototype":{"polluted":true}},"event_type":"post.create","filter":{"user_id":"1"}}',
      '{"event_type":"post.create","filter":{"user_id":"1"},"tag":["x"]}',
    ];
    for (const body of bodies) {
      const r = await rawRequest(`${emu.url}/2/activity/subscriptions`, "POST", bearer, body);
      expect(r.status, body).toBe(400);
    }
    for (const path of ["/2/activity/subscriptions/%E0%A4%A", "/2/activity/subscriptions/__proto__", "/2/activity/subscriptions/constructor"]) {
      expect((await rawRequest(`${emu.url}${path}`, "PUT", bearer, '{"tag":"x"}')).status, path).toBe(404);
    }
    for (const q of ["ids=__proto__", "ids=1,,,", "ids=%E0%A4%A", "max_results=1e3", "pagination_token=__proto__________"]) {
      const r = await rawRequest(`${emu.url}/2/activity/subscriptions?${q}`, q.startsWith("ids") ? "DELETE" : "GET", bearer);
      expect(r.status, q).toBeLessThan(500);
    }
    const form = { "content-type": "application/x-www-form-urlencoded" };
    for (const body of ["grant_type=authorization_code&code=__proto__&client_id=emulator-default-client-id", "%E0%A4%A=1", "client_id=constructor"]) {
      expect((await rawRequest(`${emu.url}/2/oauth2/token`, "POST", form, body)).status, body).toBeGreaterThanOrEqual(400);
    }
    expect((await rawRequest(`${emu.url}/2/oauth2/token`, "POST", { authorization: "Basic %%%notbase64" }, "")).status).toBe(401);
    const badEscape = `Basic ${Buffer.from("%E0%A4%A:%E0%A4%A").toString("base64")}`;
    expect((await rawRequest(`${emu.url}/2/oauth2/token`, "POST", { authorization: badEscape }, "")).status).toBe(401);
    expect((await rawRequest(`${emu.url}/i/oauth2/authorize?client_id=emulator-default-client-id&redirect_uri=javascript:alert(1)`, "GET", {})).status).toBe(400);
    for (const [path, body] of [["/_emulator/oauth2/consent", '{"user_id":"__proto__","decision":"deny"}'], ["/_emulator/oauth2/grants", '{"app":"__proto__","user_id":"1","scopes":["tweet.read"]}'], ["/_emulator/oauth2/revoke", '{"user_id":{"x":1}}'], ["/_emulator/aaa/retire", '{"at":{"x":1}}']] as const) {
      expect((await rawRequest(`${emu.url}${path}`, "POST", { "content-type": "application/json" }, body)).status, path).toBe(400);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("an oversized body is 413", async () => {
    const r = await rawRequest(`${emu.url}/_emulator/events`, "POST", { "content-type": "application/json" }, "x".repeat(1_100_000));
    expect(r.status).toBe(413);
  });
});

describe("prototype-named OAuth parameters (issue 10 sweep)", () => {
  it("are ordinary parameters of the parsed header, never Object.prototype's", () => {
    const parsed = parseOAuthHeader('OAuth __proto__="p", constructor="c", toString="t", oauth_consumer_key="k"')!;
    expect(Object.hasOwn(parsed, "__proto__")).toBe(true);
    expect(Object.keys(parsed)).toEqual(["__proto__", "constructor", "toString", "oauth_consumer_key"]);
    expect(parsed["constructor"]).toBe("c");
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(parseOAuthHeader('OAuth oauth_consumer_key="k"')!["constructor"]).toBeUndefined();
  });
});
