/**
 * The dashboard's browser script, executed. test/integration/dashboard.test.ts checks the served
 * assets and that every admin path the script calls exists; this runs the script the Worker
 * serves (/dashboard/app.js, found through the served page's <script src>) in node:vm against a
 * fake DOM (fake-dom.ts: no DOM library is installed and workerd has none), with `fetch` going
 * to the real Worker of the e2e stack (harness.ts: X emulator, Worker in workerd, sink). An
 * operator's session is replayed: sign in with the token, read the app, the webhook, the
 * subscriptions and a dead letter, open it, filter, redrive it, ask X (compare, re-check),
 * refresh, purge, then a wrong token. The fake DOM throws on innerHTML/outerHTML, and every
 * uncaught error or unhandled rejection while the page runs fails the test.
 *
 * Mocked, because it cannot run here: the browser (DOM, sessionStorage, confirm). Everything the
 * script reads comes from the real admin API, except in the last block, where one real answer is
 * padded to more rows than the script's ROW_CAP (see there why).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEMO_SECRETS, DEMO_USERS, registerAndSubscribe, startStack, type SinkRecord, type Stack } from "./harness.ts";
import { FakeElement, FakeEvent, visibleText } from "./fake-dom.ts";
import { click, openPage, signIn, type Page } from "./dashboard-page.ts";

Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });

const { alice, bob } = DEMO_USERS;
/** The sessionStorage key the script keeps the token under (src/dashboard/script.ts). */
const TOKEN_KEY = "aae-admin-token";
const ADMIN_TOKEN = DEMO_SECRETS.ADMIN_TOKEN!;

interface DeadLetterEntry {
  id: string;
  reason: string;
  summary: string;
}

async function deadLetters(stack: Stack): Promise<DeadLetterEntry[]> {
  const res = await stack.admin("/admin/dead-letters?limit=500");
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: DeadLetterEntry[] }).entries;
}

/**
 * One dead letter: the sink refuses one forwarded envelope for good (410), and the Worker stores
 * it. Polls the store; the deadline only turns a hang into a clear failure.
 */
