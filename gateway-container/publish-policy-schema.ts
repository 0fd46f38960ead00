/**
 * How many market-data events the relay may put on the bus: one zod schema shared by the deployment
 * configuration (cdk/config-schema.ts, key `publishPolicy`) and the relay (`RELAY_PUBLISH_POLICY`), so a value
 * the CDK app accepts is exactly a value the relay accepts.
 *
 * Why: every PutEvents entry is a custom event EventBridge bills at $1.00 per million. OpenD pushes a quote on
 * every trade, several a second for a busy security, so without a cap 100 securities cost dollars per hour.
 *
 * Invariants:
 * - Only market-data DetailTypes (Quote, KLine, Ticker, OrderBook, TimeShare, Broker) have a policy. Order and
 *   fill updates, Gateway State / Notice and Login Challenge events are always published and never throttled:
 *   naming one here is refused, not ignored.
 * - A rate is per security (and per K-line type for KLine): `maxPerSecurityPerSecond` events of that type and
 *   security per second at most; the latest event within the window wins (see relay/publish-policy.ts).
 *
 * Layering: imports only zod, proto/ and the helpers of subscription-schema.ts (which import only proto/).
 */
import { z } from 'zod';
import { isCriticalDetailType } from '../proto/events.js';
import { expected, firstProblem, show, strictFields } from './subscription-schema.js';

/** The DetailTypes a policy may limit (proto/events.ts DETAIL_TYPES, market data only). */
export const POLICY_DETAIL_TYPES = ['Quote', 'KLine', 'Ticker', 'OrderBook', 'TimeShare', 'Broker'] as const;
export type PolicyDetailType = (typeof POLICY_DETAIL_TYPES)[number];

/** Always on, never throttled (proto/events.ts isCriticalDetailType). */
export const UNTHROTTLED_DETAIL_TYPES = ['Order Update', 'Order Fill', 'Gateway State', 'Gateway Notice', 'Login Challenge'] as const;

export interface TypePolicy {
  enabled: boolean;
  /** At most this many events per second per security (a fraction: 0.2 = one every 5 s). */
  maxPerSecurityPerSecond: number;
}

export type PublishPolicy = Record<PolicyDetailType, TypePolicy>;

/**
 * The defaults: every market-data type at most one event per second per security. With 100 securities
 * subscribed to BASIC, that is at most 100 Quote events/s: 2.34 million in a 6.5 h US session ($2.34 a day at
 * $1.00 per million), 8.64 million ($8.64) if the securities pushed around the clock. README "Cost control".
 */
export const DEFAULT_PUBLISH_POLICY: PublishPolicy = {
  Quote: { enabled: true, maxPerSecurityPerSecond: 1 },
  KLine: { enabled: true, maxPerSecurityPerSecond: 1 },
  Ticker: { enabled: true, maxPerSecurityPerSecond: 1 },
  OrderBook: { enabled: true, maxPerSecurityPerSecond: 1 },
  TimeShare: { enabled: true, maxPerSecurityPerSecond: 1 },
  Broker: { enabled: true, maxPerSecurityPerSecond: 1 },
};

/** Upper bound of a rate: OpenD pushes at most a few dozen times a second per security; beyond this a cap means nothing. */
export const MAX_RATE = 1_000;

const typePolicySchema = strictFields(
  {
    enabled: z.boolean(expected('true or false')).optional(),
    maxPerSecurityPerSecond: z
      .number(expected(`a number of events per second per security, above 0 and at most ${MAX_RATE}`))
      .gt(0, `must be above 0 (to stop a type, set "enabled": false)`)
      .max(MAX_RATE, `must be at most ${MAX_RATE}`)
      .optional(),
  },
  'an object like {"enabled":true,"maxPerSecurityPerSecond":1}',
);

const ALLOWED = POLICY_DETAIL_TYPES.join(', ');

/** A partial policy: the types and fields given replace the defaults'. */
export const publishPolicySchema = z
  .record(z.string(), typePolicySchema, expected(`an object of DetailType → {enabled, maxPerSecurityPerSecond}, DetailType one of ${ALLOWED}`))
  .superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      if ((UNTHROTTLED_DETAIL_TYPES as readonly string[]).includes(key) || isCriticalDetailType(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} events are always published and never throttled (order, fill and gateway events are the record of trading); only ${ALLOWED} take a policy` });
      } else if (!(POLICY_DETAIL_TYPES as readonly string[]).includes(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `unknown DetailType ${show(key)}; allowed: ${ALLOWED}` });
      }
    }
  })
  .transform((value): PublishPolicy => {
    const out = {} as PublishPolicy;
    for (const t of POLICY_DETAIL_TYPES) out[t] = { ...DEFAULT_PUBLISH_POLICY[t], ...stripUndefined(value[t] ?? {}) };
    return out;
  });

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `RELAY_PUBLISH_POLICY`: unset or blank means the defaults. Throws an Error naming the variable, the field and what is allowed. */
export function parsePublishPolicyJson(raw: string | undefined, name = 'RELAY_PUBLISH_POLICY'): PublishPolicy {
  if (raw === undefined || raw.trim() === '') return structuredClone(DEFAULT_PUBLISH_POLICY);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${name} is not JSON (${(err as Error).message}); give an object like {"Quote":{"enabled":true,"maxPerSecurityPerSecond":1}}`);
  }
  const result = publishPolicySchema.safeParse(value);
  if (!result.success) throw new Error(firstProblem(result.error, name));
  return result.data;
}
