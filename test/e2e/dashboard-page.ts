/**
 * The browser around the dashboard script for dashboard-script.test.ts: the served page and
 * script run in node:vm over the fake DOM (fake-dom.ts), sessionStorage, confirm() and a fetch
 * that goes to the real Worker. No test cases here.
 */
import vm from "node:vm";
import { expect } from "vitest";
import type { Stack } from "./harness.ts";
import { FakeDocument, FakeElement, FakeEvent, FakeNode, FakeStorage, visibleText } from "./fake-dom.ts";

/** The browser around the script: the fake DOM, storage, confirm() and a fetch to the Worker. */
export interface Page {
  document: FakeDocument;
  storage: FakeStorage;
  confirms: string[];
  /** Every request the script made: method, path, status. */
  requests: { method: string; path: string; status: number }[];
  /** Uncaught errors: listener throws/rejections and unhandled rejections while the page ran. */
  errors: unknown[];
  text(): string;
  el(id: string): FakeElement;
  /** Elements below the page's ids whose own text is exactly `text` (buttons, cells). */
  find(text: string, tag?: string): FakeElement[];
  /** Wait until every listener-started promise settled and the page text satisfies `pred`. */
  waitFor(pred: (text: string) => boolean, what: string): Promise<string>;
  close(): void;
}

/** Changes the Worker's answer to one path before the script sees it (null: leave it). */
export type Rewrite = (path: string, res: Response) => Promise<Response | null>;

export async function openPage(stack: Stack, rewrite?: Rewrite): Promise<Page> {
  const htmlRes = await fetch(`${stack.workerUrl}/dashboard`);
  expect(htmlRes.status).toBe(200);
  const html = await htmlRes.text();
  const src = /<script src="([^"]+)"/.exec(html)?.[1];
  expect(src).toBe("/dashboard/app.js");
  const jsRes = await fetch(new URL(src!, stack.workerUrl));
  expect(jsRes.status).toBe(200);
  expect(jsRes.headers.get("content-type")).toMatch(/^text\/javascript/);
  const js = await jsRes.text();

  const document = new FakeDocument(html);
  const storage = new FakeStorage();
  const confirms: string[] = [];
  const requests: Page["requests"] = [];
  const errors = document.errorSink.errors;
  const onRejection = (reason: unknown): void => {
    errors.push(reason);
  };
  process.on("unhandledRejection", onRejection);

  const pageFetch = async (input: string, init?: RequestInit): Promise<Response> => {
    // The browser resolves the script's relative URLs against the page's origin.
    const url = new URL(input, `${stack.workerUrl}/dashboard`);
    const real = await fetch(url, init);
    const res = (await rewrite?.(url.pathname, real)) ?? real;
    requests.push({ method: init?.method ?? "GET", path: url.pathname + url.search, status: res.status });
    return res;
  };
  const context = vm.createContext({
    document,
    sessionStorage: storage,
    confirm: (q: string) => {
      confirms.push(q);
      return true;
    },
    location: new URL(`${stack.workerUrl}/dashboard`),
    fetch: pageFetch,
    URLSearchParams,
    Node: FakeNode,
    Event: FakeEvent,
    console,
  });
  context.window = context;
  vm.runInContext(js, context, { filename: "app.js" });
  document.dispatchEvent(new FakeEvent("DOMContentLoaded"));

  const main = (): FakeElement[] => document.ids().map((id) => document.getElementById(id)!).filter((e) => e.parentNode === null);
  const page: Page = {
    document,
    storage,
    confirms,
    requests,
    errors,
    close: () => process.off("unhandledRejection", onRejection),
    text: () => main().map(visibleText).filter((t) => t !== "").join(" "),
    el(id) {
      const e = document.getElementById(id);
      if (e === null) throw new Error(`no #${id} in the served page`);
      return e;
    },
    find(text, tag) {
      const out: FakeElement[] = [];
      for (const root of main()) for (const e of root.descendants()) {
        if (e.textContent === text && (tag === undefined || e.tagName === tag.toUpperCase())) out.push(e);
      }
      return out;
    },
    async waitFor(pred, what) {
      // The deadline only turns a hang into a clear failure; nothing is timed.
      const deadline = Date.now() + 30_000;
      for (;;) {
        await Promise.all([...document.errorSink.pending]);
        await new Promise((r) => setTimeout(r, 50));
        const text = page.text();
        if (pred(text)) return text;
        if (errors.length > 0 || text.includes("Request failed") || Date.now() > deadline) {
          throw new Error(`page never showed ${what}; errors: ${errors.map(String).join("; ")}; text: ${text}`);
        }
      }
    },
  };
  return page;
}

/** What a user's click does: a checkbox toggles, then "click" (and "change" for inputs) fire. */
export function click(e: FakeElement): void {
  if (e.tagName === "INPUT" && e.getAttribute("type") === "checkbox") e.checked = !e.checked;
  e.dispatchEvent(new FakeEvent("click"));
  if (e.tagName === "INPUT") e.dispatchEvent(new FakeEvent("change"));
}

/** Type a token and submit the login form (the form's "submit", as pressing Open does). */
export function signIn(page: Page, token: string): FakeEvent {
  page.el("token").value = token;
  const ev = new FakeEvent("submit");
  page.el("login").dispatchEvent(ev);
  return ev;
}

