/**
 * The dashboard's browser script (served as /dashboard/app.js), as text. Plain modern JS, no
 * framework, no dependency. It is written here rather than compiled from TypeScript because the
 * Worker's bundle has no build step for browser code; the admin call table is injected from
 * admin-calls.ts so there is one list of the paths the page uses.
 *
 * XSS: every value shown comes from the admin API, which carries text from X and from
 * attackers (webhook payloads end up in dead-letter reasons and summaries). The script builds
 * every node with createElement and sets text with textContent / createTextNode; it never parses
 * HTML (no innerHTML, outerHTML, insertAdjacentHTML or document.write), never sets an href or
 * src from data, and `el()` refuses attributes outside a short allow-list. A unit test checks
 * the source for the HTML-parsing sinks.
 *
 * The admin token lives in sessionStorage only (this tab, until it closes): never a cookie,
 * never a URL, never logged. Every fetch sends it as `Authorization: Bearer`; a 401 forgets it
 * and asks again.
 */
import { DASHBOARD_ADMIN_CALLS } from "./admin-calls.ts";
import { DASHBOARD_LETTERS_JS } from "./script-letters.ts";
import { DASHBOARD_PIPELINE_JS } from "./script-pipeline.ts";

/** The sessionStorage key of the admin token. */
export const TOKEN_STORAGE_KEY = "aae-admin-token";

const CORE = String.raw`
const TOKEN_KEY = ${JSON.stringify(TOKEN_STORAGE_KEY)};
const ROW_CAP = 200;
const $ = (id) => document.getElementById(id);
const SAFE_ATTRS = new Set(["type", "title", "value", "for", "colspan", "disabled", "checked", "aria-label"]);

/** A DOM element; text only through textContent, attributes only from the allow-list. */
function el(tag, opts, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(opts || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") e.textContent = String(v);
    else if (k === "class") e.className = v;
    else if (k === "onclick") e.addEventListener("click", v);
    else if (k === "onchange") e.addEventListener("change", v);
    else if (SAFE_ATTRS.has(k)) e.setAttribute(k, v === true ? "" : String(v));
    else throw new Error("attribute not allowed: " + k);
  }
  add(e, kids);
  return e;
}
function add(e, kids) {
  for (const kid of kids) {
    if (kid === undefined || kid === null || kid === false) continue;
    if (Array.isArray(kid)) add(e, kid);
    else if (kid instanceof Node) e.appendChild(kid);
    else e.appendChild(document.createTextNode(String(kid)));
  }
}
function fmt(v) {
  if (v === undefined || v === null || v === "") return "-";
  if (v === true) return "yes";
  if (v === false) return "no";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
function ago(iso) {
  const ms = Date.now() - Date.parse(iso);
  if (Number.isNaN(ms)) return "";
  const s = Math.round(Math.abs(ms) / 1000);
  const t = s < 90 ? s + " s" : s < 5400 ? Math.round(s / 60) + " min" : s < 172800 ? Math.round(s / 3600) + " h" : Math.round(s / 86400) + " d";
  return ms >= 0 ? t + " ago" : "in " + t;
}
function when(iso) { return iso ? iso + " (" + ago(iso) + ")" : "never"; }
function badge(ok, yes, no) { return el("span", { class: ok ? "ok" : "bad", text: ok ? (yes || "valid") : (no || "INVALID") }); }
function kv(pairs) {
  return el("dl", null, pairs.map(([k, v]) => [el("dt", { text: k }), el("dd", null, v instanceof Node ? v : fmt(v))]));
}
/** A table of objects: cols are [heading, key or function]. */
function table(rows, cols, empty) {
  if (!rows || rows.length === 0) return el("p", { class: "muted", text: empty || "None." });
  const shown = rows.slice(0, ROW_CAP);
  const t = el("table", null,
    el("thead", null, el("tr", null, cols.map(([h]) => el("th", { text: h })))),
    el("tbody", null, shown.map((r) => el("tr", null, cols.map(([, c]) => {
      const v = typeof c === "function" ? c(r) : r[c];
      return el("td", null, v instanceof Node ? v : fmt(v));
    })))));
  return rows.length > ROW_CAP ? [t, el("p", { class: "muted", text: "... and " + (rows.length - ROW_CAP) + " more." })] : t;
}

class Unauthorized extends Error {}
class ApiError extends Error {
  constructor(status, body) {
    const e = body && typeof body === "object" ? body.error : null;
    super(status + " " + (e && e.code ? e.code : "error") + (e && e.message ? ": " + e.message : ""));
    this.fix = e && typeof e.fix === "string" ? e.fix : null;
  }
}
function token() { return sessionStorage.getItem(TOKEN_KEY); }
function askToken(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  $("toolbar").hidden = true;
  $("apps").replaceChildren();
  $("letters").replaceChildren();
  $("letters").hidden = true;
  $("status").textContent = "";
  $("login-error").textContent = message || "";
  $("login").hidden = false;
  $("token").value = "";
  $("token").focus();
}
function pathFor(name, params, query) {
  let path = API[name].path.replace(/:(app|id)\b/g, (_, k) => encodeURIComponent(String(params[k])));
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null) q.set(k, String(v));
  const s = q.toString();
  return s ? path + (path.includes("?") ? "&" : "?") + s : path;
}
/** One admin call from the API table. Throws Unauthorized (after asking again) or ApiError. */
async function api(name, params, query, body) {
  const t = token();
  if (!t) { askToken(""); throw new Unauthorized(); }
  const call = API[name];
  const headers = { authorization: "Bearer " + t, accept: "application/json" };
  const init = { method: call.method, headers, credentials: "omit", cache: "no-store", redirect: "error", referrerPolicy: "no-referrer" };
  if (call.method === "POST") { headers["content-type"] = "application/json"; init.body = JSON.stringify(body || {}); }
  const res = await fetch(pathFor(name, params || {}, query), init);
  if (res.status === 401) { askToken("The admin token was refused: enter it again."); throw new Unauthorized(); }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
/** Show an error in a box (nothing for Unauthorized: the login form is up). */
function showError(box, err) {
  if (err instanceof Unauthorized) return;
  const msg = err instanceof ApiError ? err.message : "Request failed: " + (err && err.message ? err.message : String(err));
  box.replaceChildren(el("p", { class: "error", text: msg }), err && err.fix ? el("p", { class: "hint", text: "Fix: " + err.fix }) : null);
}
/**
 * Replace a box's children with kids, flattened to any depth (table() returns [table, "more"]
 * past ROW_CAP, and loaders nest it in their own lists): replaceChildren would turn a nested
 * array into the text "[object HTMLTableElement],...".
 */
function fill(box, ...kids) { box.replaceChildren(); add(box, kids); }
/** A box filled by an async loader: "Loading...", then its nodes or the error. */
function asyncBox(loader) {
  const box = el("div", null, el("p", { class: "muted", text: "Loading..." }));
  loader().then((nodes) => fill(box, nodes), (err) => showError(box, err));
  return box;
}
/** A button whose click runs an async action with the button disabled meanwhile. */
function actionButton(label, action) {
  const b = el("button", { type: "button", text: label });
  b.addEventListener("click", async () => {
    b.disabled = true;
    try { await action(); } finally { b.disabled = false; }
  });
  return b;
}
`;

