/**
 * What the dashboard's live tail shows of an envelope: a one-line summary, and the envelope with
 * direct-message text hidden unless the operator asks for it. Pure.
 *
 * DM text is the most private thing the receiver carries, and an operator watching the tail
 * rarely needs it: summaries never include it, and `hideDmText` replaces every `text` string in
 * a DM-family envelope's event with a placeholder saying how long it was.
 */
import type { Envelope } from "./envelope.ts";

/** Longest summary kept, characters. */
export const SUMMARY_MAX = 140;

/** Envelope types whose event holds direct-message text (AAA keys and XAA dm.* / chat.*). */
export function isDmType(type: string): boolean {
  return type.startsWith("direct_message") || type.startsWith("dm.") || type.startsWith("chat.");
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
/** obj[k1][k2]... when every step is an object. */
function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const k of path) {
    if (!isObj(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}
function clip(s: string): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > SUMMARY_MAX ? one.slice(0, SUMMARY_MAX - 1) + "…" : one;
}
function who(user: unknown): string | null {
  const name = str(at(user, "screen_name")) ?? str(at(user, "username"));
  if (name !== null) return "@" + name;
  return str(at(user, "id_str")) ?? str(at(user, "id"));
}

/** A short human summary of an envelope (never DM text). */
export function summariseEnvelope(e: Pick<Envelope, "type" | "event">): string {
  const ev = e.event;
  if (isDmType(e.type)) {
    const dm = at(ev, "message_create") ?? at(ev, "payload", "direct_message_events");
    const sender = str(at(dm, "sender_id")) ?? str(at(ev, "sender_id"));
    return clip(`${e.type}${sender === null ? "" : ` from ${sender}`} (text hidden)`);
  }
  if (e.type === "tweet_create_events") {
    const text = str(at(ev, "extended_tweet", "full_text")) ?? str(at(ev, "text"));
    return clip(`${who(at(ev, "user")) ?? "someone"}: ${text ?? "(no text)"}`);
  }
  if (e.type === "favorite_events") {
    return clip(`${who(at(ev, "user")) ?? "someone"} liked ${str(at(ev, "favorited_status", "id_str")) ?? "a post"}`);
  }
  if (["follow_events", "block_events", "mute_events", "unfollow_events", "unblock_events", "unmute_events"].includes(e.type)) {
    return clip(`${who(at(ev, "source")) ?? "someone"} ${str(at(ev, "type")) ?? e.type} ${who(at(ev, "target")) ?? "someone"}`);
  }
  if (e.type === "tweet_delete_events") return clip(`post ${str(at(ev, "status", "id")) ?? "?"} deleted`);
  if (e.type === "replay_job_status") {
    return clip(`Replay job ${str(at(ev, "job_id")) ?? "?"}: ${str(at(ev, "job_state")) ?? "?"}`);
  }
  if (e.type === "user_event") return clip(`user ${str(at(ev, "revoke", "source", "user_id")) ?? "?"} revoked the app`);
  // XAA: `event` is X's `data`, the object under `payload`.
  const payload = at(ev, "payload");
  const text = str(at(payload, "text"));
  if (text !== null) return clip(`${str(at(payload, "author_id")) ?? "someone"}: ${text}`);
  const user = str(at(ev, "filter", "user_id"));
  return clip(`${e.type}${user === null ? "" : ` for ${user}`}`);
}

/** A copy of a parsed envelope with every `text` string in its event replaced when it is a DM. */
export function hideDmText<T>(envelope: T): T {
  if (!isObj(envelope) || typeof envelope["type"] !== "string" || !isDmType(envelope["type"])) return envelope;
  const hide = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(hide);
    // Only plain objects are walked: a lossless number (JSON.rawJSON, null prototype) stays as is.
    if (!isObj(v) || Object.getPrototypeOf(v) !== Object.prototype) return v;
    // fromEntries defines own properties: a "__proto__" key from X's JSON stays a plain key.
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, k === "text" && typeof x === "string" ? `(DM text hidden: ${x.length} characters)` : hide(x)]),
    );
  };
  return { ...envelope, event: hide(envelope["event"]) } as T;
}
