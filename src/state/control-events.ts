/**
 * The seam between the event pipeline and the control plane: the ingest consumer calls
 * `applyControlEvents` with every envelope it is about to publish, before publishing, so that
 * state follows X's own signals:
 * - `user_event` (revoke): the user's subscription and stored tokens are removed;
 * - XAA `oauth.revoke`: the same, and the user's OAuth 2.0 grant is deleted and their XAA
 *   subscriptions marked `revoked` (deleted at X by the control plane's next pass: the consumer
 *   does not call X);
 * - `replay_job_status`: the replay job it names is closed (Complete / Incomplete), and the
 *   delivery gaps it covered move to done / failed.
 * It is idempotent (queues redeliver) and throws only on transient failure (the Registry call
 * failed; the message is then retried). A control event of a shape it does not recognise is
 * logged and skipped: it is still published like any other envelope.
 */
import type { Envelope } from "../events/envelope.ts";
import { registryFor } from "./registry.ts";

export type ControlAction =
  | { kind: "revoke"; app: string; userId: string; at: string | null }
  | { kind: "xaa_revoke"; app: string; userId: string; at: string | null }
  | { kind: "close_replay"; app: string; jobId: string; state: "Complete" | "Incomplete"; description: string | null };

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** `{"$rawJSON"...}` lossless numbers and plain strings both count as an id. */
function idString(v: unknown): string | null {
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  const raw = obj(v);
  // JSON.rawJSON values (lossless big numbers, see parseLossless) carry their digits here.
  if (raw && typeof raw.rawJSON === "string" && /^\d+$/.test(raw.rawJSON)) return raw.rawJSON;
  return null;
}

function isoOrNull(v: unknown): string | null {
  if (typeof v !== "string") return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/**
 * Pure: the state changes X's control events ask for. `event` is the element as X sent it:
 * `{revoke: {date_time, source: {user_id}}}` or `{webhook_id, job_id, job_state, ...}`. Some
 * normalisers keep the whole keyed payload; both forms are accepted.
 */
export function controlActions(envelopes: readonly Envelope[]): ControlAction[] {
  const out: ControlAction[] = [];
  for (const e of envelopes) {
    if (e.type === "user_event") {
      const ev = obj(e.event);
      const revoke = obj(ev?.revoke) ?? obj(obj(ev?.user_event)?.revoke);
      const userId = idString(obj(revoke?.source)?.user_id);
      if (revoke && userId) out.push({ kind: "revoke", app: e.app, userId, at: isoOrNull(revoke.date_time) });
      else if (!revoke) continue;
      else console.warn(JSON.stringify({ msg: "control event skipped: revoke without source.user_id", envelope_id: e.id }));
    } else if (e.type === "oauth.revoke" && e.format === "xaa") {
      // XAA: `data.payload` is {date_time, user_id, app_id}; the filter is empty.
      const payload = obj(obj(e.event)?.payload);
      const userId = idString(payload?.user_id);
      if (userId) out.push({ kind: "xaa_revoke", app: e.app, userId, at: isoOrNull(payload?.date_time) });
      else console.warn(JSON.stringify({ msg: "control event skipped: oauth.revoke without payload.user_id", envelope_id: e.id }));
    } else if (e.type === "replay_job_status") {
      const ev = obj(e.event);
      const body = ev && "job_id" in ev ? ev : obj(ev?.replay_job_status);
      const jobId = idString(body?.job_id);
      const state = body?.job_state;
      if (jobId && (state === "Complete" || state === "Incomplete")) {
        const description = typeof body?.job_state_description === "string" ? body.job_state_description : null;
        out.push({ kind: "close_replay", app: e.app, jobId, state, description });
      } else {
        console.warn(JSON.stringify({ msg: "control event skipped: replay_job_status without job_id/job_state", envelope_id: e.id }));
      }
    }
  }
  return out;
}

export async function applyControlEvents(env: Env, envelopes: readonly Envelope[]): Promise<void> {
  const nowIso = new Date().toISOString();
  for (const a of controlActions(envelopes)) {
    const registry = registryFor(env, a.app);
    if (a.kind === "revoke") {
      const removed = await registry.applyRevoke(a.userId, a.at, nowIso);
      console.log(JSON.stringify({ msg: "user revoked access", app: a.app, user_id: a.userId, subscription_removed: removed }));
    } else if (a.kind === "xaa_revoke") {
      const aaa = await registry.applyRevoke(a.userId, a.at, nowIso);
      const xaa = await registry.applyXaaRevoke(a.userId, a.at, nowIso);
      console.log(JSON.stringify({ msg: "user revoked access (oauth.revoke)", app: a.app, user_id: a.userId, aaa_subscription_removed: aaa, ...xaa }));
    } else {
      const closed = await registry.closeReplayJob(a.jobId, a.state, a.description, nowIso);
      const level = a.state === "Incomplete" ? "warn" : "info";
      console.log(JSON.stringify({ msg: "replay job finished", level, app: a.app, job_id: a.jobId, job_state: a.state, recorded: closed }));
    }
  }
}
