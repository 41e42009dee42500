import { describe, expect, it } from "vitest";
import {
  admit,
  BASE_COOL_DOWN_MS,
  CLOSED,
  FAILURE_THRESHOLD,
  MAX_COOL_DOWN_MS,
  phase,
  PROBE_LEASE_MS,
  record,
} from "../../../src/pipeline/circuit-breaker.ts";

const T0 = 1_800_000_000_000;
const failures = (n: number) => Array.from({ length: n }, () => false);

describe("circuit breaker", () => {
  it("stays closed below the threshold and lets everything through", () => {
    const s = record(CLOSED, failures(FAILURE_THRESHOLD - 1), T0);
    expect(phase(s, T0)).toBe("closed");
    expect(admit(s, 25, T0).allowed).toBe(25);
  });

  it("a success resets the consecutive count", () => {
    const s = record(CLOSED, [...failures(FAILURE_THRESHOLD - 1), true, ...failures(FAILURE_THRESHOLD - 1)], T0);
    expect(phase(s, T0)).toBe("closed");
  });

  it("opens after the threshold of consecutive failures and admits nothing during the cool-down", () => {
    const s = record(CLOSED, failures(FAILURE_THRESHOLD), T0);
    expect(phase(s, T0)).toBe("open");
    const a = admit(s, 25, T0 + 1000);
    expect(a.allowed).toBe(0);
    expect(a.retryAfterMs).toBe(BASE_COOL_DOWN_MS - 1000);
  });

  it("half-opens after the cool-down: exactly one probe, others wait", () => {
    const open = record(CLOSED, failures(FAILURE_THRESHOLD), T0);
    const t = T0 + BASE_COOL_DOWN_MS;
    const first = admit(open, 10, t);
    expect(first.allowed).toBe(1);
    const second = admit(first.state, 10, t + 10);
    expect(second.allowed).toBe(0);
    // A probe that never reports back stops blocking after its lease.
    expect(admit(first.state, 10, t + PROBE_LEASE_MS).allowed).toBe(1);
  });

  it("closes when the probe succeeds", () => {
    const open = record(CLOSED, failures(FAILURE_THRESHOLD), T0);
    const t = T0 + BASE_COOL_DOWN_MS;
    const probing = admit(open, 1, t).state;
    const closed = record(probing, [true], t + 5);
    expect(phase(closed, t + 5)).toBe("closed");
    expect(admit(closed, 25, t + 5).allowed).toBe(25);
  });

  it("re-opens with a doubled (capped) cool-down when the probe fails", () => {
    let s = record(CLOSED, failures(FAILURE_THRESHOLD), T0);
    let t = T0;
    let cool = BASE_COOL_DOWN_MS;
    for (let i = 0; i < 10; i++) {
      t += cool;
      s = record(admit(s, 1, t).state, [false], t);
      cool = Math.min(cool * 2, MAX_COOL_DOWN_MS);
      expect(phase(s, t)).toBe("open");
      expect(s.openUntil - t).toBe(cool);
    }
    expect(cool).toBe(MAX_COOL_DOWN_MS);
  });
});
