/**
 * The ingest consumer's dedup calls for a whole batch: ONE `begin` and ONE `commit` per Dedup
 * shard per consumer batch, however many messages and users the batch holds (docs/pipeline.md
 * "Dedup sharding"). Each claim keeps its own owner (its queue message id), so leases stay
 * per message while the RPCs are per shard.
 *
 * During a re-sharding (another DEDUP_SHARDS, or the upgrade from per-user sharding), the shards
 * report the other layouts whose keys they still hold (`beginBatch`), and `DEDUP_PREVIOUS_LAYOUT`
 * can name one too: keys the current shard does not know are also looked up, read only, in the
 * shard that layout gave them; a key found there is "done" and is committed to its current
 * shard, so it is asked about there next time. Once the old keys have expired the lookups stop.
 */
import type { Config } from "../config.ts";
import type { Envelope } from "../events/envelope.ts";
import type { DedupStatus } from "../state/dedup.ts";
import { claimShardInLayout, dedupShardName, type DedupClaim } from "./dedup-keys.ts";
import type { DedupLayout } from "../config-pipeline.ts";

/** How long a consumer holds an event while it publishes it. */
export const DEDUP_LEASE_MS = 30_000;

/** A DedupClaim (dedup-keys.ts: key, shard, window) of one envelope of one message of the batch. */
export interface Claim extends DedupClaim {
  envelope: Envelope;
  /** The queue message id of the message that carries it (stable across retries). */
  owner: string;
  /** Index of that message in the batch. */
  item: number;
  collapseAcrossUsers: boolean;
}

/** A claim's answer: the shard's, or "failed" when its shard could not be asked. */
export type ClaimStatus = DedupStatus | "failed";

function byShard<T>(list: readonly T[], shardOf: (t: T) => number): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const t of list) {
    const s = shardOf(t);
    const group = m.get(s);
    if (group === undefined) m.set(s, [t]);
    else group.push(t);
  }
  return m;
}

function shard(env: Env, n: number) {
  return env.DEDUP.getByName(dedupShardName(n));
}

/** The layout tag this version commits under: hash-of-key sharding over `shards` objects. */
export function layoutTag(shards: number): string {
  return `key:${shards}`;
}

/**
 * Other layouts this isolate has heard of, tag -> until (epoch ms): a batch whose keys all land
 * on shards that never held old keys still asks the old layout.
 */
const heardLayouts = new Map<string, number>();

/** A layout to ask (read only) besides the current one. */
interface OtherLayout {
  layout: DedupLayout;
  shards: number;
}

/** Parse a shard's `key:<n>` / `user` hint; `user` keeps the current shard count unless configured. */
function parseLayout(tag: string, config: Config): OtherLayout | null {
  if (tag === "user") {
    const prev = config.dedup.previous;
    return { layout: "user", shards: prev?.layout === "user" ? prev.shards : config.dedup.shards };
  }
  const m = /^key:(\d+)$/.exec(tag);
  return m === null ? null : { layout: "key", shards: Number(m[1]) };
}

/**
 * Take leases: one `begin` per shard. Answers in the order of `claims`. Keys that are new here
 * but live in another layout (the shards said so, or DEDUP_PREVIOUS_LAYOUT) are looked up there.
 */
