/**
 * Closed-loop HTTP load generator: `concurrency` keep-alive connections, each sending its next
 * request as soon as the previous answer's body has been read, for a fixed duration.
 *
 * Uses undici's Pool (installed with wrangler/miniflare): one connection per in-flight request,
 * no pipelining, so each request's latency is its own round trip. Bounded three ways: the
 * deadline, a per-request timeout, and an error budget that stops the run early when the target
 * is clearly broken rather than hammering it for the whole duration.
 */
import { Pool } from "undici";
import { summarizeLatencies, type LatencySummary } from "./stats.ts";

export interface LoadRequest {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  origin: string;
  concurrency: number;
  durationMs: number;
  /** The i-th request of the run (shared counter across connections). */
  next: (i: number) => LoadRequest;
  /** The status every request must get; anything else counts as an error. */
  expectStatus: number;
  /** Per-request timeout (headers and body), ms. */
  timeoutMs?: number;
  /** Stop early after this many errors. */
  maxErrors?: number;
}

export interface LoadResult extends LatencySummary {
  /** Requests that got `expectStatus`. */
  ok: number;
  errors: number;
  /** Status code (or "error: <code>") -> count, for everything that was not ok. */
  unexpected: Record<string, number>;
  elapsedMs: number;
  /** ok / elapsed seconds. */
  rps: number;
  stoppedEarly: boolean;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxErrors = opts.maxErrors ?? 100;
  const pool = new Pool(opts.origin, {
    connections: opts.concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let issued = 0;
  let errors = 0;
  const unexpected: Record<string, number> = {};
  const bump = (k: string): void => {
    unexpected[k] = (unexpected[k] ?? 0) + 1;
    errors++;
  };

  const started = performance.now();
  const deadline = started + opts.durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline && errors < maxErrors) {
      const req = opts.next(issued++);
      const t0 = performance.now();
      try {
        const res = await pool.request({
          origin: opts.origin,
          method: req.method,
          path: req.path,
          headers: req.headers ?? {},
          body: req.body ?? null,
        });
        await res.body.dump({ limit: 1 << 20 });
        if (res.statusCode !== opts.expectStatus) {
          bump(String(res.statusCode));
          continue;
        }
      } catch (e) {
        bump(`error: ${(e as { code?: string }).code ?? (e as Error).name}`);
        continue;
      }
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  const elapsedMs = performance.now() - started;
  await pool.close();
  return {
    ok: count,
    errors,
    unexpected,
    elapsedMs,
    rps: count / (elapsedMs / 1000),
    stoppedEarly: errors >= maxErrors,
    ...summarizeLatencies(latencies.subarray(0, count)),
  };
}
