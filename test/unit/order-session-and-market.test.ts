// Two pure pieces of the order path: the HTTP `session` field (functions/lib/order-session.ts, through
// parseOrderRequest and the retry fingerprint) and the trade market a universal account uses for a security
// (tradeMarketFor in proto/api/trading.ts).
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../functions/lib/api-error.js';
import { orderRequestHash, parseOrderRequest } from '../../functions/lib/order-input.js';
import { tradeMarketFor } from '../../proto/api/trading.js';
import { ValidationError } from '../../proto/errors.js';

const base = { clientOrderId: 'c-1', code: 'US.AAPL', side: 'BUY', qty: 10, price: 190.5 };

function refusal(body: Record<string, unknown>): string {
  try {
    parseOrderRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).statusCode).toBe(400);
    return (err as ApiError).message;
  }
  throw new Error('expected a 400');
}

describe('order session over HTTP', () => {
  it('takes RTH, ETH, OVERNIGHT and ALL for US limit orders, and nothing when left out', () => {
    for (const session of ['RTH', 'ETH', 'OVERNIGHT', 'ALL']) expect(parseOrderRequest({ ...base, session }).session).toBe(session);
    expect('session' in parseOrderRequest(base)).toBe(false);
    expect(parseOrderRequest({ ...base, code: 'HK.00700', qty: 100, price: 380, session: 'RTH' }).session).toBe('RTH');
  });

  it('refuses an unknown value, a session on a non-US security and a market order outside regular hours', () => {
    expect(refusal({ ...base, session: 'eth' })).toBe('session: must be one of RTH, ETH, OVERNIGHT, ALL (ETH = pre-market, regular and after-hours), got "eth"');
    expect(refusal({ ...base, code: 'SH.600519', qty: 100, price: 1700, session: 'ALL' })).toBe(
      'session: ALL is only for US securities; SH.600519 trades in its regular sessions only (leave session out or use RTH)',
    );
    expect(refusal({ ...base, type: 'MARKET', price: undefined, session: 'OVERNIGHT' })).toBe(
      'session: OVERNIGHT (trading outside regular hours) takes limit orders only (NORMAL, STOP_LIMIT); MARKET orders trade in the regular session (RTH)',
    );
  });

  it('keeps the fingerprint of a request without a session, and tells sessions apart', () => {
    const plain = orderRequestHash('1', parseOrderRequest(base));
    expect(plain).toBe(orderRequestHash('1', parseOrderRequest({ ...base })));
    expect(orderRequestHash('1', parseOrderRequest({ ...base, session: 'ETH' }))).not.toBe(plain);
    expect(orderRequestHash('1', parseOrderRequest({ ...base, session: 'ETH' }))).not.toBe(orderRequestHash('1', parseOrderRequest({ ...base, session: 'ALL' })));
  });
});

describe('tradeMarketFor', () => {
  const universal = { accId: 281756491128374601n, markets: ['HK', 'US', 'HKCC'] };

  it('picks the market of the security on a universal account', () => {
    expect(tradeMarketFor(universal, 'HK.00700')).toBe('HK');
    expect(tradeMarketFor(universal, 'US.AAPL')).toBe('US');
    expect(tradeMarketFor(universal, 'SH.600519')).toBe('HKCC');
    expect(tradeMarketFor(universal, 'SZ.000001')).toBe('HKCC');
    expect(tradeMarketFor({ accId: 1n, markets: ['CN'] }, 'SH.600519')).toBe('CN');
    expect(tradeMarketFor({ accId: 1n, markets: ['FUTURES'] }, 'HK.00700')).toBe('FUTURES');
  });

  it('names the account and its markets when none of them trades the security', () => {
    expect(() => tradeMarketFor({ accId: 7n, markets: ['US'] }, 'HK.00700')).toThrow(new ValidationError('code', 'HK.00700 cannot be traded by account 7: it trades US'));
    expect(() => tradeMarketFor({ accId: 7n, markets: [] }, 'US.AAPL')).toThrow(new ValidationError('code', 'US.AAPL cannot be traded by account 7: it trades no market'));
  });
});
