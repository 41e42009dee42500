/**
 * The cron run's deployment-wide dead-letter check (one per run, not per app: the store is one
 * per deployment). Reads what arrived since the last alerted letter, lets the pure policy decide
 * (dead-letter-policy.ts), raises the alert, and records the marker in the DeadLetters Durable
 * Object so the next run, in any isolate, continues from it.
 */
import { getConfig } from "../config.ts";
import { deadLetterStore } from "../pipeline/dead-letter.ts";
import type { DeadLetters } from "../state/dead-letters.ts";
import { raiseAlert } from "./alert.ts";
import { decideDeadLetterAlert } from "./dead-letter-policy.ts";
import { settingsFrom } from "./revalidate-policy.ts";

/** Deployment-wide alerts name no single app. */
export const DEPLOYMENT_ALERT_APP = "*";

export interface DeadLetterCheckOutcome {
  at: string;
  /** Dead letters stored since the last dead-letter alert (still stored). */
  new: number;
  alerted: boolean;
  /** Why no alert: "none_new", or "throttled until <ISO>"; null when alerted. */
  detail: string | null;
}

export interface DeadLetterCheckDeps {
  now: () => number;
  /** The alert POST; tests inject a recorder (no HTTP receiver can run inside workerd). */
  fetcher?: typeof fetch;
  /** The store; defaults to the deployment's one instance. */
  store?: DurableObjectStub<DeadLetters>;
}

const CAUSE =
  "Events could not be processed or forwarded (poison payloads, a receiver refusing them, or retries used up). " +
  "Read the reasons (GET /admin/dead-letters/:id), fix the cause, then redrive (POST /admin/dead-letters/redrive) or purge them.";

export async function checkDeadLetters(env: Env, deps: DeadLetterCheckDeps = { now: () => Date.now() }): Promise<DeadLetterCheckOutcome> {
  const config = getConfig(env);
  const nowMs = deps.now();
  const at = new Date(nowMs).toISOString();
  const store = deps.store ?? deadLetterStore(env);
  const marker = await store.alertMarker();
  const fresh = await store.newSince(marker.seq);
  const decision = decideDeadLetterAlert(fresh, marker, nowMs, settingsFrom(config));
  if (!decision.alert) {
    await store.saveAlertMarker({ ...marker, checked_at: at });
    const detail = decision.reason === "throttled" ? `throttled until ${decision.nextAlertAt ?? "later"}` : decision.reason;
    return { at, new: fresh.total, alerted: false, detail };
  }
  await raiseAlert(
    {
      app: DEPLOYMENT_ALERT_APP,
      problem: "dead_letters",
      message: decision.message,
      cause: CAUSE,
      at,
      counts: { total: fresh.total, by_app: fresh.by_app, by_from: fresh.by_from },
    },
    config.alertUrl,
    deps.fetcher,
  );
  // After the alert: a failure in between alerts again next run rather than never.
  await store.saveAlertMarker({ seq: fresh.max_seq, alerted_at: at, checked_at: at });
  return { at, new: fresh.total, alerted: true, detail: null };
}
