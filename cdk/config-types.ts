/**
 * Plain types and constants shared by the configuration schema (config-schema.ts) and the deployment
 * definitions (definitions.ts). They live here so that the imports run one way only:
 * config.ts → config-schema.ts → config-types.ts ← definitions.ts (definitions.ts also reads config-schema.ts),
 * with no file importing another that imports it back, not even for a type.
 */

/** Futu's market prefixes, as in `"HK.00700"`. */
export const MARKETS = ['HK', 'US', 'SH', 'SZ', 'SG', 'JP', 'AU', 'MY', 'CA'] as const;
export type Market = (typeof MARKETS)[number];

/**
 * One EventBridge Scheduler schedule of a strategy function. `F` is the function ID type: definitions.ts uses
 * its `FunctionId`; the configuration's override of a schedule names the function by a string, which is
 * checked against FUNCTIONS where the schedules are merged.
 */
export interface ScheduleDefinition<F extends string = string> {
  readonly function: F;
  readonly description: string;
  /** The market the schedule trades in; schedules for markets not in `config.markets` are not deployed. */
  readonly market: Market;
  /** EventBridge Scheduler syntax: `cron(min hour day-of-month month day-of-week year)` or `rate(…)`. */
  readonly expression: string;
  /** IANA name; defaults to the market's (`MARKET_TIME_ZONES`). */
  readonly timeZone: string;
  /** The event the function receives. */
  readonly input: Readonly<Record<string, unknown>>;
  readonly enabled: boolean;
}
