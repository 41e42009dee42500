/**
 * Which of `n` queues a delivery goes to: a hash of its delivery id (a random UUID, so the spread
 * is even). Pure, so the scale simulation (bench/scale.ts) places traffic exactly as the Worker.
 */
import { fnv1a32 } from "./dedup-keys.ts";

export function ingestQueueIndex(deliveryId: string, n: number): number {
  return n <= 1 ? 0 : fnv1a32(deliveryId) % n;
}