const APPS = String.raw`
const recheckOutcomes = new Map();

function outcomeView(o) {
  if (!o) return el("p", { class: "muted", text: "No revalidation has run yet." });
  return kv([
    ["Status", o.status], ["At", when(o.at)], ["Detail", o.detail],
    ["Re-check", o.recheck ? o.recheck.reason + ": " + (o.recheck.ok ? "ok" : "failed") + (o.recheck.error ? " (" + o.recheck.error + ")" : "") : null],
    ["Replay", o.replay ? o.replay.action + (o.replay.detail ? ": " + o.replay.detail : "") + (o.replay.job_id ? " (job " + o.replay.job_id + ")" : "") : null],
    ["Alerts raised", o.alerts && o.alerts.length ? o.alerts.join(", ") : "none"],
  ]);
}

function webhookBlock(a) {
  const w = a.webhook;
  const out = el("div", null, recheckOutcomes.has(a.app) ? [el("p", { text: "Re-check just now:" }), outcomeView(recheckOutcomes.get(a.app))] : null);
  const atX = el("div");
  return [
    el("h3", { text: "Webhook" }),
    w ? kv([
      ["Id", w.id], ["URL", w.url], ["Valid", badge(w.valid)], ["Invalid since", w.invalid_since],
      ["Last CRC from X", when(a.last_crc_from_x)], ["Last re-check", when(w.last_recheck_at)],
      ["Re-check result", w.last_recheck_result], ["Re-check error", w.last_recheck_error],
    ]) : el("p", { class: "bad", text: "No webhook registered for this app (register one with the admin API or the CLI)." }),
    el("p", null,
      actionButton("Revalidate now", async () => {
        out.replaceChildren(el("p", { class: "muted", text: "Asking X..." }));
        try {
          recheckOutcomes.set(a.app, await api("revalidate", { app: a.app }, null, { force: true }));
          await loadAll();
        } catch (err) { showError(out, err); }
      }),
      actionButton("Compare with X", async () => {
        try {
          const r = await api("webhooksAtX", { app: a.app });
          fill(atX, el("p", { text: "X lists:" }), table(r.x, [["Id", "id"], ["URL", "url"], ["Valid", (x) => badge(x.valid)], ["Created", "created_at"]], "X lists no webhook for this app."));
        } catch (err) { showError(atX, err); }
      })),
    out, atX,
    el("h4", { text: "Webhooks known here" }),
    asyncBox(async () => table((await api("webhooks", { app: a.app })).registry,
      [["Id", "id"], ["URL", "url"], ["Valid", (x) => badge(x.valid)], ["Created", "created_at"], ["Last OK", "last_ok_at"], ["Last CRC", "last_crc_at"]])),
  ];
}

/** The last subscription reconciliation with X (users X dropped and what was done). */
function reconcileView(r) {
  if (!r) return el("p", { class: "muted", text: "No subscription reconciliation has run yet." });
  return kv([
    ["Last reconcile", when(r.checked_at) + " (" + r.status + ")" + (r.detail ? ": " + r.detail : "")],
    ["X / here", r.at_x + " / " + r.ours],
    ["Re-subscribed", r.resubscribed.join(", ") || "none"], ["Removed (token rejected)", r.removed.join(", ") || "none"],
    ["Failed", r.failed.map((f) => f.user_id + ": " + f.reason).join("; ") || "none"], ["Unknown at X", r.unknown.join(", ") || "none"],
  ]);
}

function subscriptionsBlock(a) {
  const atX = el("div");
  return [
    el("h3", { text: "Subscriptions (" + a.subscription_count + " active)" }),
    reconcileView(a.last_reconcile),
    el("p", null, actionButton("Compare with X", async () => {
      try {
        const [list, count] = await Promise.all([api("subscriptionsAtX", { app: a.app }), api("subscriptionCount", { app: a.app })]);
        atX.replaceChildren(kv([
          ["In sync", badge(list.in_sync, "yes", "NO")], ["Count at X (all webhooks)", count.x], ["Count here", count.registry],
          ["Only at X", list.differences.only_on_x.join(", ") || "none"], ["Only here", list.differences.only_in_registry.join(", ") || "none"],
        ]));
      } catch (err) { showError(atX, err); }
    })),
    atX,
    asyncBox(async () => table((await api("subscriptions", { app: a.app })).registry,
      [["User id", "user_id"], ["Screen name", "screen_name"], ["Status", "status"], ["By", "subscribed_by"], ["Since", "subscribed_at"], ["Token stored", "has_token"]],
      "No active subscriptions.")),
  ];
}

function replayBlock(a) {
  return [
    el("h3", { text: "Replay jobs and delivery gaps" }),
    kv([
      ["Replay supported", a.replay_supported],
      ["Open replay job", a.open_replay_job ? a.open_replay_job.job_id + " (" + a.open_replay_job.from_date + " to " + a.open_replay_job.to_date + ")" : "none"],
      ["Open gap", a.open_gap ? "since " + when(a.open_gap.from_at) : "none"],
    ]),
    asyncBox(async () => {
      const r = await api("replay", { app: a.app });
      return [
        el("h4", { text: "Gaps" }),
        table(r.gaps, [["Id", "id"], ["State", "state"], ["From", "from_at"], ["To", "to_at"], ["Job", "job_id"], ["Note", "note"]], "No delivery gaps."),
        el("h4", { text: "Jobs" }),
        table(r.jobs, [["Job", "job_id"], ["State", "state"], ["From", "from_date"], ["To", "to_date"], ["Requested", "requested_at"], ["By", "requested_by"], ["Closed", "closed_at"], ["Description", "state_description"]], "No replay jobs."),
      ];
    }),
  ];
}

function appSection(a) {
  const creds = Object.entries(a.credentials || {}).filter(([, v]) => v).map(([k]) => k);
  return el("section", null,
    el("h2", { text: "App " + a.app }),
    kv([["Flavour", a.flavour], ["Management credentials", creds.join(", ") || "none: calls to X will fail"], ["Last delivery from X", when(a.last_delivery_at)]]),
    webhookBlock(a),
    el("h3", { text: "Last revalidation" }),
    outcomeView(a.last_revalidation),
    subscriptionsBlock(a),
    replayBlock(a),
    el("h3", { text: "Dead letters" }),
    asyncBox(async () => {
      const page = await api("appDeadLetters", { app: a.app }, { limit: 1 });
      return el("p", { text: page.counts.total + " dead letter(s) for this app (listed below)." });
    }),
  );
}

async function loadAll() {
  $("status").textContent = "Loading...";
  let apps;
  try { apps = (await api("apps")).apps; } catch (err) { showError($("status"), err); return; }
  $("login").hidden = true;
  $("toolbar").hidden = false;
  pipelineSection();
  $("apps").replaceChildren(...apps.map(appSection));
  recheckOutcomes.clear();
  lettersSection(apps.map((a) => a.app));
  $("status").textContent = "Loaded " + new Date().toISOString() + ".";
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const t = $("token").value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    $("token").value = "";
    loadAll();
  });
  $("refresh").addEventListener("click", () => loadAll());
  $("forget").addEventListener("click", () => askToken("Token forgotten."));
  if (token()) loadAll(); else askToken("");
});
`;

/** The whole script: the call table, then the helpers, the dead-letter and pipeline views and the app views. */
export const DASHBOARD_JS = [
  `"use strict";`,
  `// Generated from src/dashboard/: the admin calls this page makes (admin-calls.ts).`,
  `const API = ${JSON.stringify(DASHBOARD_ADMIN_CALLS)};`,
  CORE,
  DASHBOARD_LETTERS_JS,
  DASHBOARD_PIPELINE_JS,
  APPS,
].join("\n");
