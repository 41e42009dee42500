/**
 * The dashboard in a real headless Chromium (test/e2e/browser.ts) against the real Worker, with
 * events sent through the X emulator (harness.ts startStack): sign in, every section rendered
 * from real data, every action performed from the page and its effect checked in the real
 * stores (the Worker's admin API, and X's side through the emulator), no console error, no CSP
 * violation, axe-core with no serious or critical violation, and screenshots at 1,400 and 390 px
 * (light and dark) under test/output/ for review.
 *
 * Waits are for conditions (Playwright's auto-waiting locators and the sink's waitFor), never
 * for a fixed time.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { DEMO_SECRETS, DEMO_USERS, emulatorAppSecrets, emulatorApps, registerAndSubscribe, startStack, type Stack } from "./harness.ts";
import { launchChromium, screenshotPath, watchPage, type PageProblems } from "./browser.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const { alice, bob } = DEMO_USERS;
const DM_TEXT = "the secret DM text 4242";
/** Markup in a post: the page must show it as text (no element made, no script run). */
const HOSTILE = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
/** An XAA app added to the emulator's demo world (its profiles are managed from the page). */
const XAA_APP = { name: "x-activity", flavour: "xaa" as const };
const X_APPS = emulatorApps([XAA_APP]);
const APPS = ["default", "legacy", "x-activity"] as const;
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let stack: Stack;
let browser: Browser;

/** Poll until the page shows it (actions wait on X and the pipeline): a condition, not a timer. */
const eventually = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 20_000, interval: 100 });

