import { describe, expect, it } from "vitest";
import { chunkForSendBatch, MAX_INLINE_ENVELOPE_BYTES } from "../../../src/pipeline/publish.ts";
import { QUEUE_LIMITS } from "../../../src/pipeline/messages.ts";

const items = (sizes: number[]) => sizes.map((bytes, i) => ({ item: i, bytes }));

describe("chunkForSendBatch", () => {
  it("keeps every item, in order", () => {
    const groups = chunkForSendBatch(items(Array.from({ length: 250 }, () => 10)));
    expect(groups.flat()).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  it("puts at most 100 messages in a batch", () => {
    const groups = chunkForSendBatch(items(Array.from({ length: 250 }, () => 10)));
    expect(groups.map((g) => g.length)).toEqual([100, 100, 50]);
  });

  it("keeps each batch within 256 KB, counting per-message overhead", () => {
    const sizes = Array.from({ length: 20 }, () => 60 * 1024);
    const groups = chunkForSendBatch(items(sizes), 100, QUEUE_LIMITS.batchBytes, 1024);
    for (const g of groups) {
      const total = g.reduce((n, i) => n + sizes[i]! + 1024, 0);
      expect(total).toBeLessThanOrEqual(QUEUE_LIMITS.batchBytes);
    }
    expect(groups.length).toBe(5);
  });

  it("sends a message at the inline limit alone or with small ones, never over the batch limit", () => {
    const sizes = [MAX_INLINE_ENVELOPE_BYTES, MAX_INLINE_ENVELOPE_BYTES, 100, MAX_INLINE_ENVELOPE_BYTES];
    const groups = chunkForSendBatch(items(sizes));
    for (const g of groups) expect(g.reduce((n, i) => n + sizes[i]! + 1024, 0)).toBeLessThanOrEqual(QUEUE_LIMITS.batchBytes);
    expect(groups.flat()).toEqual([0, 1, 2, 3]);
  });

  it("returns no batches for no items", () => {
    expect(chunkForSendBatch([])).toEqual([]);
  });
});
