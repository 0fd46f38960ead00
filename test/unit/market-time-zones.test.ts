// One table of market time zones: a known prefix gives its IANA zone; an unknown prefix (or a name every object
// inherits) gives none, so settlement leaves such an order alone instead of counting its day in a wrong zone.
import { expect, it } from 'vitest';
import { MARKET_TIME_ZONES, marketPrefixTimeZone } from '../../proto/market-time-zones.js';

it('gives the zone of a known market prefix and none for an unknown one', () => {
  expect(marketPrefixTimeZone('HK')).toBe('Asia/Hong_Kong');
  expect(marketPrefixTimeZone('SZ')).toBe('Asia/Shanghai');
  expect(marketPrefixTimeZone('XX')).toBeUndefined();
  expect(marketPrefixTimeZone('toString')).toBeUndefined();
  // Every zone is one the runtime knows (a typo would throw here, not in the middle of a settlement run).
  for (const zone of Object.values(MARKET_TIME_ZONES)) expect(() => new Intl.DateTimeFormat('en', { timeZone: zone })).not.toThrow();
});