export async function beginClaims(env: Env, config: Config, claims: readonly Claim[], now: number = Date.now()): Promise<ClaimStatus[]> {
  const index = new Map(claims.map((c, i) => [c, i]));
  const out: ClaimStatus[] = claims.map(() => "failed");
  const current = layoutTag(config.dedup.shards);
  const others = new Map<string, OtherLayout>();
  const prev = config.dedup.previous;
  if (prev !== null && prev !== undefined && now < prev.untilMs) {
    others.set(prev.layout === "key" ? layoutTag(prev.shards) : "user", { layout: prev.layout, shards: prev.shards });
  }
  for (const [tag, until] of heardLayouts) {
    const parsed = until > now && tag !== current ? parseLayout(tag, config) : null;
    if (parsed === null) heardLayouts.delete(tag);
    else if (!others.has(tag)) others.set(tag, parsed);
  }
  await Promise.all(
    [...byShard(claims, (c) => c.shard)].map(async ([n, group]) => {
      try {
        const answer = await shard(env, n).beginBatch(group.map((c) => c.key), DEDUP_LEASE_MS, group.map((c) => c.owner), current);
        group.forEach((c, i) => (out[index.get(c)!] = answer.statuses[i] ?? "failed"));
        for (const { tag, until } of answer.otherLayouts) {
          const parsed = tag === current ? null : parseLayout(tag, config);
          if (parsed === null) continue;
          heardLayouts.set(tag, Math.max(until, heardLayouts.get(tag) ?? 0));
          if (!others.has(tag)) others.set(tag, parsed);
        }
      } catch (error) {
        console.error(JSON.stringify({ msg: "dedup begin failed", shard: n, keys: group.length, error: String(error) }));
      }
    }),
  );
  if (others.size === 0) return out;

  // A re-sharding is under way: ask the other layouts about keys that are new here.
  const migrated = new Set<Claim>();
  for (const other of others.values()) {
    const fresh = claims.filter((c, i) => out[i] === "new" && !migrated.has(c));
    await Promise.all(
      [...byShard(fresh, (c) => claimShardInLayout(other.layout, c, c.envelope, c.collapseAcrossUsers, other.shards))].map(async ([n, group]) => {
        try {
          const seen = await shard(env, n).seen(group.map((c) => c.key));
          group.forEach((c, i) => {
            if (seen[i] === true) {
              out[index.get(c)!] = "done";
              migrated.add(c);
            }
          });
        } catch (error) {
          // Unknown is not "new": a failing shard is a transient fault, so those messages retry.
          console.error(JSON.stringify({ msg: "dedup other-layout lookup failed", shard: n, error: String(error) }));
          for (const c of group) out[index.get(c)!] = "failed";
        }
      }),
    );
  }
  // Remember them in the current layout (best effort: a failure only means asking again).
  await Promise.allSettled(
    [...byCommit([...migrated])].map(({ n, windowSeconds, short, group }) =>
      shard(env, n).commit(group.map((c) => c.key), windowSeconds, Date.now(), current, short ? "short" : "window"),
    ),
  );
  return out;
}

/** Claims grouped per commit call: shard, window and bucket family (one call each). */
function byCommit(claims: readonly Claim[]): { n: number; windowSeconds: number; short: boolean; group: Claim[] }[] {
  const m = new Map<string, { n: number; windowSeconds: number; short: boolean; group: Claim[] }>();
  for (const c of claims) {
    const id = `${c.shard}:${c.windowSeconds}:${c.short}`;
    const entry = m.get(id);
    if (entry === undefined) m.set(id, { n: c.shard, windowSeconds: c.windowSeconds, short: c.short, group: [c] });
    else entry.group.push(c);
  }
  return [...m.values()];
}

/** Drop leases after a failed publish (best effort: a lease not released expires). */
export async function releaseClaims(env: Env, claims: readonly Claim[]): Promise<void> {
  // Claims of one message share an owner; release is called per message, so one owner here.
  const calls: Promise<void>[] = [];
  for (const [n, group] of byShard(claims, (c) => c.shard)) {
    const owners = new Map<string, string[]>();
    for (const c of group) owners.set(c.owner, [...(owners.get(c.owner) ?? []), c.key]);
    for (const [owner, keys] of owners) calls.push(shard(env, n).release(keys, owner));
  }
  await Promise.allSettled(calls);
}

/**
 * Mark published keys done: one `commit` per shard (two for a shard that also holds short-window
 * canonical claims of a migrating app, one per bucket family). Returns the batch items (message indexes)
 * whose keys could not all be committed: they are retried, which at worst publishes a duplicate.
 */
export async function commitClaims(env: Env, config: Config, claims: readonly Claim[]): Promise<Set<number>> {
  const failed = new Set<number>();
  await Promise.all(
    byCommit(claims).map(async ({ n, windowSeconds, short, group }) => {
      try {
        await shard(env, n).commit(group.map((c) => c.key), windowSeconds, Date.now(), layoutTag(config.dedup.shards), short ? "short" : "window");
      } catch (error) {
        console.error(JSON.stringify({ msg: "dedup commit failed; retrying its messages", shard: n, keys: group.length, error: String(error) }));
        for (const c of group) failed.add(c.item);
      }
    }),
  );
  return failed;
}
