/**
 * An in-memory X for the XAA control plane inside workerd (where the emulator, a Node process,
 * cannot run), answering over `fetch` so the real XAA and OAuth 2.0 clients are exercised:
 * `/2/activity/subscriptions` (create with X's duplicate, consent and cap rules, list paged,
 * delete one and by ids), `/2/oauth2/token` (refresh with rotation; a revoked grant is refused),
 * `/2/users/me`. Shapes follow PROTOCOL.md "XAA" and X's OpenAPI. The e2e tests run the same
 * code against the emulator over real HTTP.
 */
import { codeChallengeS256 } from "../../src/oauth/pkce.ts";
import { isPrivateEventType, requiredScope, type XaaEventType } from "../../src/x-api/xaa-event-types.ts";

export interface FakeSub {
  subscription_id: string;
  event_type: string;
  filter: { user_id?: string; direction?: string };
  tag?: string;
  webhook_id?: string;
  created_at: string;
  updated_at: string;
}

interface Grant {
  userId: string;
  username: string;
  scopes: string[];
}

const problem = (status: number, title: string, detail: string, extra: Record<string, unknown> = {}): Response =>
  new Response(JSON.stringify({ errors: [{ title, detail, ...extra }], title, detail, type: "about:blank", status }), { status, headers: { "content-type": "application/problem+json" } });

export class FakeXaaX {
  readonly bearer: string;
  readonly subs = new Map<string, FakeSub>();
  readonly access = new Map<string, Grant>();
  readonly refresh = new Map<string, Grant>();
  readonly calls: string[] = [];
  /** Answer the next N subscription calls with a 429. */
  rateLimitNext = 0;
  cap = 1_500;
  /** Refuse `oauth.revoke` as an unknown event type (it is not in every OpenAPI version's enum). */
  refuseRevokeType = false;
  /** The event types of every create request, in order. */
  readonly createdTypes: string[] = [];
  private seq = 1_000_000;
  private tokens = 0;
  private readonly codes = new Map<string, { userId: string; scopes: string[]; challenge: string; redirectUri: string; clientId: string }>();

  /**
   * The user consents on X's authorize page (the URL the Worker redirected to): X records the
   * PKCE challenge and hands back the callback URL with a code. `untick` drops scopes the user
   * declined.
   */
  authorize(location: string, userId: string, untick: string[] = []): string {
    const u = new URL(location);
    const p = u.searchParams;
    if (p.get("response_type") !== "code" || p.get("code_challenge_method") !== "S256") throw new Error("not an OAuth 2.0 PKCE S256 authorize URL");
    const code = `code-${userId}-${++this.tokens}`;
    const scopes = (p.get("scope") ?? "").split(" ").filter((s) => s !== "" && !untick.includes(s));
    this.codes.set(code, { userId, scopes, challenge: p.get("code_challenge") ?? "", redirectUri: p.get("redirect_uri") ?? "", clientId: p.get("client_id") ?? "" });
    const back = new URL(p.get("redirect_uri") ?? "");
    back.searchParams.set("state", p.get("state") ?? "");
    back.searchParams.set("code", code);
    return back.href;
  }

  constructor(bearer: string) {
    this.bearer = bearer;
  }

  /** A user who signed in: returns the access and refresh tokens X issued. */
  grant(userId: string, scopes: string[], username = `user${userId}`): { access: string; refresh: string } {
    const g = { userId, username, scopes };
    const access = `at-${userId}-${++this.tokens}`;
    const refresh = `rt-${userId}-${this.tokens}`;
    this.access.set(access, g);
    this.refresh.set(refresh, g);
    return { access, refresh };
  }

  /** The user revoked the app at X: every token of theirs stops working. */
  revokeUser(userId: string): void {
    for (const m of [this.access, this.refresh]) for (const [k, g] of m) if (g.userId === userId) m.delete(k);
  }

  /** A subscription made at X directly (not through the Worker). */
  addAtX(sub: Omit<FakeSub, "subscription_id" | "created_at" | "updated_at">): FakeSub {
    const s: FakeSub = { ...sub, subscription_id: String(++this.seq), created_at: "2026-12-01T00:00:00.000Z", updated_at: "2026-12-01T00:00:00.000Z" };
    this.subs.set(s.subscription_id, s);
    return s;
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const auth = req.headers.get("authorization") ?? "";
    this.calls.push(`${req.method} ${url.pathname}`);
    if (url.pathname === "/2/oauth2/token") return this.token(new TextDecoder().decode(await req.arrayBuffer()));
    if (url.pathname === "/2/users/me") {
      const g = this.access.get(auth.replace(/^Bearer /, ""));
      return g === undefined ? problem(401, "Unauthorized", "Unauthorized") : Response.json({ data: { id: g.userId, name: g.username, username: g.username } });
    }
    if (!url.pathname.startsWith("/2/activity/subscriptions")) return problem(404, "Not Found Error", "no such path");
    if (this.rateLimitNext > 0) {
      this.rateLimitNext--;
      return new Response(JSON.stringify({ title: "Too Many Requests", detail: "Too Many Requests", type: "about:blank", status: 429 }), { status: 429, headers: { "x-rate-limit-limit": "500", "x-rate-limit-remaining": "0", "x-rate-limit-reset": "1" } });
    }
    const id = url.pathname.split("/")[4];
    if (req.method === "POST" && id === undefined) return this.create(auth, (await req.json()) as Record<string, unknown>);
    if (auth !== `Bearer ${this.bearer}`) return problem(401, "Unauthorized", "Unauthorized");
    if (req.method === "GET") return this.list(url);
    if (req.method === "PUT" && id !== undefined) {
      const sub = this.subs.get(id);
      if (sub === undefined) return problem(404, "SubscriptionNotFound", `Subscription ${id} not found`, { reason: "SubscriptionNotFound" });
      const body = (await req.json()) as { tag?: string; webhook_id?: string };
      if (body.tag !== undefined) sub.tag = body.tag;
      if (body.webhook_id !== undefined) sub.webhook_id = body.webhook_id;
      sub.updated_at = "2026-12-04T13:00:00.000Z";
      // The quickstart's shape: the subscription flat in data, the total in meta.
      return Response.json({ data: sub, meta: { total_subscriptions: this.subs.size } });
    }
    if (req.method === "DELETE" && id !== undefined) {
      if (!this.subs.delete(id)) return problem(404, "SubscriptionNotFound", `Subscription ${id} not found`, { reason: "SubscriptionNotFound" });
      return Response.json({ data: { deleted: true }, meta: { total_subscriptions: this.subs.size } });
    }
    if (req.method === "DELETE") {
      const ids = (url.searchParams.get("ids") ?? "").split(",");
      const data: unknown[] = [];
      const errors: unknown[] = [];
      for (const i of ids) {
        if (this.subs.delete(i)) data.push({ subscription_id: i, deleted: true });
        else errors.push({ subscription_id: i, reason: "SubscriptionNotFound", message: `Subscription ${i} not found` });
      }
      return Response.json({ data, errors, meta: { total_subscriptions: this.subs.size } });
    }
    return problem(405, "Method Not Allowed", "no");
  };

