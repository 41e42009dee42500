/**
 * The pages end users see during Sign in with X (src/oauth/pages.ts), and that the Worker's
 * OAuth routes answer errors with them instead of the admin API's JSON.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { errorPage, successPage } from "../../../src/oauth/pages.ts";
import { X_API_ERROR_KINDS } from "../../../src/x-api/errors.ts";

const CODES = ["invite_required", "invite_used", "oauth2_not_configured", "oauth_refused", "unknown_app", "not_found", "token_storage_disabled", "oauth_callback_not_confirmed",
  "no_webhook", "internal", "bad_request", ...X_API_ERROR_KINDS];

describe("Sign in with X pages", () => {
  it("gives every error code a styled page with a plain-language message and no JSON", () => {
    for (const code of CODES) {
      const html = errorPage(code, code === "oauth_refused" ? "This invite has already been used." : null, null);
      expect(html, code).toMatch(/^<!doctype html>/);
      expect(html, code).toContain("<style>");
      const body = html.slice(html.indexOf("<body>"));
      expect(body, code).toMatch(/<h1>[^<]{8,}<\/h1>\n<p>[^<]{30,}<\/p>/);
      expect(body, code).not.toMatch(/[{}]|"error"|\bcode\b/);
      expect(html, code).not.toMatch(/<script|style=|<link rel="stylesheet"/i);
    }
    expect(errorPage("oauth_refused", "This invite has already been used.", null)).toContain("This invite has already been used.");
    expect(errorPage("internal", null, "req-123")).toContain("Reference for support: <code>req-123</code>");
  });

  it("never shows the detail of codes with a message of their own, and escapes what it shows", () => {
    expect(errorPage("auth_failed", "X said: bad consumer key abc123", null)).not.toContain("abc123");
    const page = successPage("<img src=x onerror=alert(1)>", "app&co");
    expect(page).not.toContain("<img");
    expect(page).toContain("&#60;img src=x onerror=alert(1)&#62;");
    expect(page).toContain("app&#38;co");
  });

  it("is what the Worker answers: a refused start is a 403 page under the pages' CSP (inline style only)", async () => {
    const res = await exports.default.fetch(new Request("https://edge.example/oauth/default/start"));
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).toContain("This link needs an invitation");
    expect(html).not.toContain("invite_required");
    expect(html).toContain("prefers-color-scheme: dark");
    expect(res.headers.get("content-security-policy")).toContain("style-src 'unsafe-inline'");
    const oauth2 = await exports.default.fetch(new Request("https://edge.example/oauth2/default/start"));
    expect(oauth2.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await oauth2.text()).not.toMatch(/"error"/);
    const unknown = await exports.default.fetch(new Request("https://edge.example/oauth/nope/start"));
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("Nothing to sign in to here");
  });
});
