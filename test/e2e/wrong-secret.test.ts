/**
 * A wrong consumer secret, as a new user meets it, against the emulator: X's CRC fails, and the
 * receiver now says why. With legacy X (which signs the CRC GET) the receiver refuses X's
 * signature, logs and counts it, and the register error names the consumer secret instead of
 * "the server is down"; `status` (API and CLI) shows the refusals. With v2 X (unsigned CRC) the
 * receiver answered the CRC X rejected, which names the secret too.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SECRETS, ROOT, startStack, type Stack } from "./harness.ts";
import { captureWorkerWarnings, type CapturedWarnings } from "./worker-logs.ts";

const run = promisify(execFile);

async function register(stack: Stack): Promise<{ status: number; fix: string }> {
  const res = await stack.admin("/admin/apps/default/webhooks", { method: "POST", body: JSON.stringify({ url: stack.webhookUrl() }) });
  const body = (await res.json()) as { error?: { fix?: string } };
  return { status: res.status, fix: body.error?.fix ?? "" };
}

describe("legacy X (signed CRC) and a wrong X_CONSUMER_SECRET", () => {
  let stack: Stack;
  let warnings: CapturedWarnings;
  beforeAll(async () => {
    warnings = captureWorkerWarnings();
    stack = await startStack({ forward: false, secrets: { X_CONSUMER_SECRET: "not-the-emulator-consumer-secret" }, emulator: { crc: { legacyNonce: true } } });
  });
  afterAll(async () => {
    await stack?.stop();
    warnings.restore();
  });

  it("register fails naming the consumer secret, not the network", async () => {
    const r = await register(stack);
    expect(r.status).toBe(400);
    expect(r.fix).toMatch(/The receiver refused X's signed requests .*: the consumer secret here probably differs from the app's\. Set X_CONSUMER_SECRET to the app's consumer secret/);
    expect(r.fix).not.toMatch(/server is down/);
    expect(r.fix).not.toContain("not-the-emulator-consumer-secret");
    // The receiver logged the refusal of X's signed CRC: the app and the reason, never the secret.
    const line = await warnings.waitFor(/webhook signature refused.*"app":"default","request":"crc","reason":"mismatch"/);
    expect(line).not.toContain("not-the-emulator-consumer-secret");
  });

  it("status shows the refusals, in the admin API and the CLI", async () => {
    const res = await stack.admin("/admin/apps/default");
    const body = (await res.json()) as { signature_failures: { by_reason: Record<string, number>; refusing_now: boolean } | null };
    expect(body.signature_failures).toMatchObject({ refusing_now: true });
    expect(body.signature_failures!.by_reason.crc_mismatch).toBeGreaterThanOrEqual(1);
    const { stdout } = await run(process.execPath, [`${ROOT}bin/account-activity-edge.ts`, "status"], {
      env: { ...process.env, AAE_URL: stack.workerUrl, AAE_ADMIN_TOKEN: DEMO_SECRETS.ADMIN_TOKEN! },
    });
    expect(stdout).toMatch(/^default\s+v2\s+none\s.*\(REFUSING NOW\)/m);
    expect(stdout).toContain("default: the receiver is refusing X's signatures");
  });
});

describe("v2 X (unsigned CRC) and a wrong X_CONSUMER_SECRET", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ forward: false, secrets: { X_CONSUMER_SECRET: "not-the-emulator-consumer-secret" }, emulator: { crc: { legacyNonce: false } } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("register fails saying the receiver answered the CRC X rejected: the consumer secret", async () => {
    const r = await register(stack);
    expect(r.status).toBe(400);
    expect(r.fix).toMatch(/The receiver answered X's CRC, but X rejected the answer: the consumer secret here probably differs/);
  });
});
