/**
 * The migration's state machine, derived from facts. The last block drives it against a small
 * in-memory world (X's XAA list and AAA subscriptions, as a runner would read them) with
 * failures injected at every step: it always ends complete, creates each subscription once and
 * removes an AAA subscription only after every type of that user is on XAA.
 */
import { describe, expect, it } from "vitest";
import { AAA_EQUIVALENT_TYPES } from "../../../src/control/migration-plan.ts";
import { migrationProgress, type AppFacts, type MigrationOptions, type UserFacts } from "../../../src/control/migration-steps.ts";
import { ALL_SCOPES, scopeOf } from "./scopes.ts";

const OPTIONS: MigrationOptions = { types: AAA_EQUIVALENT_TYPES, scopeOf, cap: 1500, confirm_by: "subscription_list" };
const user = (over: Partial<UserFacts>): UserFacts => ({ user_id: "1", xaa_types: [], aaa_subscribed: true, first_xaa_event_at: null, oauth2_scopes: ALL_SCOPES, ...over });
const app = (over: Partial<AppFacts>): AppFacts => ({ migrating: true, webhook_valid: true, app_level_types: ["oauth.revoke"], users: [], other_subscriptions: 0, ...over });

describe("migrationProgress: preconditions", () => {
  it("is blocked, saying why in words, without the migrating flag, a valid webhook or room under the cap", () => {
    const p = migrationProgress(app({ migrating: false, webhook_valid: false, users: [user({})] }), { ...OPTIONS, cap: 10 });
    expect(p.state).toBe("blocked");
    expect(p.blockers).toHaveLength(3);
    expect(p.blockers[0]).toContain('"migrating": true');
    expect(p.blockers[1]).toContain("webhook recheck");
    expect(p.blockers[2]).toContain("18 XAA subscriptions, over the tier's cap of 10");
    expect(migrationProgress(app({ webhook_valid: null, users: [user({})] }), OPTIONS).blockers[0]).toContain("webhook register");
  });
});

describe("migrationProgress: per user", () => {
  it("subscribes first, everything the tokens allow", () => {
    const p = migrationProgress(app({ users: [user({})] }), OPTIONS);
    expect(p.state).toBe("in_progress");
    expect(p.steps[0]?.stage).toBe("subscribe_xaa");
    expect(p.steps[0]?.create).toHaveLength(17);
  });

  it("creates only what X does not list yet (a re-run never creates twice)", () => {
    const p = migrationProgress(app({ users: [user({ xaa_types: AAA_EQUIVALENT_TYPES.slice(0, 15) })] }), OPTIONS);
    expect(p.steps[0]?.create.map((t) => t.event_type)).toEqual(["dm.read", "dm.indicate_typing"]);
  });

  it("removes the AAA subscription once X lists every type", () => {
    const p = migrationProgress(app({ users: [user({ xaa_types: AAA_EQUIVALENT_TYPES })] }), OPTIONS);
    expect(p.steps[0]?.stage).toBe("remove_aaa");
  });

  it("with confirm_by first_event, waits for the first XAA event before removing AAA", () => {
    const facts = user({ xaa_types: AAA_EQUIVALENT_TYPES });
    const options = { ...OPTIONS, confirm_by: "first_event" as const };
    expect(migrationProgress(app({ users: [facts] }), options).steps[0]?.stage).toBe("await_delivery");
    expect(migrationProgress(app({ users: [{ ...facts, first_xaa_event_at: "2026-12-04T16:00:00.000Z" }] }), options).steps[0]?.stage).toBe("remove_aaa");
  });

  it("keeps AAA for a user who must consent again, after subscribing the public types", () => {
    const publicTypes = ["post.create", "post.delete", "follow.follow", "follow.unfollow"];
    const p = migrationProgress(app({ users: [user({ oauth2_scopes: null, xaa_types: publicTypes })] }), OPTIONS);
    expect(p.steps[0]?.stage).toBe("await_consent");
    expect(p.steps[0]?.waiting_for.map((t) => t.scope)).toContain("dm.read");
    expect(p.state).toBe("in_progress");
    expect(p.counts.await_consent).toBe(1);
  });

  it("is done for a user with every type on XAA and no AAA left; complete, with what to do next", () => {
    const p = migrationProgress(app({ users: [user({ xaa_types: AAA_EQUIVALENT_TYPES, aaa_subscribed: false })] }), OPTIONS);
    expect(p.steps[0]?.stage).toBe("done");
    expect(p.state).toBe("complete");
    expect(p.notes.join(" ")).toContain('remove "migrating"');
    expect(p.notes.join(" ")).toContain('flavour to "xaa"');
  });

  it("creates the app's oauth.revoke subscription when X does not list it", () => {
    const p = migrationProgress(app({ app_level_types: [], users: [user({ xaa_types: AAA_EQUIVALENT_TYPES, aaa_subscribed: false })] }), OPTIONS);
    expect(p.app_level_create).toEqual(["oauth.revoke"]);
    expect(p.state).toBe("in_progress");
  });

  it("stays complete once finished, even after the migrating flag is removed", () => {
    const p = migrationProgress(app({ migrating: false, users: [user({ xaa_types: AAA_EQUIVALENT_TYPES, aaa_subscribed: false })] }), OPTIONS);
    expect(p.state).toBe("complete");
    expect(p.blockers).toEqual([]);
  });
});

