/**
 * PROTOCOL.md "Public vs private events" as the control plane's `requiredScope` encodes it
 * (src/x-api/xaa-event-types.ts on the xaa-control branch): the migration core takes it as a
 * parameter, and these tests pass this copy.
 */
export function scopeOf(type: string): string | null {
  if (type === "like.create") return "like.read";
  if (type.startsWith("dm.") || type.startsWith("chat.")) return "dm.read";
  if (["post.mention.create", "post.reply.create", "post.quote.create", "post.repost.create"].includes(type)) return "tweet.read";
  if (type.startsWith("mute.")) return "mute.read";
  if (type.startsWith("block.")) return "block.read";
  if (type === "broadcast.chat") return "broadcast.read";
  return null;
}

/** A grant covering every private type AAA delivered. */
export const ALL_SCOPES = ["tweet.read", "users.read", "offline.access", "like.read", "dm.read", "mute.read", "block.read"];
