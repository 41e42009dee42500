/**
 * The local demo's sink printer: one readable line per forwarded envelope, so a person running
 * `npm start` sees what a downstream consumer would get. Verification itself is the sink's
 * (test/e2e/sink.ts, with the reference `standardwebhooks` library); this file only formats.
 *
 * Run alone as a sink for `npm run dev`: `node scripts/sink.ts [--port 8789]`
 * (FORWARD_SECRET from the environment, else the `.dev.vars.example` demo value).
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { startSink, type SinkRecord } from "../test/e2e/sink.ts";

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function text(v: unknown): string {
  return typeof v === "string" || typeof v === "number" || typeof v === "bigint" ? String(v) : "";
}

function clip(s: string, max = 60): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function screen(user: unknown): string {
  const u = obj(user);
  const name = text(u.screen_name) || text(u.id_str) || text(u.id);
  return name ? `@${name}` : "?";
}

/** The users map of a DM-like envelope: id -> @name. */
function userName(users: unknown, id: string): string {
  // `id` comes from the event: only the map's own entries count (never Object.prototype's).
  const map = obj(users);
  const u = obj(Object.hasOwn(map, id) ? map[id] : undefined);
  return u.screen_name ? `@${text(u.screen_name)}` : id;
}

/** A short, human summary of an envelope's event (AAA shapes; XAA and unknown get a generic line). */
export function summarise(envelope: Json): string {
  const e = obj(envelope.event);
  switch (envelope.type) {
    case "tweet_create_events": {
      const full = text(obj(e.extended_tweet).full_text) || text(e.text);
      return `${screen(e.user)}: "${clip(full)}"${envelope.user_has_blocked === true ? " (author blocked by this user)" : ""}`;
    }
    case "tweet_delete_events":
      return `post ${text(obj(e.status).id)} deleted by ${text(obj(e.status).user_id)}`;
    case "favorite_events":
      return `${screen(e.user)} liked ${screen(obj(e.favorited_status).user)}'s post`;
    case "follow_events":
    case "block_events":
    case "mute_events":
      return `${screen(e.source)} ${text(e.type)} ${screen(e.target)}`;
    case "direct_message_events": {
      const mc = obj(e.message_create);
      const from = userName(envelope.users, text(mc.sender_id));
      const to = userName(envelope.users, text(obj(mc.target).recipient_id));
      return `DM ${from} -> ${to}: "${clip(text(obj(mc.message_data).text))}"`;
    }
    case "direct_message_indicate_typing_events":
      return `${userName(envelope.users, text(e.sender_id))} is typing`;
    case "direct_message_mark_read_events":
      return `${userName(envelope.users, text(e.sender_id))} read up to ${text(e.last_read_event_id)}`;
    case "user_event": {
      const r = obj(e.revoke);
      return `user ${text(obj(r.source).user_id)} revoked app ${text(obj(r.target).app_id)}`;
    }
    case "replay_job_status":
      return `replay job ${text(e.job_id)}: ${text(e.job_state)}`;
    default:
      return clip(JSON.stringify(envelope.event ?? null) ?? "", 80);
  }
}

/** One line (plus a warning line when the signature did not verify). */
export function formatRecord(r: SinkRecord): string {
  if (r.envelope === null || typeof r.envelope !== "object") return `sink: ${r.path}: not JSON (${r.body.length} bytes)`;
  const env = r.envelope as Json;
  const time = new Date().toISOString().slice(11, 19);
  const who = env.for_user_id === null ? "-" : text(env.for_user_id);
  const line = `${time}  ${text(env.type).padEnd(38)} for ${who.padEnd(19)}  ${summarise(env)}\n          id ${text(env.id)}`;
  return r.verified ? line : `${line}\n          !! Standard Webhooks signature did NOT verify (FORWARD_SECRET mismatch?)`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: "string", default: "8789" } } });
  const secret = process.env.FORWARD_SECRET ?? "whsec_bG9jYWwtZm9yd2FyZC1zZWNyZXQ=";
  const sink = await startSink({ secret, port: Number(values.port), onReceive: (r) => console.log(formatRecord(r)) });
  console.log(`sink listening on ${sink.url} (Standard Webhooks verification on)`);
  process.once("SIGINT", () => void sink.stop().then(() => process.exit(0)));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
