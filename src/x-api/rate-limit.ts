/**
 * Bookkeeping of X's per-endpoint rate limits, read from the `x-rate-limit-limit`,
 * `x-rate-limit-remaining` and `x-rate-limit-reset` (epoch seconds) headers X sends on every
 * response. A call the tracker knows would get a 429 is refused before it is sent: management
 * windows are small (15 calls per 15 minutes for v1.1 webhook ops), and burning X's window
 * on calls that must fail only delays recovery.
 *
 * Keys are per app and per endpoint template (`app:METHOD /path/:id`), never per concrete id,
 * because X counts per endpoint. State is plain JSON (`toJSON`/`fromJSON`) so the control plane
 * can keep it in a Durable Object across isolates. `now` is always passed in.
 */
import { XApiError, fixFor } from "./errors.ts";

export interface RateLimitWindow {
  limit: number;
  remaining: number;
  /** Epoch seconds when the window resets, as X sends it. */
  reset: number;
}

export interface RateLimitSnapshot {
  version: 1;
  windows: Record<string, RateLimitWindow>;
}

/** X's window length: used for the reset time of a 429 that came without headers. */
export const RATE_LIMIT_WINDOW_SECONDS = 15 * 60;

/** Endpoint key: one bucket per app, method and path template. */
export function rateLimitKey(app: string, method: string, pathTemplate: string): string {
  return `${app}:${method.toUpperCase()} ${pathTemplate}`;
}

function headerInt(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || !/^\s*\d+\s*$/.test(raw)) return undefined;
  return Number(raw);
}

function isWindow(v: unknown): v is RateLimitWindow {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return [o.limit, o.remaining, o.reset].every((n) => typeof n === "number" && Number.isFinite(n) && n >= 0);
}

export class RateLimitTracker {
  readonly #windows = new Map<string, RateLimitWindow>();

  /** The window known for `key`, if any (expired windows included until pruned). */
  get(key: string): RateLimitWindow | undefined {
    const w = this.#windows.get(key);
    return w === undefined ? undefined : { ...w };
  }

  /**
   * Throw `rate_limited` (with `retryAt` = the reset time) when the window for `key` is known
   * to be used up and has not reset yet at `nowMs`. Otherwise return and let the call go.
   */
  check(key: string, nowMs: number): void {
    const w = this.#windows.get(key);
    if (w === undefined || w.remaining > 0) return;
    if (nowMs >= w.reset * 1000) return;
    throw new XApiError({
      status: 0,
      code: 88,
      xMessage: `Rate limit for ${key.slice(key.indexOf(":") + 1)} used up until ${new Date(w.reset * 1000).toISOString()} (refused before sending)`,
      kind: "rate_limited",
      fix: fixFor("rate_limited"),
      retryAt: new Date(w.reset * 1000),
    });
  }

  /**
   * Record what a response says about `key`'s window. A 429 always marks the window used up,
   * until X's reset time or, without that header, one window from `nowMs`.
   * Returns the reset time when the response was a 429, for the error's `retryAt`.
   */
  record(key: string, status: number, headers: Headers, nowMs: number): Date | undefined {
    const limit = headerInt(headers, "x-rate-limit-limit");
    const remaining = headerInt(headers, "x-rate-limit-remaining");
    const reset = headerInt(headers, "x-rate-limit-reset");
    const prev = this.#windows.get(key);
    if (status === 429) {
      const resetAt = reset ?? Math.ceil(nowMs / 1000) + RATE_LIMIT_WINDOW_SECONDS;
      this.#windows.set(key, { limit: limit ?? prev?.limit ?? 0, remaining: 0, reset: resetAt });
      return new Date(resetAt * 1000);
    }
    if (remaining !== undefined && reset !== undefined) {
      this.#windows.set(key, { limit: limit ?? prev?.limit ?? remaining, remaining, reset });
    }
    return undefined;
  }

  /** Drop windows that have reset by `nowMs`, so a persisted snapshot does not grow forever. */
  prune(nowMs: number): void {
    for (const [k, w] of this.#windows) if (w.reset * 1000 <= nowMs) this.#windows.delete(k);
  }

  toJSON(): RateLimitSnapshot {
    return { version: 1, windows: Object.fromEntries([...this.#windows].map(([k, w]) => [k, { ...w }])) };
  }

  /**
   * Rebuild from a stored snapshot. Input comes from storage, so it is validated: a malformed
   * snapshot (or an unknown version) yields an empty tracker rather than an exception, since
   * losing rate-limit hints only costs one extra 429.
   */
  static fromJSON(json: unknown): RateLimitTracker {
    const t = new RateLimitTracker();
    if (typeof json !== "object" || json === null) return t;
    const o = json as Record<string, unknown>;
    if (o.version !== 1 || typeof o.windows !== "object" || o.windows === null) return t;
    for (const [k, w] of Object.entries(o.windows)) {
      if (isWindow(w)) t.#windows.set(k, { limit: w.limit, remaining: w.remaining, reset: w.reset });
    }
    return t;
  }
}
