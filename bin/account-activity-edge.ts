#!/usr/bin/env node
/**
 * account-activity-edge: the command line over the Worker's admin API.
 * Node 22, no dependencies, erasable TypeScript only (runs with type stripping).
 *
 * Exit codes: 0 ok, 1 the API (or the network) reported an error, 2 usage error.
 */
import { parseArgs } from "node:util";

const HELP = `Usage: account-activity-edge <command> [options]

Talks to a deployed account-activity-edge Worker's /admin API.

Commands:
  status                              health of every app (or --app)
  webhook register [--webhook-url U]  register the app's webhook (default: the Worker's /webhooks/<app>)
  webhook list                        X's webhooks and the registry's
  webhook recheck [ID]                trigger X's CRC re-check (default: the app's webhook)
  webhook delete ID                   delete a webhook at X
  subscriptions add USER_ID [--user-token T --user-secret S]
                                      subscribe a user (without a token pair: the stored one)
  subscriptions list                  X's list and ours, differences flagged
  subscriptions count                 X's count and ours
  subscriptions check USER_ID         is the user subscribed?
  subscriptions remove USER_ID        unsubscribe a user
  subscriptions reconcile             compare with X now; re-subscribe users X dropped
  tokens reseal                       re-seal the app's stored user tokens with the current
                                      TOKEN_ENCRYPTION_KEY (after a rotation; lists unopenable ones)
  replay --from ISO --to ISO          request a Replay job for a window (UTC)
  replay list                         replay jobs and their state
  revalidate [--force]                run the webhook revalidation now
  invite [--ttl SECONDS] [--profile P]
                                      a Sign in with X invite link (XAA apps: OAuth 2.0, for
                                      profile P, whose event types the consent page lists)
  xaa status                          XAA tier, cap, counts per type and users, profiles
  xaa users [--limit N] [--after USER_ID]
                                      users a page at a time: consent state, subscriptions per type
  xaa user USER_ID                    one user
  xaa subscribe USER_ID --profile P   one XAA subscription per type of profile P
  xaa unsubscribe USER_ID [--types T1,T2] [--forget]
                                      delete the user's XAA subscriptions (only those types;
                                      --forget also drops the OAuth 2.0 grant)
  xaa delete SUBSCRIPTION_ID          delete one recorded XAA subscription at X
  xaa reconcile                       compare with X's list now (re-create lost, record X-only)
  xaa refresh                         refresh OAuth 2.0 grants that expire soon
  xaa profiles                        the app's profiles (APPS and admin-made)
  xaa profile-put NAME --types T1,T2 [--direction inbound|outbound] [--tag TAG]
  xaa profile-delete NAME             delete an admin-made profile
  migrate [--dry-run] [--confirm-by first_event] [--types T1,T2]
                                      move the app from AAA to XAA (plan, XAA subscriptions,
                                      confirm, remove AAA); run again until "complete";
                                      --types: only these XAA types (default: all AAA delivered)
  dead-letters list [--app NAME] [--from ORIGIN] [--limit N] [--cursor C]
                                      dead letters, with counts by app and origin
                                      (all apps unless --app; --app _unknown: unknown shape;
                                      --from ingest|forward|unknown)
  dead-letters redrive ID...          re-send dead letters to their queues
  dead-letters purge ID...            delete dead letters
  pipeline                            queue backlogs, the forward destination's circuit,
                                      the dead-letter total (deployment-wide)

Options:
  --url URL            the Worker's base URL (env AAE_URL)
  --admin-token TOKEN  admin bearer token (env AAE_ADMIN_TOKEN; prefer the env var)
  --app NAME           app name (default: "default")
  --json               print the API's JSON response
  -h, --help           this help

Exit codes: 0 ok, 1 API error, 2 usage error.`;

class UsageError extends Error {}

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

