import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { webhookAppName } from "../../../src/http/router.ts";

describe("webhookAppName (the hand-matched /webhooks/:app route)", () => {
  it.each([
    ["https://edge.example/webhooks/default", "default"],
    ["https://edge.example/webhooks/acme-prod?crc_token=abc/def", "acme-prod"],
    ["http://127.0.0.1:8787/webhooks/a_b?x=1", "a_b"],
  ])("%s -> %s", (url, name) => {
    expect(webhookAppName(url)).toBe(name);
  });

  it.each([
    "https://edge.example/webhooks/",
    "https://edge.example/webhooks/a/b",
    "https://edge.example/webhooksx/a",
    "https://edge.example/admin/webhooks/a",
    "https://edge.example/",
    "https://edge.example/?/webhooks/a",
  ])("%s is not a webhook route", (url) => {
    expect(webhookAppName(url)).toBeNull();
  });
});

describe("routing through the Worker", () => {
  it("answers 405 with Allow for other methods on a webhook path", async () => {
    const res = await exports.default.fetch("https://edge.example/webhooks/default", { method: "PUT" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST");
  });

  it("still routes everything else through the router (health, 404)", async () => {
    expect((await exports.default.fetch("https://edge.example/healthz")).status).toBe(200);
    const res = await exports.default.fetch("https://edge.example/webhooks/default/extra");
    expect(res.status).toBe(404);
  });
});
