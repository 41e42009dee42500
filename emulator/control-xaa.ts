/**
 * Control endpoints for XAA and OAuth 2.0 (emulator only, JSON under /_emulator/): list XAA
 * subscriptions and grants, decide how a user answers the consent screen, grant consent directly
 * (a shortcut past the browser dance), revoke a user's grant (delivers `user_event` to AAA and
 * `oauth.revoke` to XAA, then drops tokens and private subscriptions), and retire AAA at a date
 * on the virtual clock.
 */
import { parseInstant, EmulatorConfigError } from "./config-load.ts";
import { emitActivity } from "./control.ts";
import { aaaRetired, type Core } from "./core.ts";
import { json, jsonBody, type Reply, type Router } from "./http.ts";
import { issueTokens, OAUTH2_SCOPES, recordGrant } from "./oauth2-store.ts";
import { subscriptionView } from "./xaa-subscriptions.ts";

function bad(message: string): Reply {
  return json(400, { error: message });
}

function objectBody(raw: unknown): Record<string, unknown> | null {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
}

function scopesOf(v: unknown): string[] | null | "bad" {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && (OAUTH2_SCOPES as readonly string[]).includes(s))) return "bad";
  return v as string[];
}

function retirement(core: Core): Record<string, unknown> {
  const at = core.state.aaaRetiredAt;
  return { retired_at: at === null ? null : new Date(at).toISOString(), retired: aaaRetired(core), now: new Date(core.clock.now()).toISOString() };
}

export function addXaaControlRoutes(router: Router, core: Core): void {
  const C = "/_emulator";
  router
    .add("GET", `${C}/xaa/subscriptions`, (req) => {
      const app = req.query.get("app");
      const user = req.query.get("user_id");
      const subs = [...core.state.xaaSubscriptions.values()].filter((s) => (app === null || s.appName === app) && (user === null || s.filter.user_id === user));
      return json(200, subs.map((s) => ({ app: s.appName, ...subscriptionView(s) })));
    })
    .add("GET", `${C}/oauth2/grants`, (req) => {
      const app = req.query.get("app");
      const user = req.query.get("user_id");
      const grants = [...core.state.grants.values()].filter((g) => (app === null || g.appName === app) && (user === null || g.userId === user));
      return json(
        200,
        grants.map((g) => ({
          app: g.appName,
          user_id: g.userId,
          scopes: [...g.scopes].sort(),
          granted_at: new Date(g.grantedAt).toISOString(),
          live_tokens: [...core.state.oauth2Tokens.values()].filter((t) => t.appName === g.appName && t.userId === g.userId).length,
        })),
      );
    })
    .add("POST", `${C}/oauth2/consent`, (req) => {
      const b = objectBody(jsonBody(req));
      const userId = b?.user_id;
      if (typeof userId !== "string" || !core.state.users.has(userId)) return bad('body must be {"user_id": <configured user>, "decision": "approve"|"deny"|"reset", "scopes"?: [...]}');
      if (b?.decision === "reset") {
        core.state.consent.delete(userId);
        return json(200, { user_id: userId, decision: "approve", scopes: null });
      }
      const scopes = scopesOf(b?.scopes);
      if ((b?.decision !== "approve" && b?.decision !== "deny") || scopes === "bad") return bad("decision must be approve, deny or reset; scopes a list of X's OAuth 2.0 scopes");
      core.state.consent.set(userId, { decision: b.decision, scopes });
      return json(200, { user_id: userId, decision: b.decision, scopes });
    })
    .add("POST", `${C}/oauth2/grants`, (req) => {
      const b = objectBody(jsonBody(req));
      const app = typeof b?.app === "string" ? core.state.apps.get(b.app) : undefined;
      const userId = b?.user_id;
      const scopes = scopesOf(b?.scopes);
      if (!app || typeof userId !== "string" || !core.state.users.has(userId) || scopes === "bad" || scopes === null) {
        return bad('body must be {"app": <app name>, "user_id": <configured user>, "scopes": [...X\'s OAuth 2.0 scopes]}');
      }
      recordGrant(core, app.name, userId, scopes);
      return json(200, issueTokens(core, app, userId, scopes));
    })
    .add("POST", `${C}/oauth2/revoke`, async (req) => {
      const b = objectBody(jsonBody(req));
      if (typeof b?.user_id !== "string" || (b.app !== undefined && typeof b.app !== "string")) return bad('body must be {"user_id": "...", "app"?: <app name>}');
      if (typeof b.app === "string" && !core.state.apps.has(b.app)) return bad(`unknown app ${b.app}`);
      if (!/^\d{1,20}$/.test(b.user_id)) return bad("user_id must be a decimal id string");
      return json(200, await emitActivity(core, { type: "revoke", user_id: b.user_id, ...(typeof b.app === "string" ? { app: b.app } : {}) }));
    })
    .add("GET", `${C}/aaa`, () => json(200, retirement(core)))
    .add("POST", `${C}/aaa/retire`, (req) => {
      const b = objectBody(jsonBody(req)) ?? {};
      try {
        const at = b.at === undefined ? core.clock.now() : parseInstant(b.at as number | string | null, "at");
        core.state.aaaRetiredAt = at;
      } catch (e) {
        if (e instanceof EmulatorConfigError) return bad(e.message);
        throw e;
      }
      return json(200, retirement(core));
    });
}
