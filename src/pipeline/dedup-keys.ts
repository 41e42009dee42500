/**
 * Which dedup key an envelope has and which Dedup shard owns it: pure. The one place dedup keys
 * are made.
 *
 * Sharding (see docs/pipeline.md "Dedup sharding"): one Durable Object serialises its requests and
 * handles on the order of a thousand a second, so one object for every event would cap the whole
 * deployment. Keys are spread over `config.dedup.shards` objects named `dedup-<n>`, by a hash of
 * the dedup key itself: every copy of an event (X retries, Replay, another user's copy for a
 * `collapseAcrossUsers` app) has the same key and so meets in the same object, and one very hot
 * user's events spread over every shard instead of loading one. The consumer asks each shard once
 * per batch, whatever the number of users in it.
 *
 * `legacyDedupShard` is the layout before this one (by `for_user_id`, or `event_key` for collapse
 * apps), still asked during a migration (`DEDUP_PREVIOUS_LAYOUT`, config-pipeline.ts).
 */
import type { Envelope } from "../events/envelope.ts";
import type { DedupLayout } from "../config-pipeline.ts";

const UTF8 = new TextEncoder();

/** FNV-1a 32-bit over UTF-8: fast, stable across isolates and versions, spreads short ids well. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of UTF8.encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The key the Dedup object stores: per app, and per user unless the app collapses across users. */
export function dedupKey(envelope: Envelope, collapseAcrossUsers: boolean): string {
  return `${envelope.app}:${collapseAcrossUsers ? envelope.event_key : envelope.id}`;
}

/** The shard index (0 .. shards-1) that owns this envelope's dedup key: a hash of the key. */
export function dedupShard(envelope: Envelope, collapseAcrossUsers: boolean, shards: number): number {
  return keyShard(dedupKey(envelope, collapseAcrossUsers), shards);
}

/** The shard the per-user layout (before hash-of-key sharding) gave this envelope's key. */
export function legacyDedupShard(envelope: Envelope, collapseAcrossUsers: boolean, shards: number): number {
  const basis = collapseAcrossUsers ? envelope.event_key : (envelope.for_user_id ?? envelope.id);
  return fnv1a32(basis) % Math.max(1, Math.floor(shards));
}

/** The shard a given layout gives an envelope's key. */
export function shardInLayout(layout: DedupLayout, envelope: Envelope, collapseAcrossUsers: boolean, shards: number): number {
  return layout === "key" ? dedupShard(envelope, collapseAcrossUsers, shards) : legacyDedupShard(envelope, collapseAcrossUsers, shards);
}

/** Durable Object name of a shard. */
export function dedupShardName(shard: number): string {
  return `dedup-${shard}`;
}

/**
 * Cross-API dedup while an app migrates from AAA to XAA (APPS `migrating: true`): for that
 * overlap both APIs deliver the same event, as two envelopes with different `id`s but one
 * canonical identity (docs/envelope.md, "One event model for both APIs"), and consumers must
 * get it once. Each envelope then makes a second claim on its canonical key beside its usual
 * id claim; it is published only when every claim is new.
 *
 * Follow, block and mute (XAA sends only the pair) and likes (post + liker) cannot tell a
 * genuine second event from the first one's twin, so their canonical claim lives only
 * `MIGRATION_PAIR_WINDOW_SECONDS`: a re-follow after that is published. The id claim keeps the
 * full window, so X's own retries are still recognised for as long as before.
 */
export const MIGRATION_PAIR_WINDOW_SECONDS = 15 * 60;

/** One key an envelope must win before it is published, where it lives and for how long. */
export interface DedupClaim {
  key: string;
  /** Current-layout shard: a hash of `key` (`keyShard`). */
  shard: number;
  windowSeconds: number;
  /**
   * The window is shorter than the deployment's: committed to the Dedup's "short" bucket family,
   * so the key is forgotten after the short window (at most twice it), not after a day.
   */
  short: boolean;
  /** A canonical (cross-API) claim rather than the envelope's id claim. */
  canonical: boolean;
}

/** How an app deduplicates: its settings and the deployment's. */
export interface DedupPolicy {
  collapseAcrossUsers: boolean;
  /** The app is migrating from AAA to XAA: add canonical claims. */
  migrating: boolean;
  shards: number;
  windowSeconds: number;
}

/** Activities of one family for dedup: one post seen as a reply and as a mention is one event. */
const CANONICAL_FAMILY: ReadonlyMap<string, string> = new Map([
  ["post.create", "post"],
  ["post.mention.create", "post"],
  ["post.reply.create", "post"],
  ["post.quote.create", "post"],
  ["post.repost.create", "post"],
  ["like.create", "like"],
  ["dm.sent", "dm"],
  ["dm.received", "dm"],
]);

/** Families whose object key is a pair that a later, genuine event shares (see above). */
const PAIR_KEYED = /^(?:follow|block|mute)\.|^like\.create$/;

/**
 * The canonical dedup key: `<app>:~<family>:<object_key>` plus `:<for_user_id>` unless the app
 * collapses across users; null when the envelope has no cross-API identity (its object key is
 * its own event key, or it is `unknown` / `replay_job_status`). The `~` keeps these keys apart
 * from id keys (`<app>:<id>`), whose types never start with one.
 */
