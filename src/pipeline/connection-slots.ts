/**
 * At most N requests in flight from one invocation. Cloudflare lets a Worker invocation have six
 * connections open at once; a seventh `fetch` waits for a free one, and a timeout started when the
 * fetch was called would count that wait too. Taking a slot before starting the request (and its
 * timer) means the timeout measures the destination, not the queue in front of it.
 */
export const OPEN_CONNECTION_LIMIT = 6;

export class ConnectionSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number = OPEN_CONNECTION_LIMIT) {
    this.free = Math.max(1, Math.floor(limit));
  }

  /** Run `fn` once a slot is free; the slot is given back when it settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.free++;
    }
  }
}
