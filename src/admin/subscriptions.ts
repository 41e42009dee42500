/**
 * /admin/apps/:app/subscriptions: add (with a token pair, or the user's stored sealed token),
 * check, list (X's view and ours, differences flagged), count, remove; and
 * /admin/apps/:app/tokens/reseal (re-seal every stored token with the current key).
 */
import type { IRequest } from "itty-router";
import { reconcileApp } from "../cron/reconcile.ts";
import { reconcileSettingsFrom } from "../cron/reconcile-policy.ts";
import { HttpError } from "../http/errors.ts";
import type { SealedTokenRow, TokenReseal } from "../state/registry-subscriptions.ts";
import { openWithKeys, sealToken, TokenSealError, type SealKeys } from "../state/token-seal.ts";
import type { UserToken } from "../x-api/types.ts";
import { openStoredToken, sealKey, sealKeys, withX, type AppContext } from "./context.ts";
import { badRequest, jsonBody, optionalString, userIdFrom } from "./http.ts";
import { webhookIdOrCurrent } from "./webhooks.ts";

function nowIso(ctx: AppContext): string {
  return new Date(ctx.deps.now()).toISOString();
}

/** The user's stored token (re-sealed if it was on the previous key); 409 when no key opens it. */
async function storedToken(ctx: AppContext, userId: string): Promise<UserToken | null> {
  try {
    return await openStoredToken(ctx, userId);
  } catch (err) {
    if (!(err instanceof TokenSealError)) throw err;
    throw new HttpError(409, "token_unopenable", `The stored token of user ${userId} opens with neither TOKEN_ENCRYPTION_KEY nor TOKEN_ENCRYPTION_KEY_PREVIOUS: set the key it was sealed with as TOKEN_ENCRYPTION_KEY_PREVIOUS, or have the user sign in again.`);
  }
}

export async function addSubscription(ctx: AppContext, req: IRequest): Promise<Response> {
  const body = await jsonBody(req);
  const userId = userIdFrom(body.user_id);
  const token = optionalString(body, "token", 512);
  const secret = optionalString(body, "secret", 512);
  const screenName = optionalString(body, "screen_name", 64) ?? null;
  if ((token === undefined) !== (secret === undefined)) throw badRequest(`Send both "token" and "secret" (the user's access token pair), or neither to use the stored token.`);
  let user: UserToken;
  const given = token !== undefined && secret !== undefined;
  if (given) user = { token, secret };
  else {
    const stored = await storedToken(ctx, userId);
    if (stored === null) {
      throw badRequest(`No stored token for user ${userId}: send "token" and "secret", or have the user sign in at /oauth/${ctx.app.name}/start.`);
    }
    user = stored;
  }
  const webhookId = await webhookIdOrCurrent(ctx, req);
  await withX(ctx, (x) => x.subscribe(webhookId, user));
  let sealed: string | null = null;
  if (given && ctx.config.tokenEncryptionKey !== null) sealed = await sealToken(await sealKey(ctx.config), { app: ctx.app.name, userId }, user);
  const row = await ctx.registry.upsertSubscription({ user_id: userId, screen_name: screenName, by: "admin", sealed }, nowIso(ctx));
  return Response.json({ webhook_id: webhookId, subscription: row, token_stored: row.has_token }, { status: 201 });
}

export async function listSubscriptions(ctx: AppContext, req: IRequest): Promise<Response> {
  const ours = await ctx.registry.listSubscriptions(req.query.all === "true");
  if (req.query.source === "registry") return Response.json({ registry: ours });
  const webhookId = await webhookIdOrCurrent(ctx, req);
  const onX = await withX(ctx, (x) => x.listSubscriptions(webhookId));
  const xSet = new Set(onX);
  const activeHere = new Set(ours.filter((s) => s.status === "active").map((s) => s.user_id));
  const onlyOnX = onX.filter((id) => !activeHere.has(id));
  const onlyHere = [...activeHere].filter((id) => !xSet.has(id));
  return Response.json({
    webhook_id: webhookId,
    x: onX,
    registry: ours,
    differences: { only_on_x: onlyOnX, only_in_registry: onlyHere },
    in_sync: onlyOnX.length === 0 && onlyHere.length === 0,
  });
}

export async function countSubscriptions(ctx: AppContext): Promise<Response> {
  const ours = (await ctx.registry.listSubscriptions()).length;
  const count = await withX(ctx, (x) => x.countSubscriptions());
  return Response.json({ x: count.all, x_raw: count.raw, registry: ours });
}

export async function checkSubscription(ctx: AppContext, req: IRequest): Promise<Response> {
  const userId = userIdFrom(req.params.user_id);
  const webhookId = await webhookIdOrCurrent(ctx, req);
  const row = (await ctx.registry.listSubscriptions(true)).find((s) => s.user_id === userId) ?? null;
  const token = await storedToken(ctx, userId);
  // User context is X's own check; without the user's token, membership in X's list answers it.
  const subscribed = token !== null
    ? await withX(ctx, (x) => x.checkSubscription(webhookId, token))
    : (await withX(ctx, (x) => x.listSubscriptions(webhookId))).includes(userId);
  return Response.json({ webhook_id: webhookId, user_id: userId, x_subscribed: subscribed, checked_with: token ? "user_token" : "list", registry: row });
}

