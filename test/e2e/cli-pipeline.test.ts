/**
 * The CLI's `pipeline` command (bin/account-activity-edge.ts): the call it makes and its summary
 * lines (`pipelineLines`). Pure; it lives with the node-side tests because the CLI is Node code.
 */
import { describe, expect, it } from "vitest";
import { pipelineLines, planCall } from "../../bin/account-activity-edge.ts";

const NOW = Date.parse("2026-11-24T20:30:00.000Z");

describe("CLI pipeline", () => {
  it("calls GET /admin/pipeline and takes no subcommand", () => {
    expect(planCall(["pipeline"], {})).toEqual({ method: "GET", path: "/admin/pipeline" });
    expect(() => planCall(["pipeline", "list"], {})).toThrow(/no subcommand/);
  });

  it("prints one line per queue, the forward circuit and the dead-letter total", () => {
    expect(pipelineLines({
      queues: [
        { queue: "aae-ingest", backlog_count: 3, backlog_bytes: 1200, oldest_age_seconds: 95 },
        { queue: "aae-forward", error: "unavailable" },
        { queue: "aae-events", backlog_count: 0, backlog_bytes: 0, oldest_age_seconds: null },
      ],
      forward: { destination_host: "hooks.example", phase: "open", open_since: "2026-11-24T20:00:00.000Z" },
      dead_letters: { total: 4 },
    }, NOW)).toBe([
      "aae-ingest: 3 waiting (1200 bytes), oldest 95 s",
      "aae-forward: metrics unavailable",
      "aae-events: 0 waiting (0 bytes)",
      "forward to hooks.example: circuit open, failing since 2026-11-24 20:00:00Z (30 min ago)",
      "dead letters: 4",
    ].join("\n"));
    expect(pipelineLines({ queues: [], forward: null, forward_destinations: [], dead_letters: { error: "unavailable" } }, NOW)).toBe("forward: off (no FORWARD_URL or forward_url)");
    // Apps with their own forward_url: one line per destination, naming its apps.
    expect(pipelineLines({
      queues: [],
      forward_destinations: [
        { destination_host: "a.example", apps: ["default"], phase: "closed", open_since: null },
        { destination_host: "b.example", apps: ["legacy", "premium"], phase: "open", open_since: "2026-11-24T20:00:00.000Z" },
      ],
    }, NOW)).toBe([
      "forward to a.example (default): circuit closed",
      "forward to b.example (legacy, premium): circuit open, failing since 2026-11-24 20:00:00Z (30 min ago)",
    ].join("\n"));
    expect(pipelineLines({ error: { code: "x" } }, NOW)).toBeNull();
  });
});