const OPTIONS = {
  url: { type: "string" },
  "admin-token": { type: "string" },
  app: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  "webhook-url": { type: "string" },
  "user-token": { type: "string" },
  "user-secret": { type: "string" },
  "screen-name": { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  force: { type: "boolean" },
  ttl: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  profile: { type: "string" },
  types: { type: "string" },
  direction: { type: "string" },
  tag: { type: "string" },
  forget: { type: "boolean" },
  after: { type: "string" },
  "dry-run": { type: "boolean" },
  "confirm-by": { type: "string" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

function need(value: string | undefined, what: string): string {
  if (value === undefined || value === "") throw new UsageError(`missing ${what}`);
  return value;
}

/** Pure: the API call a command line stands for. Exported for tests. */
export function planCall(positionals: readonly string[], v: Values): Call {
  const app = encodeURIComponent(v.app ?? "default");
  const base = `/admin/apps/${app}`;
  const [cmd, sub, ...rest] = positionals;
  switch (cmd) {
    case "status":
      return { method: "GET", path: v.app ? base : "/admin/apps" };
    case "webhook":
    case "webhooks":
      switch (sub) {
        case "register":
          return { method: "POST", path: `${base}/webhooks`, body: v["webhook-url"] ? { url: v["webhook-url"] } : {} };
        case "list":
          return { method: "GET", path: `${base}/webhooks` };
        case "recheck":
          return { method: "PUT", path: rest[0] ? `${base}/webhooks/${encodeURIComponent(rest[0])}` : `${base}/webhooks` };
        case "delete":
          return { method: "DELETE", path: `${base}/webhooks/${encodeURIComponent(need(rest[0], "webhook ID"))}` };
        default:
          throw new UsageError(`unknown webhook command "${sub ?? ""}" (register, list, recheck, delete)`);
      }
    case "subscriptions":
    case "subs":
      switch (sub) {
        case "add": {
          const body: Record<string, string> = { user_id: need(rest[0], "USER_ID") };
          if ((v["user-token"] === undefined) !== (v["user-secret"] === undefined)) throw new UsageError("give both --user-token and --user-secret, or neither");
          if (v["user-token"] !== undefined && v["user-secret"] !== undefined) { body.token = v["user-token"]; body.secret = v["user-secret"]; }
          if (v["screen-name"] !== undefined) body.screen_name = v["screen-name"];
          return { method: "POST", path: `${base}/subscriptions`, body };
        }
        case "list":
          return { method: "GET", path: `${base}/subscriptions` };
        case "count":
          return { method: "GET", path: `${base}/subscriptions/count` };
        case "check":
          return { method: "GET", path: `${base}/subscriptions/${encodeURIComponent(need(rest[0], "USER_ID"))}` };
        case "remove":
          return { method: "DELETE", path: `${base}/subscriptions/${encodeURIComponent(need(rest[0], "USER_ID"))}` };
        case "reconcile":
          return { method: "POST", path: `${base}/subscriptions/reconcile` };
        default:
          throw new UsageError(`unknown subscriptions command "${sub ?? ""}" (add, list, count, check, remove, reconcile)`);
      }
    case "tokens":
      if (sub === "reseal") return { method: "POST", path: `${base}/tokens/reseal` };
      throw new UsageError(`unknown tokens command "${sub ?? ""}" (reseal)`);
    case "replay":
      if (sub === "list") return { method: "GET", path: `${base}/replay` };
      if (sub !== undefined) throw new UsageError(`unknown replay command "${sub}" (replay --from --to, or replay list)`);
      return { method: "POST", path: `${base}/replay`, body: { from: need(v.from, "--from"), to: need(v.to, "--to") } };
    case "revalidate":
      return { method: "POST", path: `${base}/revalidate`, body: { force: v.force === true } };
    case "invite": {
      const body: Record<string, unknown> = {};
      if (v.ttl) body.ttl_seconds = Number(v.ttl);
      if (v.profile) body.profile = v.profile;
      return { method: "POST", path: `${base}/invites`, body };
    }
    case "xaa":
      return planXaa(`${base}/xaa`, sub, rest, v);
    case "migrate": {
      if (sub !== undefined) throw new UsageError(`migrate takes no subcommand (got "${sub}")`);
      const body: Record<string, unknown> = { dry_run: v["dry-run"] === true };
      if (v["confirm-by"] !== undefined) body.confirm_by = v["confirm-by"];
      if (v.types !== undefined) body.types = v.types.split(",").map((t) => t.trim()).filter((t) => t !== "");
      return { method: "POST", path: `${base}/migration`, body };
    }
    case "pipeline":
      if (sub !== undefined) throw new UsageError(`pipeline takes no subcommand (got "${sub}")`);
      return { method: "GET", path: "/admin/pipeline" };
    case "dead-letters":
      switch (sub) {
        case "list": {
          const q = new URLSearchParams();
          if (v.app) q.set("app", v.app);
          if (v.from) q.set("from", v.from);
          if (v.limit) q.set("limit", v.limit);
          if (v.cursor) q.set("cursor", v.cursor);
          const qs = q.toString();
          return { method: "GET", path: `/admin/dead-letters${qs ? `?${qs}` : ""}` };
        }
        case "redrive":
        case "purge":
          if (rest.length === 0) throw new UsageError(`dead-letters ${sub} needs at least one ID`);
          return { method: "POST", path: `/admin/dead-letters/${sub}`, body: { ids: rest } };
        default:
          throw new UsageError(`unknown dead-letters command "${sub ?? ""}" (list, redrive, purge)`);
      }
    default:
      throw new UsageError(cmd === undefined ? "no command given" : `unknown command "${cmd}"`);
  }
}

/** `xaa ...`: the XAA subscriptions API (/admin/apps/:app/xaa). */
function planXaa(base: string, sub: string | undefined, rest: readonly string[], v: Values): Call {
  const id = (what: string) => encodeURIComponent(need(rest[0], what));
  const list = (raw: string | undefined) => (raw ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "");
  switch (sub) {
    case "status":
      return { method: "GET", path: base };
    case "users": {
      const q = new URLSearchParams();
      if (v.limit !== undefined) q.set("limit", v.limit);
      if (v.after !== undefined) q.set("after", v.after);
      const qs = q.toString();
      return { method: "GET", path: `${base}/users${qs ? `?${qs}` : ""}` };
    }
    case "user":
      return { method: "GET", path: `${base}/users/${id("USER_ID")}` };
    case "subscribe":
      return { method: "POST", path: `${base}/users/${id("USER_ID")}`, body: { profile: need(v.profile, "--profile") } };
    case "unsubscribe": {
      const q = new URLSearchParams();
      if (v.types !== undefined) q.set("types", list(v.types).join(","));
      if (v.forget === true) q.set("forget", "true");
      const qs = q.toString();
      return { method: "DELETE", path: `${base}/users/${id("USER_ID")}${qs ? `?${qs}` : ""}` };
    }
    case "delete":
      return { method: "DELETE", path: `${base}/subscriptions/${id("SUBSCRIPTION_ID")}` };
    case "reconcile":
      return { method: "POST", path: `${base}/reconcile` };
    case "refresh":
      return { method: "POST", path: `${base}/tokens/refresh` };
    case "profiles":
      return { method: "GET", path: `${base}/profiles` };
    case "profile-put": {
      const types = list(need(v.types, "--types"));
      const body: Record<string, unknown> = { event_types: types };
      if (v.direction !== undefined) body.direction = v.direction;
      if (v.tag !== undefined) body.tag = v.tag;
      return { method: "PUT", path: `${base}/profiles/${id("NAME")}`, body };
    }
    case "profile-delete":
      return { method: "DELETE", path: `${base}/profiles/${id("NAME")}` };
    default:
      throw new UsageError(`unknown xaa command "${sub ?? ""}" (status, users, user, subscribe, unsubscribe, delete, reconcile, refresh, profiles, profile-put, profile-delete)`);
  }
}

/** `{b: 1, a: 5}` -> "a 5, b 1" (largest first). */
function tallies(counts: Record<string, unknown>): string {
  return Object.entries(counts)
    .filter((e): e is [string, number] => typeof e[1] === "number")
    .sort(([ak, an], [bk, bn]) => bn - an || ak.localeCompare(bk))
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
}

/** Pure: the one-line header of a dead-letter listing ("7 dead letters (by origin: ...; by app: ...)"), or null. */
export function deadLetterCountsLine(body: unknown): string | null {
  const counts = (body as { counts?: unknown } | null)?.counts as { total?: unknown; by_app?: unknown; by_from?: unknown } | undefined;
  if (counts === undefined || counts === null || typeof counts.total !== "number") return null;
  const n = counts.total;
  const from = typeof counts.by_from === "object" && counts.by_from !== null ? tallies(counts.by_from as Record<string, unknown>) : "";
  const apps = typeof counts.by_app === "object" && counts.by_app !== null ? tallies(counts.by_app as Record<string, unknown>) : "";
  return n === 0 ? "0 dead letters" : `${n} dead letter${n === 1 ? "" : "s"} (by origin: ${from}; by app: ${apps})`;
}

/**
 * Pure: for `status`, one line per app saying when it last received a delivery from X (the first
 * thing to look at when a sample "stopped receiving"), or null when the body is not app health.
 */
export function lastDeliveryLines(body: unknown): string | null {
  const b = body as { apps?: unknown; app?: unknown } | null;
  const apps = Array.isArray(b?.apps) ? (b.apps as unknown[]) : typeof b?.app === "string" ? [b] : [];
  const lines = apps.flatMap((a) => {
    const h = a as { app?: unknown; last_delivery_at?: unknown; silence_alert_hours?: unknown } | null;
    if (typeof h?.app !== "string") return [];
    const last = typeof h.last_delivery_at === "string" ? h.last_delivery_at : "never recorded";
    const alert = typeof h.silence_alert_hours === "number" ? `silence alert after ${h.silence_alert_hours} h` : "silence alert off";
    return [`${h.app}: last delivery from X ${last} (${alert})`];
  });
  return lines.length === 0 ? null : lines.join("\n");
}

/**
 * Pure: for `pipeline`, one line per queue ("aae-ingest: 3 waiting (1.2 KB), oldest 95 s") and one
 * for the forward destination, or null when the body is not the pipeline status.
 */
export function pipelineLines(body: unknown): string | null {
  const b = body as { queues?: unknown; forward?: unknown; forward_destinations?: unknown; dead_letters?: unknown } | null;
  if (!Array.isArray(b?.queues)) return null;
  const lines = (b.queues as unknown[]).map((x) => {
    const q = x as { queue?: unknown; error?: unknown; backlog_count?: unknown; backlog_bytes?: unknown; oldest_age_seconds?: unknown };
    if (typeof q.error === "string") return `${String(q.queue)}: metrics ${q.error}`;
    const age = typeof q.oldest_age_seconds === "number" ? `, oldest ${q.oldest_age_seconds} s` : "";
    return `${String(q.queue)}: ${String(q.backlog_count)} waiting (${String(q.backlog_bytes)} bytes)${age}`;
  });
  type Dest = { destination_host?: unknown; apps?: unknown; phase?: unknown; open_since?: unknown; error?: unknown };
  // Every destination (apps may forward to their own forward_url); older servers sent only `forward`.
  const dests = (Array.isArray(b.forward_destinations) ? b.forward_destinations : b.forward ? [b.forward] : []) as Dest[];
  if (dests.length === 0) lines.push("forward: off (no FORWARD_URL or forward_url)");
  for (const f of dests) {
    const apps = Array.isArray(f.apps) && f.apps.length > 0 ? ` (${f.apps.map(String).join(", ")})` : "";
    if (typeof f.error === "string") lines.push(`forward to ${String(f.destination_host)}${apps}: state ${f.error}`);
    else lines.push(`forward to ${String(f.destination_host)}${apps}: circuit ${String(f.phase)}${typeof f.open_since === "string" ? `, failing since ${f.open_since}` : ""}`);
  }
  const d = b.dead_letters as { total?: unknown } | undefined;
  if (typeof d?.total === "number") lines.push(`dead letters: ${d.total}`);
  return lines.join("\n");
}

/** Short human output: the error's message and fix, or the response as indented lines. */
function human(value: unknown, indent = ""): string {
  if (value === null || typeof value !== "object") return `${indent}${String(value)}`;
  const lines: string[] = [];
  const entries = Array.isArray(value) ? value.map((x: unknown, i) => [String(i), x] as const) : Object.entries(value);
  for (const [k, x] of entries) {
    if (x !== null && typeof x === "object") lines.push(`${indent}${k}:`, human(x, `${indent}  `));
    else lines.push(`${indent}${k}: ${String(x)}`);
  }
  return lines.join("\n");
}

export async function main(argv: readonly string[], environment: Record<string, string | undefined>): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n\nRun with --help for usage.\n`);
    return 2;
  }
  const v = parsed.values;
  if (v.help || parsed.positionals.length === 0) {
    process.stdout.write(`${HELP}\n`);
    return v.help ? 0 : 2;
  }
  let call: Call;
  let url: string;
  let token: string;
  try {
    call = planCall(parsed.positionals, v);
    url = need(v.url ?? environment.AAE_URL, "the Worker URL (--url or AAE_URL)").replace(/\/+$/, "");
    token = need(v["admin-token"] ?? environment.AAE_ADMIN_TOKEN, "the admin token (--admin-token or AAE_ADMIN_TOKEN)");
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n\nRun with --help for usage.\n`);
    return 2;
  }
  let res: Response;
  try {
    const init: RequestInit = { method: call.method, headers: { authorization: `Bearer ${token}`, accept: "application/json" } };
    if (call.body !== undefined) {
      init.body = JSON.stringify(call.body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    res = await fetch(`${url}${call.path}`, init);
  } catch (err) {
    process.stderr.write(`error: could not reach ${url}: ${(err as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's page): shown as text.
  }
  if (v.json) process.stdout.write(`${typeof body === "string" ? JSON.stringify({ status: res.status, body }) : JSON.stringify(body, null, 2)}\n`);
  if (!res.ok) {
    if (!v.json) {
      const e = (body as { error?: { code?: string; message?: string; fix?: string } } | null)?.error;
      process.stderr.write(`error ${res.status}${e?.code ? ` (${e.code})` : ""}: ${e?.message ?? (typeof body === "string" ? body.slice(0, 200) : "request failed")}\n`);
      if (e?.fix) process.stderr.write(`fix: ${e.fix}\n`);
    }
    return 1;
  }
  if (!v.json) {
    const cmd = parsed.positionals[0];
    const header = cmd === "dead-letters" ? deadLetterCountsLine(body) : cmd === "status" ? lastDeliveryLines(body) : cmd === "pipeline" ? pipelineLines(body) : null;
    process.stdout.write(`${header === null ? "" : `${header}\n`}${human(body)}\n`);
  }
  return 0;
}

if (import.meta.main ?? process.argv[1]?.endsWith("account-activity-edge.ts")) {
  main(process.argv.slice(2), process.env).then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
