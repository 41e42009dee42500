import { describe, expect, it } from "vitest";
import { controlActions } from "../../../src/state/control-events.ts";
import type { Envelope } from "../../../src/events/envelope.ts";
import revoke from "../../fixtures/payloads/user_event.revoke.json";
import complete from "../../fixtures/payloads/replay_job_status.complete.json";
import incomplete from "../../fixtures/payloads/replay_job_status.incomplete.json";

function envelope(type: string, event: unknown): Envelope {
  return { id: `${type}:x`, event_key: `${type}:x`, app: "acme", type, format: "aaa", activity: type, object_key: `${type}:x`, for_user_id: null, created_at: null, received_at: "2026-01-01T00:00:00.000Z", event, delivery_id: "d1" };
}

describe("controlActions", () => {
  it("turns X's revoke (fixture) into a revoke of that user with its time", () => {
    expect(controlActions([envelope("user_event", revoke.user_event)])).toEqual([
      { kind: "revoke", app: "acme", userId: "63046977", at: "2018-05-24T09:48:12.000Z" },
    ]);
  });

  it("closes replay jobs as Complete or Incomplete (fixtures)", () => {
    expect(controlActions([envelope("replay_job_status", complete.replay_job_status), envelope("replay_job_status", incomplete)])).toEqual([
      { kind: "close_replay", app: "acme", jobId: "1095098195724558337", state: "Complete", description: "Job completed successfully" },
      { kind: "close_replay", app: "acme", jobId: "1093226942650736640", state: "Incomplete", description: "Job failed to deliver all events, please retry your replay job" },
    ]);
  });

  it("keeps the digits of a lossless (rawJSON) user id", () => {
    const ev = { revoke: { date_time: "2018-05-24T09:48:12+00:00", source: { user_id: (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON("1234567890123456789") } } };
    expect(controlActions([envelope("user_event", ev)])[0]).toMatchObject({ userId: "1234567890123456789" });
  });

  it("ignores other event types and malformed control events", () => {
    expect(controlActions([
      envelope("tweet_create_events", { id_str: "1" }),
      envelope("replay_job_status", { job_id: "1", job_state: "Running" }),
      envelope("user_event", { revoke: { source: {} } }),
    ])).toEqual([]);
  });
});
