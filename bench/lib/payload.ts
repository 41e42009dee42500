/**
 * Request material for the hot-path benchmark: realistic ~2 KB `tweet_create_events` delivery
 * bodies signed the way X signs them, and CRC tokens that pass the Worker's token guard.
 *
 * Built here rather than read from ../shared so the benchmark is self-contained in the repo.
 * The shape follows X's v1.1 Tweet object (the `tweet_create_events.longform` doc payload, with
 * the user object filled in) and is padded to the target size in the tweet text, where real
 * deliveries vary most.
 */
import { createHmac, randomBytes } from "node:crypto";

/** `sha256=` + base64(HMAC-SHA256(secret, data)): X's CRC answer and delivery signature. */
export function xSignature(secret: string, data: string | Uint8Array): string {
  return "sha256=" + createHmac("sha256", secret).update(data).digest("base64");
}

function user(id: string, screenName: string): Record<string, unknown> {
  return {
    id: Number(id),
    id_str: id,
    name: "Bench User " + screenName,
    screen_name: screenName,
    location: "Piraeus, Greece",
    url: null,
    description: "Benchmark account: archaeology, ancient technology and the occasional ship.",
    protected: false,
    verified: false,
    followers_count: 1893,
    friends_count: 412,
    listed_count: 27,
    favourites_count: 8801,
    statuses_count: 15230,
    created_at: "Sat Mar 14 09:26:53 +0000 2015",
    profile_image_url_https: "https://pbs.twimg.com/profile_images/1/bench_normal.jpg",
    default_profile: true,
    default_profile_image: false,
  };
}

/**
 * One delivery body of about `targetBytes` bytes (UTF-8; the result is within a few bytes).
 * `seq` varies the ids so bodies differ the way consecutive deliveries do.
 */
export function tweetCreateBody(seq: number, targetBytes: number): string {
  const tweetId = (1924465506158878979n + BigInt(seq)).toString();
  const build = (text: string): string =>
    JSON.stringify({
      for_user_id: "1603419180975409153",
      tweet_create_events: [
        {
          created_at: "Mon May 19 14:01:46 +0000 2025",
          id: Number(tweetId),
          id_str: tweetId,
          text,
          source: '<a href="https://x.com" rel="nofollow">X Web App</a>',
          truncated: false,
          in_reply_to_status_id: null,
          in_reply_to_status_id_str: null,
          in_reply_to_user_id: null,
          in_reply_to_user_id_str: null,
          in_reply_to_screen_name: null,
          user: user("1582853809", "HistoryInPics"),
          geo: null,
          coordinates: null,
          place: null,
          is_quote_status: false,
          quote_count: 0,
          reply_count: 0,
          retweet_count: 0,
          favorite_count: 0,
          entities: {
            hashtags: [],
            urls: [],
            user_mentions: [
              { screen_name: "xai", name: "xAI", id: 1661523610111193000, id_str: "1661523610111193088", indices: [2, 6] },
            ],
            symbols: [],
          },
          favorited: false,
          retweeted: false,
          filter_level: "low",
          lang: "en",
          timestamp_ms: String(1747663306000 + seq),
        },
      ],
    });
  const base = "@xai The Antikythera Mechanism: a window into ancient ingenuity. ";
  const overhead = Buffer.byteLength(build(""));
  const room = Math.max(base.length, targetBytes - overhead);
  let text = base;
  while (text.length < room) text += "Bronze gears, lunar phases, eclipse cycles. ";
  return build(text.slice(0, room));
}

/** A CRC token like X's: opaque base64url, 48 characters, matching the default token guard. */
export function crcToken(): string {
  return randomBytes(36).toString("base64url");
}

/** A throwaway secret for one benchmark run (never a real credential). */
export function benchSecret(): string {
  return randomBytes(32).toString("base64url");
}
