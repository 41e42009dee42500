/**
 * The cron's AAA end-of-life warning against a real Registry: one alert per AAA app, in words,
 * with the users still on AAA, throttled like the other alerts; nothing for an xaa app.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { AAA_END_OF_LIFE } from "../../src/cron/aaa-sunset-policy.ts";
import { AAA_SUNSET_ALERT_META, checkAaaSunset } from "../../src/cron/aaa-sunset-check.ts";
import { registryFor } from "../../src/state/registry.ts";

const H = 3_600_000;
const DAY = 24 * H;

async function setup(apps: { name: string; flavour: string }[]) {
  const vars: Record<string, string> = { APPS: JSON.stringify(apps), ALERT_URL: "https://alerts.example/hook" };
  for (const a of apps) vars[`X_CONSUMER_SECRET_${a.name.toUpperCase()}`] = "s";
  const appEnv = { ...env, ...vars } as Env;
  const clock = { now: Date.parse(AAA_END_OF_LIFE) - 27 * DAY - H };
  const posts: Record<string, unknown>[] = [];
  const fetcher = (async (_input: RequestInfo | URL, init?: RequestInit) => {
    posts.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
    return new Response(null, { status: 204 });
  }) as typeof fetch;
  const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
  return { appEnv, clock, posts, err, run: () => checkAaaSunset(appEnv, { now: () => clock.now, fetcher }) };
}

describe("AAA end-of-life warning", () => {
  it("warns once per AAA app with its users, stays quiet within the throttle, and skips xaa apps", async () => {
    const suffix = Math.floor(Math.random() * 1e9);
    const aaa = `legacy${suffix}`;
    const xaa = `modern${suffix}`;
    const { clock, posts, err, run } = await setup([{ name: aaa, flavour: "v2" }, { name: xaa, flavour: "xaa" }]);
    const registry = registryFor(env, aaa);
    const at = new Date(clock.now - DAY).toISOString();
    await registry.recordWebhook({ id: "w9", url: `https://edge.example/webhooks/${aaa}`, valid: true, created_at: at }, at);
    for (const user of ["1", "2"]) await registry.upsertSubscription({ user_id: user, screen_name: null, by: "test", sealed: null }, at);

    expect(await run()).toEqual([{ app: aaa, alerted: true, reason: null, aaa_subscriptions: 2 }]);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ source: "account-activity-edge", app: aaa, problem: "aaa_end_of_life", webhook_id: "w9" });
    expect(posts[0]!.message).toBe(
      `App ${aaa} is still on the Account Activity API (flavour v2), which X switches off on 2027-01-01, in 28 days: ` +
        "after that nothing reaches its 2 subscribed users unless the app has moved to the X Activity API.",
    );
    expect(await registry.getMeta(AAA_SUNSET_ALERT_META)).toBe(new Date(clock.now).toISOString());

    clock.now += H;
    expect(await run()).toEqual([{ app: aaa, alerted: false, reason: "throttled", aaa_subscriptions: 2 }]);
    clock.now += 6 * H;
    expect(await run()).toMatchObject([{ app: aaa, alerted: true }]);
    expect(posts).toHaveLength(2);
    err.mockRestore();
  });

  it("says nothing more than 30 days before the end", async () => {
    const { clock, posts, err, run } = await setup([{ name: `early${Math.floor(Math.random() * 1e9)}`, flavour: "v1.1-enterprise" }]);
    clock.now = Date.parse(AAA_END_OF_LIFE) - 31 * DAY;
    expect(await run()).toMatchObject([{ alerted: false, reason: "not_yet" }]);
    expect(posts).toEqual([]);
    err.mockRestore();
  });
});
