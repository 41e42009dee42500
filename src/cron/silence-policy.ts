/**
 * Whether the cron run alerts that an app went silent: pure (state in, decision out, `now`
 * passed in). The product exists because samples "stop receiving silently"; revalidation catches
 * a webhook X marked invalid or whose CRCs stopped, but not a valid webhook that simply gets
 * nothing (subscriptions dropped at X, X's own incident, every delivery dead-lettered upstream of
 * the events queue...). So: when enabled, with at least one subscribed user and a valid webhook,
 * alert when no delivery has arrived for longer than the threshold.
 *
 * The silence is counted from the later of the last delivery and the earliest active
 * subscription (a user who subscribed an hour ago has not been silent for the days before), or
 * from that subscription alone when nothing was ever delivered. One alert per silence, repeated no
 * sooner than `alertRepeatMs` (the webhook alerts' throttle) while it lasts; a delivery after the
 * alert ends that silence, so the next one alerts again once it passes the threshold.
 */

const HOUR = 3_600_000;

export interface SilenceInput {
  /** The threshold in hours; null: the alert is off for this app. */
  thresholdHours: number | null;
  activeSubscriptions: number;
  /** `subscribed_at` of the earliest active subscription (ISO), or null when there is none. */
  earliestSubscribedAt: string | null;
  /** The current webhook's validity; null when the app has no webhook. */
  webhookValid: boolean | null;
  /** `received_at` of the last recorded delivery (ISO), or null: never. */
  lastDeliveryAt: string | null;
  /** When this alert was last raised for the app (ISO), or null: never. */
  lastAlertAt: string | null;
  nowMs: number;
  alertRepeatMs: number;
}

export type SilenceSkip = "off" | "no_subscribers" | "no_webhook" | "webhook_invalid" | "receiving" | "throttled";

export type SilenceDecision =
  | { alert: true; silentSince: string; silentForMs: number }
  | { alert: false; reason: SilenceSkip; silentSince: string | null; nextAlertAt?: string };

function ms(iso: string | null): number | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

export function decideSilence(input: SilenceInput): SilenceDecision {
  const { nowMs } = input;
  const none = (reason: SilenceSkip, silentSince: string | null = null): SilenceDecision => ({ alert: false, reason, silentSince });
  if (input.thresholdHours === null) return none("off");
  if (input.activeSubscriptions < 1) return none("no_subscribers");
  // No webhook or an invalid one: revalidation alerts about that (webhook_missing / webhook_invalid).
  if (input.webhookValid === null) return none("no_webhook");
  if (!input.webhookValid) return none("webhook_invalid");
  const delivered = ms(input.lastDeliveryAt);
  const subscribed = ms(input.earliestSubscribedAt);
  const startMs = delivered === null ? subscribed : subscribed === null ? delivered : Math.max(delivered, subscribed);
  // Subscribers but no time to count from (a row without a parseable time): cannot tell, stay quiet.
  if (startMs === null) return none("receiving");
  const silentSince = new Date(startMs).toISOString();
  const silentForMs = nowMs - startMs;
  if (silentForMs <= input.thresholdHours * HOUR) return none("receiving", silentSince);
  const alerted = ms(input.lastAlertAt);
  // An alert raised during this silence (after it began) throttles; one from an earlier silence does not.
  if (alerted !== null && alerted >= startMs && nowMs - alerted < input.alertRepeatMs) {
    return { alert: false, reason: "throttled", silentSince, nextAlertAt: new Date(alerted + input.alertRepeatMs).toISOString() };
  }
  return { alert: true, silentSince, silentForMs };
}

/** Pure: "3 d 4 h", "5 h", "45 min": how long, for the alert text. */
export function describeDuration(durationMs: number): string {
  const minutes = Math.floor(durationMs / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes % 60 > 0 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${minutes} min`;
}

/** The alert text: the app, since when, the threshold, and what to check. No user data. */
export function silenceAlertMessage(app: string, lastDeliveryAt: string | null, d: { silentSince: string; silentForMs: number }, thresholdHours: number): string {
  const last = lastDeliveryAt === null
    ? `No delivery has ever been recorded for app ${app} (users subscribed since ${d.silentSince})`
    : `App ${app} has received no delivery from X since ${lastDeliveryAt}`;
  return `${last}: silent for ${describeDuration(d.silentForMs)}, over the ${thresholdHours} h threshold (SILENCE_ALERT_HOURS), ` +
    "although users are subscribed and the webhook is valid.";
}

/** What to check, in order: the alert's `cause`. */
export function silenceAlertCause(app: string): string {
  return `Check that X still has the subscriptions (account-activity-edge subscriptions list --app ${app}, or GET /admin/apps/${app}/subscriptions, compares X's list with ours), ` +
    "X's API status page for an incident, and the dead letters (GET /admin/dead-letters) for deliveries that failed here. " +
    "Quiet users also produce silence: raise SILENCE_ALERT_HOURS if that is expected.";
}
