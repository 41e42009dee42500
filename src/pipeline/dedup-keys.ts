/**
 * Which dedup key an envelope has and which Dedup shard owns it: pure.
 *
 * Sharding (see docs/pipeline.md "Dedup sharding"): one Durable Object serialises its requests and
 * handles on the order of a thousand a second, so one object for every event would cap the whole
 * deployment. Keys are spread over `config.dedup.shards` objects named `dedup-<n>`.
 *
 * - Default (per-user dedup): shard by `for_user_id` (or the envelope id when X sends none). A
 *   delivery holds one user's events, so one delivery is one RPC to one shard, and a user's
 *   duplicates (X retries, Replay) always meet in the same object.
 * - `collapseAcrossUsers`: the copies of one event delivered for different users must meet in the
 *   same object, so the shard is chosen by `event_key` instead.
 */
import type { Envelope } from "../events/envelope.ts";

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

/** The shard index (0 .. shards-1) that owns this envelope's dedup key. */
export function dedupShard(envelope: Envelope, collapseAcrossUsers: boolean, shards: number): number {
  const basis = collapseAcrossUsers ? envelope.event_key : (envelope.for_user_id ?? envelope.id);
  return fnv1a32(basis) % Math.max(1, Math.floor(shards));
}

/** Durable Object name of a shard. */
export function dedupShardName(shard: number): string {
  return `dedup-${shard}`;
}
