/**
 * The dashboard through the Worker's own fetch handler: the three static assets and their
 * security headers, the methods allowed, and that every admin call in the script's table is a
 * real admin route (401 without the token, routed with it). The admin routes that would call X
 * are answered here without X: the test env has no management credentials, so they stop at
 * "missing credential" (503) or "skipped" before any request leaves; that is enough to prove
 * the route exists, which is all these tests claim.
 *
 * The browser side (rendering, the 401 flow) cannot run in workerd (no DOM); the source checks
 * at the end guard its security rules instead.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DASHBOARD_ADMIN_CALLS, type AdminCall } from "../../src/dashboard/admin-calls.ts";
import { DASHBOARD_CSS, DASHBOARD_HTML } from "../../src/dashboard/page.ts";
import { DASHBOARD_JS, DASHBOARD_OWN_JS, TOKEN_STORAGE_KEY } from "../../src/dashboard/script.ts";

const BASE = "https://edge.example";
const AUTH = { authorization: "Bearer test-admin-token" };
const APP = "default";

function get(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

const ASSETS = [
  { path: "/dashboard", type: "text/html; charset=utf-8", body: DASHBOARD_HTML },
  { path: "/dashboard/app.js", type: "text/javascript; charset=utf-8", body: DASHBOARD_JS },
  { path: "/dashboard/app.css", type: "text/css; charset=utf-8", body: DASHBOARD_CSS },
];

function expectSecurityHeaders(res: Response): void {
  const csp = res.headers.get("content-security-policy") ?? "";
  const directives = csp.split(";").map((d) => d.trim());
  for (const d of [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
    "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'", "require-trusted-types-for 'script'",
  ]) expect(directives).toContain(d);
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("cache-control")).toBe("no-store");
}

describe("dashboard assets", () => {
  it("serves the page, the script and the style with their content types and security headers", async () => {
    for (const asset of ASSETS) {
      const res = await get(asset.path);
      expect(res.status, asset.path).toBe(200);
      expect(res.headers.get("content-type")).toBe(asset.type);
      expectSecurityHeaders(res);
      expect(await res.text()).toBe(asset.body);
    }
  });

  it("answers HEAD with the headers and no body", async () => {
    for (const asset of ASSETS) {
      const res = await get(asset.path, { method: "HEAD" });
      expect(res.status, asset.path).toBe(200);
      expect(res.headers.get("content-type")).toBe(asset.type);
      expectSecurityHeaders(res);
      expect(await res.text()).toBe("");
    }
  });

  it("refuses other methods with 405 and Allow, and unknown assets with 404", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const res = await get("/dashboard", { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
    }
    expect((await get("/dashboard/app.js", { method: "POST" })).status).toBe(405);
    expect((await get("/dashboard/secrets.json")).status).toBe(404);
    expect((await get("/dashboard/app.js/x")).status).toBe(404);
    expect((await get("/dashboardx")).status).toBe(404);
  });

  it("has no inline script, handler or style in the page, and loads only its own script and style", async () => {
    const html = await (await get("/dashboard")).text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.map((m) => [m[1]?.trim(), m[2]])).toEqual([['src="/dashboard/app.js" defer', ""]]);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/<style\b|\sstyle\s*=/i);
    expect(html).toContain('<link rel="stylesheet" href="/dashboard/app.css">');
    expect(html).not.toMatch(/https?:\/\//);
  });
});

describe("the admin calls the dashboard makes", () => {
  /** `:app`, `:id` and `:user` filled with a configured app, a dead letter that exists and a user id. */
  function concrete(call: AdminCall, id: string): string {
    return call.path.replace(":app", APP).replace(":id", encodeURIComponent(id)).replace(":user", "1600000000000000002").replace(":name", "standard");
  }
  /** A body each POST accepts: revalidation forced, an id list for redrive/purge (unknown ids are skipped). */
  const BODIES: Record<string, unknown> = {
    revalidate: { force: true }, redrive: { ids: ["dash-absent"] }, purge: { ids: ["dash-absent"] },
    subscribe: { user_id: "1600000000000000002", token: "t", secret: "s" },
    putProfile: { event_types: ["post.create"] },
    requestReplay: { from: new Date(Date.now() - 3 * 3600_000).toISOString(), to: new Date(Date.now() - 3600_000).toISOString() },
  };

  /** Calls for XAA apps only (the test env's one app is v2: they answer 4xx naming XAA). */
  const XAA_ONLY = new Set(["xaa", "putProfile", "deleteProfile"]);

  it("every path exists: 401 without the admin token, routed (not 404/405) with it", async () => {
    const id = "dash-letter-1";
    await env.DEAD_LETTERS.getByName("dead-letters").storeRaw(id, "unknown", "kept for the dashboard test", new Date().toISOString(), { odd: true });
    const entries = Object.entries(DASHBOARD_ADMIN_CALLS);
    expect(entries.length).toBeGreaterThan(0);
    for (const [name, call] of entries) {
      const path = concrete(call, id);
      const body = call.method === "POST" || call.method === "PUT" ? JSON.stringify(BODIES[name] ?? {}) : null;
      const anonymous = await get(path, { method: call.method, body });
      expect(anonymous.status, `${name} without token`).toBe(401);
      const res = await get(path, { method: call.method, body, headers: AUTH });
      const text = await res.clone().text();
      // Routed: never a 405, and a 404 only from the handler (a profile that does not exist), never "no such route".
      expect(res.status, `${name} (${call.method} ${path}) answered ${res.status}: ${text}`).not.toBe(405);
      if (res.status === 404) expect(text, name).not.toContain('"code":"not_found"');
      // Calls that never reach X must succeed outright here, except the XAA ones: this app is v2.
      if (!call.callsX && !XAA_ONLY.has(name)) expect([200, 201], name).toContain(res.status);
      if (XAA_ONLY.has(name)) expect(text, name).toMatch(/xaa|XAA|profile/);
    }
  });

  it("the script builds every admin URL from that table: it carries the table and no other /admin path", () => {
    const table = JSON.stringify(DASHBOARD_ADMIN_CALLS);
    expect(DASHBOARD_JS).toContain(`const API = ${table};`);
    expect(DASHBOARD_JS.replace(table, "")).not.toContain("/admin");
    expect(DASHBOARD_JS).toContain(DASHBOARD_OWN_JS);
  });
});

