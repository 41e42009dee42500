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
  return fnv1a32(dedupKey(envelope, collapseAcrossUsers)) % Math.max(1, Math.floor(shards));
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