async function makeDeadLetter(stack: Stack, text: string): Promise<{ letter: DeadLetterEntry; refused: SinkRecord }> {
  stack.sink.respondWith(410);
  const r = await stack.emulator.emit({ type: "tweet", user_id: alice.id, text });
  expect(r.deliveries.map((d) => d.status)).toEqual([200]);
  const [refused] = (await stack.sink.waitFor((x) => x.body.includes(text))) as [SinkRecord];
  stack.sink.respondWith(null);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const letter = (await deadLetters(stack)).find((e) => e.summary.includes(refused.id));
    if (letter !== undefined) return { letter, refused };
    if (Date.now() > deadline) throw new Error(`the 410 of "${text}" never became a dead letter`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

describe("the dashboard script against the real Worker", () => {
  let stack: Stack;
  let page: Page;
  let letter: DeadLetterEntry;
  let refused: SinkRecord;
  let webhookId: string;

  beforeAll(async () => {
    stack = await startStack();
    await registerAndSubscribe(stack, stack.webhookUrl(), [alice, bob]);
    webhookId = [...stack.emulator.state.webhooks.values()][0]!.id;
    ({ letter, refused } = await makeDeadLetter(stack, "refused for the dashboard"));
    page = await openPage(stack);
  }, 120_000);
  afterAll(async () => {
    page?.close();
    await stack?.stop();
  });

  test("with no token stored, the page asks for one and calls nothing", () => {
    expect(page.errors).toEqual([]);
    expect(page.el("login").hidden).toBe(false);
    expect(page.el("token").focused).toBe(true);
    expect(page.el("toolbar").hidden).toBe(true);
    expect(page.requests).toEqual([]);
  });

  test("signing in renders the app, its webhook, both subscribers and the dead letter, with DOM APIs only", async () => {
    const ev = signIn(page, `  ${ADMIN_TOKEN} `);
    expect(ev.defaultPrevented).toBe(true);
    expect(page.storage.getItem(TOKEN_KEY)).toBe(ADMIN_TOKEN);
    expect(page.el("token").value).toBe("");
    const text = await page.waitFor(
      (t) => t.includes(alice.id) && t.includes(letter.reason) && !t.includes("Loading...") && t.includes("dead letter(s) for this app"),
      "the app, its subscribers and the dead letters",
    );
    expect(page.errors).toEqual([]);
    expect(page.el("login").hidden).toBe(true);
    expect(page.el("toolbar").hidden).toBe(false);
    expect(text).toContain("App default");
    expect(text).toContain(`Id ${webhookId}`);
    expect(text).toContain(`Valid valid`);
    expect(text).toContain(stack.webhookUrl());
    expect(text).toContain("Subscriptions (2 active)");
    expect(text).toContain(alice.id);
    expect(text).toContain(bob.id);
    // The app section's dead-letter count and the store's listing (total and per app).
    expect(text).toContain("1 dead letter(s) for this app");
    expect(text).toMatch(/Total 1 By app default: 1 By origin forward: 1/);
    expect(text).toContain(letter.reason);
    expect(text).toContain(letter.summary);
    // No API call failed and nothing rendered an error box.
    expect(page.requests.filter((r) => r.status !== 200)).toEqual([]);
    expect(page.find("Request failed", "p")).toEqual([]);
    const errorBoxes = [...page.el("apps").descendants(), ...page.el("letters").descendants()].filter((e) => e.className === "error");
    expect(errorBoxes.map(visibleText)).toEqual([]);
    // Only calls that do not reach X were made on load (admin-calls.ts: callsX only on click).
    expect(page.requests.map((r) => r.path.replace(/\?.*/, "")).sort()).toEqual([
      "/admin/apps",
      "/admin/apps/default/dead-letters",
      "/admin/apps/default/replay",
      "/admin/apps/default/subscriptions",
      "/admin/apps/default/webhooks",
      "/admin/dead-letters",
      "/admin/pipeline",
    ]);
    // The Pipeline section: every queue, and the forward destination (the sink) by host only.
    const pipeline = visibleText(page.el("pipeline"));
    expect(pipeline).toMatch(/Pipeline.*aae-ingest.*aae-events.*aae-forward.*aae-dead-letter/s);
    expect(pipeline).toContain(`Destination ${new URL(stack.sink.url).host}`);
    // Each destination lists the apps forwarding to it (here the one app, through FORWARD_URL).
    expect(pipeline).toContain("Apps default");
    expect(pipeline).toContain("Dead letters stored: 1.");
  });

  test("an HTML-parsing sink fails on this fake DOM (so the run above proves none was used)", () => {
    const e = page.document.createElement("div");
    expect(() => {
      e.innerHTML = "<b>x</b>";
    }).toThrow(/HTML-parsing sink/);
    expect(() => {
      e.outerHTML = "<b>x</b>";
    }).toThrow(/HTML-parsing sink/);
  });

  test("Show opens the dead letter with its original message; the filter lists per app and unknown shape", async () => {
    click(page.find("Show", "button")[0]!);
    await page.waitFor((t) => t.includes(`Dead letter ${letter.id}`), "the dead letter's detail");
    const [pre] = [...page.el("letters").descendants()].filter((e) => e.tagName === "PRE");
    const detail = JSON.parse(pre!.textContent) as { id: string; original: { id: string; app: string } };
    expect(detail).toMatchObject({ id: letter.id, original: { id: refused.id, app: "default" } });

    const [select] = [...page.el("letters").descendants()].filter((e) => e.tagName === "SELECT");
    select!.value = "_unknown";
    select!.dispatchEvent(new FakeEvent("change"));
    await page.waitFor((t) => t.includes("No dead letters.") && !t.includes("Loading..."), "the empty unknown-shape listing");
    expect(page.requests.at(-1)?.path).toMatch(/^\/admin\/dead-letters\?.*app=_unknown/);
    select!.value = "default";
    select!.dispatchEvent(new FakeEvent("change"));
    await page.waitFor((t) => t.includes(letter.reason) && !t.includes("Loading..."), "the app's listing");
    expect(page.requests.at(-1)?.path).toMatch(/^\/admin\/apps\/default\/dead-letters\?/);
    expect(page.errors).toEqual([]);
  });

  test("selecting the dead letter and redriving it: confirmed, gone from the store, delivered again", async () => {
    const [box] = [...page.el("letters").descendants()].filter((e) => e.getAttribute("aria-label") === `Select ${letter.id}`);
    expect(box).toBeDefined();
    click(box!);
    const [redrive] = page.find("Redrive selected", "button");
    expect(redrive).toBeDefined();
    click(redrive!);
    await page.waitFor((t) => t.includes("Redriven: 1.") && t.includes("No dead letters."), "the redrive's result and the reloaded list");
    expect(page.errors).toEqual([]);
    expect(page.confirms).toEqual(["Redrive 1 dead letter(s)? Each goes back to its queue and is removed from this list."]);
    expect(page.requests.filter((r) => r.method === "POST")).toEqual([{ method: "POST", path: "/admin/dead-letters/redrive", status: 200 }]);
    expect((await deadLetters(stack)).map((e) => e.id)).not.toContain(letter.id);
    const both = await stack.sink.waitFor((x) => x.id === refused.id, 2);
    expect(both[1]!.body).toBe(refused.body);
    expect(both[1]!.verified).toBe(true);
  });

  test("the buttons that ask X: compare webhooks, compare subscriptions, re-check the webhook", async () => {
    const before = page.requests.length;
    const [webhooksAtX, subsAtX] = page.find("Compare with X", "button");
    click(webhooksAtX!);
    click(subsAtX!);
    const text = await page.waitFor((t) => t.includes("X lists:") && t.includes("In sync"), "both comparisons");
    expect(text).toMatch(new RegExp(`X lists: Id URL Valid Created ${webhookId} \\S+ valid`));
    expect(text).toMatch(/In sync yes Count at X \(all webhooks\) 2 Count here 2 Only at X none Only here none/);
    click(page.find("Revalidate now", "button")[0]!);
    const after = await page.waitFor((t) => t.includes("Re-check just now:"), "the re-check's outcome");
    // A forced revalidation run (admin-calls.ts "revalidate"): the webhook is valid, so "ok".
    expect(after).toMatch(/Re-check just now: Status ok At \S+ \(\d+ s ago\)/);
    expect(page.requests.filter((r) => r.method === "POST").at(-1)).toEqual({ method: "POST", path: "/admin/apps/default/revalidate", status: 200 });
    expect(page.errors).toEqual([]);
    expect(page.requests.slice(before).filter((r) => r.status !== 200)).toEqual([]);
    expect(page.find("Request failed", "p")).toEqual([]);
  });

  test("Refresh shows a new dead letter; select all and purge it: confirmed, gone from the store", async () => {
    const second = await makeDeadLetter(stack, "purged from the dashboard");
    click(page.el("refresh"));
    await page.waitFor((t) => t.includes(second.letter.summary) && !t.includes("Loading..."), "the new dead letter after Refresh");
    const confirmsBefore = page.confirms.length;
    click(page.find("Select all shown", "button")[0]!);
    click(page.find("Purge selected", "button")[0]!);
    await page.waitFor((t) => t.includes("Purged: 1.") && t.includes("No dead letters."), "the purge's result and the reloaded list");
    expect(page.errors).toEqual([]);
    expect(page.confirms.slice(confirmsBefore)).toEqual(["Permanently delete 1 dead letter(s)? This cannot be undone."]);
    expect(page.requests.filter((r) => r.method === "POST").at(-1)).toEqual({ method: "POST", path: "/admin/dead-letters/purge", status: 200 });
    expect(await deadLetters(stack)).toEqual([]);
  });

  test("a wrong token is refused: the page forgets it and asks again", async () => {
    click(page.el("forget"));
    expect(page.storage.getItem(TOKEN_KEY)).toBeNull();
    expect(page.el("login").hidden).toBe(false);
    expect(page.el("apps").childNodes).toEqual([]);
    const before = page.requests.length;

    signIn(page, "not-the-admin-token");
    expect(page.storage.getItem(TOKEN_KEY)).toBe("not-the-admin-token");
    await page.waitFor((t) => t.includes("The admin token was refused: enter it again."), "the refusal");
    expect(page.errors).toEqual([]);
    expect(page.requests.slice(before)).toEqual([{ method: "GET", path: "/admin/apps", status: 401 }]);
    expect(page.storage.getItem(TOKEN_KEY)).toBeNull();
    expect(page.el("login").hidden).toBe(false);
    expect(page.el("toolbar").hidden).toBe(true);
    expect(page.el("apps").childNodes).toEqual([]);
    expect(page.el("letters").hidden).toBe(true);
    expect(page.el("token").value).toBe("");
  });
});

describe("the dashboard script with a long listing", () => {
  let stack: Stack;
  let page: Page;
  /** More rows than the script's ROW_CAP (200), so a table comes back with its "... and N more." line. */
  const JOBS = 203;

  beforeAll(async () => {
    stack = await startStack();
    await registerAndSubscribe(stack, stack.webhookUrl(), [alice]);
    const res = await stack.admin("/admin/apps/default/replay", { method: "POST", body: JSON.stringify({ from: new Date(Date.now() - 3 * 3_600_000).toISOString(), to: new Date(Date.now() - 2 * 3_600_000).toISOString() }) });
    expect(res.status, await res.text()).toBeLessThan(300);
    // Stubbed: 200+ Replay jobs cannot be made here (X allows one open job at a time and each
    // needs its window to pass), so the Worker's real answer is kept and its one job repeated.
    page = await openPage(stack, async (path, real) => {
      if (path !== "/admin/apps/default/replay") return null;
      const body = (await real.json()) as { jobs: Record<string, unknown>[] };
      expect(body.jobs).toHaveLength(1);
      const jobs = Array.from({ length: JOBS }, (_, i) => ({ ...body.jobs[0], job_id: `job-${i}` }));
      return Response.json({ ...body, jobs });
    });
  }, 120_000);
  afterAll(async () => {
    page?.close();
    await stack?.stop();
  });

  test("a table over the row cap renders its rows and the rest as a count, not as text", async () => {
    signIn(page, ADMIN_TOKEN);
    const text = await page.waitFor((t) => t.includes("more.") && !t.includes("Loading..."), "the capped replay table");
    expect(page.errors).toEqual([]);
    expect(text).toContain(`... and ${JOBS - 200} more.`);
    expect(text).toContain("job-0 ");
    expect(text).toContain("job-199 ");
    expect(text).not.toContain("job-200 ");
    expect(text).not.toContain("[object");
  });
});
