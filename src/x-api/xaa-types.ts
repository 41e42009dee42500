/**
 * The XAA subscription API (`/2/activity/subscriptions`) as the rest of the Worker sees it.
 * Implemented in xaa.ts on the shared transport; the OAuth 2.0 token calls are in oauth2.ts.
 */
import type { XApiErrorKind } from "./errors.ts";

export interface XaaFilter {
  user_id?: string;
  direction?: "inbound" | "outbound";
  keyword?: string;
}

/** One subscription as X reports it (fields X left out are null). */
export interface XaaSubscription {
  subscription_id: string;
  /** X's canonical name; may be a type this code does not know yet (X adds types often). */
  event_type: string;
  filter: XaaFilter;
  tag: string | null;
  webhook_id: string | null;
  created_at: string | null;
  updated_at: string | null;
}

export interface XaaSubscriptionResult {
  subscription: XaaSubscription;
  /** The app's subscription total after the call, when X sent it. */
  total: number | null;
}

export interface XaaSubscriptionPage {
  subscriptions: XaaSubscription[];
  /** Pass as `pagination_token` for the next page; null on the last page. */
  next_token: string | null;
  total: number | null;
}

export interface XaaBulkDeleteFailure {
  subscription_id: string;
  /** X's reason (`SubscriptionNotFound`), verbatim; null when X gave none. */
  reason: string | null;
  message: string;
  kind: XApiErrorKind;
  fix: string;
}

export interface XaaBulkDeleteResult {
  deleted: string[];
  failed: XaaBulkDeleteFailure[];
  /** Ids sent that X's answer did not mention at all (neither deleted nor failed). */
  unanswered: string[];
  total: number | null;
}

export interface XaaCreateInput {
  event_type: string;
  filter: XaaFilter;
  /** 1-200 characters; omitted when absent. */
  tag?: string;
  /** Always sent: a subscription without one delivers to the stream only. */
  webhook_id: string;
}

export interface XaaUpdateInput {
  tag?: string;
  /** Always sent (the rule): PUT with only a tag would leave delivery as X had it. */
  webhook_id: string;
}

/**
 * Who creates a subscription: the app (bearer; public types) or a user's OAuth 2.0 access token
 * (private types need the user's consent).
 */
export type XaaCaller = { kind: "app" } | { kind: "user"; accessToken: string };

/** Most ids X takes in one `DELETE activity/subscriptions?ids=`. */
export const XAA_BULK_DELETE_MAX = 100;
/** Largest page X serves (`max_results` 1..1000). */
export const XAA_LIST_MAX_RESULTS = 1000;

export interface XaaClient {
  createSubscription(input: XaaCreateInput, caller: XaaCaller): Promise<XaaSubscriptionResult>;
  /** One page of the app's subscriptions. */
  listSubscriptions(page?: { maxResults?: number; paginationToken?: string }): Promise<XaaSubscriptionPage>;
  /** Every page, up to `maxPages` (default 200: 200,000 subscriptions, above the partner cap). */
  listAllSubscriptions(maxPages?: number): Promise<{ subscriptions: XaaSubscription[]; total: number | null; complete: boolean }>;
  updateSubscription(subscriptionId: string, input: XaaUpdateInput): Promise<XaaSubscriptionResult>;
  deleteSubscription(subscriptionId: string): Promise<{ deleted: boolean; total: number | null }>;
  /** 1..100 ids per call; more is refused before sending (split with `chunkIds`). */
  deleteSubscriptions(subscriptionIds: readonly string[]): Promise<XaaBulkDeleteResult>;
}
