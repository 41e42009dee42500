/**
 * One adapter per API flavour maps the XApiClient operations onto X's paths. The adapter
 * only describes calls (RequestSpec); the client sends them. Sign in with X (OAuth legs) is
 * the same for every flavour and lives in the client.
 */
import type { AppConfig } from "../config.ts";
import { enterpriseAdapter, premiumAdapter } from "./flavour-v1.ts";
import { v2Adapter } from "./flavour-v2.ts";
import type { RequestSpec } from "./request-spec.ts";
import type { ReplayJob, SubscriptionCount, UserToken, XWebhook } from "./types.ts";

export interface FlavourAdapter {
  registerWebhook(url: string): RequestSpec<XWebhook>;
  listWebhooks(): RequestSpec<XWebhook[]>;
  recheckWebhook(webhookId: string): RequestSpec<{ valid: boolean }>;
  deleteWebhook(webhookId: string): RequestSpec<void>;
  subscribe(webhookId: string, user: UserToken): RequestSpec<void>;
  checkSubscription(webhookId: string, user: UserToken): RequestSpec<boolean>;
  listSubscriptions(webhookId: string): RequestSpec<string[]>;
  countSubscriptions(): RequestSpec<SubscriptionCount>;
  unsubscribe(webhookId: string, userId: string): RequestSpec<void>;
  /** Throws XApiError("unsupported") where the flavour has no Replay. */
  requestReplay(webhookId: string, from: Date, to: Date): RequestSpec<ReplayJob>;
}

export function adapterFor(app: AppConfig): FlavourAdapter {
  switch (app.flavour) {
    case "v1.1-enterprise":
      return enterpriseAdapter();
    case "v1.1-premium":
      // parseConfig guarantees envName for premium; an AppConfig built by hand might not.
      if (app.envName === undefined) throw new TypeError(`app "${app.name}": v1.1-premium needs envName`);
      return premiumAdapter(app.envName);
    case "v2":
    case "xaa":
      return v2Adapter();
  }
}
