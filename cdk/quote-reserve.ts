/**
 * How much of OpenD's quote subscription quota the quotes Lambda must leave free for the relay
 * (QUOTE_SUBSCRIPTION_RESERVE, read by functions/lib/quote-subscriptions.ts), derived from the relay's
 * configured `subscriptions` so the two cannot drift apart.
 *
 * Futu's rule: the quota is counted per security and subscription type (one unit for each pair), OpenD-wide;
 * a pair already held by any connection costs nothing more. So the relay needs one unit per distinct
 * (code, type) pair of its configuration.
 *
 * Invariant: the reserve is never below what the relay's own pairs take, plus QUOTE_RESERVE_MARGIN.
 */
import type { Subscription } from '../gateway-container/subscription-schema.js';

/**
 * Headroom beyond the relay's pairs: the API's subscriptions stay held for their first minute (Futu allows no
 * earlier unsubscribe), so a relay that resubscribes after OpenD restarts, or a redeploy that adds a few codes,
 * still fits while they run out.
 */
export const QUOTE_RESERVE_MARGIN = 10;

/** Distinct (code, type) pairs in the relay's subscriptions: the quota units they take. */
export function relayQuotaUnits(subscriptions: readonly Pick<Subscription, 'codes' | 'types'>[]): number {
  const pairs = new Set<string>();
  for (const s of subscriptions) for (const code of s.codes) for (const type of s.types) pairs.add(`${code}|${type}`);
  return pairs.size;
}

/** The value the CDK app sets as QUOTE_SUBSCRIPTION_RESERVE on the quotes function. */
export function quoteSubscriptionReserve(subscriptions: readonly Pick<Subscription, 'codes' | 'types'>[]): number {
  return relayQuotaUnits(subscriptions) + QUOTE_RESERVE_MARGIN;
}