  private create(auth: string, body: Record<string, unknown>): Response {
    const type = String(body.event_type);
    this.createdTypes.push(type);
    if (type === "oauth.revoke" && this.refuseRevokeType) {
      return new Response(JSON.stringify({ errors: [{ type: "https://api.x.com/2/problems/invalid-request", title: "Invalid Request", detail: "event_type is not one of the allowed values", parameter: "event_type" }] }), { status: 400, headers: { "content-type": "application/json" } });
    }
    const filter = (body.filter ?? {}) as FakeSub["filter"];
    const user = this.access.get(auth.replace(/^Bearer /, ""));
    const isApp = auth === `Bearer ${this.bearer}`;
    if (!isApp && user === undefined) return problem(401, "Unauthorized", "Unauthorized");
    const known = type as XaaEventType;
    if (type !== "oauth.revoke" && isPrivateEventType(known)) {
      if (user === undefined || user.userId !== filter.user_id || !user.scopes.includes(requiredScope(known)!)) {
        return problem(403, "Forbidden", "The user has not authorized this app for this event type");
      }
    }
    for (const s of this.subs.values()) {
      if (s.event_type === type && s.filter.user_id === filter.user_id && s.filter.direction === filter.direction && s.webhook_id === body.webhook_id) {
        return problem(409, "Conflict", "A subscription for this user already exists", { reason: "DuplicateSubscriptionFailed" });
      }
    }
    if (this.subs.size >= this.cap) return problem(403, "Forbidden", "limit", { reason: "SubscriptionLimitExceeded" });
    const s: FakeSub = { subscription_id: String(++this.seq), event_type: type, filter, created_at: "2026-12-04T12:00:00.000Z", updated_at: "2026-12-04T12:00:00.000Z" };
    if (typeof body.tag === "string") s.tag = body.tag;
    if (typeof body.webhook_id === "string") s.webhook_id = body.webhook_id;
    this.subs.set(s.subscription_id, s);
    return Response.json({ data: { subscription: s }, meta: { total_subscriptions: this.subs.size } });
  }

  private list(url: URL): Response {
    const max = Number(url.searchParams.get("max_results") ?? "100");
    const start = Number((url.searchParams.get("pagination_token") ?? "page-0").slice(5));
    const all = [...this.subs.values()];
    const page = all.slice(start, start + max);
    const meta: Record<string, unknown> = { total_subscriptions: all.length };
    if (start + max < all.length) meta.next_token = `page-${start + max}`;
    return Response.json(page.length === 0 ? { meta } : { data: page, meta });
  }

  private async token(text: string): Promise<Response> {
    const form = new URLSearchParams(text);
    if (form.get("grant_type") === "authorization_code") {
      const c = this.codes.get(form.get("code") ?? "");
      this.codes.delete(form.get("code") ?? "");
      const verifier = form.get("code_verifier") ?? "";
      if (c === undefined || c.redirectUri !== form.get("redirect_uri") || c.clientId !== form.get("client_id") || verifier.length < 43 || (await codeChallengeS256(verifier)) !== c.challenge) {
        return Response.json({ error: "invalid_request", error_description: "Value passed for the authorization code was invalid." }, { status: 400 });
      }
      const t = this.grant(c.userId, c.scopes);
      return Response.json({ token_type: "bearer", expires_in: 7200, access_token: t.access, scope: c.scopes.join(" "), refresh_token: t.refresh });
    }
    if (form.get("grant_type") !== "refresh_token") return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
    const old = form.get("refresh_token") ?? "";
    const g = this.refresh.get(old);
    if (g === undefined) return Response.json({ error: "invalid_request", error_description: "Value passed for the token was invalid." }, { status: 400 });
    this.refresh.delete(old);
    const t = this.grant(g.userId, g.scopes, g.username);
    return Response.json({ token_type: "bearer", expires_in: 7200, access_token: t.access, scope: g.scopes.join(" "), refresh_token: t.refresh });
  }
}
