// Order placement under faults: exactly one order per clientOrderId when OpenD's answer is lost (timeouts,
// non-business retTypes, a new trading day), failures before anything is sent release the clientOrderId at
// once, a duplicate never waits past its invocation, Futu's counters are respected with a margin, and a
// failed RSA key load is not cached. Real simulator over TCP (virtual clock, fault switches), DynamoDB Local;
// a fault hook only where nothing local can produce the fault, and then the test name says so.
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { ApiError } from '../../functions/lib/api-error.js';
import { idempotencyKey } from '../../functions/lib/idempotency-store.js';
import { OpenDConnection, type OpenDSession } from '../../functions/lib/opend-connection.js';
import { parseOrderRequest } from '../../functions/lib/order-input.js';
import { placeOrderIdempotently, type PlaceOrderDeps } from '../../functions/lib/place-order.js';
import type { RateLimiter } from '../../functions/lib/rate-limiter.js';
import type { TradingEngine } from '../../gateway-container/simulator/trading/engine.js';
import { TradeApi, type AccountRef } from '../../proto/api/trading.js';
import { OpenDClient } from '../../proto/client.js';
import { DisconnectedError, OpenDError } from '../../proto/errors.js';
import { silentLogger } from '../../proto/log.js';
import { stepTicks } from '../../proto/ticks.js';
import { extraHkAccounts, RICH_ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';
import { PROTO_ID } from '../../proto/registry.js';
import { sleep } from '../../proto/timers.js';

const STALE_MS = 400;
const REQUEST_TIMEOUT_MS = 1500;
const DAY_MS = 24 * 3600_000;

// One paper HK account per scenario: Futu's per-account limits of one never affect another.
const EXTRA = extraHkAccounts(12, 281756480572700000n);
const acc = (i: number) => EXTRA[i]!.accID.toString();
const A = {
  nextDayFound: acc(0),
  nextDayMissing: acc(1),
  retTypePlaced: acc(2),
  retTypeNotSent: acc(3),
  businessReject: acc(4),
  limiterThrottled: acc(5),
  unreachable: acc(6),
  dropped: acc(7),
  duplicateWait: acc(8),
  refresh: acc(9),
  brokerLimit: acc(10),
};

let h: FunctionsHarness;
let placeSpy: MockInstance<TradingEngine['placeOrder']>;

beforeAll(async () => {
  h = await startFunctionsHarness({
    simulator: { accounts: [...RICH_ACCOUNTS, ...EXTRA] },
    env: { IDEMPOTENCY_PENDING_STALE_MS: String(STALE_MS), OPEND_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) },
  });
  placeSpy = vi.spyOn(h.sim.trading, 'placeOrder');
}, 120_000);

afterAll(async () => {
  h?.sim.core.stallReplies(0);
  placeSpy?.mockRestore();
  await h?.stop();
});

const ordersUrl = (accId: string) => `/v1/accounts/${accId}/orders`;
const ref = (accId: string): AccountRef => ({ accId: BigInt(accId), env: 'SIMULATE', market: 'HK' });

function placeOrderCalls(accId: string): number {
  return placeSpy.mock.calls.filter(([c2s]) => c2s.header.accID.toString() === accId).length;
}

function simOrdersOf(accId: string, clientOrderId: string) {
  const header = h.header(accId);
  // The history list, not today's: an order of an earlier trading day must be counted too.
  return h.sim.trading.historyOrders(header, { beginTime: '2000-01-01 00:00:00', endTime: '2100-01-01 00:00:00' }).filter((o) => o.remark === `oc:${clientOrderId}`);
}

function belowBid(ticks: number): number {
  return stepTicks('HK', h.sim.market.top('HK.00700')!.bid, -ticks);
}

function order(clientOrderId: string, ticks = 6) {
  return { clientOrderId, code: 'HK.00700', side: 'BUY', qty: 100, price: belowBid(ticks), timeInForce: 'DAY' };
}

function deps(extra: Partial<PlaceOrderDeps> = {}): PlaceOrderDeps {
  const rt = h.rt;
  return { idempotency: rt.idempotency, limiter: rt.limiter, openD: () => rt.openD.get(), log: silentLogger, pendingStaleMs: STALE_MS, ...extra };
}

