/**
 * XAA event types as the control plane needs them: which ones X knows (OpenAPI enum, v2.167),
 * which are private and the OAuth 2.0 scope each private one needs (docs.x.com/x-api/activity/
 * introduction, "Event privacy and authentication"; PROTOCOL.md "Public vs private events"),
 * and which accept a `direction` filter. Pure data and lookups: no I/O.
 *
 * `oauth.revoke` is in PROTOCOL.md's list (not in the OpenAPI enum): one per app, with an empty
 * filter, not per user (see `isAppLevelEventType`).
 *
 * Types X does not list as private (follows, Spaces, news) are treated as public. XChat
 * conversation and group events (`chat.conversation.*`, `chat.update.*`) are XChat like
 * `chat.received`, so they are treated as private under `dm.read`: asking for a consent that
 * turns out unneeded costs nothing, subscribing with a bearer X then refuses would.
 */

export const XAA_EVENT_TYPES = [
  "post.create",
  "post.delete",
  "post.mention.create",
  "post.reply.create",
  "post.quote.create",
  "post.repost.create",
  "like.create",
  "follow.follow",
  "follow.unfollow",
  "mute.mute",
  "mute.unmute",
  "block.block",
  "block.unblock",
  "dm.sent",
  "dm.received",
  "dm.read",
  "dm.indicate_typing",
  "chat.received",
  "chat.sent",
  "chat.conversation.join",
  "chat.conversation.member_added",
  "chat.conversation.member_removed",
  "chat.conversation.admin_added",
  "chat.conversation.admin_removed",
  "chat.update.group_name",
  "chat.update.restrictions",
  "profile.update.bio",
  "profile.update.profile_picture",
  "profile.update.banner_picture",
  "profile.update.screenname",
  "profile.update.handle",
  "profile.update.geo",
  "profile.update.url",
  "profile.update.verified_badge",
  "profile.update.affiliate_badge",
  "spaces.start",
  "spaces.end",
  "broadcast.start",
  "broadcast.end",
  "broadcast.chat",
  "news.new",
  "oauth.revoke",
] as const;
export type XaaEventType = (typeof XAA_EVENT_TYPES)[number];

/** X's deprecated spellings, onto the names its responses use. */
const ALIASES: Readonly<Record<string, XaaEventType>> = { "chat.conversation_join": "chat.conversation.join" };

/** The OAuth 2.0 scopes that unlock private event types. */
export const PRIVATE_EVENT_SCOPES = ["like.read", "dm.read", "tweet.read", "mute.read", "block.read", "broadcast.read"] as const;
export type PrivateEventScope = (typeof PRIVATE_EVENT_SCOPES)[number];

/**
 * Scopes every OAuth 2.0 sign-in asks for besides the event scopes: `offline.access` (a refresh
 * token, so subscriptions outlive the 2-hour access token), `users.read` and `tweet.read` (X
 * needs both to answer `GET /2/users/me`, which tells us who signed in).
 */
export const BASE_SCOPES = ["tweet.read", "users.read", "offline.access"] as const;

function scopeOf(type: string): PrivateEventScope | null {
  if (type === "like.create") return "like.read";
  if (type.startsWith("dm.") || type.startsWith("chat.")) return "dm.read";
  if (type === "post.mention.create" || type === "post.reply.create" || type === "post.quote.create" || type === "post.repost.create") return "tweet.read";
  if (type.startsWith("mute.")) return "mute.read";
  if (type.startsWith("block.")) return "block.read";
  if (type === "broadcast.chat") return "broadcast.read";
  return null;
}

/** The canonical name of a known type (aliases resolved), or null for a type X does not list. */
export function canonicalEventType(type: string): XaaEventType | null {
  if (Object.hasOwn(ALIASES, type)) return ALIASES[type] ?? null;
  return (XAA_EVENT_TYPES as readonly string[]).includes(type) ? (type as XaaEventType) : null;
}

/** The scope a private type needs; null for a public one (the app's bearer is enough). */
export function requiredScope(type: XaaEventType): PrivateEventScope | null {
  return scopeOf(type);
}

export function isPrivateEventType(type: XaaEventType): boolean {
  return scopeOf(type) !== null;
}

/**
 * Whether the type takes a `direction` filter: likes only (PROTOCOL.md: outbound = likes the user
 * makes, inbound = likes the user's posts get; X's OpenAPI: "directional events", refused for
 * mute/block). A profile's direction is applied to these types only.
 */
export function acceptsDirection(type: XaaEventType): boolean {
  return type === "like.create";
}

/** Types subscribed once per app with an empty filter (`oauth.revoke`), not per user. */
export function isAppLevelEventType(type: XaaEventType): boolean {
  return type === "oauth.revoke";
}

/** The scopes to ask a user for so the app may subscribe them to `types`, in a stable order. */
export function scopesFor(types: readonly XaaEventType[]): string[] {
  const wanted = new Set<string>(BASE_SCOPES);
  for (const t of types) {
    const s = scopeOf(t);
    if (s !== null) wanted.add(s);
  }
  const order = [...BASE_SCOPES, ...PRIVATE_EVENT_SCOPES] as readonly string[];
  return [...wanted].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/** The private types in `types` whose scope is not among `granted`. */
export function typesNotCovered(types: readonly XaaEventType[], granted: readonly string[]): XaaEventType[] {
  const have = new Set(granted);
  return types.filter((t) => {
    const s = scopeOf(t);
    return s !== null && !have.has(s);
  });
}
