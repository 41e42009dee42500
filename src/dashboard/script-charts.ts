/**
 * The Charts part of the dashboard's script: events per minute by type, receive-to-forward (and
 * receive-to-publish) latency p50/p99, forward outcomes and dead letters over time, from GET
 * /admin/metrics, drawn with uPlot (bundled into app.js ahead of this code, see script.ts). Each
 * chart is a <figure> with a caption and a one-line text summary, so the numbers are readable
 * without the canvas (screen readers, copy and paste). Colours come from the page's CSS custom
 * properties, so dark mode applies.
 */
export const DASHBOARD_CHARTS_JS = String.raw`
const PALETTE = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#9333ea", "#ea580c"];
const OUTCOME_COLOURS = { delivered: "#059669", retried: "#d97706", held: "#7c3aed", dead_lettered: "#dc2626" };
const chartState = { app: "", hours: 24, plots: [] };

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}
function sumOf(xs) { return xs.reduce((a, b) => a + (b || 0), 0); }
function msText(ms) { return ms === null || ms === undefined ? "-" : ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + " s"; }

const COUNT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 1e4, 2e4, 5e4, 1e5, 1e6, 1e7];

/**
 * One uPlot chart in a figure: series is [[label, values, colour]]. Counts get whole-number ticks
 * from 0; latencies (null where nothing was measured) draw their points, so a lone minute shows.
 */
function chartFigure(title, summary, times, series, valueText, kind) {
  const plotBox = el("div", { class: "plot" });
  const fig = el("figure", { class: "chart", "aria-label": title }, el("figcaption", null, el("strong", { text: title }), " ", el("span", { class: "muted", text: summary })), plotBox);
  const text = cssVar("--fg", "#222");
  const grid = cssVar("--grid", "#8883");
  const opts = {
    width: 300, height: 220,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: kind === "count" ? { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } } : { x: { time: true } },
    series: [{ label: "Time" }].concat(series.map(([label, , colour]) => ({
      label, stroke: colour, width: 1.5, points: { show: kind !== "count", size: 5, fill: colour }, spanGaps: false,
      value: (u, v) => v === null || v === undefined ? "-" : valueText(v),
    }))),
    axes: [
      { stroke: text, grid: { stroke: grid }, ticks: { stroke: grid } },
      Object.assign({ stroke: text, grid: { stroke: grid }, ticks: { stroke: grid }, size: 56, values: (u, vals) => vals.map((v) => valueText(v)) }, kind === "count" ? { incrs: COUNT_INCRS } : {}),
    ],
  };
  const data = [times].concat(series.map(([, values]) => values));
  const plot = new uPlot(opts, data, plotBox);
  chartState.plots.push({ plot, box: plotBox });
  return fig;
}

function resizeCharts() {
  for (const { plot, box } of chartState.plots) {
    const w = Math.max(240, Math.floor(box.getBoundingClientRect().width));
    if (plot.width !== w) plot.setSize({ width: w, height: 220 });
  }
}

function destroyCharts() {
  for (const { plot } of chartState.plots) plot.destroy();
  chartState.plots = [];
}

async function chartsView() {
  const m = await api("metrics", {}, { hours: chartState.hours, app: chartState.app });
  destroyCharts();
  const step = m.step_seconds / 60;
  const per = step === 1 ? "per minute" : "per " + step + " minutes";
  const types = Object.keys(m.events).sort((a, b) => sumOf(m.events[b]) - sumOf(m.events[a]));
  const total = sumOf(Object.values(m.totals.events));
  const eventSeries = types.slice(0, PALETTE.length).map((t, i) => [t, m.events[t], PALETTE[i]]);
  if (types.length > PALETTE.length) {
    const rest = m.times.map((_, i) => sumOf(types.slice(PALETTE.length).map((t) => m.events[t][i])));
    eventSeries.push(["other types", rest, "#6b7280"]);
  }
  const lat = m.latency;
  const fwd = lat.forward.total.count > 0;
  const latSeries = fwd
    ? [["forward p50", lat.forward.p50, "#2563eb"], ["forward p99", lat.forward.p99, "#dc2626"], ["publish p50", lat.publish.p50, "#059669"], ["publish p99", lat.publish.p99, "#d97706"]]
    : [["publish p50", lat.publish.p50, "#059669"], ["publish p99", lat.publish.p99, "#d97706"]];
  const outcomeSeries = Object.keys(m.forward).map((k) => [k.replace("_", " "), m.forward[k], OUTCOME_COLOURS[k] || "#6b7280"]);
  const dlKeys = Object.keys(m.dead_letters);
  const dlSeries = (dlKeys.length ? dlKeys : ["ingest", "forward"]).map((k, i) => ["dead letters (" + k + ")", m.dead_letters[k] || m.times.map(() => 0), ["#dc2626", "#7c3aed", "#6b7280"][i % 3]]);
  const count = (v) => String(Math.round(v));
  const byType = types.map((t) => t + " " + m.totals.events[t]).join(", ");
  const figures = [
    chartFigure("Events " + per + " by type", total === 0 ? "No event published in this span." : total + " published: " + byType + ".", m.times,
      eventSeries.length ? eventSeries : [["events", m.times.map(() => 0), PALETTE[0]]], count, "count"),
    chartFigure("Latency from receipt", (fwd ? "to forward delivered: p50 " + msText(lat.forward.total.p50_ms) + ", p99 " + msText(lat.forward.total.p99_ms) + "; " : "no forward delivered in this span; ")
      + "to publish: p50 " + msText(lat.publish.total.p50_ms) + ", p99 " + msText(lat.publish.total.p99_ms) + ".", m.times, latSeries, msText, "latency"),
    chartFigure("Forward outcomes " + per, Object.entries(m.totals.forward).map(([k, n]) => k.replace("_", " ") + " " + n).join(", ") || "Nothing forwarded in this span.", m.times, outcomeSeries, count, "count"),
    chartFigure("Dead letters " + per, Object.entries(m.totals.dead_letters).map(([k, n]) => k + " " + n).join(", ") || "No dead letter in this span.", m.times, dlSeries, count, "count"),
  ];
  return el("div", { class: "charts" }, figures);
}

function chartsSection(appNames) {
  const section = $("charts");
  const appSel = el("select", { id: "chart-app", onchange: () => { chartState.app = appSel.value; loadCharts(); } },
    el("option", { value: "", text: "All apps" }), appNames.map((n) => el("option", { value: n, text: n })));
  appSel.value = chartState.app;
  const spanSel = el("select", { id: "chart-hours", onchange: () => { chartState.hours = Number(spanSel.value); loadCharts(); } },
    [[1, "1 hour"], [6, "6 hours"], [24, "24 hours"], [168, "7 days"]].map(([h, t]) => el("option", { value: h, text: t })));
  spanSel.value = String(chartState.hours);
  fill(section, el("h2", { text: "Traffic" }),
    el("div", { class: "controls" }, field("App", appSel), field("Span", spanSel)),
    el("div", { id: "chart-body" }));
  loadCharts();
}

async function loadCharts() {
  const body = $("chart-body");
  if (!body) return;
  try {
    const view = await chartsView();
    fill(body, view);
    resizeCharts();
  } catch (err) { showError(body, err); }
}
`;
