/**
 * `runMigration` against an in-memory X (a MigrationPort): a dry run does nothing and says what
 * it would do; a run moves everyone it can in one go, keeps AAA for users who must consent, stops
 * at a failure with a report, and the next run resumes without doing anything twice.
 */
import { describe, expect, it } from "vitest";
import { AAA_EQUIVALENT_TYPES } from "../../../src/control/migration-plan.ts";
import { runMigration, type MigrationPort } from "../../../src/control/migration-run.ts";
import type { AppFacts, MigrationOptions } from "../../../src/control/migration-steps.ts";
import { ALL_SCOPES, scopeOf } from "./scopes.ts";

const OPTIONS: MigrationOptions = { types: AAA_EQUIVALENT_TYPES, scopeOf, cap: 1500, confirm_by: "subscription_list" };

class FakeX implements MigrationPort {
  xaa = new Map<string, Set<string>>();
  appLevel = new Set<string>();
  aaa: Set<string>;
  calls: string[] = [];
  failOnCall: number | null = null;
  migrating = true;
  constructor(readonly grants: Map<string, readonly string[] | null>) {
    this.aaa = new Set(grants.keys());
  }
  async facts(): Promise<AppFacts> {
    const ids = [...new Set([...this.aaa, ...this.xaa.keys()])].sort();
    return {
      migrating: this.migrating,
      webhook_valid: true,
      app_level_types: [...this.appLevel],
      users: ids.map((id) => ({ user_id: id, xaa_types: [...(this.xaa.get(id) ?? [])], aaa_subscribed: this.aaa.has(id), first_xaa_event_at: null, oauth2_scopes: this.grants.get(id) ?? null })),
      other_subscriptions: 0,
    };
  }
  private call(what: string): void {
    this.calls.push(what);
    if (this.failOnCall === this.calls.length) throw new Error("429 Too Many Requests (injected)");
  }
  async createXaa(userId: string | null, eventType: string, auth: "bearer" | "user"): Promise<"created" | "exists"> {
    this.call(`create ${userId ?? "app"} ${eventType} ${auth}`);
    if (userId === null) {
      const had = this.appLevel.has(eventType);
      this.appLevel.add(eventType);
      return had ? "exists" : "created";
    }
    const set = this.xaa.get(userId) ?? new Set<string>();
    const had = set.has(eventType);
    set.add(eventType);
    this.xaa.set(userId, set);
    return had ? "exists" : "created";
  }
  async removeAaa(userId: string): Promise<void> {
    this.call(`remove ${userId}`);
    this.aaa.delete(userId);
  }
}

const grants = () => new Map<string, readonly string[] | null>([["11", ALL_SCOPES], ["22", ALL_SCOPES], ["33", null]]);

describe("runMigration", () => {
  it("dry run: the plan and the first steps, no call made", async () => {
    const x = new FakeX(grants());
    const r = await runMigration(x, OPTIONS, { dryRun: true });
    expect(x.calls).toEqual([]);
    expect(r.dry_run).toBe(true);
    expect(r.plan).toEqual({ users: 3, move: 2, partial: 1, consent_required: 0, subscriptions_after_consent: 3 * 17 + 1, within_cap: true });
    expect(r.actions.filter((a) => a.kind === "create_xaa")).toHaveLength(1 + 17 + 17 + 4);
    expect(r.actions.every((a) => a.result === "planned")).toBe(true);
  });

  it("moves every user it can in one run; a user who must consent keeps AAA and is listed with the scopes to ask", async () => {
    const x = new FakeX(grants());
    const r = await runMigration(x, OPTIONS, { dryRun: false });
    expect(r.state).toBe("in_progress");
    expect([...x.aaa]).toEqual(["33"]);
    expect(r.counts).toMatchObject({ done: 2, await_consent: 1 });
    expect(r.waiting_for_consent).toEqual([
      { user_id: "33", event_types: expect.arrayContaining(["like.create", "dm.received"]), scopes: ["block.read", "dm.read", "like.read", "mute.read", "tweet.read"] },
    ]);
    expect(x.calls).toContain("create 11 dm.received user");
    expect(x.calls).toContain("create 33 post.create bearer");
    expect(x.calls).toContain("create app oauth.revoke bearer");
    // AAA goes only after the user's XAA subscriptions exist.
    expect(x.calls.indexOf("remove 11")).toBeGreaterThan(x.calls.lastIndexOf(x.calls.find((c) => c.startsWith("create 11"))!));
    expect(r.stopped).toBeNull();

    // The user consents: the next run finishes the move.
    x.grants.set("33", ALL_SCOPES);
    const done = await runMigration(x, OPTIONS, { dryRun: false });
    expect(done.state).toBe("complete");
    expect(x.aaa.size).toBe(0);
    expect(done.notes.join(" ")).toContain('remove "migrating"');
  });

  it("stops at a failure with a report, and the next run resumes, creating nothing twice", async () => {
    const x = new FakeX(new Map([["11", ALL_SCOPES], ["22", ALL_SCOPES]]));
    x.failOnCall = 20;
    const first = await runMigration(x, OPTIONS, { dryRun: false });
    expect(first.stopped?.error).toContain("429");
    expect(first.stopped?.during).toMatchObject({ kind: "create_xaa", user_id: "22" });
    expect(first.actions).toHaveLength(19);
    x.failOnCall = null;
    const second = await runMigration(x, OPTIONS, { dryRun: false });
    expect(second.state).toBe("complete");
    const creates = x.calls.filter((c) => c.startsWith("create"));
    // The call that failed (X created nothing) is the only one made twice.
    expect(new Set(creates).size).toBe(1 + 2 * 17);
    expect(creates.length).toBe(1 + 2 * 17 + 1);
    expect(second.actions.every((a) => a.result !== "exists")).toBe(true);
  });

  it("does nothing when blocked, and says why", async () => {
    const x = new FakeX(grants());
    x.migrating = false;
    const r = await runMigration(x, OPTIONS, { dryRun: false });
    expect(r.state).toBe("blocked");
    expect(r.blockers[0]).toContain('"migrating": true');
    expect(x.calls).toEqual([]);
  });
});
