/**
 * The core's AAA helpers for the migration (src/control/aaa-subscriptions.ts): who X lists and
 * who the Registry holds, and removing one user at X and here. Real Registry; X is the in-memory
 * AAA FakeX (admin-fake-x.ts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.ts";
import { listAaaSubscribers, removeAaaSubscription } from "../../src/control/aaa-subscriptions.ts";
import { appContext } from "../../src/control/context.ts";
import { HttpError } from "../../src/http/errors.ts";
import { registryFor } from "../../src/state/registry.ts";
import { FakeX } from "./admin-fake-x.ts";

async function setup(withWebhook = true) {
  const name = `aaa${Math.floor(Math.random() * 1e9)}`;
  const upper = name.toUpperCase();
  const src: Record<string, unknown> = { ...env, APPS: JSON.stringify([{ name, flavour: "v2" }]), [`X_CONSUMER_SECRET_${upper}`]: "s", [`X_BEARER_TOKEN_${upper}`]: "b" };
  const config = parseConfig(src);
  const fake = new FakeX();
  const ctx = appContext(src as unknown as Env, config, config.apps.get(name)!, { makeXClient: () => fake, now: () => Date.parse("2026-12-04T12:00:00.000Z") });
  const registry = registryFor(env, name);
  if (withWebhook) await registry.recordWebhook({ id: "w1", url: "https://edge.example/webhooks/x", valid: true, created_at: "2026-12-01T00:00:00.000Z" }, "2026-12-04T12:00:00.000Z");
  return { ctx, fake, registry };
}

describe("core AAA helpers", () => {
  it("lists X's subscribers beside the Registry's, then removes one at X and here", async () => {
    const t = await setup();
    t.fake.subs.add("1001");
    t.fake.subs.add("1002");
    await t.registry.upsertSubscription({ user_id: "1001", screen_name: "alice", by: "admin", sealed: null }, "2026-12-04T11:00:00.000Z");
    const before = await listAaaSubscribers(t.ctx);
    expect(before.webhook_id).toBe("w1");
    expect([...before.at_x].sort()).toStrictEqual(["1001", "1002"]);
    expect(before.recorded.map((r) => r.user_id)).toStrictEqual(["1001"]);
    expect(await removeAaaSubscription(t.ctx, "1001", "moved to XAA")).toStrictEqual({ webhook_id: "w1", was_active: true });
    expect(t.fake.subs.has("1001")).toBe(false);
    const row = (await t.registry.listSubscriptions(true)).find((r) => r.user_id === "1001");
    expect(row).toMatchObject({ status: "removed", status_reason: "moved to XAA" });
  });

  it("without a recorded webhook: a 409 naming the fix, and X is not called", async () => {
    const t = await setup(false);
    const err = await listAaaSubscribers(t.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(409);
    expect(t.fake.calls).toStrictEqual([]);
  });
});