/**
 * DELETE .../subscriptions/:user_id: X is asked to unsubscribe the user either way (X's v2 API
 * answers the same whether or not it had them; v1.1 answers 404, mirrored). 200 with `removed`
 * saying whether the Registry had the user as an active subscription: false for a user never
 * subscribed (or already removed), so a caller can tell "nothing changed".
 */
export async function removeSubscription(ctx: AppContext, req: IRequest): Promise<Response> {
  const userId = userIdFrom(req.params.user_id);
  const webhookId = await webhookIdOrCurrent(ctx, req);
  await withX(ctx, (x) => x.unsubscribe(webhookId, userId));
  const removed = await ctx.registry.removeSubscription(userId, "removed by admin", nowIso(ctx));
  if (!removed) console.log(JSON.stringify({ msg: "unsubscribed a user the registry did not list", app: ctx.app.name, user_id: userId }));
  // `removed`: the registry listed the user and no longer does. false: nothing changed here (X
  // was still asked, in case its list had the user); the CLI says so and exits 3.
  return Response.json({
    webhook_id: webhookId, user_id: userId, removed,
    ...(removed ? {} : { note: "This user was not subscribed (the registry did not list them); X was asked to unsubscribe anyway." }),
  });
}


/**
 * POST .../subscriptions/reconcile: reconcile now, whatever the interval or the off switch say
 * (src/cron/reconcile.ts). 200 with the outcome (its `status` says whether it completed);
 * 409 with the outcome when it could not run (no bearer token, webhook missing or invalid).
 */
export async function reconcileSubscriptions(ctx: AppContext): Promise<Response> {
  const outcome = await reconcileApp(ctx, reconcileSettingsFrom(ctx.config), { force: true });
  return Response.json(outcome, { status: outcome.status === "skipped" ? 409 : 200 });
}

/** Tokens read per Registry call: bounds each RPC's size and the Worker's subrequests. */
const RESEAL_PAGE = 200;
/** Rounds for rows that changed between read and write (a sign-in in between): re-read, re-judged. */
const RESEAL_ROUNDS = 3;

interface ResealTally {
  resealed: number;
  already_current: number;
  unopenable: string[];
}

/** Judge one page of rows, re-seal (compare-and-set) those on the previous key; returns the rows that changed meanwhile, re-read. */
async function resealPage(ctx: AppContext, keys: SealKeys, rows: readonly SealedTokenRow[], tally: ResealTally): Promise<SealedTokenRow[]> {
  const reseals: TokenReseal[] = [];
  for (const row of rows) {
    const scope = { app: ctx.app.name, userId: row.user_id };
    let opened;
    try {
      opened = await openWithKeys(keys, scope, row.sealed);
    } catch (err) {
      if (!(err instanceof TokenSealError)) throw err;
      tally.unopenable.push(row.user_id);
      continue;
    }
    if (opened.sealedWith === "current") tally.already_current++;
    else reseals.push({ user_id: row.user_id, expected: row.sealed, sealed: await sealToken(keys.current, scope, opened.token) });
  }
  if (reseals.length === 0) return [];
  const replaced = new Set(await ctx.registry.replaceSealedTokens(reseals));
  tally.resealed += replaced.size;
  const changed: SealedTokenRow[] = [];
  for (const r of reseals.filter((x) => !replaced.has(x.user_id))) {
    const now = await ctx.registry.getSealedToken(r.user_id);
    if (now !== null) changed.push({ user_id: r.user_id, sealed: now }); // null: deleted meanwhile (removed, revoked): nothing to count.
  }
  return changed;
}

/**
 * POST /admin/apps/:app/tokens/reseal: after a TOKEN_ENCRYPTION_KEY rotation, re-seal every
 * stored token still on TOKEN_ENCRYPTION_KEY_PREVIOUS with the current key. Answers
 * `{resealed, already_current, unopenable: [user_ids]}`; unopenable tokens (neither key opens
 * them) are reported, never deleted: the right previous key may still be found. Idempotent.
 */
export async function resealTokens(ctx: AppContext): Promise<Response> {
  const keys = await sealKeys(ctx.config);
  const tally: ResealTally = { resealed: 0, already_current: 0, unopenable: [] };
  let after: string | null = null;
  for (;;) {
    const page: SealedTokenRow[] = await ctx.registry.listSealedTokens(after, RESEAL_PAGE);
    let pending: SealedTokenRow[] = page;
    for (let round = 0; round < RESEAL_ROUNDS && pending.length > 0; round++) pending = await resealPage(ctx, keys, pending, tally);
    if (page.length < RESEAL_PAGE) break;
    after = page[page.length - 1]!.user_id;
  }
  console.log(JSON.stringify({ msg: "tokens resealed", app: ctx.app.name, resealed: tally.resealed, already_current: tally.already_current, unopenable: tally.unopenable.length }));
  return Response.json(tally);
}
