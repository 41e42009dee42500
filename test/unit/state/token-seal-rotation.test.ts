/** Token-seal key rotation: openWithKeys tries the current key, then the previous one. */
import { describe, expect, it } from "vitest";
import { deriveSealKey, openToken, openWithKeys, sealToken, TokenSealError } from "../../../src/state/token-seal.ts";

const KEY_A = "dGVzdC10b2tlbi1lbmNyeXB0aW9uLWtleS0zMi1ieXQ=";
const KEY_B = "rotated-token-encryption-key-b-0123456789";
const KEY_C = "unrelated-token-encryption-key-c-987654321";
const scope = { app: "acme", userId: "2244994945" };
const token = { token: "2244994945-abcdefghijklmnop", secret: "s3cr3t-token-secret" };

/**
 * A blob sealed by the code as first released (format "v1", key A, `scope`, `token`): stored
 * tokens in deployed Registries look like this and must keep opening.
 */
const STORED_V1_UNDER_A = "v1.hxkwZPoFB-OgIYA-.k5TdBLp0CdANMeRdLlAq8UyfM-wIgwlbF2GPSGvC8d0cfHgpxJhfU1yFlLL2iS0hjg2O1a3YwqcCiFwUc9o6ADDz1ri1Ek2rMelBmR0";

describe("token seal key rotation", () => {
  it("opens a v1 blob stored before rotation support, with the key alone and as the previous key", async () => {
    const a = await deriveSealKey(KEY_A);
    expect(await openToken(a, scope, STORED_V1_UNDER_A)).toEqual(token);
    const opened = await openWithKeys({ current: await deriveSealKey(KEY_B), previous: a }, scope, STORED_V1_UNDER_A);
    expect(opened).toEqual({ token, sealedWith: "previous" });
  });

  it("says 'current' for a blob sealed with the current key, even while a previous key is set", async () => {
    const b = await deriveSealKey(KEY_B);
    const sealed = await sealToken(b, scope, token);
    expect(await openWithKeys({ current: b, previous: await deriveSealKey(KEY_A) }, scope, sealed)).toEqual({ token, sealedWith: "current" });
    expect(await openWithKeys({ current: b, previous: null }, scope, sealed)).toEqual({ token, sealedWith: "current" });
  });

  it("new seals keep the v1 format (no key identifier in the blob)", async () => {
    const sealed = await sealToken(await deriveSealKey(KEY_B), scope, token);
    expect(sealed.split(".")).toHaveLength(3);
    expect(sealed.startsWith("v1.")).toBe(true);
  });

  it("fails with TokenSealError when neither key opens it, or when the previous key is not given", async () => {
    const a = await deriveSealKey(KEY_A);
    const b = await deriveSealKey(KEY_B);
    const c = await deriveSealKey(KEY_C);
    const underC = await sealToken(c, scope, token);
    await expect(openWithKeys({ current: b, previous: a }, scope, underC)).rejects.toBeInstanceOf(TokenSealError);
    await expect(openWithKeys({ current: b, previous: null }, scope, STORED_V1_UNDER_A)).rejects.toBeInstanceOf(TokenSealError);
  });

  it("the previous key is still bound to the row: another user's scope does not open", async () => {
    const keys = { current: await deriveSealKey(KEY_B), previous: await deriveSealKey(KEY_A) };
    await expect(openWithKeys(keys, { app: "acme", userId: "783214" }, STORED_V1_UNDER_A)).rejects.toBeInstanceOf(TokenSealError);
    await expect(openWithKeys(keys, scope, "v1.not.valid")).rejects.toBeInstanceOf(TokenSealError);
  });
});