export function canonicalDedupKey(envelope: Envelope, collapseAcrossUsers: boolean): string | null {
  if (envelope.object_key === envelope.event_key) return null;
  const family = CANONICAL_FAMILY.get(envelope.activity) ?? envelope.activity;
  const user = collapseAcrossUsers ? "" : `:${envelope.for_user_id ?? "-"}`;
  return `${envelope.app}:~${family}:${envelope.object_key}${user}`;
}

/** The shard (0 .. shards-1) a dedup key has under hash-of-key sharding. */
export function keyShard(key: string, shards: number): number {
  return fnv1a32(key) % Math.max(1, Math.floor(shards));
}

/**
 * Every claim an envelope makes: its id claim (as `dedupKey`/`dedupShard`) and, while the app
 * migrates, its canonical claim. Both are sharded by a hash of their own key, so both APIs'
 * copies of an event (same canonical key) meet in one object and a hot user still spreads.
 */
export function dedupClaims(envelope: Envelope, policy: DedupPolicy): DedupClaim[] {
  const id = dedupKey(envelope, policy.collapseAcrossUsers);
  const claims: DedupClaim[] = [
    { key: id, shard: keyShard(id, policy.shards), windowSeconds: policy.windowSeconds, short: false, canonical: false },
  ];
  const canonical = policy.migrating ? canonicalDedupKey(envelope, policy.collapseAcrossUsers) : null;
  if (canonical !== null) {
    const windowSeconds = PAIR_KEYED.test(envelope.activity)
      ? Math.min(MIGRATION_PAIR_WINDOW_SECONDS, policy.windowSeconds)
      : policy.windowSeconds;
    claims.push({ key: canonical, shard: keyShard(canonical, policy.shards), windowSeconds, short: windowSeconds < policy.windowSeconds, canonical: true });
  }
  return claims;
}

/**
 * The shard a claim had under a given layout (re-sharding lookups, ingest-dedup.ts). Under the
 * per-user layout an id claim lived where `legacyDedupShard` put it and a canonical claim by
 * `for_user_id` (or, with none or for a collapse app, by the key itself).
 */
export function claimShardInLayout(layout: DedupLayout, claim: DedupClaim, envelope: Envelope, collapseAcrossUsers: boolean, shards: number): number {
  if (!claim.canonical) return shardInLayout(layout, envelope, collapseAcrossUsers, shards);
  if (layout === "key") return keyShard(claim.key, shards);
  const basis = collapseAcrossUsers ? claim.key : (envelope.for_user_id ?? claim.key);
  return fnv1a32(basis) % Math.max(1, Math.floor(shards));
}

/** What the Dedup objects answered for each key (`DedupStatus`, kept local: state/ is below us). */
export type ClaimStatus = "new" | "done" | "busy";

/** What to do with a message's envelopes once every claim has an answer. */
export interface ClaimDecision {
  /** Publish these, in the delivery's order. */
  publish: Envelope[];
  /** Leases to commit once published (or at once when nothing is published). */
  commit: DedupClaim[];
  /** Leases to give back: their envelope waits for another consumer. */
  release: DedupClaim[];
  /** Some envelope waits for another consumer: retry the message shortly. */
  busy: boolean;
}

/**
 * Pure: the decision for one message. Each envelope is, in the delivery's order:
 * - published when every claim it makes is `new` and it is the first envelope of the message
 *   to make each;
 * - a duplicate when a claim is `done` (its twin or an earlier copy was published), or when it
 *   shares a key with an earlier envelope of the message that is published or a duplicate;
 * - waiting when a claim is `busy` (another consumer holds it) or it shares a key with an
 *   earlier waiting envelope.
 * Published and duplicate envelopes commit the new leases they own (so their own retries stay
 * recognised); waiting ones release theirs, unless a commit covers the same key.
 */
export function decideClaims(
  plans: readonly { envelope: Envelope; claims: readonly DedupClaim[] }[],
  status: (key: string) => ClaimStatus,
): ClaimDecision {
  type Outcome = "publish" | "duplicate" | "wait";
  const owner = new Map<string, number>();
  const outcomes: Outcome[] = [];
  const publish: Envelope[] = [];
  const commit = new Map<string, DedupClaim>();
  const release = new Map<string, DedupClaim>();
  plans.forEach((p, i) => {
    const statuses = p.claims.map((c) => status(c.key));
    const earlier = p.claims.map((c) => owner.get(c.key)).filter((j): j is number => j !== undefined);
    let outcome: Outcome;
    if (statuses.includes("done")) outcome = "duplicate";
    else if (statuses.includes("busy")) outcome = "wait";
    else if (earlier.length === 0) outcome = "publish";
    else outcome = earlier.some((j) => outcomes[j] === "wait") ? "wait" : "duplicate";
    outcomes.push(outcome);
    if (outcome === "publish") publish.push(p.envelope);
    p.claims.forEach((c, j) => {
      if (owner.has(c.key)) return;
      owner.set(c.key, i);
      if (statuses[j] !== "new") return;
      (outcome === "wait" ? release : commit).set(c.key, c);
    });
  });
  for (const key of commit.keys()) release.delete(key);
  return { publish, commit: [...commit.values()], release: [...release.values()], busy: outcomes.includes("wait") };
}
