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
