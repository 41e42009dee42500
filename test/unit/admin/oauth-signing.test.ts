import { describe, expect, it } from "vitest";
import { COOKIE_PURPOSE, deriveOAuthMacKey, INVITE_PURPOSE, issueInvite, readInvite, signValue, verifyValue } from "../../../src/oauth/signing.ts";

const SECRET = "dGVzdC10b2tlbi1lbmNyeXB0aW9uLWtleS0zMi1ieXQ=";
const NOW = 1_800_000_000_000;

describe("invites and signed cookies", () => {
  it("reads back a valid invite for its app until it expires", async () => {
    const key = await deriveOAuthMacKey(SECRET);
    const { token, invite } = await issueInvite(key, "acme", NOW, 60_000);
    expect(await readInvite(key, "acme", token, NOW + 59_000)).toEqual(invite);
    expect(await readInvite(key, "acme", token, NOW + 60_000)).toBeNull();
    expect(await readInvite(key, "other", token, NOW)).toBeNull();
  });

  it("refuses a forged, altered or differently keyed invite", async () => {
    const key = await deriveOAuthMacKey(SECRET);
    const { token } = await issueInvite(key, "acme", NOW, 60_000);
    const [body, mac] = token.split(".") as [string, string];
    const forgedBody = btoa(JSON.stringify({ a: "acme", i: "x", e: NOW * 2 })).replace(/=+$/, "");
    expect(await readInvite(key, "acme", `${forgedBody}.${mac}`, NOW)).toBeNull();
    expect(await readInvite(key, "acme", `${body}.${mac.slice(0, -2)}AA`, NOW)).toBeNull();
    expect(await readInvite(await deriveOAuthMacKey("a-different-secret-value"), "acme", token, NOW)).toBeNull();
    expect(await readInvite(key, "acme", "not-a-token", NOW)).toBeNull();
  });

  it("never accepts a value signed for another purpose (cookie as invite)", async () => {
    const key = await deriveOAuthMacKey(SECRET);
    const cookie = await signValue(key, `${COOKIE_PURPOSE}:acme`, JSON.stringify({ a: "acme", i: "x", e: NOW * 2 }));
    expect(await verifyValue(key, `${COOKIE_PURPOSE}:acme`, cookie)).not.toBeNull();
    expect(await verifyValue(key, INVITE_PURPOSE, cookie)).toBeNull();
    expect(await readInvite(key, "acme", cookie, NOW)).toBeNull();
  });
});
