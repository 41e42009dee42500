/**
 * The XAA subscription client and the OAuth 2.0 token client (src/x-api/xaa.ts, oauth2.ts)
 * against the emulator as a real HTTP peer, in each response shape X documents (the emulator's
 * `xaa.responseShape`: OpenAPI nested, quickstart flat, reference page with totals): create with
 * the bearer and with a user's OAuth 2.0 token, X's consent rule, duplicates, paging, update,
 * delete one, delete by ids with a per-id failure, the cap, an unknown webhook, refresh with
 * rotation and a refused refresh. No Worker: the clients talk to X directly.
 */
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../emulator/index.ts";
import type { AppConfig } from "../../src/config.ts";
import { createXApiClient } from "../../src/x-api/client.ts";
import { XApiError } from "../../src/x-api/errors.ts";
import { createOAuth2Client } from "../../src/x-api/oauth2.ts";
import { createXaaClient } from "../../src/x-api/xaa.ts";
import { DEMO_USERS } from "./harness.ts";

const { alice, bob } = DEMO_USERS;
const running: { stop(): Promise<void> }[] = [];

afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

/** A receiver that answers X's CRC with the app's consumer secret, so a webhook can be registered. */
async function crcServer(secret: string): Promise<string> {
  const server: Server = createServer((req, res) => {
    const token = new URL(req.url ?? "/", "http://x").searchParams.get("crc_token") ?? "";
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ response_token: `sha256=${createHmac("sha256", secret).update(token).digest("base64")}` }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  running.push({ stop: () => new Promise<void>((r) => server.close(() => r())) });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/acme`;
}

async function setup(shape: "openapi" | "flat" | "reference") {
  const x: RunningEmulator = await startEmulator({ port: 0, clock: { scale: 0 }, xaa: { responseShape: shape }, apps: [{ name: "acme", flavour: "xaa", maxXaaSubscriptions: 4 }] });
  running.push(x);
  const def = x.config.apps.find((a) => a.name === "acme")!;
  const app: AppConfig = {
    name: "acme", flavour: "xaa", consumerSecret: def.consumerSecret, collapseAcrossUsers: false,
    credentials: { consumerKey: def.consumerKey, accessToken: def.accessToken, accessTokenSecret: def.accessTokenSecret, bearerToken: def.bearerToken, oauth2ClientId: def.clientId, oauth2ClientSecret: def.clientSecret },
  };
  const opts = { baseUrl: x.url, now: () => x.clock.now() };
  const hook = await createXApiClient(app, opts).registerWebhook(await crcServer(def.consumerSecret));
  return { x, hook: hook.id, xaa: createXaaClient(app, opts), oauth2: createOAuth2Client(app, opts) };
}

async function rejection(p: Promise<unknown>): Promise<XApiError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(XApiError);
  return err as XApiError;
}

describe.each(["openapi", "flat", "reference"] as const)("XAA client against the emulator (%s shape)", (shape) => {
  it("create, consent, duplicate, page, update, delete, cap, unknown webhook", async () => {
    const t = await setup(shape);
    const created = await t.xaa.createSubscription({ event_type: "post.create", filter: { user_id: alice.id }, tag: "posts", webhook_id: t.hook }, { kind: "app" });
    expect(created.subscription).toMatchObject({ event_type: "post.create", filter: { user_id: alice.id }, tag: "posts", webhook_id: t.hook });
    if (shape !== "openapi") expect(created.total).toBe(1);

    // A private type: the bearer is refused until the user consents; then the user's token works.
    const refused = await rejection(t.xaa.createSubscription({ event_type: "like.create", filter: { user_id: alice.id, direction: "inbound" }, webhook_id: t.hook }, { kind: "app" }));
    expect(refused.kind).toBe("consent_required");
    const grant = t.x.grantOAuth2("acme", alice.id, ["tweet.read", "users.read", "like.read", "offline.access"]);
    const like = await t.xaa.createSubscription({ event_type: "like.create", filter: { user_id: alice.id, direction: "inbound" }, webhook_id: t.hook }, { kind: "user", accessToken: grant.access_token });
    expect(like.subscription.filter).toEqual({ user_id: alice.id, direction: "inbound" });
    // A scope the user did not grant.
    expect((await rejection(t.xaa.createSubscription({ event_type: "dm.received", filter: { user_id: alice.id }, webhook_id: t.hook }, { kind: "user", accessToken: grant.access_token }))).kind).toBe("consent_required");

    const dup = await rejection(t.xaa.createSubscription({ event_type: "post.create", filter: { user_id: alice.id }, webhook_id: t.hook }, { kind: "app" }));
    expect([dup.kind, dup.reason]).toEqual(["duplicate_subscription", "DuplicateSubscriptionFailed"]);
    const badHook = await rejection(t.xaa.createSubscription({ event_type: "post.create", filter: { user_id: bob.id }, webhook_id: "123456789" }, { kind: "app" }));
    expect([badHook.kind, badHook.reason]).toEqual(["webhook_id_invalid", "WebhookIdInvalid"]);

    await t.xaa.createSubscription({ event_type: "post.delete", filter: { user_id: alice.id }, webhook_id: t.hook }, { kind: "app" });
    await t.xaa.createSubscription({ event_type: "oauth.revoke", filter: {}, webhook_id: t.hook }, { kind: "app" });
    const cap = await rejection(t.xaa.createSubscription({ event_type: "post.create", filter: { user_id: bob.id }, webhook_id: t.hook }, { kind: "app" }));
    expect([cap.kind, cap.reason]).toEqual(["subscription_limit", "SubscriptionLimitExceeded"]);

    // Paging: one a page, followed to the end.
    const first = await t.xaa.listSubscriptions({ maxResults: 1 });
    expect(first.subscriptions).toHaveLength(1);
    expect(first.next_token).not.toBeNull();
    const all = await t.xaa.listAllSubscriptions();
    expect(all.complete).toBe(true);
    expect(all.subscriptions.map((s) => s.event_type).sort()).toEqual(["like.create", "oauth.revoke", "post.create", "post.delete"]);
    expect(all.total).toBe(4);

    const updated = await t.xaa.updateSubscription(created.subscription.subscription_id, { tag: "renamed", webhook_id: t.hook });
    expect(updated.subscription).toMatchObject({ subscription_id: created.subscription.subscription_id, tag: "renamed", webhook_id: t.hook });

    const bulk = await t.xaa.deleteSubscriptions([created.subscription.subscription_id, "1234567890123"]);
    expect(bulk.deleted).toEqual([created.subscription.subscription_id]);
    expect(bulk.failed).toMatchObject([{ subscription_id: "1234567890123", reason: "SubscriptionNotFound", kind: "subscription_not_found" }]);
    expect(bulk.total).toBe(3);
    expect(await t.xaa.deleteSubscription(like.subscription.subscription_id)).toMatchObject({ deleted: true });
    const gone = await rejection(t.xaa.deleteSubscription(like.subscription.subscription_id));
    expect([gone.kind, gone.reason]).toEqual(["subscription_not_found", "SubscriptionNotFound"]);
  });
});

describe("OAuth 2.0 token client against the emulator", () => {
  it("refresh rotates the refresh token; the old one is refused as consent_required; users/me names the user", async () => {
    const t = await setup("openapi");
    const grant = t.x.grantOAuth2("acme", alice.id, ["tweet.read", "users.read", "like.read", "offline.access"]);
    expect(await t.oauth2.me(grant.access_token)).toEqual({ id: alice.id, username: "alice" });
    const fresh = await t.oauth2.refresh(grant.refresh_token!);
    expect(fresh.refreshToken).not.toBe(grant.refresh_token);
    expect(fresh.scopes.sort()).toEqual(["like.read", "offline.access", "tweet.read", "users.read"]);
    expect(fresh.expiresAtMs).toBe(t.x.clock.now() + 7_200_000);
    const again = await rejection(t.oauth2.refresh(grant.refresh_token!));
    expect(again.kind).toBe("consent_required");
    expect(await t.oauth2.revoke(fresh.accessToken, "access_token")).toBe(true);
  });
});