const record = (accId: string, clientOrderId: string) => h.rt.idempotency.get(idempotencyKey(accId, clientOrderId));

/** Waits (bounded) until a PENDING record may be taken over. */
async function untilStale(accId: string, clientOrderId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const rec = await record(accId, clientOrderId);
    expect(rec?.state).toBe('PENDING');
    if (Date.now() - Date.parse(rec!.updatedAt) > STALE_MS) return;
    await sleep(STALE_MS / 4);
  }
  throw new Error('the record never became stale');
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A session whose PlaceOrder answers with OpenD's `retType` — after really placing the order, or without sending it. */
function sessionAnswering(real: OpenDSession, retType: number, placeFirst: boolean): OpenDSession {
  const trade = Object.create(real.trade) as TradeApi;
  trade.placeOrder = async (a, input) => {
    if (placeFirst) await real.trade.placeOrder(a, input);
    throw new OpenDError(PROTO_ID.Trd_PlaceOrder, retType, `injected retType ${retType}`, undefined, 'Trd_PlaceOrder');
  };
  return { ...real, trade };
}

describe('an unknown outcome across a trading-day boundary (issue point 1)', () => {
  it("finds the order in the history orders on the next trading day and answers it, instead of placing a second one (OpenD's replies stalled from the moment the record is written)", async () => {
    const body = order('day-found-1');
    // The stall is the simulator's fault switch; the hook only switches it on once the record exists, so
    // that the PlaceOrder reaches the broker and its reply is lost.
    const first = (await placeOrderIdempotently(
      // 12 s: longer than the default request timeout (10 s) too, so the reply is lost whatever the setting.
      deps({ afterRecord: () => h.sim.core.stallReplies(12_000) }),
      ref(A.nextDayFound),
      parseOrderRequest(body),
    )
      .catch((e: unknown) => e)
      .finally(() => h.sim.core.stallReplies(0))) as ApiError;
    expect(first).toBeInstanceOf(ApiError);
    expect(first).toMatchObject({ statusCode: 503, code: 'OUTCOME_UNKNOWN' });
    const placed = simOrdersOf(A.nextDayFound, 'day-found-1');
    expect(placed).toHaveLength(1);
    const pending = await record(A.nextDayFound, 'day-found-1');

    h.sim.advance(DAY_MS);
    await untilStale(A.nextDayFound, 'day-found-1');
    const retry = await h.http('POST', ordersUrl(A.nextDayFound), { body });
    expect(retry.status).toBe(201);
    expect(retry.body.order).toMatchObject({ orderId: placed[0]!.orderID.toString(), clientOrderId: 'day-found-1' });
    expect(simOrdersOf(A.nextDayFound, 'day-found-1')).toHaveLength(1);
    expect(placeOrderCalls(A.nextDayFound)).toBe(1);
    expect(pending).toMatchObject({ state: 'PENDING', tradeDate: '2025-01-15', market: 'HK' });
  }, 60_000);

  it('never places again a record of an earlier trading day whose order is in no list: 409 says to look for the remark in the history orders (crash injected before sending)', async () => {
    const body = order('day-missing-1');
    await expect(
      placeOrderIdempotently(deps({ afterRecord: () => { throw new Error('injected crash'); } }), ref(A.nextDayMissing), parseOrderRequest(body)),
    ).rejects.toThrow('injected crash');
    const started = await record(A.nextDayMissing, 'day-missing-1');
    const simNowAtStart = h.sim.clock.now();

    h.sim.advance(DAY_MS);
    for (const attempt of [1, 2]) {
      await untilStale(A.nextDayMissing, 'day-missing-1');
      const r = await h.http('POST', ordersUrl(A.nextDayMissing), { body });
      expect(r.status, `retry ${attempt}`).toBe(409);
      expect(r.body.error).toMatchObject({
        code: 'CONFLICT',
        message: expect.stringContaining('history orders'),
        details: { clientOrderId: 'day-missing-1', remark: 'oc:day-missing-1', reason: 'OUTCOME_UNKNOWN_EARLIER_TRADING_DAY', firstTradeDate: started?.tradeDate },
      });
      expect(r.body.error.message).toContain('oc:day-missing-1');
    }
    expect(simOrdersOf(A.nextDayMissing, 'day-missing-1')).toHaveLength(0);
    expect(placeOrderCalls(A.nextDayMissing)).toBe(0);
    // What the decision rests on: when (by OpenD's clock), on which trading day and in which market it began.
    expect(started).toMatchObject({ market: 'HK', tradeDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(Date.parse(started!.gatewayStartedAt!)).toBe(Math.floor(simNowAtStart / 1000) * 1000);
  }, 60_000);
});

describe("OpenD's non-business failures are unknown outcomes, not rejections (issue point 2)", () => {
  for (const retType of [-100, -200, -400, -500]) {
    it(`answers the order OpenD placed although its reply said retType ${retType}, and stores no rejection (fault injected: OpenD's retType)`, async () => {
      const coid = `rettype-placed${retType}`;
      const body = order(coid);
      await h.nextTradeSlot();
      const real = await h.rt.openD.get();
      const r = await placeOrderIdempotently(deps({ openD: async () => sessionAnswering(real, retType, true) }), ref(A.retTypePlaced), parseOrderRequest(body));
      const placed = simOrdersOf(A.retTypePlaced, coid);
      expect(placed).toHaveLength(1);
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ order: { orderId: placed[0]!.orderID.toString(), clientOrderId: coid } });
      expect(await record(A.retTypePlaced, coid)).toMatchObject({ state: 'PLACED', orderId: placed[0]!.orderID.toString() });

      const again = await h.http('POST', ordersUrl(A.retTypePlaced), { body });
      expect(again.status).toBe(201);
      expect(simOrdersOf(A.retTypePlaced, coid)).toHaveLength(1);
    });
  }

  it('answers 503 OUTCOME_UNKNOWN for retType -400 with no order at the broker, keeps the record PENDING, and the same-day retry places exactly one (fault injected: OpenD\'s retType)', async () => {
    const body = order('rettype-missing-1');
    const real = await h.rt.openD.get();
    const first = placeOrderIdempotently(deps({ openD: async () => sessionAnswering(real, -400, false) }), ref(A.retTypeNotSent), parseOrderRequest(body));
    await expect(first).rejects.toBeInstanceOf(ApiError);
    const err = (await first.catch((e: unknown) => e)) as ApiError;
    expect(err).toMatchObject({ statusCode: 503, code: 'OUTCOME_UNKNOWN', details: { retType: -400 } });
    expect(err.headers?.['retry-after']).toBe(String(Math.ceil(STALE_MS / 1000)));
    expect(await record(A.retTypeNotSent, 'rettype-missing-1')).toMatchObject({ state: 'PENDING' });

    await untilStale(A.retTypeNotSent, 'rettype-missing-1');
    await h.nextTradeSlot();
    const retry = await h.http('POST', ordersUrl(A.retTypeNotSent), { body });
    expect(retry.status).toBe(201);
    const placed = simOrdersOf(A.retTypeNotSent, 'rettype-missing-1');
    expect(placed).toHaveLength(1);
    expect(retry.body.order.orderId).toBe(placed[0]!.orderID.toString());
  });

  it('keeps a business rejection (retType -1) final: 422 BROKER_REJECTED, and the retry gets the same answer without a second PlaceOrder', async () => {
    const body = order('business-1');
    h.sim.core.failNextRequests(1, { protoIds: [PROTO_ID.Trd_PlaceOrder], message: 'insufficient buying power' });
    const first = await h.http('POST', ordersUrl(A.businessReject), { body });
    expect(first.status).toBe(422);
    expect(first.body.error).toMatchObject({ code: 'BROKER_REJECTED', details: { retType: -1, retMsg: 'insufficient buying power' } });
    const again = await h.http('POST', ordersUrl(A.businessReject), { body });
    expect(again.text).toBe(first.text);
    expect(simOrdersOf(A.businessReject, 'business-1')).toHaveLength(0);
  });
});

