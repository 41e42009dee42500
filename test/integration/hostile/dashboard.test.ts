/**
 * Hostile input on the dashboard surface (/dashboard/*, and the admin data it renders), through
 * the Worker. Rendering hostile values in the page's script is exercised end to end in
 * test/e2e/dashboard-browser.test.ts (real Chromium, a post carrying markup in the live tail and
 * the dead letters, no script run, no CSP violation); this file holds what the
 * Worker itself promises. Extend it when the dashboard changes.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEAD_LETTERS_INSTANCE } from "../../../src/pipeline/dead-letter.ts";
import { ingestMessage } from "../pipeline-helpers.ts";

const BASE = "https://edge.example";
const AUTH = { authorization: "Bearer test-admin-token" };
const XSS = `<img src=x onerror="alert(1)"><script>alert(2)</script>`;

function expectLockedDown(res: Response, path: string): void {
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp, path).toContain("default-src 'none'");
  expect(csp, path).toContain("frame-ancestors 'none'");
  expect(csp, path).not.toContain("'unsafe-inline'");
  expect(csp, path).not.toContain("'unsafe-eval'");
  expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
  expect(res.headers.get("x-frame-options"), path).toBe("DENY");
}

describe("dashboard assets", () => {
  it.each(["/dashboard", "/dashboard/", "/dashboard/app.js", "/dashboard/app.css", `/dashboard?q=${encodeURIComponent(XSS)}`])("%s is served locked down", async (path) => {
    const res = await exports.default.fetch(`${BASE}${path}`);
    expect(res.status).toBe(200);
    expectLockedDown(res, path);
  });

  it("the page has no inline script, no inline handler and no inline style", async () => {
    const html = await (await exports.default.fetch(`${BASE}/dashboard`)).text();
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      expect(m[1]).toMatch(/\bsrc=/);
      expect(m[2]!.trim()).toBe("");
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
  });

  it.each([
    "/dashboard/constructor",
    "/dashboard/__proto__",
    "/dashboard/toString",
    "/dashboard/app.js/",
    "/dashboard//app.js",
    `/dashboard/${encodeURIComponent(XSS)}`,
  ])("%s is a 404 that echoes nothing", async (path) => {
    const res = await exports.default.fetch(`${BASE}${path}`);
    expect(res.status, path).toBe(404);
    expect(await res.text()).not.toContain("alert");
  });

  it.each(["/dashboard/../admin/apps", "/dashboard/%2e%2e/admin/apps"])("%s resolves (URL rules) to the admin API, which still wants its token", async (path) => {
    const res = await exports.default.fetch(`${BASE}${path}`);
    expect(res.status).toBe(401);
  });

  it("other methods are refused", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      expect((await exports.default.fetch(`${BASE}/dashboard`, { method })).status).toBe(405);
    }
  });
});

describe("hostile values the dashboard renders reach the browser only as JSON", () => {
  it("a dead letter whose app, reason and body are markup comes back as JSON, nosniff, no-store", async () => {
    const store = env.DEAD_LETTERS.getByName(DEAD_LETTERS_INSTANCE);
    const id = `hostile-${crypto.randomUUID()}`;
    await store.store(id, { v: 1, from: "ingest", reason: XSS, at: new Date().toISOString(), original: ingestMessage(XSS, { app: "default" }) });
    for (const path of ["/admin/dead-letters?app=default", `/admin/dead-letters/${id}`]) {
      const res = await exports.default.fetch(`${BASE}${path}`, { headers: AUTH });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toContain("application/json");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("cache-control"), path).toBe("no-store");
      // JSON-escaped, never raw markup a sniffing browser could run.
      const text = await res.text();
      expect(text).toContain("alert(2)");
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });
});
