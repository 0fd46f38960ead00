// The one-pass Detail writers (gateway-container/relay/detail-literals.ts) against the two native passes they
// replace: for details built by quoteDetail and tickerDetail (proto/events.ts) from pushes with every kind of value
// a member can hold — optional members absent, names JSON must escape or outside ASCII, non-finite and extreme
// numbers — the literal is JSON.stringify(JSON.stringify(detail)) exactly, and parses back to the detail.
import { describe, expect, it } from 'vitest';
import { quoteDetailLiteral, tickerDetailLiteral } from '../../gateway-container/relay/detail-literals.js';
import { quoteDetail, tickerDetail } from '../../proto/events.js';
import type * as Qot_Common from '../../proto/generated/Qot_Common.js';

const T = '2026-12-01T02:00:00.123Z';
const NAMES = [undefined, 'TENCENT', '騰訊控股', 'Apple "Inc" \\ back\\slash', 'tab\there\nnew\r\u0001\u001f', 'line\u2028sep\u2029', '贵州茅台 🚀', 'lone \ud800 surrogate', ''];
const NUMBERS = [380.2, 0, -0, 0.1 + 0.2, -1.2345, 1e21, 1.5e-7, 123456789012345.6, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER];
const CODES = ['00700', 'AAPL', 'a"b', 'x\\y'];

function basicQot(i: number): Qot_Common.BasicQot {
  const n = (k: number) => NUMBERS[(i + k) % NUMBERS.length]!;
  return {
    security: { market: [1, 11, 21, 22, 99][i % 5]!, code: CODES[i % CODES.length]! },
    isSuspended: i % 2 === 0,
    listTime: '2004-06-16',
    priceSpread: 0.2,
    updateTime: i % 3 === 0 ? '2026-12-01 10:00:00' : `t"${i}\\`,
    highPrice: n(1),
    openPrice: n(2),
    lowPrice: n(3),
    curPrice: n(4),
    lastClosePrice: n(5),
    volume: BigInt(i * 1_000_003),
    turnover: n(6),
    turnoverRate: n(7),
    amplitude: n(8),
    updateTimestamp: i % 4 === 0 ? undefined : n(9),
    name: NAMES[i % NAMES.length],
  };
}

function ticker(i: number): Qot_Common.Ticker {
  const n = (k: number) => NUMBERS[(i + k) % NUMBERS.length]!;
  return { time: i % 2 ? '2026-12-01 10:00:00.123' : `odd "${i}"`, sequence: 2n ** 62n + BigInt(i), dir: i % 4, price: n(1), volume: BigInt(i * 77), turnover: n(2), timestamp: i % 3 === 0 ? undefined : n(3) };
}

describe('detail literals', () => {
  it('write a Quote detail as the two native passes do, for every kind of member value', () => {
    for (let i = 0; i < 200; i++) {
      const d = quoteDetail(basicQot(i), i % 2 ? T : `gw "${i}"`);
      const literal = quoteDetailLiteral(d);
      expect(literal).toBe(JSON.stringify(JSON.stringify(d)));
      expect(JSON.parse(JSON.parse(literal))).toEqual(JSON.parse(JSON.stringify(d)));
    }
  });

  it('write a Ticker detail as the two native passes do, for every kind of member value', () => {
    for (let i = 0; i < 200; i++) {
      const d = tickerDetail({ market: [1, 11, 21][i % 3]!, code: CODES[i % CODES.length]! }, ticker(i), T);
      expect(tickerDetailLiteral(d)).toBe(JSON.stringify(JSON.stringify(d)));
    }
  });
});
