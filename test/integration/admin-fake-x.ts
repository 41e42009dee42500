/**
 * An in-memory stand-in for X's management API, for tests inside workerd: neither X nor the
 * emulator (a Node process) can run there. It implements the XApiClient interface with X's
 * documented behaviour for the parts these tests touch (one webhook, subscriptions, replay one
 * job at a time, OAuth legs); the real client against the emulator is tested end to end in
 * test/e2e. Calls are recorded so tests can assert what was (not) sent.
 */
import { XApiError, fixFor, type XApiErrorKind } from "../../src/x-api/errors.ts";
import type { AccessToken, ReplayJob, RequestToken, SubscriptionCount, UserToken, XApiClient, XWebhook } from "../../src/x-api/types.ts";

export function xError(kind: XApiErrorKind, status: number, code: number | null, message = "fake X error"): XApiError {
  return new XApiError({ status, code, xMessage: message, kind, fix: fixFor(kind) });
}

export class FakeX implements XApiClient {
  webhooks: XWebhook[] = [];
  subs = new Set<string>();
  /** token -> user id, for user-context calls. */
  users = new Map<string, { userId: string; screenName: string; secret: string }>();
  requestTokens = new Map<string, { secret: string; callback: string; verifier: string; userId: string }>();
  calls: string[] = [];
  /** Make the next call of this name throw. */
  failNext = new Map<string, XApiError>();
  recheckValid = true;
  replayOpen = false;
  private seq = 1;

  private enter(name: string): void {
    this.calls.push(name);
    const e = this.failNext.get(name);
    if (e) {
      this.failNext.delete(name);
      throw e;
    }
  }

  async registerWebhook(url: string): Promise<XWebhook> {
    this.enter("registerWebhook");
    const w = { id: String(1000 + this.seq++), url, valid: true, created_at: new Date().toISOString() };
    this.webhooks.push(w);
    return w;
  }
  async listWebhooks(): Promise<XWebhook[]> {
    this.enter("listWebhooks");
    return this.webhooks.map((w) => ({ ...w }));
  }
  async recheckWebhook(id: string): Promise<{ valid: boolean }> {
    this.enter("recheckWebhook");
    const w = this.webhooks.find((x) => x.id === id);
    if (!w) throw xError("webhook_not_found", 404, 34);
    w.valid = this.recheckValid;
    return { valid: this.recheckValid };
  }
  async deleteWebhook(id: string): Promise<void> {
    this.enter("deleteWebhook");
    this.webhooks = this.webhooks.filter((w) => w.id !== id);
  }
  async subscribe(_webhookId: string, user: UserToken): Promise<void> {
    this.enter("subscribe");
    const u = this.users.get(user.token);
    if (!u || u.secret !== user.secret) throw xError("auth_failed", 401, 32);
    this.subs.add(u.userId);
  }
  async checkSubscription(_webhookId: string, user: UserToken): Promise<boolean> {
    this.enter("checkSubscription");
    const u = this.users.get(user.token);
    return u !== undefined && this.subs.has(u.userId);
  }
  async listSubscriptions(): Promise<string[]> {
    this.enter("listSubscriptions");
    return [...this.subs];
  }
  async countSubscriptions(): Promise<SubscriptionCount> {
    this.enter("countSubscriptions");
    return { all: this.subs.size, raw: { subscriptions_count_all: String(this.subs.size) } };
  }
  async unsubscribe(_webhookId: string, userId: string): Promise<void> {
    this.enter("unsubscribe");
    this.subs.delete(userId);
  }
  async requestReplay(): Promise<ReplayJob> {
    this.enter("requestReplay");
    if (this.replayOpen) throw xError("replay_in_progress", 409, 355);
    this.replayOpen = true;
    return { job_id: String(9000 + this.seq++), created_at: new Date().toISOString() };
  }
  async requestToken(callbackUrl: string): Promise<RequestToken> {
    this.enter("requestToken");
    const token = `rt${this.seq++}`;
    this.requestTokens.set(token, { secret: `rts-${token}`, callback: callbackUrl, verifier: `v-${token}`, userId: "2244994945" });
    return { token, secret: `rts-${token}`, callbackConfirmed: true };
  }
  authorizeUrl(requestToken: string): string {
    return `https://x.example/oauth/authorize?oauth_token=${requestToken}`;
  }
  async accessToken(requestToken: string, requestTokenSecret: string, verifier: string): Promise<AccessToken> {
    this.enter("accessToken");
    const rt = this.requestTokens.get(requestToken);
    if (!rt || rt.secret !== requestTokenSecret || rt.verifier !== verifier) throw xError("auth_failed", 401, 32);
    this.requestTokens.delete(requestToken);
    const token = `${rt.userId}-at${this.seq++}`;
    this.users.set(token, { userId: rt.userId, screenName: "XDevelopers", secret: "ats" });
    return { token, secret: "ats", userId: rt.userId, screenName: "XDevelopers" };
  }
}
