/**
 * The ingest consumer's dedup calls for a whole batch: ONE `begin` and ONE `commit` per Dedup
 * shard per consumer batch, however many messages and users the batch holds (docs/pipeline.md
 * "Dedup sharding"). Each claim keeps its own owner (its queue message id), so leases stay
 * per message while the RPCs are per shard.
 *
 * During a re-sharding (`DEDUP_PREVIOUS_LAYOUT`), keys the current shard does not know are also
 * looked up, read only, in the shard the previous layout gave them; a key found there is "done"
 * and is committed to its current shard, so it is asked about there next time.
 */
import type { Config } from "../config.ts";
import type { Envelope } from "../events/envelope.ts";
import type { DedupStatus } from "../state/dedup.ts";
import { dedupShardName, shardInLayout } from "./dedup-keys.ts";

/** How long a consumer holds an event while it publishes it. */
export const DEDUP_LEASE_MS = 30_000;

export interface Claim {
  envelope: Envelope;
  key: string;
  /** Current-layout shard of `key`. */
  shard: number;
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

/** Take leases: one `begin` per shard. Answers in the order of `claims`. */
export async function beginClaims(env: Env, config: Config, claims: readonly Claim[], now: number = Date.now()): Promise<ClaimStatus[]> {
  const index = new Map(claims.map((c, i) => [c, i]));
  const out: ClaimStatus[] = claims.map(() => "failed");
  await Promise.all(
    [...byShard(claims, (c) => c.shard)].map(async ([n, group]) => {
      try {
        const statuses = await shard(env, n).begin(group.map((c) => c.key), DEDUP_LEASE_MS, group.map((c) => c.owner));
        group.forEach((c, i) => (out[index.get(c)!] = statuses[i] ?? "failed"));
      } catch (error) {
        console.error(JSON.stringify({ msg: "dedup begin failed", shard: n, keys: group.length, error: String(error) }));
      }
    }),
  );
  const previous = config.dedup.previous;
  if (previous === null || previous === undefined || now >= previous.untilMs) return out;

  // Migration: ask the previous layout about keys that are new here.
  const fresh = claims.filter((_, i) => out[i] === "new");
  const migrated: Claim[] = [];
  await Promise.all(
    [...byShard(fresh, (c) => shardInLayout(previous.layout, c.envelope, c.collapseAcrossUsers, previous.shards))].map(async ([n, group]) => {
      try {
        const seen = await shard(env, n).seen(group.map((c) => c.key));
        group.forEach((c, i) => {
          if (seen[i] === true) {
            out[index.get(c)!] = "done";
            migrated.push(c);
          }
        });
      } catch (error) {
        // Unknown is not "new": a failing shard is a transient fault, so those messages retry.
        console.error(JSON.stringify({ msg: "dedup previous-layout lookup failed", shard: n, error: String(error) }));
        for (const c of group) out[index.get(c)!] = "failed";
      }
    }),
  );
  // Remember them in the current layout (best effort: a failure only means asking again).
  await Promise.allSettled([...byShard(migrated, (c) => c.shard)].map(([n, g]) => shard(env, n).commit(g.map((c) => c.key), config.dedup.windowSeconds)));
  return out;
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
 * Mark published keys done: one `commit` per shard. Returns the batch items (message indexes)
 * whose keys could not all be committed: they are retried, which at worst publishes a duplicate.
 */
export async function commitClaims(env: Env, config: Config, claims: readonly Claim[]): Promise<Set<number>> {
  const failed = new Set<number>();
  await Promise.all(
    [...byShard(claims, (c) => c.shard)].map(async ([n, group]) => {
      try {
        await shard(env, n).commit(group.map((c) => c.key), config.dedup.windowSeconds);
      } catch (error) {
        console.error(JSON.stringify({ msg: "dedup commit failed; retrying its messages", shard: n, keys: group.length, error: String(error) }));
        for (const c of group) failed.add(c.item);
      }
    }),
  );
  return failed;
}
