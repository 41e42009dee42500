/**
 * The helpers every part of the dashboard's script uses (see script.ts for the rules): building
 * DOM nodes without HTML parsing, formatting, the admin API call with the bearer token, lossless
 * JSON, and the "what it did / what X answered" panel every action writes to.
 */

/** The sessionStorage key of the admin token. */
export const TOKEN_STORAGE_KEY = "aae-admin-token";

export const DASHBOARD_CORE_JS = String.raw`
const TOKEN_KEY = ${JSON.stringify(TOKEN_STORAGE_KEY)};
const ROW_CAP = 200;
const $ = (id) => document.getElementById(id);
const SAFE_ATTRS = new Set(["id", "type", "title", "value", "for", "colspan", "disabled", "checked", "readonly", "required",
  "name", "placeholder", "min", "max", "step", "open", "datetime", "role", "tabindex", "autocomplete", "spellcheck", "inputmode",
  "aria-label", "aria-live", "aria-describedby", "aria-labelledby", "aria-expanded", "aria-controls", "aria-pressed", "aria-hidden", "data-state"]);

/** A DOM element; text only through textContent, attributes only from the allow-list. */
function el(tag, opts, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(opts || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") e.textContent = String(v);
    else if (k === "class") e.className = v;
    else if (k === "onclick") e.addEventListener("click", v);
    else if (k === "onchange") e.addEventListener("change", v);
    else if (k === "onsubmit") e.addEventListener("submit", (ev) => { ev.preventDefault(); v(ev); });
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
/** Replace a box's children with kids, flattened to any depth. */
function fill(box, ...kids) { box.replaceChildren(); add(box, kids); return box; }

/** JSON.parse that keeps numbers above 2^53 exact (JSON.rawJSON) where the browser can. */
function parseJson(text) {
  if (typeof JSON.rawJSON !== "function") return JSON.parse(text);
  return JSON.parse(text, (k, v, ctx) => typeof v === "number" && ctx && typeof ctx.source === "string" && String(v) !== ctx.source ? JSON.rawJSON(ctx.source) : v);
}
/** Pretty-printed JSON; string fields that hold JSON text (a forward message's "json") are shown decoded. */
function pretty(v) { return JSON.stringify(decodeJsonText(v), null, 2); }
function decodeJsonText(v) {
  if (Array.isArray(v)) return v.map(decodeJsonText);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => {
      if (typeof x === "string" && /^\s*[{[]/.test(x)) { try { return [k, decodeJsonText(parseJson(x))]; } catch { return [k, x]; } }
      return [k, decodeJsonText(x)];
    }));
  }
  return v;
}

function fmt(v) {
  if (v === undefined || v === null || v === "") return "-";
  if (v === true) return "yes";
  if (v === false) return "no";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
function ageText(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "-";
  const s = Math.round(Math.abs(seconds));
  return s < 90 ? s + " s" : s < 5400 ? Math.round(s / 60) + " min" : s < 172800 ? Math.round(s / 3600) + " h" : Math.round(s / 86400) + " d";
}
function ago(iso) {
  const ms = Date.now() - Date.parse(iso);
  if (Number.isNaN(ms)) return "";
  return ms >= -5000 ? ageText(Math.max(0, ms) / 1000) + " ago" : "in " + ageText(-ms / 1000);
}
/** A <time> with the age in words and the exact time in its title. */
function when(iso, never) {
  if (!iso) return el("span", { class: "muted", text: never || "never" });
  return el("time", { datetime: iso, title: iso, text: ago(iso) });
}
function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? fmt(iso) : d.toISOString().slice(11, 19);
}
function badge(ok, yes, no) { return el("span", { class: ok ? "pill ok" : "pill bad", text: ok ? (yes || "valid") : (no || "invalid") }); }
function kv(pairs) {
  return el("dl", { class: "kv" }, pairs.filter((p) => p).map(([k, v]) => [el("dt", { text: k }), el("dd", null, v instanceof Node || Array.isArray(v) ? v : fmt(v))]));
}
/** A table of objects: cols are [heading, key or function]. Wrapped so a wide table scrolls on its own. */
function table(rows, cols, empty, label) {
  if (!rows || rows.length === 0) return el("p", { class: "muted", text: empty || "None." });
  const shown = rows.slice(0, ROW_CAP);
  const t = el("table", null,
    el("thead", null, el("tr", null, cols.map(([h]) => el("th", { scope: undefined, text: h })))),
    el("tbody", null, shown.map((r) => el("tr", null, cols.map(([, c]) => {
      const v = typeof c === "function" ? c(r) : r[c];
      return el("td", null, v instanceof Node || Array.isArray(v) ? v : fmt(v));
    })))));
  const wrap = el("div", { class: "scroll", role: "region", tabindex: "0", "aria-label": label || "Table" }, t);
  return rows.length > ROW_CAP ? [wrap, el("p", { class: "muted", text: "... and " + (rows.length - ROW_CAP) + " more." })] : wrap;
}

class Unauthorized extends Error {}
class ApiError extends Error {
  constructor(status, body) {
    const e = body && typeof body === "object" ? body.error : null;
    super((e && e.message) ? e.message : "The request failed (HTTP " + status + ").");
    this.status = status;
    this.code = e && e.code ? String(e.code) : "error";
    this.xCode = e && e.x_code !== undefined ? e.x_code : null;
    this.fix = e && typeof e.fix === "string" ? e.fix : null;
    this.body = body;
  }
}
function token() { return sessionStorage.getItem(TOKEN_KEY); }
function pathFor(name, params, query) {
  const path = API[name].path.replace(/:(app|id|user|name)\b/g, (_, k) => encodeURIComponent(String(params[k])));
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
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
  if (call.method === "POST" || call.method === "PUT") { headers["content-type"] = "application/json"; init.body = JSON.stringify(body || {}); }
  const res = await fetch(pathFor(name, params || {}, query), init);
  if (res.status === 401) { askToken("The admin token was refused: enter it again."); throw new Unauthorized(); }
  let data = null;
  try { data = parseJson(await res.text()); } catch { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
/** Show an error in a box (nothing for Unauthorized: the login form is up). */
function showError(box, err) {
  if (err instanceof Unauthorized) return;
  fill(box, errorView(err));
}
function errorView(err) {
  if (err instanceof ApiError) {
    return el("div", { class: "result bad-result", role: "alert" },
      el("p", null, el("strong", { text: "Failed: " }), err.message),
      err.fix ? el("p", { class: "hint", text: "How to fix it: " + err.fix }) : null,
      el("details", null, el("summary", { text: "Full answer (HTTP " + err.status + (err.xCode !== null ? ", X code " + err.xCode : "") + ")" }), el("pre", { text: pretty(err.body) })));
  }
  return el("p", { class: "error", role: "alert", text: "Request failed: " + (err && err.message ? err.message : String(err)) });
}
/**
 * Run an action and write what happened to box: the sentence describe(result) returns, and the
 * full answer (which holds what X answered) one click away. Errors show X's message and the fix.
 */
async function runAction(box, working, action, describe) {
  fill(box, el("p", { class: "muted", role: "status", text: working }));
  try {
    const r = await action();
    fill(box, el("div", { class: "result ok-result", role: "status" },
      el("p", null, el("strong", { text: "Done: " }), describe(r)),
      el("details", null, el("summary", { text: "What X answered (full response)" }), el("pre", { text: pretty(r) }))));
    return r;
  } catch (err) {
    showError(box, err);
    return null;
  }
}
/** A box filled by an async loader: "Loading...", then its nodes or the error. */
function asyncBox(loader) {
  const box = el("div", null, el("p", { class: "muted", text: "Loading..." }));
  loader().then((nodes) => fill(box, nodes), (err) => showError(box, err));
  return box;
}
/** A button whose click runs an async action with the button disabled meanwhile. */
function actionButton(label, action, cls) {
  const b = el("button", { type: "button", text: label, class: cls });
  b.addEventListener("click", async () => {
    b.disabled = true;
    try { await action(); } finally { b.disabled = false; }
  });
  return b;
}
/** A labelled form field. */
function field(label, input, hint) {
  return el("label", { class: "field" }, el("span", { text: label }), input, hint ? el("small", { class: "hint", text: hint }) : null);
}
`;
