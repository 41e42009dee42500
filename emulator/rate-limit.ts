/**
 * Fixed 15-minute windows per (app, endpoint, principal) on the virtual clock, like X's
 * x-rate-limit-* accounting. Pure bookkeeping over a Map the state owns.
 */

export interface RateStatus {
  limit: number;
  remaining: number;
  /** Epoch seconds when the window resets. */
  reset: number;
  exceeded: boolean;
}

export function takeRateToken(
  windows: Map<string, { start: number; count: number }>,
  key: string,
  limit: number,
  windowMs: number,
  now: number,
): RateStatus {
  let w = windows.get(key);
  if (w === undefined || now >= w.start + windowMs) {
    w = { start: now, count: 0 };
    windows.set(key, w);
  }
  const exceeded = w.count >= limit;
  if (!exceeded) w.count++;
  return { limit, remaining: Math.max(0, limit - w.count), reset: Math.ceil((w.start + windowMs) / 1000), exceeded };
}

export function rateHeaders(s: RateStatus): Record<string, string> {
  return {
    "x-rate-limit-limit": String(s.limit),
    "x-rate-limit-remaining": String(s.remaining),
    "x-rate-limit-reset": String(s.reset),
  };
}
