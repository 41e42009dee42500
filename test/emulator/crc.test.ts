import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { applyCrcPolicy, sha256Signature } from "../../emulator/crc.ts";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { appNamed, call, deadPort, firstError, registerV2, startFakeWebhook, subscribeV2, userNamed, type CrcMode, type FakeWebhook } from "./helpers.ts";

const HOUR = 3_600_000;
const vectors = JSON.parse(readFileSync(new URL("../fixtures/vectors.json", import.meta.url), "utf8")) as {
  crc: { vectors: { crc_token: string; consumer_secret: string | null; response_body: { response_token: string } }[] };
  crc_get_signature: { vectors: { consumer_secret: string; raw_query: string; header: Record<string, string> }[] };
};

describe("CRC signing vectors", () => {
  for (const v of vectors.crc.vectors.filter((x) => x.consumer_secret !== null)) {
    it(`response_token for ${v.crc_token}`, () => expect(sha256Signature(v.consumer_secret!, v.crc_token)).toBe(v.response_body.response_token));
  }
  for (const v of vectors.crc_get_signature.vectors) {
    it("legacy CRC GET signature over the raw query", () => expect(sha256Signature(v.consumer_secret, v.raw_query)).toBe(v.header["x-twitter-webhooks-signature"]));
  }
});

describe("invalidation policy (pure)", () => {
  const limit = 28 * HOUR;
  it("a transient failure keeps a webhook valid until 28 h without a good CRC", () => {
    expect(applyCrcPolicy({ valid: true, lastCrcOkAt: 0 }, { ok: false, immediate: false }, 28 * HOUR, limit).valid).toBe(true);
    expect(applyCrcPolicy({ valid: true, lastCrcOkAt: 0 }, { ok: false, immediate: false }, 28 * HOUR + 1, limit).valid).toBe(false);
  });
  it("an immediate failure invalidates at once; a success revalidates", () => {
    expect(applyCrcPolicy({ valid: true, lastCrcOkAt: 0 }, { ok: false, immediate: true }, 1, limit).valid).toBe(false);
    expect(applyCrcPolicy({ valid: false, lastCrcOkAt: 0 }, { ok: true, immediate: false }, 5, limit)).toEqual({ valid: true, lastCrcOkAt: 5 });
  });
});

const FAULTS: [CrcMode, string, string][] = [
  ["wrong_token", "wrong_token", "Webhook URL does not meet the requirements. Invalid CRC token or json response format."],
  ["bad_json", "bad_json", "Webhook URL does not meet the requirements. Invalid CRC token or json response format."],
  ["slow", "slow", "High latency on CRC GET request. Your webhook should respond in less than 3 seconds."],
  ["status_500", "non_200", "Non-200 response code during CRC GET request (i.e. 404, 500, etc)."],
  ["status_404", "non_200", "Non-200 response code during CRC GET request (i.e. 404, 500, etc)."],
  ["redirect", "redirect", "Non-200 response code during CRC GET request (i.e. 404, 500, etc)."],
  ["gzip_declared_not_sent", "gzip_mismatch", "Webhook URL does not meet the requirements."],
  ["gzip_sent_undeclared", "gzip_mismatch", "Webhook URL does not meet the requirements."],
];

describe("CRC on register: each fault gives its 214", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  beforeAll(async () => {
    // A 1 s limit stands in for X's 3 s so the slow fault needs no long wait. (200 ms was too
    // close: on a loaded CI machine a fast fault's answer could miss it and be judged "slow".)
    emu = await startEmulator({ clock: { scale: 0 }, crc: { timeoutMs: 1000 } });
    hook = await startFakeWebhook(appNamed(emu, "legacy").consumerSecret, { slowMs: 2500 });
  });
  afterEach(() => emu.reset());
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });

  for (const [mode, verdict, message] of FAULTS) {
    it(`${mode} -> ${verdict}`, async () => {
      hook.crcMode = mode;
      const r = await call(emu, { method: "POST", path: "/1.1/account_activity/webhooks.json", query: { url: hook.url }, app: appNamed(emu, "legacy") });
      expect(r.status).toBe(403);
      expect(firstError(r)).toEqual({ code: 214, message });
      expect(emu.state.webhooks.size).toBe(0);
      expect(emu.state.crcChecks.at(-1)).toMatchObject({ verdict, ok: false, reason: "register" });
    });
  }

  it("an unreachable port -> unreachable", async () => {
    const url = `http://127.0.0.1:${await deadPort()}/webhooks/default`;
    const r = await call(emu, { method: "POST", path: "/1.1/account_activity/webhooks.json", query: { url }, app: appNamed(emu, "legacy") });
    expect(firstError(r)).toEqual({ code: 214, message: "Webhook URL does not meet the requirements." });
    expect(emu.state.crcChecks.at(-1)?.verdict).toBe("unreachable");
  });

  it("a gzip answer that says so passes", async () => {
    hook.crcMode = "gzip_ok";
    const r = await call(emu, { method: "POST", path: "/1.1/account_activity/webhooks.json", query: { url: hook.url }, app: appNamed(emu, "legacy") });
    expect(r.status).toBe(200);
  });
});

