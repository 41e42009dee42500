import { describe, expect, it } from "vitest";
import { bearerFrom, requireAdmin, tokenMatches, UNAUTHORIZED_MESSAGE, type ConstantTimeEqual } from "../../../src/admin/auth.ts";
import { HttpError } from "../../../src/http/errors.ts";

/** Wraps the real constant-time comparison and records each use. */
function spyEqual(): { equal: ConstantTimeEqual; calls: [number, number][] } {
  const calls: [number, number][] = [];
  return {
    calls,
    equal: (a, b) => {
      calls.push([a.byteLength, b.byteLength]);
      return crypto.subtle.timingSafeEqual(a, b);
    },
  };
}

const req = (auth?: string): Request => new Request("https://edge.example/admin/apps", auth === undefined ? {} : { headers: { authorization: auth } });

async function failure(p: Promise<unknown>): Promise<HttpError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

describe("admin auth", () => {
  it("accepts the right token", async () => {
    await expect(requireAdmin(req("Bearer right-token"), "right-token")).resolves.toBeUndefined();
  });

  it("gives missing, malformed and wrong tokens the same 401 and message", async () => {
    const errs = await Promise.all([
      failure(requireAdmin(req(), "right-token")),
      failure(requireAdmin(req("Basic cmlnaHQtdG9rZW4="), "right-token")),
      failure(requireAdmin(req("Bearer wrong-token"), "right-token")),
      failure(requireAdmin(req("Bearer right-token-plus"), "right-token")),
    ]);
    for (const e of errs) {
      expect(e.status).toBe(401);
      expect(e.message).toBe(UNAUTHORIZED_MESSAGE);
      expect(e.message).not.toContain("right-token");
    }
  });

  it("is disabled (always 401) when ADMIN_TOKEN is unset, even for an empty bearer", async () => {
    expect((await failure(requireAdmin(req("Bearer anything"), null))).status).toBe(401);
    expect(await tokenMatches("", null)).toBe(false);
    expect(await tokenMatches("", "")).toBe(false);
  });

  it("compares fixed-length MACs in constant time on every path, whatever the input lengths", async () => {
    const spy = spyEqual();
    expect(await tokenMatches("right-token", "right-token", spy.equal)).toBe(true);
    expect(await tokenMatches("x", "right-token", spy.equal)).toBe(false);
    expect(await tokenMatches("a-much-longer-presented-token-value", "right-token", spy.equal)).toBe(false);
    expect(await tokenMatches("", "right-token", spy.equal)).toBe(false);
    expect(await tokenMatches("anything", null, spy.equal)).toBe(false);
    expect(spy.calls).toHaveLength(5);
    for (const [a, b] of spy.calls) expect([a, b]).toEqual([32, 32]);
  });

  it("reads the bearer credential only from a well-formed header", () => {
    expect(bearerFrom("Bearer abc")).toBe("abc");
    expect(bearerFrom("bearer abc")).toBe("abc");
    expect(bearerFrom("Bearer")).toBe("");
    expect(bearerFrom("Bearer a b")).toBe("");
    expect(bearerFrom(null)).toBe("");
  });
});
