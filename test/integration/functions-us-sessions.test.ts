// Orders over the HTTP API in US extended hours and on a universal account, end to end: the simulator in
// exchange mode on a virtual clock, the relay publishing its order pushes to a local EventBridge, and the
// order-events function storing them in DynamoDB Local, all real. A US pre-market limit order with session ETH
// fills in pre-market while a regular-hours one waits for the open; one universal account trades US, HK and
// A shares (SH, through Stock Connect), each order under its security's trade market, filled and stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEventBridge, type BusEvent, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { EVENT_RULES } from '../../cdk/definitions.js';
import type { OrderRecord } from '../../functions/lib/model.js';
import { Relay } from '../../gateway-container/relay/relay.js';
import { DEFAULT_TRADE_PASSWORD_MD5 } from '../../gateway-container/simulator/trading/engine.js';
import { until } from '../support/local-aws.js';
import { testRelayOptions } from '../support/test-relay.js';
import { ACCOUNTS, RICH_ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

/** The universal paper account of the simulator's defaults (HK + US + HKCC). */
const SIM_UNI = '281756491128374601';
/** An instant on New York's wall clock (EST, UTC-5, in January). */
const et = (date: string, hhmm: string): number => Date.parse(`${date}T${hhmm}:00-05:00`);

let h: FunctionsHarness;
let bus: LocalEventBridge;
let relay: Relay;

beforeAll(async () => {
  // Deep pockets in every currency, the universal account's CNH too.
  const accounts = RICH_ACCOUNTS.map((a) => (a.markets.includes('HKCC') ? { ...a, cash: { ...a.cash, CNH: 1e10 } } : a));
  h = await startFunctionsHarness({
    // Tuesday 2025-01-14 05:00 in New York: US pre-market; HK and Shanghai are closed (18:00 there).
    simulator: { accounts, sessions: 'exchange', tickIntervalMs: 10_000, clock: { manual: true, start: et('2025-01-14', '05:00') } },
  });
  bus = await startLocalEventBridge({
    rules: [
      {
        name: 'orderEvents',
        eventBusName: 'opend-test',
        pattern: EVENT_RULES.orderEvents.eventPattern,
        // Delivered to the order-events function as EventBridge would (without the local bus's own field).
        target: async (e: BusEvent) => {
          const { eventBusName: _bus, ...event } = e;
          await h.orderEvents(event);
        },
      },
    ],
  });
  relay = new Relay(testRelayOptions({ host: h.sim.host, port: h.sim.port, rsaPrivateKey: h.rsaKeyPem }, bus.endpoint, { tradePasswordMd5: DEFAULT_TRADE_PASSWORD_MD5 }));
  await relay.start();
  await until(() => relay.health().ready, 10_000, 'relay ready');
}, 120_000);

afterAll(async () => {
  await relay?.stop();
  await bus?.close();
  await h?.stop();
});

const ordersUrl = (accId: string) => `/v1/accounts/${accId}/orders`;

function advanceTo(t: number): void {
  const now = h.sim.clock.now();
  if (t > now) h.sim.advance(t - now);
}

/** A US buy limit 5 % above the current ask: it fills as soon as its session allows. */
function marketableAaplBuy(): number {
  return Math.round(h.sim.market.top('US.AAPL')!.ask * 105) / 100;
}

async function post(accId: string, clientOrderId: string, body: Record<string, unknown>) {
  await h.nextTradeSlot();
  return h.http('POST', ordersUrl(accId), { body: { clientOrderId, ...body } });
}

/** Waits until DynamoDB holds the order of this clientOrderId in `status`. */
async function stored(accId: string, clientOrderId: string, status: string): Promise<OrderRecord> {
  let rec: OrderRecord | undefined;
  await until(
    async () => {
      rec = await h.rt.orders.findByClientOrderId(accId, clientOrderId);
      return rec?.status === status;
    },
    30_000,
    `order ${clientOrderId} stored as ${status}`,
  );
  return rec!;
}

describe('US extended hours over HTTP', () => {
  it('fills a pre-market limit order with session ETH in pre-market while a regular-hours one waits for the open', async () => {
    const price = marketableAaplBuy();
    const eth = await post(ACCOUNTS.SIM_US, 'pre-eth', { code: 'US.AAPL', side: 'BUY', qty: 10, price, session: 'ETH' });
    expect(eth.status).toBe(201);
    const rth = await post(ACCOUNTS.SIM_US, 'pre-rth', { code: 'US.AAPL', side: 'BUY', qty: 10, price });
    expect(rth.status).toBe(201);

    h.sim.advance(10 * 60_000); // 05:10, still pre-market
    expect(await stored(ACCOUNTS.SIM_US, 'pre-eth', 'FILLED_ALL')).toMatchObject({ code: 'US.AAPL', fillQty: 10, trdMarket: 'US' });
    expect((await stored(ACCOUNTS.SIM_US, 'pre-rth', 'SUBMITTED')).fillQty).toBe(0);
    const got = await h.http('GET', `${ordersUrl(ACCOUNTS.SIM_US)}?clientOrderId=pre-eth`);
    expect(got.body.orders[0]).toMatchObject({ clientOrderId: 'pre-eth', status: 'FILLED_ALL', fillQty: 10 });

    advanceTo(et('2025-01-14', '09:35'));
    expect((await stored(ACCOUNTS.SIM_US, 'pre-rth', 'FILLED_ALL')).fillQty).toBe(10);
  });

  it('refuses a market order with session ETH and a session on a non-US security before anything is placed', async () => {
    const before = h.sim.trading.orders(h.header(ACCOUNTS.SIM_US)).length;
    const market = await post(ACCOUNTS.SIM_US, 'eth-market', { code: 'US.AAPL', side: 'BUY', type: 'MARKET', qty: 10, session: 'ETH' });
    expect(market.status).toBe(400);
    expect(market.body.error.message).toBe('session: ETH (trading outside regular hours) takes limit orders only (NORMAL, STOP_LIMIT); MARKET orders trade in the regular session (RTH)');
    const hk = await post(ACCOUNTS.SIM_HK, 'eth-hk', { code: 'HK.00700', side: 'BUY', qty: 100, price: 300, session: 'ETH' });
    expect(hk.status).toBe(400);
    expect(hk.body.error.message).toMatch(/^session: ETH is only for US securities; HK\.00700 trades in its regular sessions only/);
    const unknown = await post(ACCOUNTS.SIM_US, 'eth-bad', { code: 'US.AAPL', side: 'BUY', qty: 10, price: 100, session: 'PRE' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/^session: must be one of RTH, ETH, OVERNIGHT, ALL/);
    expect(h.sim.trading.orders(h.header(ACCOUNTS.SIM_US))).toHaveLength(before);
  });
});

describe('universal account over HTTP', () => {
  it('trades US, HK and SH securities on one account, each order filled and stored under its own trade market', async () => {
    advanceTo(et('2025-01-14', '09:40')); // US regular session
    const us = await post(SIM_UNI, 'uni-us', { code: 'US.AAPL', side: 'BUY', type: 'MARKET', qty: 10 });
    expect(us.status, JSON.stringify(us.body)).toBe(201);
    expect(us.body.order).toMatchObject({ trdMarket: 'US', code: 'US.AAPL' });

    // Wednesday 10:00 in Hong Kong and Shanghai (Tuesday 21:00 in New York): HK and A shares trade.
    advanceTo(Date.parse('2025-01-15T10:00:00+08:00'));
    const hk = await post(SIM_UNI, 'uni-hk', { code: 'HK.00700', side: 'BUY', type: 'MARKET', qty: 100 });
    expect(hk.status, JSON.stringify(hk.body)).toBe(201);
    expect(hk.body.order).toMatchObject({ trdMarket: 'HK', code: 'HK.00700' });
    // Stock Connect takes limit orders only: one 2 % above the ask fills at once.
    const shPrice = Math.round(h.sim.market.top('SH.600519')!.ask * 102) / 100;
    const sh = await post(SIM_UNI, 'uni-sh', { code: 'SH.600519', side: 'BUY', qty: 100, price: shPrice });
    expect(sh.status, JSON.stringify(sh.body)).toBe(201);
    expect(sh.body.order).toMatchObject({ trdMarket: 'HKCC', code: 'SH.600519' });

    for (const [coid, code, trdMarket, qty] of [
      ['uni-us', 'US.AAPL', 'US', 10],
      ['uni-hk', 'HK.00700', 'HK', 100],
      ['uni-sh', 'SH.600519', 'HKCC', 100],
    ] as const) {
      expect(await stored(SIM_UNI, coid, 'FILLED_ALL')).toMatchObject({ accId: SIM_UNI, clientOrderId: coid, code, trdMarket, fillQty: qty });
    }
    // Per-security account reads use the security's trade market too.
    const max = await h.http('GET', `/v1/accounts/${SIM_UNI}/max-quantities?code=SH.600519&type=NORMAL&price=${shPrice}`);
    expect(max.status, JSON.stringify(max.body)).toBe(200);
    expect(max.body.maxQuantities.maxPositionSell).toBe(100);
    const positions = h.sim.trading.positions(h.header(SIM_UNI), undefined).map((p) => [p.code, p.qty]);
    expect(positions.sort()).toEqual([['00700', 100], ['600519', 100], ['AAPL', 10]]);
  });

  it('answers 400 naming the account markets for a security the account cannot trade', async () => {
    const r = await post(ACCOUNTS.SIM_HK, 'hk-only-us', { code: 'US.AAPL', side: 'BUY', qty: 1, price: 100 });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe(`code: US.AAPL cannot be traded by account ${ACCOUNTS.SIM_HK}: it trades HK`);
    expect(r.body.error.details).toMatchObject({ field: 'code', markets: ['HK'] });
  });
});
