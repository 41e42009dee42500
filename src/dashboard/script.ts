/**
 * The dashboard's browser script (served as /dashboard/app.js), as text: uPlot first (vendored
 * from the `uplot` package by scripts/vendor-uplot.ts, it defines the global `uPlot`), then the
 * admin call table and our own code, plain modern JS without a framework. There is no separate
 * build step for browser code: each part is a string in a module here, joined below, and the
 * Worker's bundle carries the result. One script from this origin is what lets the page run
 * under `script-src 'self'` with no inline script and no eval.
 *
 * XSS: every value shown comes from the admin API, which carries text from X and from attackers
 * (webhook payloads reach the tail, dead-letter reasons and summaries). The script builds every
 * node with createElement and sets text with textContent / createTextNode; it never parses HTML
 * (no innerHTML, outerHTML, insertAdjacentHTML or document.write), never sets an href or src from
 * data, and `el()` refuses attributes outside a short allow-list. A test checks the source for
 * the HTML-parsing sinks, and the page runs under Trusted Types enforcement.
 *
 * The admin token lives in sessionStorage only (this tab, until it closes): never a cookie,
 * never a URL, never logged. Every fetch sends it as `Authorization: Bearer`; a 401 forgets it
 * and asks again, and "Forget token" clears every section from the screen.
 */
import { DASHBOARD_ADMIN_CALLS } from "./admin-calls.ts";
import { DASHBOARD_APPS_JS } from "./script-apps.ts";
import { DASHBOARD_CHARTS_JS } from "./script-charts.ts";
import { DASHBOARD_CORE_JS, TOKEN_STORAGE_KEY } from "./script-core.ts";
import { DASHBOARD_LETTERS_JS } from "./script-letters.ts";
import { DASHBOARD_OVERVIEW_JS } from "./script-overview.ts";
import { DASHBOARD_PIPELINE_JS } from "./script-pipeline.ts";
import { DASHBOARD_TAIL_JS } from "./script-tail.ts";
import { UPLOT_JS } from "./vendor/uplot.ts";

export { TOKEN_STORAGE_KEY };

/** How often the overview, charts and pipeline reload while the page is open and visible. */
export const REFRESH_MS = 60_000;

const MAIN = String.raw`
const REFRESH_MS = ${REFRESH_MS};
let refreshTimer = null;
const SECTIONS = ["overview", "charts", "tail", "apps", "pipeline", "letters"];

function askToken(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(refreshTimer);
  clearTimeout(tailState.timer);
  tailState.rows = [];
  outBoxes.clear();
  inputs.clear();
  destroyCharts();
  $("toolbar").hidden = true;
  $("console").hidden = true;
  for (const id of SECTIONS) $(id).replaceChildren();
  $("status").textContent = "";
  $("login-error").textContent = message || "";
  $("login").hidden = false;
  $("token").value = "";
  $("token").focus();
}

/** After an action changed something: reload the overview and the app panels (open panels stay open). */
async function afterAction() { await loadAll("again"); }

/** mode: "first" (sign-in: every section), "again" (after an action or Refresh), "auto" (the timer). */
async function loadAll(mode) {
  $("status").textContent = "Loading...";
  let apps;
  try { apps = (await api("apps")).apps; } catch (err) { showError($("status"), err); return; }
  const [pipeline, pipelineErr] = await api("pipeline").then((p) => [p, null], (e) => [null, e]);
  const letters = await api("deadLetters", {}, { limit: 1 }).then((r) => r.counts, () => null);
  if (!token()) return;
  $("login").hidden = true;
  $("toolbar").hidden = false;
  $("console").hidden = false;
  const names = apps.map((a) => a.app);
  overviewSection(apps, pipeline, letters);
  // The auto-refresh leaves the app panels alone while the operator is working in them.
  if (mode !== "auto" || !$("apps").contains(document.activeElement)) appsSection(apps, pipeline);
  pipelineSection(pipeline, pipelineErr);
  if (mode === "first") {
    chartsSection(names);
    tailSection(names);
    lettersSection(names);
  } else loadCharts();
  $("status").textContent = "Updated " + new Date().toISOString().slice(11, 19) + " UTC; refreshes every " + REFRESH_MS / 1000 + " s.";
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(function tick() {
    if (document.visibilityState === "visible") loadAll("auto"); else refreshTimer = setTimeout(tick, REFRESH_MS);
  }, REFRESH_MS);
}

let resizeQueued = false;
window.addEventListener("resize", () => {
  if (resizeQueued) return;
  resizeQueued = true;
  requestAnimationFrame(() => { resizeQueued = false; resizeCharts(); });
});

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const t = $("token").value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    $("token").value = "";
    loadAll("first");
  });
  $("refresh").addEventListener("click", () => loadAll("again"));
  $("forget").addEventListener("click", () => askToken("Token forgotten."));
  if (token()) loadAll("first"); else askToken("");
});
`;

/** Our own code (what the source checks apply to), without the vendored uPlot. */
export const DASHBOARD_OWN_JS = [
  `"use strict";`,
  `// Generated from src/dashboard/: the admin calls this page makes (admin-calls.ts).`,
  `const API = ${JSON.stringify(DASHBOARD_ADMIN_CALLS)};`,
  DASHBOARD_CORE_JS,
  DASHBOARD_OVERVIEW_JS,
  DASHBOARD_CHARTS_JS,
  DASHBOARD_TAIL_JS,
  DASHBOARD_LETTERS_JS,
  DASHBOARD_PIPELINE_JS,
  DASHBOARD_APPS_JS,
  MAIN,
].join("\n");

/** The whole script: uPlot (it defines the global `uPlot`), then ours in its own function scope. */
export const DASHBOARD_JS = `${UPLOT_JS}\n;(function () {\n${DASHBOARD_OWN_JS}\n})();\n`;