describe('failures before anything is sent release the clientOrderId (issue point 3)', () => {
  it('answers 429 with Retry-After when the rate-limit table throttles, leaves no record, and the immediate retry places one order (fault injected: DynamoDB throttling)', async () => {
    const body = order('throttled-1');
    const real = h.rt.limiter;
    let throttles = 1;
    const limiter: RateLimiter = {
      acquire: (bucket, rule) => {
        if (throttles-- > 0) return Promise.reject(Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ProvisionedThroughputExceededException' }));
        return real.acquire(bucket, rule);
      },
    };
    const err = (await placeOrderIdempotently(deps({ limiter }), ref(A.limiterThrottled), parseOrderRequest(body)).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    expect(err.headers?.['retry-after']).toBe('1');
    expect(await record(A.limiterThrottled, 'throttled-1')).toBeUndefined();

    const t0 = Date.now();
    const retry = await h.http('POST', ordersUrl(A.limiterThrottled), { body });
    expect(retry.status).toBe(201);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(simOrdersOf(A.limiterThrottled, 'throttled-1')).toHaveLength(1);
  });

  it('answers 503 GATEWAY_NOT_READY with Retry-After when OpenD cannot be reached because the RSA key cannot be loaded, leaves no record, and the retry places (fault injected: Secrets Manager throttling)', async () => {
    const body = order('unreachable-1');
    const broken = new OpenDConnection({
      host: h.sim.host,
      port: h.sim.port,
      rsaPrivateKey: () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })),
      log: silentLogger,
    });
    const err = (await placeOrderIdempotently(deps({ openD: () => broken.get() }), ref(A.unreachable), parseOrderRequest(body)).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ statusCode: 503, code: 'GATEWAY_NOT_READY' });
    expect(err.headers?.['retry-after']).toBe('5');
    expect(await record(A.unreachable, 'unreachable-1')).toBeUndefined();

    const retry = await h.http('POST', ordersUrl(A.unreachable), { body });
    expect(retry.status).toBe(201);
    expect(simOrdersOf(A.unreachable, 'unreachable-1')).toHaveLength(1);
  });

  it('answers 503 GATEWAY_NOT_READY when OpenD dropped the connection after the record was written and before PlaceOrder, leaves no record, and the retry places one order', async () => {
    const body = order('dropped-1');
    const client = await OpenDClient.connect({ host: h.sim.host, port: h.sim.port, rsaPrivateKey: h.rsaKeyPem, clientId: 'placement-faults' });
    try {
      const session = { client, trade: new TradeApi(client) } as OpenDSession;
      const err = (await placeOrderIdempotently(
        deps({
          openD: async () => session,
          afterRecord: async () => {
            h.sim.core.dropAllConnections('dropped by the test');
            await until('the client to see the drop', () => !client.connected);
          },
        }),
        ref(A.dropped),
        parseOrderRequest(body),
      ).catch((e: unknown) => e)) as ApiError;
      expect(err).toMatchObject({ statusCode: 503, code: 'GATEWAY_NOT_READY' });
      expect(err.headers?.['retry-after']).toBe('5');
    } finally {
      await client.close();
    }
    expect(await record(A.dropped, 'dropped-1')).toBeUndefined();
    expect(placeOrderCalls(A.dropped)).toBe(0);

    const retry = await h.http('POST', ordersUrl(A.dropped), { body });
    expect(retry.status).toBe(201);
    expect(simOrdersOf(A.dropped, 'dropped-1')).toHaveLength(1);
  });

  it("bounds a duplicate's wait by the invocation's remaining time less a margin, not a fixed 20 s (crash injected before sending)", async () => {
    const body = order('wait-1');
    const long = { pendingStaleMs: 600_000 };
    await expect(
      placeOrderIdempotently(deps({ ...long, afterRecord: () => { throw new Error('injected crash'); } }), ref(A.duplicateWait), parseOrderRequest(body)),
    ).rejects.toThrow('injected crash');
    const t0 = Date.now();
    const err = (await placeOrderIdempotently(deps({ ...long, remainingMs: () => 2_600, remainingMarginMs: 2_000 }), ref(A.duplicateWait), parseOrderRequest(body)).catch((e: unknown) => e)) as ApiError;
    const waited = Date.now() - t0;
    expect(err).toMatchObject({ statusCode: 409, code: 'CONFLICT', message: expect.stringContaining('still being placed') });
    expect(err.headers?.['retry-after']).toBeDefined();
    expect(waited).toBeGreaterThanOrEqual(550);
    expect(waited).toBeLessThan(2_600);
    expect(placeOrderCalls(A.duplicateWait)).toBe(0);
  });
});

