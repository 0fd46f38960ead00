/**
 * The time zone of each security market's trading day, by Futu's market prefix (the "HK" of "HK.00700"): the
 * zone OpenD writes an order's createTime in, the zone a market's trading date and opening hours are counted
 * in. One table for the schedules of the CDK app (cdk/definitions.ts) and the end-of-day settlement
 * (functions/lib/settlement.ts), so both agree on when a market's day ends.
 */
export const MARKET_TIME_ZONES = {
  HK: 'Asia/Hong_Kong',
  US: 'America/New_York',
  SH: 'Asia/Shanghai',
  SZ: 'Asia/Shanghai',
  SG: 'Asia/Singapore',
  JP: 'Asia/Tokyo',
  AU: 'Australia/Sydney',
  MY: 'Asia/Kuala_Lumpur',
  CA: 'America/Toronto',
} as const;

/** The IANA zone of a market prefix such as "HK", or undefined for a prefix without one here. */
export function marketPrefixTimeZone(prefix: string): string | undefined {
  return Object.hasOwn(MARKET_TIME_ZONES, prefix) ? MARKET_TIME_ZONES[prefix as keyof typeof MARKET_TIME_ZONES] : undefined;
}
