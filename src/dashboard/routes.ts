/**
 * GET /dashboard (the page), /dashboard/app.js and /dashboard/app.css: static text with no data
 * in it, so they are public; the data comes from /admin with the operator's token, fetched by
 * the script. Served with a CSP that allows only this origin's script and style (no inline
 * script or style at all) and fetches to this origin, so an injected value could not run even
 * if a rendering bug let one through.
 */
import { jsonError, notFound } from "../http/errors.ts";
import { DASHBOARD_CSS, DASHBOARD_HTML } from "./page.ts";
import { DASHBOARD_JS } from "./script.ts";

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  // Chromium then refuses any string given to an HTML sink (innerHTML and the like): the
  // script uses none, so this only turns a future mistake into an error instead of an XSS.
  "require-trusted-types-for 'script'",
].join("; ");

/** Headers on every dashboard asset (the page is tiny: no-store keeps it in step with deploys). */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  // frame-ancestors 'none' for browsers that read CSP; this for those that only know the header.
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

interface Asset {
  body: string;
  contentType: string;
}

/** Path under /dashboard -> asset. "" and "/" are the page. */
const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ["", { body: DASHBOARD_HTML, contentType: "text/html; charset=utf-8" }],
  ["/", { body: DASHBOARD_HTML, contentType: "text/html; charset=utf-8" }],
  ["/app.js", { body: DASHBOARD_JS, contentType: "text/javascript; charset=utf-8" }],
  ["/app.css", { body: DASHBOARD_CSS, contentType: "text/css; charset=utf-8" }],
]);

const DASHBOARD_PREFIX = "/dashboard";

/** Answer a request under /dashboard: GET and HEAD serve the asset, other methods 405. */
export function handleDashboard(request: Request): Response {
  const path = new URL(request.url).pathname;
  const asset = path.startsWith(DASHBOARD_PREFIX) ? ASSETS.get(path.slice(DASHBOARD_PREFIX.length)) : undefined;
  if (asset === undefined) return notFound();
  if (request.method !== "GET" && request.method !== "HEAD") {
    return jsonError(405, "method_not_allowed", "The dashboard is read with GET.", { allow: "GET, HEAD" });
  }
  const headers = { ...DASHBOARD_HEADERS, "content-type": asset.contentType };
  return new Response(request.method === "HEAD" ? null : asset.body, { headers });
}
