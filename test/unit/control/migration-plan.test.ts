/**
 * The plan of a move from AAA to XAA: per user, which types now (bearer or the user's OAuth 2.0
 * token), which wait for consent (and the scope to ask for), totals against the cap.
 */
import { describe, expect, it } from "vitest";
import { AAA_EQUIVALENT_TYPES, planMigration, type PlanInput } from "../../../src/control/migration-plan.ts";
import { ALL_SCOPES, scopeOf } from "./scopes.ts";

const input = (over: Partial<PlanInput>): PlanInput => ({ users: [], types: AAA_EQUIVALENT_TYPES, scopeOf, existingSubscriptions: 0, cap: 1500, ...over });

describe("planMigration", () => {
  it("covers everything AAA delivered: posts, deletes, likes, follows, blocks, mutes, DMs, typing, read receipts", () => {
    expect([...AAA_EQUIVALENT_TYPES].sort()).toEqual(
      [
        "block.block", "block.unblock", "dm.indicate_typing", "dm.read", "dm.received", "dm.sent", "follow.follow", "follow.unfollow",
        "like.create", "mute.mute", "mute.unmute", "post.create", "post.delete", "post.mention.create", "post.quote.create",
        "post.reply.create", "post.repost.create",
      ].sort(),
    );
  });

  it("moves a user whose OAuth 2.0 grant covers every private type: public types with the bearer, private with the user", () => {
    const plan = planMigration(input({ users: [{ user_id: "1", oauth2_scopes: ALL_SCOPES }] }));
    const [u] = plan.users;
    expect(u?.outcome).toBe("move");
    expect(u?.needs_consent).toEqual([]);
    expect(u?.subscribe_now).toHaveLength(17);
    expect(u?.subscribe_now.find((t) => t.event_type === "post.create")?.auth).toBe("bearer");
    expect(u?.subscribe_now.find((t) => t.event_type === "dm.received")?.auth).toBe("user");
    expect(plan.counts).toEqual({ move: 1, partial: 0, consent_required: 0 });
  });

  it("moves a user with only OAuth 1.0a tokens partly: public types now, the private ones after consent", () => {
    const plan = planMigration(input({ users: [{ user_id: "1", oauth2_scopes: null }] }));
    const [u] = plan.users;
    expect(u?.outcome).toBe("partial");
    expect(u?.subscribe_now.map((t) => t.event_type)).toEqual(["post.create", "post.delete", "follow.follow", "follow.unfollow"]);
    expect(u?.needs_consent.find((t) => t.event_type === "like.create")).toEqual({ event_type: "like.create", scope: "like.read" });
    expect(plan.consent_scopes).toEqual(["block.read", "dm.read", "like.read", "mute.read", "tweet.read"]);
  });

  it("asks only for the scopes a grant lacks", () => {
    const plan = planMigration(input({ users: [{ user_id: "1", oauth2_scopes: ["tweet.read", "like.read", "dm.read"] }] }));
    expect(plan.consent_scopes).toEqual(["block.read", "mute.read"]);
    expect(plan.users[0]?.needs_consent.map((t) => t.event_type)).toEqual(["block.block", "block.unblock", "mute.mute", "mute.unmute"]);
  });

  it("is consent_required when the profile has only private types and the user no grant", () => {
    const plan = planMigration(input({ types: ["dm.received", "dm.sent"], users: [{ user_id: "1", oauth2_scopes: null }] }));
    expect(plan.users[0]?.outcome).toBe("consent_required");
    expect(plan.users[0]?.subscribe_now).toEqual([]);
  });

  it("counts subscriptions now and after consent, plus the app's one oauth.revoke, against the cap", () => {
    const users = [
      { user_id: "1", oauth2_scopes: ALL_SCOPES },
      { user_id: "2", oauth2_scopes: null },
      { user_id: "2", oauth2_scopes: null },
    ];
    const plan = planMigration(input({ users, existingSubscriptions: 10, cap: 45 }));
    expect(plan.users.map((u) => u.user_id)).toEqual(["1", "2"]);
    expect(plan.app_level).toEqual(["oauth.revoke"]);
    expect(plan.subscriptions_now).toBe(17 + 4 + 1);
    expect(plan.subscriptions_after_consent).toBe(17 + 17 + 1);
    expect(plan.within_cap).toBe(true);
    expect(planMigration(input({ users, existingSubscriptions: 11, cap: 45 })).within_cap).toBe(false);
  });
});
