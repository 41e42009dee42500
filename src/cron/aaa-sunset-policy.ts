/**
 * Whether the cron run warns that an app still receives through the Account Activity API (AAA),
 * which X switches off: pure (state in, decision out, `now` passed in).
 *
 * From `AAA_WARNING_DAYS` before `AAA_END_OF_LIFE`, every app whose flavour is an AAA one
 * (v1.1 Enterprise, v1.1 Premium, v2 AAA) gets one `aaa_end_of_life` alert, repeated no sooner
 * than the other alerts' throttle (`alertRepeatMs`), and after the date too (by then it has
 * stopped receiving). An app on the `xaa` flavour is never warned about.
 */
import type { Flavour } from "../config.ts";

/**
 * X ends AAA on 2027-01-01: "The Account Activity API (AAA) reaches end of life on January 1,
 * 2027" (docs.x.com/x-api/account-activity/migrate/aaa-to-xaa-migration; PROTOCOL.md, status).
 */
export const AAA_END_OF_LIFE = "2027-01-01T00:00:00.000Z";
/** Warn from this many days before the end. */
export const AAA_WARNING_DAYS = 30;

const DAY = 86_400_000;

export interface AaaSunsetInput {
  flavour: Flavour;
  /** Users the Registry holds an AAA subscription for. */
  aaaSubscriptions: number;
  /** When this alert was last raised for the app (ISO), or null: never. */
  lastAlertAt: string | null;
  nowMs: number;
  alertRepeatMs: number;
  /** Defaults to AAA_END_OF_LIFE (tests pass their own). */
  endOfLife?: string;
}

export type AaaSunsetSkip = "on_xaa" | "not_yet" | "throttled";

export type AaaSunsetDecision =
  | { alert: true; daysLeft: number; ended: boolean }
  | { alert: false; reason: AaaSunsetSkip };

export function isAaaFlavour(flavour: Flavour): boolean {
  return flavour !== "xaa";
}

export function decideAaaSunset(input: AaaSunsetInput): AaaSunsetDecision {
  if (!isAaaFlavour(input.flavour)) return { alert: false, reason: "on_xaa" };
  const endMs = Date.parse(input.endOfLife ?? AAA_END_OF_LIFE);
  if (input.nowMs < endMs - AAA_WARNING_DAYS * DAY) return { alert: false, reason: "not_yet" };
  const last = input.lastAlertAt === null ? Number.NaN : Date.parse(input.lastAlertAt);
  if (!Number.isNaN(last) && input.nowMs - last < input.alertRepeatMs) return { alert: false, reason: "throttled" };
  const ended = input.nowMs >= endMs;
  return { alert: true, ended, daysLeft: ended ? 0 : Math.ceil((endMs - input.nowMs) / DAY) };
}

/** The alert text, in words: which app, how long is left, how many users would stop receiving. */
export function aaaSunsetMessage(app: string, flavour: Flavour, aaaSubscriptions: number, d: { daysLeft: number; ended: boolean }): string {
  const users = aaaSubscriptions === 1 ? "1 subscribed user" : `${aaaSubscriptions} subscribed users`;
  const end = new Date(AAA_END_OF_LIFE).toISOString().slice(0, 10);
  if (d.ended) {
    return `App ${app} is still on the Account Activity API (flavour ${flavour}), which X switched off on ${end}: ` +
      `nothing reaches its ${users} through it any more.`;
  }
  const days = d.daysLeft === 1 ? "1 day" : `${d.daysLeft} days`;
  return `App ${app} is still on the Account Activity API (flavour ${flavour}), which X switches off on ${end}, in ${days}: ` +
    `after that nothing reaches its ${users} unless the app has moved to the X Activity API.`;
}

/** What to do: the alert's `cause`. */
export function aaaSunsetCause(app: string): string {
  return `Move the app to XAA: see README "AAA ends on 2027-01-01: moving to XAA" (account-activity-edge migrate --app ${app}). ` +
    `Once no user is left on AAA, set the app's flavour to "xaa" in APPS and this warning stops.`;
}
