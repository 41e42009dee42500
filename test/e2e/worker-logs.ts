/**
 * The Worker's warnings a test provokes on purpose (a refused signature), captured instead of
 * printed: the test output then shows failures, not expected noise, and the test can assert the
 * line. The Worker's console output reaches this process through wrangler's logger, which writes
 * with console.warn; it can arrive a moment after the response, so `waitFor` waits for it.
 */
import { vi } from "vitest";

export interface CapturedWarnings {
  lines(): string[];
  /** Resolves with the first captured line matching `re` (waits up to vitest's waitFor timeout). */
  waitFor(re: RegExp): Promise<string>;
  restore(): void;
}

export function captureWorkerWarnings(): CapturedWarnings {
  const spy = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  const lines = (): string[] => spy.mock.calls.map((c) => c.map(String).join(" "));
  return {
    lines,
    waitFor: (re) => vi.waitFor(() => {
      const hit = lines().find((l) => re.test(l));
      if (hit === undefined) throw new Error(`no Worker warning matching ${re} yet`);
      return hit;
    }, { timeout: 10_000, interval: 50 }),
    restore: () => spy.mockRestore(),
  };
}
