/**
 * Alerts: one structured log line (always) and, when ALERT_URL is set, a JSON POST with a
 * message a person can act on and the likely cause (XApiError.fix). Never a secret: only the
 * app name, the webhook id and URL, X's own message and our remedy (and, for dead letters,
 * counts by app and origin: never an envelope).
 */

export interface Alert {
  /** The app, or "*" for a deployment-wide alert (dead_letters). */
  app: string;
  /** Stable name: webhook_invalid, recheck_failed, list_failed, replay_failed, replay_gave_up, webhook_missing, dead_letters, deliveries_silent, subscriptions_drifted, pipeline_backlog, forward_destination_down, aaa_end_of_life. */
  problem: string;
  message: string;
  cause: string | null;
  webhook_id?: string;
  webhook_url?: string;
  /** dead_letters: how many arrived since the last such alert, by app and by origin. */
  counts?: { total: number; by_app: Record<string, number>; by_from: Record<string, number> };
  at: string;
}

/** Bounded so a slow alert receiver cannot hold the cron run. */
const ALERT_TIMEOUT_MS = 5000;

export async function raiseAlert(alert: Alert, alertUrl: string | null, fetcher: typeof fetch = fetch): Promise<void> {
  console.error(JSON.stringify({ level: "alert", msg: alert.message, ...alert }));
  if (alertUrl === null) return;
  try {
    const res = await fetcher(alertUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ source: "account-activity-edge", ...alert }),
      signal: AbortSignal.timeout(ALERT_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (!res.ok) console.error(JSON.stringify({ msg: "alert delivery failed", app: alert.app, status: res.status }));
  } catch (err) {
    console.error(JSON.stringify({ msg: "alert delivery failed", app: alert.app, error: err instanceof Error ? err.name : "unknown" }));
  }
}