/** X and the Registry as a runner sees them; `failAt` makes the n-th operation throw. */
class World {
  xaa = new Map<string, Set<string>>();
  aaa = new Set<string>();
  appLevel = new Set<string>();
  creates: string[] = [];
  removedWhileIncomplete: string[] = [];
  ops = 0;
  constructor(users: string[], private readonly failAt: ReadonlySet<number>) {
    for (const u of users) this.aaa.add(u);
  }
  private op(): void {
    this.ops += 1;
    if (this.failAt.has(this.ops)) throw new Error(`injected failure at operation ${this.ops}`);
  }
  facts(): AppFacts {
    const ids = new Set([...this.aaa, ...this.xaa.keys()]);
    return app({
      app_level_types: [...this.appLevel],
      users: [...ids].sort().map((id) => user({ user_id: id, xaa_types: [...(this.xaa.get(id) ?? [])], aaa_subscribed: this.aaa.has(id) })),
    });
  }
  create(userId: string, type: string): void {
    this.op();
    const set = this.xaa.get(userId) ?? new Set<string>();
    set.add(type);
    this.xaa.set(userId, set);
    this.creates.push(`${userId}:${type}`);
  }
  createAppLevel(type: string): void {
    this.op();
    this.appLevel.add(type);
  }
  removeAaa(userId: string): void {
    this.op();
    if ((this.xaa.get(userId)?.size ?? 0) < AAA_EQUIVALENT_TYPES.length) this.removedWhileIncomplete.push(userId);
    this.aaa.delete(userId);
  }
}

/**
 * One `migrate` run, as the runner does it: read the facts, do the steps, read again (X's list
 * now confirms what was created), until complete or nothing is left to do now; throws where
 * the world fails.
 */
function run(world: World): string {
  for (;;) {
    const p = migrationProgress(world.facts(), OPTIONS);
    if (p.state !== "in_progress") return p.state;
    const before = world.ops;
    for (const t of p.app_level_create) world.createAppLevel(t);
    for (const s of p.steps) {
      if (s.stage === "subscribe_xaa") for (const t of s.create) world.create(s.user_id, t.event_type);
      else if (s.stage === "remove_aaa") world.removeAaa(s.user_id);
    }
    if (world.ops === before) return p.state;
  }
}

describe("a migration resumed after failures", () => {
  const users = ["11", "22", "33"];
  const totalOps = 1 + users.length * (AAA_EQUIVALENT_TYPES.length + 1);

  it("without failures: done in one run, each subscription created once", () => {
    const world = new World(users, new Set());
    expect(run(world)).toBe("complete");
    expect(world.ops).toBe(totalOps);
    expect(new Set(world.creates).size).toBe(world.creates.length);
  });

  for (const failAt of [1, 2, 18, 19, 20, totalOps - 1, totalOps]) {
    it(`a failure at operation ${failAt} of ${totalOps}: the next runs finish it, creating nothing twice`, () => {
      const world = new World(users, new Set([failAt]));
      expect(() => run(world)).toThrow(`operation ${failAt}`);
      let state = "in_progress";
      for (let i = 0; i < 3 && state !== "complete"; i++) state = run(world);
      expect(state).toBe("complete");
      expect(world.creates).toHaveLength(users.length * AAA_EQUIVALENT_TYPES.length);
      expect(new Set(world.creates).size).toBe(world.creates.length);
      expect(world.removedWhileIncomplete).toEqual([]);
      expect(world.aaa.size).toBe(0);
      // Running it again does nothing.
      const ops = world.ops;
      expect(run(world)).toBe("complete");
      expect(world.ops).toBe(ops);
    });
  }
});
