/**
 * npm start's printed commands paste as they are: with a .dev.vars, the admin token is a shell
 * expression that reads it from the file (never printed); run through a real shell here, in a
 * folder holding a .dev.vars, it yields the file's token.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { adminTokenExpression } from "../../scripts/settings.ts";

const run = promisify(execFile);

describe("npm start's admin token in printed commands", () => {
  it("with a .dev.vars: pasted into a shell, it is the file's ADMIN_TOKEN, and the token is not in the printed text", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aae-paste-"));
    try {
      writeFileSync(join(dir, ".dev.vars"), "# local\nX_CONSUMER_SECRET=s\nADMIN_TOKEN=my-own-admin-token-42\n");
      const printed = `export AAE_URL=http://127.0.0.1:8787 AAE_ADMIN_TOKEN=${adminTokenExpression(".dev.vars", "my-own-admin-token-42")}`;
      expect(printed).not.toContain("my-own-admin-token-42");
      const { stdout } = await run("bash", ["-c", `${printed}; printf %s "$AAE_ADMIN_TOKEN"`], { cwd: dir });
      expect(stdout).toBe("my-own-admin-token-42");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("without one (the example's demo values): the literal token", () => {
    expect(adminTokenExpression(".dev.vars.example", "local-admin-token-change-me")).toBe("local-admin-token-change-me");
  });
});