describe("the script's security rules (source checks)", () => {
  // API values carry text from X and from attackers' payloads (dead-letter reasons and
  // summaries): the script must never hand data to an HTML parser or a code evaluator, so the
  // sinks that do are banned from its source outright. It renders with createElement/textContent.
  it("uses no HTML-parsing or code-evaluating sink", () => {
    for (const sink of [/innerHTML/, /outerHTML/, /insertAdjacentHTML/, /document\.write/, /setHTMLUnsafe/, /DOMParser/,
      /createContextualFragment/, /\beval\s*\(/, /new Function/, /\.href\b/, /\bsrc\s*=/]) {
      expect(DASHBOARD_JS, String(sink)).not.toMatch(sink);
    }
  });

  // The token is typed by the operator and kept in this tab only: no cookie, no localStorage,
  // no console output (a console line could end up in a shared screenshot or log).
  it("keeps the admin token in sessionStorage only and sends it as a bearer header", () => {
    expect(DASHBOARD_JS).toContain(`sessionStorage.setItem(TOKEN_KEY`);
    expect(DASHBOARD_JS).toContain(`const TOKEN_KEY = ${JSON.stringify(TOKEN_STORAGE_KEY)};`);
    expect(DASHBOARD_JS).toContain(`authorization: "Bearer " + t`);
    expect(DASHBOARD_JS).not.toMatch(/document\.cookie|localStorage|console\./);
  });
});
