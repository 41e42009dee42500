/**
 * The dashboard's HTML and CSS: static text with no data in it (everything is fetched by
 * app.js with the operator's admin token), so the page itself can be public. No inline script,
 * no inline style and no external asset: the page runs under `script-src 'self'; style-src
 * 'self'` and works offline. The favicon is an empty data: URL so the browser does not request
 * /favicon.ico.
 */

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>account-activity-edge: dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header>
<h1>account-activity-edge</h1>
<div id="toolbar" hidden>
<button id="refresh" type="button">Refresh</button>
<button id="forget" type="button">Forget token</button>
</div>
</header>
<main>
<form id="login" hidden>
<label for="token">Admin token</label>
<input id="token" type="password" autocomplete="off" spellcheck="false" required>
<button type="submit">Open</button>
<p class="hint">Kept in this tab's sessionStorage only (gone when the tab closes), and sent as a bearer token to /admin on this origin.</p>
<p id="login-error" class="error" role="alert"></p>
</form>
<div id="status" role="status"></div>
<section id="pipeline" hidden></section>
<div id="apps"></div>
<section id="letters" hidden></section>
</main>
<noscript><p>This page needs JavaScript: it reads the admin API from the browser.</p></noscript>
</body>
</html>
`;

export const DASHBOARD_CSS = `:root { color-scheme: light dark; font: 14px/1.4 system-ui, sans-serif; }
body { margin: 0 auto; max-width: 72rem; padding: 0 1rem 3rem; }
header { display: flex; align-items: center; justify-content: space-between; gap: 1rem; }
h1 { font-size: 1.3rem; }
h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
section { border: 1px solid #8886; border-radius: 6px; padding: .8rem 1rem; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0; }
th, td { text-align: left; vertical-align: top; padding: .2rem .5rem; border-bottom: 1px solid #8884; overflow-wrap: anywhere; }
th { font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .3rem 0; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #8882; padding: .5rem; max-height: 30rem; overflow: auto; }
button { margin: .2rem .4rem .2rem 0; }
.ok { color: #080; font-weight: 600; }
.bad { color: #c00; font-weight: 600; }
.error { color: #c00; }
.hint, .muted { color: #888; }
#login { display: grid; gap: .4rem; max-width: 26rem; margin: 2rem 0; }
#login[hidden], [hidden] { display: none; }
`;
