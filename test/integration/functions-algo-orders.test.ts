// TWAP / VWAP and at-auction orders through the HTTP API: a TWAP_MARKET order placed with POST is worked by the
// simulator in slices over its window (several fills at different virtual times, total = qty) and GET shows it
// filled; requests missing what these types need, or for a market that does not offer them, are refused with a
// 400 naming the field and what is allowed, with nothing placed. Real simulator over TCP, DynamoDB Local, real
// AWS SDK clients; trading is unlocked with Trd_UnlockTrade from a real OpenD client, as the relay would do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRADE_PASSWORD } from '../../gateway-container/simulator/trading/engine.js';
import { ALGO_WINDOW_MS } from '../../gateway-container/simulator/trading/algo-orders.js';
import { TradeApi } from '../../proto/api/trading.js';
import type { OpenDClient } from '../../proto/client.js';
import * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';
import { connectClient } from './sim-helpers.js';

const { OrderStatus } = Trd_Common;
const US = 'US.AAPL';
const HK = 'HK.00700';

let h: FunctionsHarness;
let opend: OpenDClient;

beforeAll(async () => {
  h = await startFunctionsHarness();
  opend = await connectClient(h.sim, { rsaPrivateKey: h.rsaKeyPem });
  await new TradeApi(opend).unlock(DEFAULT_TRADE_PASSWORD);
});

afterAll(async () => {
  await opend?.close();
  await h?.stop();
});

const ordersUrl = (accId: string) => `/v1/accounts/${accId}/orders`;
const simOrders = (accId: string) => h.sim.trading.orders(h.header(accId));

describe('algorithmic and at-auction orders over HTTP', () => {
  it('places a TWAP_MARKET order that the simulator fills in slices over its window; GET shows it filled', async () => {
    const fillTimes: number[] = [];
    const stop = h.sim.trading.onFill((_a, _h, f) => {
      if (f.code === 'AAPL') fillTimes.push(h.sim.clock.now());
    });
    try {
      await h.nextTradeSlot();
      const r = await h.http('POST', ordersUrl(ACCOUNTS.REAL_US), { body: { clientOrderId: 'twap-1', code: US, side: 'BUY', qty: 100, type: 'TWAP_MARKET' } });
      expect(r.status, r.text).toBe(201);
      expect(r.body.order.type).toBe('TWAP_MARKET');
      const orderId: string = r.body.order.orderId;
      const live = () => simOrders(ACCOUNTS.REAL_US).find((o) => o.orderID.toString() === orderId);
      for (let i = 0; i < (ALGO_WINDOW_MS + 5 * 60_000) / 1000 && live()?.orderStatus !== OrderStatus.FILLED_ALL; i++) h.sim.advance(1000);
      expect(live()).toMatchObject({ orderType: Trd_Common.OrderType.TWAP_MARKET, orderStatus: OrderStatus.FILLED_ALL, fillQty: 100 });
      expect(fillTimes.length).toBeGreaterThan(5);
      expect(fillTimes.at(-1)! - fillTimes[0]!).toBeGreaterThan(ALGO_WINDOW_MS / 2); // spread over the window
      const got = await h.http('GET', `${ordersUrl(ACCOUNTS.REAL_US)}/${orderId}`);
      expect(got.status, got.text).toBe(200);
      expect(got.body.order).toMatchObject({ orderId, type: 'TWAP_MARKET', status: 'FILLED_ALL', fillQty: 100 });
    } finally {
      stop();
    }
  });

  it.each([
    ['a TWAP_LIMIT without price', ACCOUNTS.REAL_US, { code: US, qty: 10, type: 'TWAP_LIMIT' }, 'price', /is required for TWAP_LIMIT orders \(the limit price\)/],
    ['a VWAP_MARKET with a price', ACCOUNTS.REAL_US, { code: US, qty: 10, type: 'VWAP_MARKET', price: 100 }, 'price', /must be left out for VWAP_MARKET orders: it trades at the market in slices \(use VWAP_LIMIT for a limit\)/],
    ['a GTC VWAP_LIMIT', ACCOUNTS.REAL_US, { code: US, qty: 10, type: 'VWAP_LIMIT', price: 100, timeInForce: 'GTC' }, 'timeInForce', /GTC is not allowed for VWAP_LIMIT/],
    ['a TWAP order for a HK security', ACCOUNTS.REAL_HK, { code: HK, qty: 100, type: 'TWAP_MARKET' }, 'type', /TWAP_MARKET is not offered for HK.00700/],
    ['an AUCTION order with a price', ACCOUNTS.REAL_HK, { code: HK, qty: 100, type: 'AUCTION', price: 300 }, 'price', /must be left out for AUCTION orders: it trades at the auction price/],
    ['an AUCTION order for a US security', ACCOUNTS.REAL_US, { code: US, qty: 10, type: 'AUCTION' }, 'type', /AUCTION is not offered for US.AAPL/],
  ])('refuses %s with a 400 naming the field, nothing placed', async (_what, acc, fields, field, message) => {
    const before = simOrders(acc).length;
    const r = await h.http('POST', ordersUrl(acc), { body: { clientOrderId: `bad-${field}-${fields.type}`, side: 'BUY', ...fields } });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.details.field).toBe(field);
    expect(r.body.error.message).toMatch(message);
    expect(simOrders(acc).length).toBe(before);
  });
});
