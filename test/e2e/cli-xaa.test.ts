/**
 * The CLI's XAA commands (bin/account-activity-edge.ts `xaa ...`, `invite --profile`): the admin
 * API call each command line stands for, and the usage errors (exit 2) for missing arguments.
 */
import { describe, expect, it } from "vitest";
import { planCall } from "../../bin/account-activity-edge.ts";

const B = "/admin/apps/acme/xaa";

describe("CLI xaa commands", () => {
  it("plan the XAA admin calls", () => {
    const cases: [string[], Record<string, unknown>, unknown][] = [
      [["xaa", "status"], { app: "acme" }, { method: "GET", path: B }],
      [["xaa", "users"], { app: "acme" }, { method: "GET", path: `${B}/users` }],
      [["xaa", "users"], { app: "acme", limit: "50", after: "42" }, { method: "GET", path: `${B}/users?limit=50&after=42` }],
      [["xaa", "user", "42"], { app: "acme" }, { method: "GET", path: `${B}/users/42` }],
      [["xaa", "subscribe", "42"], { app: "acme", profile: "standard" }, { method: "POST", path: `${B}/users/42`, body: { profile: "standard" } }],
      [["xaa", "unsubscribe", "42"], { app: "acme" }, { method: "DELETE", path: `${B}/users/42` }],
      [["xaa", "unsubscribe", "42"], { app: "acme", types: "like.create, dm.sent", forget: false }, { method: "DELETE", path: `${B}/users/42?types=like.create%2Cdm.sent` }],
      [["xaa", "unsubscribe", "42"], { app: "acme", forget: true }, { method: "DELETE", path: `${B}/users/42?forget=true` }],
      [["xaa", "delete", "1976325569252868096"], { app: "acme" }, { method: "DELETE", path: `${B}/subscriptions/1976325569252868096` }],
      [["xaa", "reconcile"], { app: "acme" }, { method: "POST", path: `${B}/reconcile` }],
      [["xaa", "refresh"], { app: "acme" }, { method: "POST", path: `${B}/tokens/refresh` }],
      [["xaa", "profiles"], { app: "acme" }, { method: "GET", path: `${B}/profiles` }],
      [["xaa", "profile-put", "likes"], { app: "acme", types: "like.create,follow.follow", direction: "inbound", tag: "t" }, { method: "PUT", path: `${B}/profiles/likes`, body: { event_types: ["like.create", "follow.follow"], direction: "inbound", tag: "t" } }],
      [["xaa", "profile-delete", "likes"], { app: "acme" }, { method: "DELETE", path: `${B}/profiles/likes` }],
      [["invite"], { app: "acme", profile: "standard", ttl: "3600" }, { method: "POST", path: "/admin/apps/acme/invites", body: { ttl_seconds: 3600, profile: "standard" } }],
    ];
    for (const [args, values, call] of cases) expect(planCall(args, values), args.join(" ")).toStrictEqual(call);
  });

  it("missing arguments are usage errors; path segments are encoded", () => {
    expect(() => planCall(["xaa", "subscribe", "42"], { app: "acme" })).toThrow(/--profile/);
    expect(() => planCall(["xaa", "user"], { app: "acme" })).toThrow(/USER_ID/);
    expect(() => planCall(["xaa", "profile-put", "p"], { app: "acme" })).toThrow(/--types/);
    expect(() => planCall(["xaa", "nope"], { app: "acme" })).toThrow(/unknown xaa command/);
    expect(planCall(["xaa", "user", "../x"], { app: "acme" })).toStrictEqual({ method: "GET", path: `${B}/users/..%2Fx` });
  });
});
