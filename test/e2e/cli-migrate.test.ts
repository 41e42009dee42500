/** The CLI's `migrate` command: the admin API call it stands for. */
import { describe, expect, it } from "vitest";
import { planCall } from "../../bin/account-activity-edge.ts";

describe("CLI migrate", () => {
  it("plans POST /admin/apps/:app/migration with its options", () => {
    const path = "/admin/apps/acme/migration";
    expect(planCall(["migrate"], { app: "acme" })).toStrictEqual({ method: "POST", path, body: { dry_run: false } });
    expect(planCall(["migrate"], { app: "acme", "dry-run": true })).toStrictEqual({ method: "POST", path, body: { dry_run: true } });
    expect(planCall(["migrate"], { app: "acme", "confirm-by": "first_event", types: "post.create, post.delete" })).toStrictEqual({
      method: "POST",
      path,
      body: { dry_run: false, confirm_by: "first_event", types: ["post.create", "post.delete"] },
    });
    expect(() => planCall(["migrate", "now"], { app: "acme" })).toThrow(/no subcommand/);
  });
});
