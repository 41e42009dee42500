/**
 * Every admin API call the dashboard's script makes, in one table. The script gets this table
 * verbatim (serialised into app.js) and builds every URL from it, so the integration test can
 * check each entry against the real admin router instead of grepping the script for paths.
 *
 * `:app`, `:id`, `:user` and `:name` are filled in by the script (encodeURIComponent); list queries such
 * as `limit` and `cursor` are appended to the path. Calls that reach X (marked `callsX`) are only
 * made when the operator presses a button, never on page load or on the auto-refresh, so leaving
 * the page open does not spend X's rate limits.
 */

export interface AdminCall {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path under the Worker's origin; may hold `:app` / `:id` / `:user` / `:name` and a fixed query. */
  path: string;
  /** The call reaches X's API (rate-limited): made on an explicit click only. */
  callsX: boolean;
}

export const DASHBOARD_ADMIN_CALLS = {
  /** Queue backlogs, the forward destination's circuit and the dead-letter total. */
  pipeline: { method: "GET", path: "/admin/pipeline", callsX: false },
  /** Health of every configured app: webhook, last CRC, counts, open gap/job, last revalidation. */
  apps: { method: "GET", path: "/admin/apps", callsX: false },
  /** Chart series per minute (hours, app appended). */
  metrics: { method: "GET", path: "/admin/metrics", callsX: false },
  /** The live tail: newest envelopes (limit, app, type, dm_text appended). */
  tail: { method: "GET", path: "/admin/tail", callsX: false },
  /** The webhooks the Registry knows for the app. */
  webhooks: { method: "GET", path: "/admin/apps/:app/webhooks?source=registry", callsX: false },
  /** X's list of the app's webhooks, recorded in the Registry. */
  webhooksAtX: { method: "GET", path: "/admin/apps/:app/webhooks", callsX: true },
  /** Register the app's webhook at X (body `{"url"}` optional: default the app's webhook URL). */
  registerWebhook: { method: "POST", path: "/admin/apps/:app/webhooks", callsX: true },
  /** Ask X to re-check (CRC) the app's current webhook. */
  recheckWebhook: { method: "PUT", path: "/admin/apps/:app/webhooks", callsX: true },
  /** Active subscriptions in the Registry. */
  subscriptions: { method: "GET", path: "/admin/apps/:app/subscriptions?source=registry", callsX: false },
  /** X's list against the Registry's, with the differences. */
  subscriptionsAtX: { method: "GET", path: "/admin/apps/:app/subscriptions", callsX: true },
  /** X's subscription count against the Registry's. */
  subscriptionCount: { method: "GET", path: "/admin/apps/:app/subscriptions/count", callsX: true },
  /** Subscribe a user (body `{"user_id"}` with the stored token, or with `token` and `secret`). */
  subscribe: { method: "POST", path: "/admin/apps/:app/subscriptions", callsX: true },
  /** Unsubscribe a user at X and in the Registry. */
  unsubscribe: { method: "DELETE", path: "/admin/apps/:app/subscriptions/:user", callsX: true },
  /** A signed, expiring Sign in with X link for a user (body `{"ttl_seconds"}` optional). */
  invite: { method: "POST", path: "/admin/apps/:app/invites", callsX: false },
  /** XAA apps: tier, cap, subscription counts against it, and the profiles. */
  xaa: { method: "GET", path: "/admin/apps/:app/xaa", callsX: false },
  /** Create or replace an admin-made XAA profile (body `{event_types, direction?, tag?}`). */
  putProfile: { method: "PUT", path: "/admin/apps/:app/xaa/profiles/:name", callsX: false },
  /** Delete an admin-made XAA profile. */
  deleteProfile: { method: "DELETE", path: "/admin/apps/:app/xaa/profiles/:name", callsX: false },
  /** Replay jobs, the open job and the delivery gaps. */
  replay: { method: "GET", path: "/admin/apps/:app/replay", callsX: false },
  /** Request a Replay job at X for a window (body `{"from", "to"}`, ISO 8601). */
  requestReplay: { method: "POST", path: "/admin/apps/:app/replay", callsX: true },
  /** The "Revalidate now" button: a revalidation run now (body `{"force": true}` skips the one-minute spacing), which re-checks the CRC only when X says the webhook is invalid or its CRCs went stale. */
  revalidate: { method: "POST", path: "/admin/apps/:app/revalidate", callsX: true },
  /** Dead letters of one app (limit, cursor appended). */
  appDeadLetters: { method: "GET", path: "/admin/apps/:app/dead-letters", callsX: false },
  /** Every dead letter, or those of unknown shape with `app=_unknown` (limit, cursor, app appended). */
  deadLetters: { method: "GET", path: "/admin/dead-letters", callsX: false },
  /** One dead letter with its original message. */
  deadLetter: { method: "GET", path: "/admin/dead-letters/:id", callsX: false },
  /** Body `{"ids": [...]}`; the script asks confirm() first. */
  redrive: { method: "POST", path: "/admin/dead-letters/redrive", callsX: false },
  /** Body `{"ids": [...]}`; the script asks confirm() first. */
  purge: { method: "POST", path: "/admin/dead-letters/purge", callsX: false },
} as const satisfies Record<string, AdminCall>;

export type DashboardCallName = keyof typeof DASHBOARD_ADMIN_CALLS;
