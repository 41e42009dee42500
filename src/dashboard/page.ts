/**
 * The dashboard's HTML: static text with no data in it (everything is fetched by app.js with the
 * operator's admin token), so the page itself can be public. No inline script, no inline style
 * and no external asset: the page runs under `script-src 'self'; style-src 'self'` and works
 * offline. The favicon is an empty data: URL so the browser does not request /favicon.ico.
 * The stylesheet is page-style.ts (ours, then uPlot's).
 */
export { DASHBOARD_CSS } from "./page-style.ts";

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>account-activity-edge: dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<h1>account-activity-edge</h1>
<nav id="toolbar" aria-label="Dashboard" hidden>
<a href="#overview">Overview</a>
<a href="#charts">Traffic</a>
<a href="#tail">Live tail</a>
<a href="#apps">Apps</a>
<a href="#pipeline">Pipeline</a>
<a href="#letters">Dead letters</a>
<button id="refresh" type="button">Refresh</button>
<button id="forget" type="button">Forget token</button>
</nav>
</header>
<main id="main">
<form id="login" hidden>
<h2>Sign in</h2>
<label for="token">Admin token</label>
<input id="token" type="password" autocomplete="off" spellcheck="false" required>
<button type="submit">Open</button>
<p class="hint">Kept in this tab's sessionStorage only (gone when the tab closes), and sent as a bearer token to /admin on this origin.</p>
<p id="login-error" class="error" role="alert"></p>
</form>
<p id="status" role="status"></p>
<div id="console" hidden>
<section id="overview" aria-label="Overview"></section>
<section id="charts" aria-label="Traffic"></section>
<section id="tail" aria-label="Live tail"></section>
<section id="apps" aria-label="Apps"></section>
<section id="pipeline" aria-label="Pipeline"></section>
<section id="letters" aria-label="Dead letters"></section>
</div>
</main>
<noscript><p>This page needs JavaScript: it reads the admin API from the browser.</p></noscript>
</body>
</html>
`;
