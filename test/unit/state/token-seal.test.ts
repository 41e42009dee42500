import { describe, expect, it } from "vitest";
import { deriveSealKey, openToken, sealToken, TokenSealError } from "../../../src/state/token-seal.ts";

const SECRET = "dGVzdC10b2tlbi1lbmNyeXB0aW9uLWtleS0zMi1ieXQ=";
const scope = { app: "acme", userId: "2244994945" };
const token = { token: "2244994945-abcdefghijklmnop", secret: "s3cr3t-token-secret" };

function flip(sealed: string, part: 1 | 2, index: number): string {
  const parts = sealed.split(".");
  const p = parts[part]!;
  const ch = p[index] === "A" ? "B" : "A";
  parts[part] = p.slice(0, index) + ch + p.slice(index + 1);
  return parts.join(".");
}

describe("token sealing", () => {
  it("round-trips a token pair", async () => {
    const key = await deriveSealKey(SECRET);
    const sealed = await sealToken(key, scope, token);
    expect(await openToken(key, scope, sealed)).toEqual(token);
  });

  it("never stores the token in clear and uses a fresh IV each time", async () => {
    const key = await deriveSealKey(SECRET);
    const a = await sealToken(key, scope, token);
    const b = await sealToken(key, scope, token);
    expect(a).not.toContain(token.token);
    expect(a).not.toContain(token.secret);
    expect(a.split(".")[1]).not.toBe(b.split(".")[1]);
    expect(a).not.toBe(b);
  });

  it("detects a tampered ciphertext", async () => {
    const key = await deriveSealKey(SECRET);
    const sealed = await sealToken(key, scope, token);
    await expect(openToken(key, scope, flip(sealed, 2, 5))).rejects.toBeInstanceOf(TokenSealError);
  });

  it("detects a tampered IV and a truncated blob", async () => {
    const key = await deriveSealKey(SECRET);
    const sealed = await sealToken(key, scope, token);
    await expect(openToken(key, scope, flip(sealed, 1, 0))).rejects.toBeInstanceOf(TokenSealError);
    await expect(openToken(key, scope, sealed.slice(0, -10))).rejects.toBeInstanceOf(TokenSealError);
    await expect(openToken(key, scope, "v2.abc.def")).rejects.toBeInstanceOf(TokenSealError);
  });

  it("fails with the wrong key", async () => {
    const sealed = await sealToken(await deriveSealKey(SECRET), scope, token);
    const other = await deriveSealKey("another-secret-of-enough-length");
    await expect(openToken(other, scope, sealed)).rejects.toBeInstanceOf(TokenSealError);
  });

  it("binds the blob to its app and user (additional data)", async () => {
    const key = await deriveSealKey(SECRET);
    const sealed = await sealToken(key, scope, token);
    await expect(openToken(key, { app: "acme", userId: "783214" }, sealed)).rejects.toBeInstanceOf(TokenSealError);
    await expect(openToken(key, { app: "other", userId: scope.userId }, sealed)).rejects.toBeInstanceOf(TokenSealError);
  });

  it("refuses a short secret", async () => {
    await expect(deriveSealKey("short")).rejects.toBeInstanceOf(TokenSealError);
  });
});
