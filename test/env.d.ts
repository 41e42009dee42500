/**
 * Bindings the workers test project adds beyond wrangler.toml's generated `Env`: optional secrets
 * (not in `[secrets] required`, so `wrangler types` leaves them out) that vitest.config.ts sets.
 */
declare namespace Cloudflare {
  interface Env {
    /** Optional in production (needed with FORWARD_URL); vitest.config.ts provides one. */
    FORWARD_SECRET: string;
  }
}
