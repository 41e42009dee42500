/** The three things every emulator module works on. */
import type { Clock } from "./clock.ts";
import type { EmulatorConfig } from "./config.ts";
import type { EmulatorState } from "./state.ts";

export interface Core {
  state: EmulatorState;
  config: EmulatorConfig;
  clock: Clock;
}

/** ISO 8601 without milliseconds, as v1.1 prints `created_at`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** AAA is past its retirement date on the virtual clock (deliveries stop, management answers 410). */
export function aaaRetired(core: Core): boolean {
  return core.state.aaaRetiredAt !== null && core.clock.now() >= core.state.aaaRetiredAt;
}
