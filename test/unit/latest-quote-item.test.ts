// The latest-quote store's item contract: when a stored quote counts as current, and the conditional updates
// that keep a newer value from being overwritten by an older one.
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_KEY, heartbeatUpdate, isCurrent, ROW_TTL_S, securityUpdate, type Heartbeat } from '../../proto/latest-quote-item.js';

const beat = (at: number, basic: string[]): Heartbeat => ({ at, intervalMs: 1_000, subscribed: { BASIC: basic, ORDER_BOOK: [] } });

describe('isCurrent', () => {
  it('holds while the heartbeat is within the bound and names the code, however old the quote itself', () => {
    expect(isCurrent('HK.00700', beat(100_000, ['HK.00700']), 109_000, 10_000)).toBe(true);
    expect(isCurrent('HK.00700', beat(100_000, ['HK.00700']), 110_000, 10_000)).toBe(true);
  });

  it('fails without a heartbeat, with an old one, or for a code the relay does not subscribe', () => {
    expect(isCurrent('HK.00700', undefined, 0, 10_000)).toBe(false);
    expect(isCurrent('HK.00700', beat(100_000, ['HK.00700']), 110_001, 10_000)).toBe(false);
    expect(isCurrent('HK.09988', beat(100_000, ['HK.00700']), 100_500, 10_000)).toBe(false);
  });
});

describe('securityUpdate', () => {
  it('sets only the parts given, each only if not older than the stored one, with the row TTL', () => {
    const u = securityUpdate({ security: 'HK.00700', quote: { value: { price: 380 }, at: 5_000 } }, 1_700_000_000_000);
    expect(u.Key).toEqual({ security: 'HK.00700' });
    expect(u.UpdateExpression).toBe('SET expiresAt = :exp, quote = :q, quoteAt = :qa');
    expect(u.ConditionExpression).toBe('(attribute_not_exists(quoteAt) OR quoteAt <= :qa)');
    expect(u.ExpressionAttributeValues).toEqual({ ':exp': 1_700_000_000 + ROW_TTL_S, ':q': { price: 380 }, ':qa': 5_000 });
    const both = securityUpdate({ security: 'HK.00700', quote: { value: {}, at: 1 }, orderBook: { value: { bid: { price: 1, volume: 2 } }, at: 2 } }, 0);
    expect(both.ConditionExpression).toBe('(attribute_not_exists(quoteAt) OR quoteAt <= :qa) AND (attribute_not_exists(orderBookAt) OR orderBookAt <= :ba)');
  });

  it('keys the heartbeat apart from every security code', () => {
    expect(HEARTBEAT_KEY).not.toMatch(/^[A-Z]+\.[A-Z0-9]+$/);
    expect(heartbeatUpdate(beat(2_000, [])).Key).toEqual({ security: HEARTBEAT_KEY });
  });
});