describe("Futu's counters and the RSA key (issue point 8)", () => {
  it('loads the RSA key again after a failed load instead of caching the failure (fault injected: Secrets Manager throttling)', async () => {
    let loads = 0;
    const conn = new OpenDConnection({
      host: h.sim.host,
      port: h.sim.port,
      rsaPrivateKey: async () => {
        loads++;
        if (loads === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        return h.rsaKeyPem;
      },
      log: silentLogger,
    });
    try {
      await expect(conn.get()).rejects.toBeInstanceOf(DisconnectedError);
      const s = await conn.get();
      expect(s.client.connected).toBe(true);
      expect(await s.trade.accounts()).not.toHaveLength(0);
      expect(loads).toBe(2);
      await conn.get();
      expect(loads).toBe(2);
    } finally {
      await conn.close();
    }
  });

  it('counts refreshed order, position, funds and fill reads against Futu\'s 10 per 30 s with a 10 % margin: the 10th is 429 and never reaches OpenD', async () => {
    const url = ordersUrl(A.refresh);
    const reads = [
      `${url}?refresh=true`,
      `/v1/accounts/${A.refresh}/positions?refresh=true`,
      `/v1/accounts/${A.refresh}/funds?refresh=true`,
      `${url}?refresh=true`,
      `${url}?refresh=true&codes=HK.00700`,
      `/v1/accounts/${A.refresh}/positions?refresh=true`,
      `${url}?refresh=true`,
      `/v1/accounts/${A.refresh}/funds?refresh=true`,
      `${url}?refresh=true`,
    ];
    for (const r of reads) expect((await h.http('GET', r)).status, r).toBe(200);
    const tenth = await h.http('GET', `${url}?refresh=true`);
    expect(tenth.status).toBe(429);
    expect(tenth.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 10, windowSeconds: 30 } });
    expect(Number(tenth.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await h.http('GET', `/v1/accounts/${A.refresh}/positions?refresh=true`)).status).toBe(429);
    // Unrefreshed reads come from OpenD's cache and are not limited.
    expect((await h.http('GET', url)).status).toBe(200);
  });

  it("treats the broker's own frequency-limit answer as retryable: 429 with Retry-After, the record released, and the same clientOrderId places once the window has passed", async () => {
    // Another client of the same account (the desktop app, another bot) used Futu's whole PlaceOrder budget,
    // which our limiter cannot see.
    const other = await OpenDClient.connect({ host: h.sim.host, port: h.sim.port, rsaPrivateKey: h.rsaKeyPem, clientId: 'another-app' });
    try {
      const trade = new TradeApi(other);
      for (let i = 0; i < 15; i++) {
        await h.nextTradeSlot();
        await trade.placeOrder(ref(A.brokerLimit), { code: 'HK.00700', side: 'BUY', qty: 100, price: belowBid(9), remark: `other-${i}` });
      }
    } finally {
      await other.close();
    }
    const body = order('broker-limit-1');
    await h.nextTradeSlot();
    const limited = await h.http('POST', ordersUrl(A.brokerLimit), { body });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining("broker's own count") });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(await record(A.brokerLimit, 'broker-limit-1')).toBeUndefined();
    expect(simOrdersOf(A.brokerLimit, 'broker-limit-1')).toHaveLength(0);

    h.sim.advance(retryAfter * 1000 + 1000);
    const retry = await h.http('POST', ordersUrl(A.brokerLimit), { body });
    expect(retry.status).toBe(201);
    expect(simOrdersOf(A.brokerLimit, 'broker-limit-1')).toHaveLength(1);
  });
});
