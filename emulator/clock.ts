/**
 * The emulator's virtual clock. Every timer the emulator owns (delivery retries, periodic CRC,
 * replay jobs) and every time it reports (rate-limit windows, payload timestamps, webhook
 * `created_at`) runs on it, so a 28-hour invalidation or a 15-minute rate window can be tested in
 * milliseconds with `advance()`.
 *
 * `scale` 0: time moves only through `advance()` (tests). `scale` 1: real time (the default for
 * `npm run emulator`). `scale` 60: one real second is one virtual minute. `advance()` works in
 * every mode.
 *
 * Timer callbacks run one at a time, in virtual-time order, on one promise chain; a callback must
 * not wait for another timer (schedule it instead), or it would wait for itself.
 */

type TimerFn = () => unknown;

interface Timer {
  id: number;
  at: number;
  seq: number;
  fn: TimerFn;
}

export interface ClockOptions {
  /** Virtual start time, epoch ms. Default: the real time at construction. */
  start?: number;
  /** Virtual ms per real ms; 0 stops time except through advance(). Default 1. */
  scale?: number;
}

export class Clock {
  #startVirtual: number;
  #startReal: number;
  #scale: number;
  #offset = 0;
  #timers: Timer[] = [];
  #nextId = 1;
  #seq = 0;
  #chain: Promise<void> = Promise.resolve();
  #realTimer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;

  constructor(options: ClockOptions = {}) {
    this.#startReal = Date.now();
    this.#startVirtual = options.start ?? this.#startReal;
    this.#scale = options.scale ?? 1;
    if (!(this.#scale >= 0) || !Number.isFinite(this.#scale)) throw new Error("clock scale must be >= 0");
  }

  get scale(): number {
    return this.#scale;
  }

  /** Virtual time, epoch ms (whole milliseconds). */
  now(): number {
    const elapsed = this.#scale === 0 ? 0 : (Date.now() - this.#startReal) * this.#scale;
    return Math.floor(this.#startVirtual + elapsed + this.#offset);
  }

  /** Run `fn` when virtual time reaches `at` (immediately, but asynchronously, if it already has). */
  at(at: number, fn: TimerFn): number {
    const id = this.#nextId++;
    this.#timers.push({ id, at, seq: this.#seq++, fn });
    this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.#arm();
    return id;
  }

  /** Run `fn` after `ms` of virtual time. */
  after(ms: number, fn: TimerFn): number {
    return this.at(this.now() + Math.max(0, ms), fn);
  }

  cancel(id: number | null | undefined): void {
    if (id === null || id === undefined) return;
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }

  /** Timers still waiting (for inspection). */
  pending(): { id: number; at: number }[] {
    return this.#timers.map((t) => ({ id: t.id, at: t.at }));
  }

  /**
   * Move virtual time forward by `ms`, running every timer that falls due on the way, in order,
   * each seeing `now()` equal to its own due time. Resolves when they have all finished.
   */
  advance(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) return Promise.reject(new Error("advance needs ms >= 0"));
    return this.#enqueue(async () => {
      const target = this.now() + ms;
      for (;;) {
        const next = this.#timers[0];
        if (next === undefined || next.at > target) break;
        this.#timers.shift();
        if (next.at > this.now()) this.#offset += next.at - this.now();
        await runSafely(next.fn);
      }
      if (target > this.now()) this.#offset += target - this.now();
      this.#arm();
    });
  }

  /** Resolves once every timer already due (and anything queued before this call) has run. */
  idle(): Promise<void> {
    return this.#enqueue(() => this.#runDue());
  }

  /** Drop every timer and stop firing (used by stop() and reset()). */
  clear(): void {
    this.#timers = [];
    if (this.#realTimer) clearTimeout(this.#realTimer);
    this.#realTimer = null;
  }

  stop(): void {
    this.#stopped = true;
    this.clear();
  }

  #enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(job);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #runDue(): Promise<void> {
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.at > this.now() || this.#stopped) break;
      this.#timers.shift();
      await runSafely(next.fn);
    }
    this.#arm();
  }

  /** Make sure due timers fire without an advance(): now if due, or by a real timeout when scaled. */
  #arm(): void {
    if (this.#stopped) return;
    if (this.#realTimer) clearTimeout(this.#realTimer);
    this.#realTimer = null;
    const next = this.#timers[0];
    if (next === undefined) return;
    const wait = next.at - this.now();
    if (wait <= 0) {
      this.#realTimer = setTimeout(() => {
        this.#realTimer = null;
        void this.#enqueue(() => this.#runDue());
      }, 0);
      this.#realTimer.unref();
    } else if (this.#scale > 0) {
      const realWait = Math.min(Math.ceil(wait / this.#scale), 2_147_000_000);
      this.#realTimer = setTimeout(() => {
        this.#realTimer = null;
        void this.#enqueue(() => this.#runDue());
      }, realWait);
      this.#realTimer.unref();
    }
  }
}

async function runSafely(fn: TimerFn): Promise<void> {
  try {
    await fn();
  } catch (err) {
    // A failing timer must not stop the clock; the emulator logs it and carries on.
    console.error("[emulator] timer failed:", err);
  }
}
