import { describe, expect, it } from "vitest";
import { Clock } from "../../emulator/clock.ts";

describe("virtual clock", () => {
  it("stands still at scale 0 and moves only by advance()", async () => {
    const c = new Clock({ start: 1_000, scale: 0 });
    expect(c.now()).toBe(1_000);
    await c.advance(500);
    expect(c.now()).toBe(1_500);
    c.stop();
  });

  it("runs timers in order, each at its own due time, including timers they schedule", async () => {
    const c = new Clock({ start: 0, scale: 0 });
    const seen: [string, number][] = [];
    c.at(300, () => seen.push(["b", c.now()]));
    c.at(100, () => {
      seen.push(["a", c.now()]);
      c.after(50, () => seen.push(["a+50", c.now()]));
    });
    c.at(1_000, () => seen.push(["late", c.now()]));
    await c.advance(400);
    expect(seen).toEqual([["a", 100], ["a+50", 150], ["b", 300]]);
    expect(c.now()).toBe(400);
    expect(c.pending()).toHaveLength(1);
    c.stop();
  });

  it("fires a timer that is already due without an advance()", async () => {
    const c = new Clock({ start: 0, scale: 0 });
    let fired = false;
    c.after(0, () => {
      fired = true;
    });
    await c.idle();
    await new Promise((r) => setTimeout(r, 5));
    await c.idle();
    expect(fired).toBe(true);
    c.stop();
  });

  it("cancelled timers never run; a failing timer does not stop the others", async () => {
    const c = new Clock({ start: 0, scale: 0 });
    const seen: number[] = [];
    const id = c.at(10, () => seen.push(10));
    c.at(20, () => {
      throw new Error("boom (expected in this test)");
    });
    c.at(30, () => seen.push(30));
    c.cancel(id);
    await c.advance(100);
    expect(seen).toEqual([30]);
    c.stop();
  });

  it("scaled mode runs virtual time faster than real time", async () => {
    const c = new Clock({ start: 0, scale: 1000 });
    let fired = false;
    c.after(5_000, () => {
      fired = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    await c.idle();
    expect(fired).toBe(true);
    expect(c.now()).toBeGreaterThanOrEqual(5_000);
    c.stop();
  });
});
