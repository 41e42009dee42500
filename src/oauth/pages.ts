/**
 * The pages end users see during Sign in with X: a styled success page, and for every error a
 * styled page with a plain-language message instead of the JSON the admin API speaks. Pure text
 * builders (no env, no fetch); routes.ts renders them.
 *
 * Everything interpolated is escaped. The style is one `<style>` element in the page (the pages'
 * CSP, http/security-headers.ts, allows inline style and nothing from anywhere, no script at
 * all), light and dark from the system setting.
 *
 * End users cannot fix operator problems: messages say what happened and who can fix it, never
 * an internal detail (X's raw message, a setting name) beyond a request reference for support.
 */

/** Plain-language messages by error code (our HttpError codes and X's error kinds). */
const MESSAGES: Readonly<Record<string, { title: string; text: string }>> = {
  invite_used: { title: "This invite was already used", text: "Each invite link works once, and this one has been used (or a sign-in with it is still in progress). Ask the person who sent it for a new one." },
  oauth2_not_configured: { title: "Signing in is not available yet", text: "This service is not yet set up for this kind of sign-in. Please let the person who invited you know." },
  invite_required: { title: "This link needs an invitation", text: "Signing in here needs a valid invite link. It may have expired or been mistyped: ask the person who sent it for a new one." },
  unknown_app: { title: "Nothing to sign in to here", text: "There is no sign-in page at this address. Check the link you were given, or ask for a new one." },
  not_found: { title: "Page not found", text: "There is no page at this address. Check the link you were given, or ask for a new one." },
  method_not_allowed: { title: "Page not found", text: "There is no page at this address. Check the link you were given, or ask for a new one." },
  token_storage_disabled: { title: "Signing in is not available yet", text: "This service is not yet set up to complete sign-ins. Please let the person who invited you know." },
  oauth_callback_not_confirmed: { title: "X did not accept this sign-in", text: "X refused this service's return address, so signing in cannot finish. Please let the person who invited you know." },
  no_webhook: { title: "Not ready to subscribe you yet", text: "You signed in, but this service is not connected to X's activity feed yet, so nothing was subscribed. Please let the person who invited you know." },
  rate_limited: { title: "X is busy", text: "X is limiting requests right now. Please wait a few minutes, then open your invite link again." },
  missing_credential: { title: "Signing in is not available yet", text: "This service is not fully set up to talk to X. Please let the person who invited you know." },
  auth_failed: { title: "X refused this service", text: "X did not accept this service's credentials, so signing in cannot finish. Please let the person who invited you know." },
  user_not_permitted: { title: "X did not allow the subscription", text: "X did not allow this service to receive your account's activity. If you denied a permission on X, open your invite link again and allow it." },
  too_many_resources: { title: "No room for another account", text: "This service has reached X's limit on subscribed accounts. Please let the person who invited you know." },
  network: { title: "X could not be reached", text: "This service could not reach X just now. Please try again in a few minutes." },
  internal: { title: "Something went wrong", text: "Something went wrong on our side and nothing was changed. Please try again; if it keeps happening, let the person who invited you know." },
};
const FALLBACK = { title: "Signing in did not finish", text: "Something stopped the sign-in and nothing was subscribed. Please open your invite link again; if it keeps happening, let the person who invited you know." };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A whole page: `title` is text (escaped here), `body` is HTML the caller escaped. */
export function pageHtml(title: string, tone: "ok" | "bad", body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${OAUTH_PAGE_CSS}</style>
</head>
<body>
<main class="${tone}">
<p class="mark" aria-hidden="true">${tone === "ok" ? "&#10003;" : "!"}</p>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

/** The page after a successful sign-in and subscription. */
export function successPage(screenName: string, app: string): string {
  return pageHtml(`@${screenName} is subscribed`, "ok",
    `<p>Your account <strong>@${escapeHtml(screenName)}</strong> is now subscribed: its activity reaches <strong>${escapeHtml(app)}</strong>.</p>
<p class="hint">You can close this page. To stop, revoke the app's access in X's settings (Security and account access, Apps and sessions).</p>`);
}

/**
 * The page for an error answer. `code` picks the message; `detail` is our own plain message for
 * codes whose cases differ (oauth_refused: "started in another browser", "already used"...),
 * shown only for those; `reference` is the request id of an internal error, for support.
 */
export function errorPage(code: string, detail: string | null, reference: string | null): string {
  const known = Object.hasOwn(MESSAGES, code) ? MESSAGES[code]! : null;
  const refused = code === "oauth_refused" && detail !== null;
  const m = known ?? (refused ? { title: "Signing in did not finish", text: detail } : FALLBACK);
  const ref = reference === null ? "" : `\n<p class="hint">Reference for support: <code>${escapeHtml(reference)}</code></p>`;
  return pageHtml(m.title, "bad", `<p>${escapeHtml(m.text)}</p>${ref}`);
}

export const OAUTH_PAGE_CSS = `:root { color-scheme: light dark; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --bg: #f4f4f6; --fg: #1d1d1f; --muted: #55555f; --card: #fff; --ok: #116329; --bad: #b3261e; }
@media (prefers-color-scheme: dark) { :root { --bg: #141417; --fg: #e8e8ec; --muted: #a4a4b0; --card: #1e1e23; --ok: #6ee7a0; --bad: #ff9b93; } }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--fg); }
main { max-width: 32rem; margin: 1.5rem; padding: 2rem 2.2rem; background: var(--card); border-radius: 14px; box-shadow: 0 2px 16px #0002; border-top: 6px solid var(--ok); }
main.bad { border-top-color: var(--bad); }
.mark { margin: 0; width: 2.6rem; height: 2.6rem; border-radius: 50%; display: grid; place-items: center; font-size: 1.5rem; font-weight: 700; color: var(--card); background: var(--ok); }
main.bad .mark { background: var(--bad); }
h1 { font-size: 1.45rem; margin: .8rem 0 .6rem; overflow-wrap: break-word; }
p { margin: .6rem 0; }
.hint { color: var(--muted); font-size: .92rem; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .88em; overflow-wrap: anywhere; }
`;

/**
 * An error answer (the JSON `{error: {code, message, request_id?}}` the shared error mapping
 * makes) as the page an end user sees: same status and headers (Retry-After), the body a page
 * with the plain-language message for its code, never the JSON.
 */
export async function errorResponseAsPage(res: Response): Promise<Response> {
  let code = "internal";
  let detail: string | null = null;
  let reference: string | null = null;
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown; request_id?: unknown } };
    if (typeof body.error?.code === "string") code = body.error.code;
    if (typeof body.error?.message === "string") detail = body.error.message;
    if (typeof body.error?.request_id === "string") reference = body.error.request_id;
  } catch {
    // Not JSON: the generic message.
  }
  const headers = new Headers(res.headers);
  headers.set("content-type", "text/html; charset=utf-8");
  headers.set("cache-control", "no-store");
  return new Response(errorPage(code, detail, reference), { status: res.status, headers });
}
