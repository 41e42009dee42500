/**
 * The import rules of STYLE.md that keep shells off each other: the control-plane core
 * (src/control/) imports no shell, the cron imports no admin code, and src/ never imports the
 * emulator. Read from the sources themselves, so a new import that breaks a rule fails here.
 */
import { describe, expect, it } from "vitest";

const SOURCES = import.meta.glob<string>("../../src/**/*.ts", { query: "?raw", import: "default", eager: true });

/** Every relative import of a file, resolved to a path under src/ (e.g. "admin/http.ts"). */
function importsOf(file: string, text: string): string[] {
  const dir = file.replace("../../src/", "").split("/").slice(0, -1);
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^"';]*?from\s+"(\.[^"]+)"/g)) {
    const parts = [...dir];
    for (const seg of m[1]!.split("/")) {
      if (seg === "..") parts.pop();
      else if (seg !== ".") parts.push(seg);
    }
    out.push(parts.join("/"));
  }
  return out;
}

function offenders(folder: string, forbidden: (target: string) => boolean): string[] {
  const bad: string[] = [];
  for (const [file, text] of Object.entries(SOURCES)) {
    if (!file.startsWith(`../../src/${folder}/`)) continue;
    for (const target of importsOf(file, text)) if (forbidden(target)) bad.push(`${file} -> ${target}`);
  }
  return bad;
}

describe("architecture", () => {
  it("finds the sources (the rules below are not vacuous)", () => {
    expect(Object.keys(SOURCES).filter((f) => f.includes("/src/control/")).length).toBeGreaterThan(1);
    expect(importsOf("../../src/cron/x.ts", 'import { a } from "../control/context.ts";')).toStrictEqual(["control/context.ts"]);
  });

  it("the cron never imports admin/", () => {
    expect(offenders("cron", (t) => t.startsWith("admin/"))).toStrictEqual([]);
  });

  it("the control-plane core imports no shell (admin, cron, oauth routes, dashboard, webhook routes)", () => {
    expect(offenders("control", (t) => /^(admin|cron|dashboard|webhook)\//.test(t) || t === "oauth/routes.ts" || t === "http/router.ts")).toStrictEqual([]);
  });

  it("src/ never imports the emulator", () => {
    const bad = Object.entries(SOURCES).flatMap(([file, text]) => (/from\s+"[^"]*emulator\//.test(text) ? [file] : []));
    expect(bad).toStrictEqual([]);
  });
});