describe("periodic CRC and invalidation on the virtual clock", () => {
  let emu: RunningEmulator;
  let hook: FakeWebhook;
  beforeAll(async () => {
    emu = await startEmulator({ clock: { scale: 0 } });
    hook = await startFakeWebhook(appNamed(emu, "default").consumerSecret);
  });
  afterEach(() => {
    emu.reset();
    hook.crcMode = "ok";
  });
  afterAll(async () => {
    await emu.stop();
    await hook.close();
  });

  it("transient failures invalidate only after 24 h + 4 h grace; then no events until a PUT passes", async () => {
    const id = await registerV2(emu, hook.url);
    await subscribeV2(emu, id, userNamed(emu, "alice"));
    hook.crcMode = "status_500";
    await emu.advance(24 * HOUR);
    expect(emu.state.crcChecks.filter((c) => c.reason === "periodic")).toHaveLength(1);
    await emu.advance(4 * HOUR - 1);
    expect(emu.state.webhooks.get(id)!.valid).toBe(true);
    await emu.advance(HOUR);
    const w = emu.state.webhooks.get(id)!;
    expect(w.valid).toBe(false);
    const invalidating = emu.state.crcChecks.filter((c) => c.invalidated);
    expect(invalidating).toHaveLength(1);
    expect(invalidating[0]!.at - w.lastCrcOkAt!).toBeGreaterThan(28 * HOUR);
    // Invalid: periodic checks stop and events are not sent.
    const checks = emu.state.crcChecks.length;
    await emu.advance(48 * HOUR);
    expect(emu.state.crcChecks.length).toBe(checks);
    hook.crcMode = "ok";
    const before = hook.received.length;
    const emitted = await emu.emit({ type: "tweet", user_id: userNamed(emu, "alice").id });
    expect(emitted.deliveries[0]?.outcome).toBe("not_sent_invalid_webhook");
    expect(hook.received.length).toBe(before);
    // A passing PUT revives it.
    const put = await call(emu, { method: "PUT", path: `/2/webhooks/${id}` });
    expect(put.json).toEqual({ data: { valid: true } });
    await emu.emit({ type: "tweet", user_id: userNamed(emu, "alice").id });
    expect(hook.received.length).toBe(before + 1);
  });

  it("a wrong token invalidates at the first periodic check", async () => {
    const id = await registerV2(emu, hook.url);
    hook.crcMode = "wrong_token";
    await emu.advance(24 * HOUR);
    expect(emu.state.webhooks.get(id)!.valid).toBe(false);
    expect(emu.state.crcChecks.at(-1)).toMatchObject({ reason: "periodic", verdict: "wrong_token", invalidated: true });
  });

  it("a 3xx invalidates at once too", async () => {
    const id = await registerV2(emu, hook.url);
    hook.crcMode = "redirect";
    await emu.advance(24 * HOUR);
    expect(emu.state.webhooks.get(id)!.valid).toBe(false);
  });

  it("GET /_emulator/crc shows every check with its verdict", async () => {
    const id = await registerV2(emu, hook.url);
    const r = await call(emu, { method: "GET", path: "/_emulator/crc", query: { webhook_id: id }, as: { none: true } });
    expect(r.json).toEqual([expect.objectContaining({ webhookId: id, reason: "register", verdict: "ok", ok: true })]);
  });
});