async function adminJson<T>(path: string): Promise<T> {
  const res = await stack.admin(path);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  const apps = APPS.map((n) => X_APPS.get(n)!);
  stack = await startStack({
    vars: { APPS: JSON.stringify(apps.map((a) => ({ name: a.name, flavour: a.flavour }))) },
    secrets: emulatorAppSecrets(apps),
    emulator: { apps: [XAA_APP] },
  });
  // "default" is registered with two users; "legacy" is left for the page to register.
  await registerAndSubscribe(stack, stack.webhookUrl("default"), [alice, bob], "default");
  await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: "hello from the browser test" });
  await stack.emulator.emit({ type: "favorite", user_id: bob.id, tweet_author_id: alice.id });
  await stack.emulator.emit({ type: "follow", source_id: bob.id, target_id: alice.id });
  await stack.emulator.emit({ type: "direct_message", sender_id: bob.id, recipient_id: alice.id, text: DM_TEXT });
  // 7 envelopes: the post (alice), the like, follow and DM (one copy each for alice and bob).
  await stack.sink.waitFor(() => true, 7);
  // An envelope the forward destination refuses for good (410): dead-lettered with its original.
  stack.sink.respondWith(410);
  await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: "refused by the destination" });
  await stack.emulator.emit({ type: "tweet", user_id: alice.id, text: `refused again ${HOSTILE}` });
  await stack.sink.waitFor((r) => r.body.includes("refused"), 2);
  stack.sink.respondWith(null);
  for (;;) {
    const page = await adminJson<{ counts: { total: number } }>("/admin/dead-letters?limit=1");
    if (page.counts.total >= 2) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function openDashboard(ctx: BrowserContext): Promise<{ page: Page; problems: PageProblems }> {
  const page = await ctx.newPage();
  const problems = await watchPage(page);
  page.on("dialog", (d) => void d.accept());
  await page.goto(`${stack.workerUrl}/dashboard`);
  await page.getByLabel("Admin token").fill(DEMO_SECRETS.ADMIN_TOKEN!);
  await page.getByRole("button", { name: "Open" }).click();
  await page.locator("#overview .card").first().waitFor();
  return { page, problems };
}

function expectClean(p: PageProblems): void {
  expect(p.pageErrors).toEqual([]);
  expect(p.cspViolations).toEqual([]);
  expect(p.consoleErrors).toEqual([]);
}

describe("the dashboard in Chromium", () => {
  it("renders every section from real data, at 1,400 and 390 px, light and dark, with no error or CSP violation", async () => {
    for (const [width, height] of [[1400, 900], [390, 844]] as const) {
      for (const scheme of ["light", "dark"] as const) {
        const ctx = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
        const { page, problems } = await openDashboard(ctx);
        // Overview: one card per app with its status in words.
        const card = page.locator("#overview .card", { has: page.getByRole("heading", { name: "default" }) });
        await eventually(() => card.locator(".card-head .pill").getAttribute("data-state")).toBe("receiving");
        await eventually(() => card.locator(".reason").textContent()).toContain("last delivery arrived");
        const legacy = page.locator("#overview .card", { has: page.getByRole("heading", { name: "legacy" }) });
        expect(await legacy.locator(".card-head .pill").getAttribute("data-state")).toBe("no webhook");
        // Charts: four uPlot canvases, and the captions' numbers from the Metrics store.
        await page.locator("#charts canvas").nth(3).waitFor();
        expect(await page.locator("#charts figure").count()).toBe(4);
        const captions = await page.locator("#charts figcaption").allTextContents();
        // Each delivery once per subscribed user it concerns: alice's two posts, bob's like and follow
        // of alice (one copy each for alice and bob), bob's DM to alice (both).
        for (const t of ["tweet_create_events 3", "favorite_events 2", "follow_events 2", "direct_message_events 2"]) expect(captions[0]).toContain(t);
        expect(captions[1]).toMatch(/to forward delivered: p50 \d/);
        expect(captions[2]).toMatch(/delivered \d+/);
        expect(captions[2]).toMatch(/dead lettered 2/);
        expect(captions[3]).toMatch(/forward 2/);
        // Live tail: the envelopes, DM text hidden.
        await page.locator("#tail-list .tail-row").nth(3).waitFor();
        const tail = await page.locator("#tail-list").textContent();
        expect(tail).toContain("tweet_create_events");
        expect(tail).toContain("hello from the browser test");
        expect(tail).not.toContain(DM_TEXT);
        // Markup from a post is text on the page: shown, never made into elements or run.
        expect(tail).toContain(HOSTILE);
        expect(await page.locator("#console img, #console script").count()).toBe(0);
        expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
        // Pipeline and dead letters.
        await page.locator("#pipeline table").waitFor();
        await page.locator("#letters table").waitFor();
        await page.locator("#app-default summary").first().click();
        await page.locator("#app-default .panel").first().waitFor();
        // Laid out for the viewport: nothing wider than the window (wide tables scroll in their own box).
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        await page.screenshot({ path: screenshotPath(`dashboard-${width}-${scheme}`), fullPage: true });
        if (scheme === "light") {
          for (const id of ["overview", "charts", "tail", "apps", "letters"]) {
            await page.locator(`#${id}`).screenshot({ path: screenshotPath(`dashboard-${width}-${scheme}-${id}`) });
          }
        }
        expectClean(problems);
        await ctx.close();
      }
    }
  }, 240_000);

  it("asks for the token and calls nothing before it; a wrong token is refused and asked again", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await ctx.newPage();
    const problems = await watchPage(page);
    const adminCalls: string[] = [];
    page.on("request", (r) => { if (new URL(r.url()).pathname.startsWith("/admin")) adminCalls.push(r.url()); });
    await page.goto(`${stack.workerUrl}/dashboard`);
    await page.getByLabel("Admin token").waitFor();
    expect(await page.locator("#console").isHidden()).toBe(true);
    expect(adminCalls).toEqual([]);
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Open" }).click();
    await eventually(() => page.locator("#login-error").textContent()).toBe("The admin token was refused: enter it again.");
    expect(await page.locator("#console").isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // Chromium logs the 401 answer as a console error: that one and nothing else.
    expect(problems.consoleErrors.filter((e) => !e.includes("status of 401"))).toEqual([]);
    expectClean({ ...problems, consoleErrors: [] });
    await ctx.close();
  });

  it("live tail: filters by type, shows DM text only when asked, expands the pretty-printed envelope", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page, problems } = await openDashboard(ctx);
    await page.locator("#tail-list .tail-row").nth(3).waitFor();
    await page.getByRole("combobox", { name: "Type" }).selectOption("direct_message_events");
    await eventually(() => page.locator("#tail-list .tail-row .type").allTextContents()).toEqual(["direct_message_events", "direct_message_events"]);
    expect(await page.locator("#tail-list").textContent()).not.toContain(DM_TEXT);
    await page.getByLabel("Show DM text").check();
    const row = page.locator("#tail-list .tail-row").first();
    await row.getByText("Envelope").click();
    await eventually(() => row.locator("pre").textContent()).toContain(DM_TEXT);
    // Pretty-printed (indented), 64-bit ids exact.
    const pre = (await row.locator("pre").textContent()) ?? "";
    expect(pre).toContain('\n  "type": "direct_message_events"');
    expect(pre).toContain(alice.id);
    await page.getByLabel("Show DM text").uncheck();
    await eventually(() => page.locator("#tail-list").textContent()).not.toContain(DM_TEXT);
    expectClean(problems);
    await ctx.close();
  });

  it("acts from the page: register, re-check, revalidate, invite, unsubscribe, subscribe, Replay, redrive, purge; each shows what X answered and changes the real stores", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page, problems } = await openDashboard(ctx);

    // Register legacy's webhook (X runs its CRC against the Worker).
    await page.getByRole("button", { name: "Details and actions for legacy" }).click();
    const legacy = page.locator("#app-legacy");
    await legacy.getByRole("button", { name: "Register webhook" }).click();
    await eventually(() => legacy.locator(".out-webhook .result").textContent()).toMatch(/registered webhook \S+ for .*legacy; X says it is valid/);
    const legacyHooks = await adminJson<{ x: { valid: boolean; url: string }[] }>("/admin/apps/legacy/webhooks");
    expect(legacyHooks.x).toEqual([expect.objectContaining({ valid: true, url: stack.webhookUrl("legacy") })]);
    const legacyCard = page.locator("#overview .card", { has: page.getByRole("heading", { name: "legacy" }) });
    await eventually(() => legacyCard.locator(".card-head .pill").getAttribute("data-state")).toBe("idle");
    // Someone posts a forged event to legacy's webhook: refused (401), and the card says so in words.
    const forged = await fetch(stack.webhookUrl("legacy"), { method: "POST", body: '{"for_user_id":"1","tweet_create_events":[]}',
      headers: { "content-type": "application/json", "x-twitter-webhooks-signature": "sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" } });
    expect(forged.status).toBe(401);
    await eventually(async () => {
      await page.getByRole("button", { name: "Refresh" }).click();
      return legacyCard.locator(".card-head .pill").getAttribute("data-state");
    }).toBe("signature failures");
    expect(await legacyCard.locator(".reason").textContent()).toMatch(/failing the signature check: 1 refused since/);

    const app = page.locator("#app-default");
    if (!(await app.evaluate((d) => (d as HTMLDetailsElement).open))) await app.locator("summary").first().click();
    // Re-check at X.
    const before = await adminJson<{ webhook: { last_recheck_at: string | null } }>("/admin/apps/default");
    await app.getByRole("button", { name: "Re-check webhook" }).click();
    await eventually(() => app.locator(".out-webhook .result").textContent()).toMatch(/X re-checked webhook \S+: valid/);
    const after = await adminJson<{ webhook: { last_recheck_at: string | null } }>("/admin/apps/default");
    expect(after.webhook.last_recheck_at).not.toBeNull();
    expect(after.webhook.last_recheck_at).not.toBe(before.webhook.last_recheck_at);

    // Revalidate: says what ran, not "Re-check just now".
    await app.getByRole("button", { name: "Revalidate now" }).click();
    await eventually(() => app.locator(".out-webhook .result").textContent()).toMatch(/revalidation ran: status \w+.*(no re-check was needed|a re-check \(CRC\) ran)/);
    expect(await page.locator("body").textContent()).not.toContain("Re-check just now");

    // Invite: a copyable link the Worker accepts (it redirects to X's authorize page).
    await app.getByRole("button", { name: "Create invite link" }).click();
    await eventually(() => app.locator(".invite").textContent()).toContain("invite created");
    const link = app.getByLabel("Invite link");
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(new RegExp(`^${stack.workerUrl}/oauth/default/start\\?invite=`));
    const started = await fetch(url, { redirect: "manual" });
    expect(started.status).toBe(302);
    expect(started.headers.get("location")).toContain(stack.emulator.url);

    // Unsubscribe bob (confirm accepted): gone here and at X.
    const bobRow = app.locator("tr", { has: page.getByText(bob.id, { exact: true }) });
    await bobRow.getByRole("button", { name: "Unsubscribe" }).click();
    await eventually(() => app.locator(".out-subscriptions .result").textContent()).toContain(`user ${bob.id} unsubscribed`);
    const subs = await adminJson<{ x: string[]; registry: { user_id: string }[] }>("/admin/apps/default/subscriptions");
    expect(subs.x).not.toContain(bob.id);
    expect(subs.registry.map((s) => s.user_id)).not.toContain(bob.id);

    // Subscribe bob again with his token pair. A reload of the panels (after an action, or Refresh)
    // while the operator types keeps the field's focus and caret: no keystroke is lost.
    const form = app.getByRole("form", { name: "Subscribe a user to default" });
    const userField = form.getByLabel("User id");
    await userField.fill(bob.id.slice(0, 8));
    // Refresh clicked from script (a real click would move the focus to the button); it re-renders
    // the panels at once, as every action does when it finishes.
    await page.evaluate(() => document.getElementById("refresh")!.click());
    await eventually(() => page.locator("#status").textContent()).toMatch(/^Updated/);
    await page.keyboard.type(bob.id.slice(8));
    expect(await userField.inputValue()).toBe(bob.id);
    await form.getByLabel("User id").fill(bob.id);
    await form.getByLabel("Access token").fill(bob.token);
    await form.getByLabel("Token secret").fill(bob.secret);
    await form.getByRole("button", { name: "Subscribe" }).click();
    await eventually(() => app.locator(".out-subscriptions .result").textContent()).toContain(`user ${bob.id} subscribed`);
    const again = await adminJson<{ x: string[]; registry: { user_id: string }[] }>("/admin/apps/default/subscriptions");
    expect(again.x).toContain(bob.id);
    expect(again.registry.map((s) => s.user_id)).toContain(bob.id);

    // Replay: a window X would refuse is explained and not sent; a good one creates the job.
    const replay = app.getByRole("form", { name: "Request a Replay for default" });
    expect(await replay.locator(".rules").textContent()).toContain("at least 31 minutes ago");
    const toField = replay.getByLabel("To (UTC)");
    const goodTo = await toField.inputValue();
    await toField.fill(new Date(Date.now() + 3600_000).toISOString().slice(0, 16));
    await replay.getByRole("button", { name: "Request Replay" }).click();
    await eventually(() => app.locator(".out-replay").textContent()).toContain("at least 10 minutes ago");
    expect((await adminJson<{ jobs: unknown[] }>("/admin/apps/default/replay")).jobs).toEqual([]);
    await toField.fill(goodTo);
    await replay.getByRole("button", { name: "Request Replay" }).click();
    await eventually(() => app.locator(".out-replay .result").textContent()).toMatch(/X accepted Replay job \S+/);
    const jobs = (await adminJson<{ jobs: { job_id: string; requested_by: string }[] }>("/admin/apps/default/replay")).jobs;
    expect(jobs).toEqual([expect.objectContaining({ requested_by: "admin" })]);

    // XAA profiles: save one from the page, see it in the store, delete it.
    await page.getByRole("button", { name: "Details and actions for x-activity" }).click();
    const xaa = page.locator("#app-x-activity");
    const profileForm = xaa.getByRole("form", { name: "Save an XAA profile for x-activity" });
    await profileForm.getByLabel("Name").fill("standard");
    await profileForm.getByLabel("Event types").fill("post.create, like.create");
    await profileForm.getByLabel("Direction").selectOption("inbound");
    await profileForm.getByRole("button", { name: "Save profile" }).click();
    await eventually(() => xaa.locator(".out-profiles .result").textContent()).toContain("profile standard saved: post.create, like.create");
    const profiles = await adminJson<{ profiles: { name: string; event_types: string[]; direction?: string; source: string }[] }>("/admin/apps/x-activity/xaa/profiles");
    expect(profiles.profiles).toEqual([expect.objectContaining({ name: "standard", event_types: ["post.create", "like.create"], direction: "inbound", source: "admin" })]);
    await eventually(() => xaa.locator("table", { hasText: "standard" }).count()).toBe(1);
    await xaa.locator("tr", { hasText: "standard" }).getByRole("button", { name: "Delete" }).click();
    await eventually(() => xaa.locator(".out-profiles .result").textContent()).toContain("profile standard deleted");
    expect((await adminJson<{ profiles: unknown[] }>("/admin/apps/x-activity/xaa/profiles")).profiles).toEqual([]);

    // Compare with X: what X lists, in words.
    await app.locator(".panel").first().getByRole("button", { name: "Compare with X" }).click();
    await eventually(() => app.locator(".out-webhook .result").textContent()).toMatch(/X lists \S+ \(.*\/webhooks\/default, valid\)/);
    await app.locator(".panel").nth(1).getByRole("button", { name: "Compare with X" }).click();
    await eventually(() => app.locator(".out-subscriptions .result").textContent()).toMatch(/in sync with X: X counts \d+ .*here 2/);

    // Dead letters: the detail shows the original decoded; redrive one (delivered again), purge the other.
    const letters = page.locator("#letters");
    await letters.getByRole("button", { name: "Show" }).first().click();
    // The forwarded envelope is shown as JSON, not as an escaped string.
    await eventually(() => letters.locator("pre").textContent()).toMatch(/"text": "refused (by the destination"|again <img)/);
    expect(await letters.locator("pre").textContent()).toMatch(/"json": \{\n/);
    const refusedBefore = stack.sink.received.filter((r) => r.body.includes("refused")).length;
    await letters.locator("tbody input[type=checkbox]").first().check();
    await letters.getByRole("button", { name: "Redrive selected" }).click();
    await eventually(() => letters.locator(".ok").first().textContent()).toMatch(/Redriven: 1\./);
    await stack.sink.waitFor((r) => r.body.includes("refused"), refusedBefore + 1);
    expect((await adminJson<{ counts: { total: number } }>("/admin/dead-letters?limit=1")).counts.total).toBe(1);
    await eventually(() => letters.locator("tbody tr").count()).toBe(1);
    await letters.getByRole("button", { name: "Select all shown" }).click();
    await letters.getByRole("button", { name: "Purge selected" }).click();
    await eventually(() => letters.locator(".ok").first().textContent()).toMatch(/Purged: 1/);
    expect((await adminJson<{ counts: { total: number } }>("/admin/dead-letters?limit=1")).counts.total).toBe(0);

    // Forget token: nothing of the console stays on screen.
    await page.getByRole("button", { name: "Forget token" }).click();
    await page.getByLabel("Admin token").waitFor();
    expect(await page.locator("#console").isHidden()).toBe(true);
    expect(await page.locator("#pipeline, #overview, #tail, #apps, #charts, #letters").evaluateAll((els) => els.map((e) => e.childElementCount))).toEqual([0, 0, 0, 0, 0, 0]);
    expectClean(problems);
    await ctx.close();
  }, 120_000);

  it("Sign in with X in the browser: a refused start and a completed sign-in are styled pages, never JSON", async () => {
    for (const [width, height] of [[1400, 900], [390, 844]] as const) {
      const ctx = await browser.newContext({ viewport: { width, height } });
      const page = await ctx.newPage();
      const problems = await watchPage(page);
      const refused = await page.goto(`${stack.workerUrl}/oauth/default/start`);
      expect(refused?.status()).toBe(403);
      await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("This link needs an invitation");
      expect(await page.locator("body").textContent()).not.toMatch(/[{}]|invite_required/);
      // The stylesheet applied (a 6 px top border on the card).
      expect(await page.locator("main").evaluate((m) => getComputedStyle(m).borderTopWidth)).toBe("6px");
      await page.screenshot({ path: screenshotPath(`oauth-refused-${width}`), fullPage: true });

      const invite = await stack.admin("/admin/apps/default/invites", { method: "POST", body: "{}" });
      const url = ((await invite.json()) as { url: string }).url;
      // The Worker sends the browser to X (the emulator approves at once) and back to the callback.
      const done = await page.goto(url);
      expect(done?.status()).toBe(200);
      expect(page.url()).toContain("/oauth/default/callback");
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("@alice is subscribed");
      expect(await page.locator("main").evaluate((m) => getComputedStyle(m).borderTopWidth)).toBe("6px");
      await page.screenshot({ path: screenshotPath(`oauth-done-${width}`), fullPage: true });
      const subs = await adminJson<{ x: string[]; registry: { user_id: string; has_token: boolean }[] }>("/admin/apps/default/subscriptions");
      expect(subs.x).toContain(alice.id);
      expect(subs.registry).toContainEqual(expect.objectContaining({ user_id: alice.id, has_token: true }));
      // The same link again: used up, and said so in words.
      const again = await page.goto(url);
      expect(again?.status()).toBe(403);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("This invite was already used");
      expect(await page.locator("main").textContent()).toContain("Ask the person who sent it for a new one.");
      // Chromium logs each error status of a page it loads (our two 403 pages) as a console error: those two and nothing else.
      const statusLines = problems.consoleErrors.filter((e) => /^Failed to load resource: the server responded with a status of 403\b/.test(e));
      expect(statusLines).toHaveLength(2);
      expectClean({ ...problems, consoleErrors: problems.consoleErrors.filter((e) => !statusLines.includes(e)) });
      await ctx.close();
    }
  });

  it("has no serious or critical axe-core violation, light and dark, at both widths", async () => {
    for (const [width, height] of [[1400, 900], [390, 844]] as const) {
      for (const scheme of ["light", "dark"] as const) {
        // axe is injected as a script, which the page's CSP rightly refuses: this context alone bypasses it.
        const ctx = await browser.newContext({ viewport: { width, height }, colorScheme: scheme, bypassCSP: true });
        const { page } = await openDashboard(ctx);
        await page.locator("#tail-list .tail-row").first().waitFor();
        await page.locator("#charts canvas").nth(3).waitFor();
        await page.locator("details.app").first().evaluate((d) => { (d as HTMLDetailsElement).open = true; });
        await page.addScriptTag({ content: AXE_SOURCE });
        const result = await page.evaluate(async () => {
          const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
          return axe.run(document, { resultTypes: ["violations"] });
        });
        const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
          .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
        expect(serious, `${width} px ${scheme}`).toEqual([]);
        await ctx.close();
      }
    }
    // The Sign in with X page too, light and dark.
    for (const scheme of ["light", "dark"] as const) {
      const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: scheme, bypassCSP: true });
      const page = await ctx.newPage();
      await page.goto(`${stack.workerUrl}/oauth/default/start`);
      await page.addScriptTag({ content: AXE_SOURCE });
      const result = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: { id: string; impact: string }[] }> } }).axe;
        return axe.run(document, { resultTypes: ["violations"] });
      });
      expect(result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id), `oauth ${scheme}`).toEqual([]);
      await ctx.close();
    }
  }, 240_000);
});
