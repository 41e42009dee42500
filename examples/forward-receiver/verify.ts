/**
 * Verify and deduplicate what account-activity-edge POSTs to FORWARD_URL, with the maintained
 * Standard Webhooks library (`npm install standardwebhooks`). Runs in Node 21+, Workers, Deno,
 * Bun. docs/consuming.md quotes this file.
 */
import { Webhook, WebhookVerificationError } from "standardwebhooks";

export { WebhookVerificationError };

/** The reviver's third argument (JSON.parse source text access, not in TypeScript's ES2024 lib). */
type LosslessParse = (text: string, reviver: (key: string, value: unknown, context?: { source?: string }) => unknown) => unknown;

/** JSON.parse, except integers beyond 2^53 become bigints with their exact digits. */
export function parseLossless(text: string): unknown {
  return (JSON.parse as LosslessParse)(text, (_key, value, context) =>
    typeof value === "number" && !Number.isSafeInteger(value) && /^-?\d+$/.test(context?.source ?? "")
      ? BigInt(context!.source!)
      : value,
  );
}

export interface Forwarded {
  /** `webhook-id`: the envelope id, stable per X event and subscribed user. Deduplicate on it. */
  id: string;
  /** The exact body text (re-serialise nothing you parsed with plain JSON.parse). */
  body: string;
  /** The envelope (docs/envelope.md), 64-bit numbers as bigints. */
  envelope: Record<string, unknown>;
}

/**
 * Check the signature and timestamp (5 min tolerance) of one POST; throws
 * `WebhookVerificationError` when they do not verify. `body` must be the raw request text:
 * the signature covers the exact bytes.
 */
export function verifyForwarded(secret: string, body: string, headers: Record<string, string>): Forwarded {
  // jsonParse: false: the library's own JSON.parse would round X's 64-bit ids.
  new Webhook(secret).verify(body, headers, { jsonParse: false });
  const envelope = parseLossless(body) as Record<string, unknown>;
  const id = Object.entries(headers).find(([k]) => k.toLowerCase() === "webhook-id")?.[1] ?? "";
  return { id, body, envelope };
}

/**
 * Remembers the last `capacity` webhook ids, to drop redeliveries in a single process. With more
 * than one process, or across restarts, use your database instead: a unique key on the id
 * (`INSERT ... ON CONFLICT (id) DO NOTHING`) in the same transaction as the effect.
 */
export class RecentIds {
  readonly #seen = new Set<string>();
  readonly #capacity: number;

  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }

  /** Whether this id was already handled. */
  has(id: string): boolean {
    return this.#seen.has(id);
  }

  /** Record an id once its effect is done (not before: a failed effect must be retried). */
  add(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > this.#capacity) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }
}
