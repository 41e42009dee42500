/** The chart series built from Metrics rows (src/admin/metrics-view.ts). */
import { describe, expect, it } from "vitest";
import { buildMetricsView } from "../../../src/admin/metrics-view.ts";
import { addLatency, bucketOf, bucketUpperMs } from "../../../src/state/metrics-histogram.ts";

describe("buildMetricsView", () => {
  it("sums rows into steps, fills missing minutes, and totals by key", () => {
    const v = buildMetricsView([
      { minute: 100, app: "a", kind: "event", key: "follow_events", n: 2 },
      { minute: 101, app: "b", kind: "event", key: "follow_events", n: 3 },
      { minute: 103, app: "a", kind: "forward", key: "delivered", n: 4 },
      { minute: 103, app: "a", kind: "dead_letter", key: "ingest", n: 1 },
      { minute: 99, app: "a", kind: "event", key: "outside", n: 9 },
    ], [], 100, 105, 2);
    expect(v.times).toEqual([6000, 6120, 6240]);
    expect(v.step_seconds).toBe(120);
    expect(v.events["follow_events"]).toEqual([5, 0, 0]);
    expect(v.events["outside"]).toBeUndefined();
    expect(v.forward["delivered"]).toEqual([0, 4, 0]);
    expect(v.forward["held"]).toEqual([0, 0, 0]);
    expect(v.dead_letters["ingest"]).toEqual([0, 1, 0]);
    expect(v.totals.events).toEqual({ follow_events: 5 });
  });

  it("reads percentiles per step and over the span; null where nothing was measured", () => {
    const h = {};
    addLatency(h, 2000);
    const v = buildMetricsView([], [{ minute: 10, app: "a", kind: "forward", histogram: h }], 10, 12, 1);
    expect(v.latency.forward.p50).toEqual([bucketUpperMs(bucketOf(2000)), null, null]);
    expect(v.latency.forward.total).toEqual({ count: 1, p50_ms: bucketUpperMs(bucketOf(2000)), p99_ms: bucketUpperMs(bucketOf(2000)) });
    expect(v.latency.publish.total.count).toBe(0);
  });

  it("keeps a type named __proto__ as data", () => {
    const v = buildMetricsView([{ minute: 0, app: "a", kind: "event", key: "__proto__", n: 1 }], [], 0, 0, 1);
    expect(Object.keys(v.events)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});
