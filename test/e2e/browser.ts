/**
 * A real headless Chromium for the dashboard's browser tests: the Debian `chromium` package
 * (`/usr/bin/chromium`, or CHROMIUM_PATH), driven by playwright-core. Nothing downloads a browser:
 * `.ci/run` installs the package when it is missing. Playwright gives each launch a fresh,
 * temporary profile (user data dir).
 *
 * `watchPage` records what must stay empty on a healthy page: console errors, uncaught page
 * errors, and CSP violations (reported by a `securitypolicyviolation` listener added before any
 * page script runs; Chromium also logs each violation as a console error).
 */
import { existsSync, mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT } from "./harness.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Where screenshots go (gitignored). */
export const OUTPUT_DIR = `${ROOT}test/output`;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

export interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
  cspViolations: string[];
}

export async function watchPage(page: Page): Promise<PageProblems> {
  const p: PageProblems = { consoleErrors: [], pageErrors: [], cspViolations: [] };
  page.on("console", (m) => { if (m.type() === "error") p.consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => p.pageErrors.push(String(e)));
  await page.exposeFunction("__reportCsp", (s: string) => { p.cspViolations.push(s); });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { __reportCsp(s: string): void }).__reportCsp(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return p;
}

export function screenshotPath(name: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return `${OUTPUT_DIR}/${name}.png`;
}
