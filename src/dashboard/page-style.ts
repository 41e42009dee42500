/**
 * The dashboard's stylesheet (served as /dashboard/app.css): ours, then uPlot's (vendored).
 * Light and dark from the system setting through custom properties (the charts read them too);
 * colours chosen for 4.5:1 contrast in both. Layout: cards in an auto-fill grid, tables that
 * scroll inside their own region instead of breaking words, one column under 700 px.
 */
import { UPLOT_CSS } from "./vendor/uplot.ts";

const OWN_CSS = `:root {
  color-scheme: light dark;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --bg: #f7f7f8; --fg: #1d1d1f; --muted: #5b5b66; --card: #ffffff; --line: #d4d4dc; --grid: #8884;
  --ok: #116329; --ok-bg: #dcf5e3; --bad: #b3261e; --bad-bg: #fde2e0; --warn: #7a4a00; --warn-bg: #fdefc8;
  --accent: #1d4ed8; --code-bg: #eeeef2; --focus: #1d4ed8;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #141417; --fg: #e8e8ec; --muted: #a4a4b0; --card: #1e1e23; --line: #3a3a44; --grid: #ffffff22;
    --ok: #6ee7a0; --ok-bg: #12351f; --bad: #ff9b93; --bad-bg: #45161a; --warn: #f7c85c; --warn-bg: #3d2c06;
    --accent: #93b4ff; --code-bg: #2a2a31; --focus: #93b4ff;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
main { max-width: 90rem; margin: 0 auto; padding: 0 1rem 4rem; }
a { color: var(--accent); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; z-index: 10; background: var(--card); padding: .3rem .6rem; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
header.top { position: sticky; top: 0; z-index: 5; display: flex; flex-wrap: wrap; align-items: center; gap: .3rem 1rem;
  padding: .5rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
header.top h1 { font-size: 1.1rem; margin: 0; }
nav { display: flex; flex-wrap: wrap; align-items: center; gap: .2rem .8rem; }
nav a { text-decoration: none; font-weight: 500; }
nav a:hover { text-decoration: underline; }
h2 { font-size: 1.25rem; margin: 0 0 .6rem; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
h4 { font-size: .95rem; margin: .9rem 0 .3rem; }
#console > section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 1rem 0; scroll-margin-top: 4rem; }
#console > section:empty { display: none; }
[hidden] { display: none !important; }
button { font: inherit; padding: .35rem .8rem; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); cursor: pointer; }
button:hover { border-color: var(--accent); }
button:disabled { opacity: .6; cursor: progress; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--card); }
button.danger { color: var(--bad); }
button.link { border: none; background: none; color: var(--accent); padding: 0; text-decoration: underline; }
input, select { font: inherit; padding: .3rem .5rem; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); max-width: 100%; }
input[type=checkbox] { width: 1.1rem; height: 1.1rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
code { background: var(--code-bg); padding: 0 .25rem; border-radius: 4px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--code-bg); padding: .6rem; border-radius: 6px; max-height: 30rem; overflow: auto; margin: .4rem 0; }
.break { overflow-wrap: anywhere; }
.muted, .hint { color: var(--muted); }
.hint { font-size: .9em; }
.error, .bad { color: var(--bad); }
.pill { display: inline-block; padding: .05rem .55rem; border-radius: 999px; font-size: .85em; font-weight: 600; white-space: nowrap; }
.pill.ok { color: var(--ok); background: var(--ok-bg); }
.pill.bad { color: var(--bad); background: var(--bad-bg); }
.pill.warn { color: var(--warn); background: var(--warn-bg); }
.pill.muted { color: var(--muted); background: var(--code-bg); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(19rem, 1fr)); gap: .8rem; }
.card { border: 1px solid var(--line); border-left-width: 5px; border-radius: 8px; padding: .7rem .9rem; background: var(--card); }
.card.tone-ok { border-left-color: var(--ok); }
.card.tone-bad { border-left-color: var(--bad); }
.card.tone-warn { border-left-color: var(--warn); }
.card-head { display: flex; justify-content: space-between; align-items: center; gap: .5rem; }
.card-head h3 { margin: 0; overflow-wrap: anywhere; }
.reason { margin: .4rem 0 .5rem; }
.card-foot { margin: .5rem 0 0; }
dl.kv { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .15rem 1rem; margin: .3rem 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; min-width: 0; overflow-wrap: break-word; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0; }
th, td { text-align: left; vertical-align: top; padding: .3rem .6rem; border-bottom: 1px solid var(--line); overflow-wrap: normal; word-break: normal; }
th { font-weight: 600; white-space: nowrap; }
.controls, .actions { display: flex; flex-wrap: wrap; align-items: flex-end; gap: .5rem 1rem; margin: .4rem 0 .6rem; }
label.field { display: flex; flex-direction: column; gap: .15rem; font-size: .9em; }
label.field > span { color: var(--muted); }
label.check { display: inline-flex; align-items: center; gap: .35rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 34rem), 1fr)); gap: 1rem; }
figure.chart { margin: 0; min-width: 0; }
figure.chart figcaption { margin-bottom: .3rem; }
.plot { width: 100%; min-width: 0; overflow: hidden; }
.uplot { font-family: inherit; }
.u-legend { font-size: .85em; color: var(--fg); }
ol.tail { list-style: none; margin: 0; padding: 0; max-height: 36rem; overflow-y: auto; }
.tail-row { border-bottom: 1px solid var(--line); padding: .4rem 0; }
.tail-meta { display: flex; flex-wrap: wrap; gap: .2rem .7rem; align-items: baseline; font-size: .9em; }
.tail-row .summary { margin: .15rem 0; overflow-wrap: break-word; }
.tag { font-weight: 600; }
details.app { border: 1px solid var(--line); border-radius: 8px; margin: .6rem 0; padding: .4rem .8rem; }
details.app > summary { cursor: pointer; font-size: 1.05rem; padding: .3rem 0; }
.app-name { font-weight: 600; }
.panel { border-top: 1px solid var(--line); padding-top: .7rem; margin-top: .7rem; }
.inline-form { margin-top: .6rem; }
.rules { margin: .3rem 0 .5rem; padding-left: 1.2rem; }
.result { border-radius: 6px; padding: .4rem .7rem; margin: .5rem 0; }
.ok-result { background: var(--ok-bg); }
.ok-result strong { color: var(--ok); }
.bad-result { background: var(--bad-bg); }
.bad-result strong { color: var(--bad); }
.copy { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .4rem 0; }
.link-box { flex: 1 1 18rem; font-family: ui-monospace, monospace; }
#login { display: grid; gap: .5rem; max-width: 26rem; margin: 2rem 0; }
@media (max-width: 700px) {
  main { padding: 0 .5rem 3rem; }
  #console > section { padding: .7rem; }
  .cards { grid-template-columns: 1fr; }
  dl.kv { grid-template-columns: minmax(0, 9rem) minmax(0, 1fr); }
  header.top { position: static; }
}
`;

export const DASHBOARD_CSS = `${OWN_CSS}\n/* uPlot (MIT, https://github.com/leeoniya/uPlot) */\n${UPLOT_CSS}\n`;
