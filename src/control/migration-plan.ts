/**
 * The plan of a move from AAA to XAA, for one app: pure (facts in, plan out; no I/O).
 *
 * AAA delivers everything about a subscribed user through one subscription; XAA needs one
 * subscription per event type, and the private types (mentions, likes, DMs, blocks, mutes...)
 * need the user's OAuth 2.0 consent with the right scope (PROTOCOL.md, "Public vs private
 * events"). So for each user the plan says which types can be subscribed now with the tokens
 * held (public types with the app's bearer, private ones with the user's OAuth 2.0 token when
 * its scopes cover them), which wait for the user to consent again (and the scope to ask for),
 * and whether the user can be moved entirely (then the AAA subscription goes once XAA delivery
 * is confirmed) or only partly (the AAA subscription stays until the consent arrives).
 *
 * The scope rules are the control plane's (x-api/xaa-event-types.ts `requiredScope`): passed in
 * as `scopeOf`, so this module depends on nothing but its inputs.
 */

/**
 * The XAA types that together deliver what an AAA subscription delivered (PROTOCOL.md, "AAA →
 * XAA, event for event"), per user. `like.create` without `direction` gets both sides, as AAA
 * did. `oauth.revoke` is per app (empty filter), see `APP_LEVEL_TYPES`.
 */
export const AAA_EQUIVALENT_TYPES: readonly string[] = [
  "post.create",
  "post.delete",
  "post.mention.create",
  "post.reply.create",
  "post.quote.create",
  "post.repost.create",
  "like.create",
  "follow.follow",
  "follow.unfollow",
  "block.block",
  "block.unblock",
  "mute.mute",
  "mute.unmute",
  "dm.sent",
  "dm.received",
  "dm.read",
  "dm.indicate_typing",
];

/** Subscribed once per app, not per user: AAA's `user_event` revoke. */
export const APP_LEVEL_TYPES: readonly string[] = ["oauth.revoke"];

/** What the Registry knows about one user subscribed through AAA. */
export interface MigratingUser {
  user_id: string;
  /**
   * The scopes of the user's OAuth 2.0 grant, or null when the app holds no OAuth 2.0 token for
   * them (only OAuth 1.0a, or a refresh X refused: consent is needed again).
   */
  oauth2_scopes: readonly string[] | null;
}

export interface PlanInput {
  users: readonly MigratingUser[];
  /** The types each user should get: the app's profile, or AAA_EQUIVALENT_TYPES. */
  types: readonly string[];
  /** The OAuth 2.0 scope a private type needs; null for a public type (bearer is enough). */
  scopeOf: (type: string) => string | null;
  /** XAA subscriptions the app already has at X (other users, earlier runs). */
  existingSubscriptions: number;
  /** The tier's cap (1,500 self-serve, 75,000 enterprise, 150,000 partner). */
  cap: number;
}

export interface PlannedType {
  event_type: string;
  /** `bearer`: the app's own token; `user`: the user's OAuth 2.0 token. */
  auth: "bearer" | "user";
}

export interface PlannedUser {
  user_id: string;
  /**
   * `move`: every type can be subscribed now; the AAA subscription goes once XAA delivery is
   * confirmed. `partial`: some types wait for consent; the AAA subscription stays meanwhile.
   * `consent_required`: nothing can be subscribed before the user consents.
   */
  outcome: "move" | "partial" | "consent_required";
  subscribe_now: PlannedType[];
  /** Private types the user's grant does not cover, with the scope to ask for. */
  needs_consent: { event_type: string; scope: string }[];
}

export interface MigrationPlan {
  users: PlannedUser[];
  /** Users by outcome. */
  counts: { move: number; partial: number; consent_required: number };
  /** The per-app types (`oauth.revoke`) to subscribe once. */
  app_level: string[];
  /** Subscriptions this plan creates now, and what the app would then hold at X. */
  subscriptions_now: number;
  subscriptions_after_consent: number;
  /** Whether the subscriptions the full plan needs fit under the cap. */
  within_cap: boolean;
  /** The scopes to ask each user who must consent again for (sorted, de-duplicated). */
  consent_scopes: string[];
}

function planUser(user: MigratingUser, types: readonly string[], scopeOf: (type: string) => string | null): PlannedUser {
  const granted = new Set(user.oauth2_scopes ?? []);
  const now: PlannedType[] = [];
  const later: { event_type: string; scope: string }[] = [];
  for (const type of types) {
    const scope = scopeOf(type);
    if (scope === null) now.push({ event_type: type, auth: "bearer" });
    else if (user.oauth2_scopes !== null && granted.has(scope)) now.push({ event_type: type, auth: "user" });
    else later.push({ event_type: type, scope });
  }
  const outcome = later.length === 0 ? "move" : now.length === 0 ? "consent_required" : "partial";
  return { user_id: user.user_id, outcome, subscribe_now: now, needs_consent: later };
}

/** The plan: per user, per type; totals against the cap. Users in input order, each once. */
export function planMigration(input: PlanInput): MigrationPlan {
  const seen = new Set<string>();
  const users: PlannedUser[] = [];
  for (const u of input.users) {
    if (seen.has(u.user_id)) continue;
    seen.add(u.user_id);
    users.push(planUser(u, input.types, input.scopeOf));
  }
  const counts = { move: 0, partial: 0, consent_required: 0 };
  for (const u of users) counts[u.outcome] += 1;
  const appLevel = [...APP_LEVEL_TYPES];
  const now = users.reduce((n, u) => n + u.subscribe_now.length, 0) + appLevel.length;
  const all = users.reduce((n, u) => n + u.subscribe_now.length + u.needs_consent.length, 0) + appLevel.length;
  const scopes = new Set(users.flatMap((u) => u.needs_consent.map((t) => t.scope)));
  return {
    users,
    counts,
    app_level: appLevel,
    subscriptions_now: now,
    subscriptions_after_consent: all,
    within_cap: input.existingSubscriptions + all <= input.cap,
    consent_scopes: [...scopes].sort(),
  };
}
