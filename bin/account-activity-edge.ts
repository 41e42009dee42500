#!/usr/bin/env node
/**
 * account-activity-edge: the command line over the Worker's admin API.
 * Node 22, no dependencies, erasable TypeScript only (runs with type stripping).
 *
 * Exit codes: 0 ok, 1 the API (or the network) reported an error, 2 usage error, 3 the call
 * succeeded but changed nothing (e.g. removing a user who was not subscribed).
 *
 * Human output (the default) goes through print.ts: aligned tables, dates absolute and relative.
 */
import { parseArgs } from "node:util";
import { runInit } from "./init.ts";
import { changedNothing, render } from "./print.ts";
import { deadLetterCountsLine, pipelineLines, statusView } from "./views.ts";

export { deadLetterCountsLine, pipelineLines, statusView } from "./views.ts";

const HELP = `Usage: account-activity-edge <command> [options]

Talks to a deployed account-activity-edge Worker's /admin API.

Commands:
  init [--no-deploy]                  first deploy, step by step through wrangler (run in the
                                      project folder): KV namespace (id into wrangler.toml),
                                      queues, secrets (values from this command's environment:
                                      X_CONSUMER_SECRET, ADMIN_TOKEN, ...; never printed), deploy
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
                                      a Sign in with X invite link (XAA apps, and migrating
                                      AAA apps given --profile: OAuth 2.0, for profile P,
                                      whose event types the consent page lists)
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

Output: aligned tables, dates as "2026-12-04 16:30:05Z (3 min ago)"; --json prints the API's
response unchanged.

Exit codes: 0 ok, 1 API error, 2 usage error, 3 done but nothing changed (e.g. removing a user
who was not subscribed).`;

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
  "no-deploy": { type: "boolean" },
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

/** Pure: what a successful command prints without --json. */
export function humanOutput(cmd: string | undefined, body: unknown, nowMs: number): string {
  if (cmd === "status") return statusView(body, nowMs) ?? render(body, nowMs);
  // The summary says it all; --json has every field.
  if (cmd === "pipeline") return pipelineLines(body, nowMs) ?? render(body, nowMs);
  if (cmd === "dead-letters") {
    const counts = deadLetterCountsLine(body);
    const { counts: _counts, ...rest } = (body ?? {}) as Record<string, unknown>;
    return counts === null ? render(body, nowMs) : `${counts}\n\n${render(rest, nowMs)}`;
  }
  return render(body, nowMs);
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
  if (parsed.positionals[0] === "init") {
    return runInit({
      cwd: process.cwd(), env: environment, deploy: v["no-deploy"] !== true,
      out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`),
    });
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
  const unchanged = changedNothing(body);
  if (!v.json) process.stdout.write(`${humanOutput(parsed.positionals[0], body, Date.now())}\n`);
  if (unchanged !== null) {
    if (!v.json) process.stderr.write(`nothing changed: ${unchanged}\n`);
    return 3;
  }
  return 0;
}

if (import.meta.main ?? process.argv[1]?.endsWith("account-activity-edge.ts")) {
  main(process.argv.slice(2), process.env).then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
