/**
 * Security headers added at the response layer, one place per surface, so every response of
 * that surface gets them whoever writes its pages (the routers install these as `finally`).
 *
 * - Sign in with X pages (/oauth/:app/*) are rendered in a person's browser from a link they
 *   were sent: no script may run at all (`default-src 'none'` covers `script-src`; a page that
 *   ever needs one must carry a nonce), nothing may load from elsewhere (so even injected CSS
 *   could not exfiltrate), the page cannot be framed (clickjacking: `frame-ancestors 'none'` and
 *   X-Frame-Options for older browsers), responses are never MIME-sniffed, and no Referer leaves
 *   them: the callback URL carries the oauth_token and verifier. Inline styles are allowed:
 *   they run no code, and the pages are styled in the HTML itself.
 * - Admin API responses (/admin/*) carry tokens, ids and operator data: never cached by a
 *   browser or a proxy, never sniffed.
 */

export const OAUTH_PAGE_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const OAUTH_PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": OAUTH_PAGE_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export const ADMIN_API_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

/**
 * The response with `headers` set (replacing any of the same name). A copy, since a Response's
 * headers may be immutable (one passed through from `fetch`).
 */
export function withHeaders(res: Response, headers: Readonly<Record<string, string>>): Response {
  const out = new Response(res.body, res);
  for (const [name, value] of Object.entries(headers)) out.headers.set(name, value);
  return out;
}
