import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config.ts";
import { ingestBinding, ingestQueues, previousDedupLayout, publishEvents } from "../../src/config-pipeline.ts";
import { ingestQueueFor } from "../../src/pipeline/ingest-queues.ts";
import type { Config } from "../../src/config.ts";

const queue = (name: string) => ({ name, send: async () => undefined, sendBatch: async () => undefined });

describe("pipeline settings", () => {
  it("PUBLISH_EVENTS: true unless exactly \"false\"; anything else is refused", () => {
    expect(publishEvents({})).toBe(true);
    expect(publishEvents({ PUBLISH_EVENTS: "" })).toBe(true);
    expect(publishEvents({ PUBLISH_EVENTS: "false" })).toBe(false);
    expect(() => publishEvents({ PUBLISH_EVENTS: "no" })).toThrow(ConfigError);
  });

  it("INGEST_QUEUES: 1 by default; more only when every INGEST_<n> producer is bound", () => {
    expect(ingestQueues({})).toBe(1);
    expect(ingestQueues({ INGEST_QUEUES: "3", INGEST: queue("a"), INGEST_2: queue("b"), INGEST_3: queue("c") })).toBe(3);
    expect(() => ingestQueues({ INGEST_QUEUES: "3", INGEST: queue("a"), INGEST_2: queue("b") })).toThrow(/INGEST_3/);
    expect(() => ingestQueues({ INGEST_QUEUES: "65" })).toThrow(ConfigError);
    expect(ingestBinding(0)).toBe("INGEST");
    expect(ingestBinding(1)).toBe("INGEST_2");
  });

  it("the hot path spreads deliveries over every ingest queue by a hash of the delivery id", () => {
    const env = { INGEST: queue("a"), INGEST_2: queue("b"), INGEST_3: queue("c") } as unknown as Env;
    const config = { ingestQueues: 3 } as Config;
    const used = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      const q = ingestQueueFor(env, config, crypto.randomUUID()) as unknown as { name: string };
      used.set(q.name, (used.get(q.name) ?? 0) + 1);
    }
    expect([...used.keys()].sort()).toEqual(["a", "b", "c"]);
    expect(Math.min(...used.values())).toBeGreaterThan(100);
    expect(ingestQueueFor(env, { ingestQueues: 1 } as Config, "x")).toBe(env.INGEST);
  });

  it("DEDUP_PREVIOUS_LAYOUT: <user|key>:<shards>:<ISO time>", () => {
    expect(previousDedupLayout({})).toBeNull();
    expect(previousDedupLayout({ DEDUP_PREVIOUS_LAYOUT: "user:16:2026-12-10T12:00:00Z" })).toEqual({ layout: "user", shards: 16, untilMs: Date.parse("2026-12-10T12:00:00Z") });
    expect(() => previousDedupLayout({ DEDUP_PREVIOUS_LAYOUT: "user:16" })).toThrow(ConfigError);
    expect(() => previousDedupLayout({ DEDUP_PREVIOUS_LAYOUT: "rows:16:2026-12-10T12:00:00Z" })).toThrow(ConfigError);
    expect(() => previousDedupLayout({ DEDUP_PREVIOUS_LAYOUT: "key:0:2026-12-10T12:00:00Z" })).toThrow(ConfigError);
  });
});
