// Authorization, risk limits and the audit trail of the HTTP API, end to end: API Gateway v2 events with an IAM
// caller identity (the local x-opend-cloud-caller header), the real handlers, the simulator over TCP and
// DynamoDB Local. "OpenD sees nothing" is proven with the simulator's own connection and request counters.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CALLER_HEADER } from '../../bin/local/http-api.js';
import { setAuditSink, type AuditRecord } from '../../functions/lib/audit.js';
import { SECURITY_ENV, type CallerGrant, type RiskLimits } from '../../functions/lib/security-config.js';
import { DEFAULT_TRADE_PASSWORD_MD5 } from '../../gateway-container/simulator/trading/engine.js';
import { stepTicks } from '../../proto/ticks.js';
import { ACCOUNTS, extraHkAccounts, RICH_ACCOUNTS, startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';
import { PROTO_ID } from '../../proto/registry.js';

const ACCT = '111122223333';
const READER = `arn:aws:iam::${ACCT}:user/reader`;
const PAPER_BOT = `arn:aws:sts::${ACCT}:assumed-role/paper-bot/session-1`;
const REAL_TRADER = `arn:aws:iam::${ACCT}:role/real-trader`;
const OPS = `arn:aws:iam::${ACCT}:user/ops`;
const STRANGER = `arn:aws:iam::${ACCT}:user/stranger`;
/** A trader of the extra paper accounts the risk tests use. */
const RISK_BOT = `arn:aws:iam::${ACCT}:role/risk-bot`;

const EXTRA = extraHkAccounts(5);
const [A_LIMITS, A_OPEN, A_DAILY, A_MARKET, A_AUDIT] = EXTRA.map((a) => a.accID.toString()) as [string, string, string, string, string];

const CALLERS: CallerGrant[] = [
  { principal: READER, accounts: '*', rights: ['read'] },
  { principal: `arn:aws:sts::${ACCT}:assumed-role/paper-bot/*`, accounts: [ACCOUNTS.SIM_HK, ACCOUNTS.REAL_HK], rights: ['read', 'trade'] },
  { principal: REAL_TRADER, accounts: [ACCOUNTS.REAL_HK], rights: ['read', 'tradeReal'] },
  { principal: OPS, accounts: '*', rights: ['gateway'] },
  { principal: RISK_BOT, accounts: EXTRA.map((a) => a.accID.toString()), rights: ['read', 'trade'] },
];

/** Generous defaults, so each test trips only the limit it is about. */
const LOOSE: RiskLimits = { maxQty: 100_000, maxOrderNotional: 1e9, maxDailyNotional: 1e10, maxOpenOrders: 1_000, priceCollarPct: 50 };

let h: FunctionsHarness;
const audit: AuditRecord[] = [];
let previousSink: ((line: string) => void) | undefined;

function limitsEnv(accounts: Record<string, Partial<RiskLimits>> = {}, dflt: RiskLimits = LOOSE): Record<string, string> {
  return { [SECURITY_ENV.riskLimits]: JSON.stringify({ default: dflt, accounts }) };
}

beforeAll(async () => {
  h = await startFunctionsHarness({
    simulator: { accounts: [...RICH_ACCOUNTS, ...EXTRA] },
    env: { [SECURITY_ENV.callers]: JSON.stringify(CALLERS), ...limitsEnv() },
  });
  previousSink = setAuditSink((line) => audit.push(JSON.parse(line) as AuditRecord));
});

afterAll(async () => {
  if (previousSink) setAuditSink(previousSink);
  await h?.stop();
});

afterEach(() => {
  audit.length = 0;
});

function as(caller: string, extra: Record<string, string> = {}) {
  return { [LOCAL_CALLER_HEADER]: caller, ...extra };
}

/** A buy limit `ticks` ticks below the best bid of HK.00700: valid, and stays open. */
function passiveBuy(ticks = 5): number {
  return stepTicks('HK', h.sim.market.top('HK.00700')!.bid, -ticks);
}

function simOrders(accId: string) {
  return h.sim.trading.orders(h.header(accId));
}

async function lastPrice(code = 'HK.00700'): Promise<{ price: number; bid: number; ask: number }> {
  const r = await h.http('GET', `/v1/quotes?codes=${code}`, { headers: as(READER) });
  expect(r.status, r.text).toBe(200);
  return r.body.quotes[0];
}

describe('authorization', () => {
  it('refuses a caller without any grant with 403 FORBIDDEN, and OpenD sees no connection and no request', async () => {
    // A fresh runtime: its OpenD connection is opened on first use, so any traffic would show in the counters.
    await h.restartRuntime();
    const stats = h.sim.core.stats;
    const before = { connections: stats.connectionsAccepted, requests: stats.requests, orders: simOrders(ACCOUNTS.SIM_HK).length };
    const calls = [
      h.http('POST', `/v1/accounts/${ACCOUNTS.SIM_HK}/orders`, { headers: as(STRANGER), body: { clientOrderId: 'forbidden-1', code: 'HK.00700', side: 'BUY', qty: 100, price: passiveBuy() } }),
      h.http('GET', '/v1/quotes?codes=HK.00700', { headers: as(STRANGER) }),
      h.http('GET', `/v1/accounts/${ACCOUNTS.SIM_HK}/funds`, { headers: as(STRANGER) }),
      h.http('DELETE', `/v1/accounts/${ACCOUNTS.SIM_HK}/orders/123`, { headers: as(STRANGER) }),
      h.http('POST', '/v1/gateway/verification', { headers: as(READER), body: { type: 'PHONE', code: '123456' } }),
    ];
    const replies = await Promise.all(calls);
    for (const r of replies) {
      expect(r.status, r.text).toBe(403);
      expect(r.body.error.code).toBe('FORBIDDEN');
    }
    expect(replies[0]!.body.error.message).toContain(`${STRANGER} lacks the "trade" right on account ${ACCOUNTS.SIM_HK}`);
    expect(replies[0]!.body.error.details).toEqual({ caller: STRANGER, missing: 'trade', accId: ACCOUNTS.SIM_HK });
    expect(replies[1]!.body.error.details.missing).toBe('read');
    expect(replies[4]!.body.error.details.missing).toBe('gateway');
    expect(stats.connectionsAccepted).toBe(before.connections);
    expect(stats.requests).toBe(before.requests);
    expect(simOrders(ACCOUNTS.SIM_HK)).toHaveLength(before.orders);
  });

  it('lets a read-only caller read any account but not trade it', async () => {
    const funds = await h.http('GET', `/v1/accounts/${ACCOUNTS.REAL_US}/funds`, { headers: as(READER) });
    expect(funds.status, funds.text).toBe(200);
    const before = simOrders(ACCOUNTS.SIM_HK).length;
    const r = await h.http('POST', `/v1/accounts/${ACCOUNTS.SIM_HK}/orders`, { headers: as(READER), body: { clientOrderId: 'reader-1', code: 'HK.00700', side: 'BUY', qty: 100, price: passiveBuy() } });
    expect(r.status, r.text).toBe(403);
    expect(r.body.error.details.missing).toBe('trade');
    expect(simOrders(ACCOUNTS.SIM_HK)).toHaveLength(before);
  });

  it('never lets a paper-trading grant trade a REAL account: tradeReal must be granted explicitly', async () => {
    h.sim.trading.unlock(true, DEFAULT_TRADE_PASSWORD_MD5);
    const before = simOrders(ACCOUNTS.REAL_HK).length;
    const denied = await h.http('POST', `/v1/accounts/${ACCOUNTS.REAL_HK}/orders`, { headers: as(PAPER_BOT), body: { clientOrderId: 'paper-on-real', code: 'HK.00700', side: 'BUY', qty: 100, price: passiveBuy() } });
    expect(denied.status, denied.text).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'FORBIDDEN', details: { missing: 'tradeReal', accId: ACCOUNTS.REAL_HK } });
    expect(denied.body.error.message).toContain('is REAL and needs the "tradeReal" right');
    expect(simOrders(ACCOUNTS.REAL_HK)).toHaveLength(before);

    // The same grant trades its paper account, and the explicit tradeReal grant trades the REAL one.
    await h.nextTradeSlot();
    const paper = await h.http('POST', `/v1/accounts/${ACCOUNTS.SIM_HK}/orders`, { headers: as(PAPER_BOT), body: { clientOrderId: 'paper-ok', code: 'HK.00700', side: 'BUY', qty: 100, price: passiveBuy() } });
    expect(paper.status, paper.text).toBe(201);
    await h.nextTradeSlot();
    const real = await h.http('POST', `/v1/accounts/${ACCOUNTS.REAL_HK}/orders`, { headers: as(REAL_TRADER), body: { clientOrderId: 'real-ok', code: 'HK.00700', side: 'BUY', qty: 100, price: passiveBuy() } });
    expect(real.status, real.text).toBe(201);
    // …but that grant is for REAL_HK only.
    const other = await h.http('GET', `/v1/accounts/${ACCOUNTS.SIM_HK}/orders`, { headers: as(REAL_TRADER) });
    expect(other.status).toBe(403);
  });

  it('lists only the accounts the caller may read', async () => {
    const r = await h.http('GET', '/v1/accounts', { headers: as(REAL_TRADER) });
    expect(r.status, r.text).toBe(200);
    expect(r.body.accounts.map((a: { accId: string }) => a.accId)).toEqual([ACCOUNTS.REAL_HK]);
    const all = await h.http('GET', '/v1/accounts', { headers: as(READER) });
    expect(all.body.accounts).toHaveLength(RICH_ACCOUNTS.length + EXTRA.length);
  });
});

describe('risk limits', () => {
  async function withLimits(accounts: Record<string, Partial<RiskLimits>>): Promise<void> {
    await h.restartRuntime(limitsEnv(accounts));
  }

  async function place(accId: string, clientOrderId: string, body: Record<string, unknown>) {
    await h.nextTradeSlot();
    return h.http('POST', `/v1/accounts/${accId}/orders`, { headers: as(RISK_BOT), body: { clientOrderId, code: 'HK.00700', side: 'BUY', ...body } });
  }

  function expectRisk(r: { status: number; text: string; body: any }, limit: string, value: number): void {
    expect(r.status, r.text).toBe(422);
    expect(r.body.error.code).toBe('RISK_REJECTED');
    expect(r.body.error.details).toMatchObject({ limit, value });
    expect(r.body.error.message).toContain(`risk limit ${limit} = ${value}`);
  }

  it('refuses an order above maxQty and one above maxOrderNotional, placing nothing', async () => {
    const price = passiveBuy();
    await withLimits({ [A_LIMITS]: { maxQty: 500, maxOrderNotional: price * 300 } });
    const tooMany = await place(A_LIMITS, 'qty-1', { qty: 600, price });
    expectRisk(tooMany, 'maxQty', 500);
    expect(tooMany.body.error.details.qty).toBe(600);
    const tooBig = await place(A_LIMITS, 'notional-1', { qty: 400, price });
    expectRisk(tooBig, 'maxOrderNotional', price * 300);
    expect(simOrders(A_LIMITS)).toHaveLength(0);
    // Within both: placed.
    const ok = await place(A_LIMITS, 'within-1', { qty: 300, price });
    expect(ok.status, ok.text).toBe(201);
  });

  it('refuses a limit price further from the last price than priceCollarPct', async () => {
    await withLimits({ [A_LIMITS]: { priceCollarPct: 2 } });
    const q = await lastPrice();
    // Valid ticks above the ask until more than 2 % above the last price.
    let far = q.ask;
    while (far <= q.price * 1.02) far = stepTicks('HK', far, 1);
    const r = await place(A_LIMITS, 'collar-1', { qty: 100, price: far });
    expectRisk(r, 'priceCollarPct', 2);
    expect(r.body.error.details.lastPrice).toBeGreaterThan(0);
    expect(simOrders(A_LIMITS).some((o) => o.remark === 'oc:collar-1')).toBe(false);
  });

  it('refuses a new order when the account has maxOpenOrders open', async () => {
    await withLimits({ [A_OPEN]: { maxOpenOrders: 2 } });
    for (const id of ['open-1', 'open-2']) expect((await place(A_OPEN, id, { qty: 100, price: passiveBuy() })).status).toBe(201);
    const third = await place(A_OPEN, 'open-3', { qty: 100, price: passiveBuy() });
    expectRisk(third, 'maxOpenOrders', 2);
    expect(third.body.error.details.openOrders).toBe(2);
    expect(simOrders(A_OPEN)).toHaveLength(2);
    // A retry of an order already placed is not judged again: it gets the first result.
    const retry = await place(A_OPEN, 'open-1', { qty: 100, price: passiveBuy() });
    expect([200, 201]).toContain(retry.status);
    expect(simOrders(A_OPEN)).toHaveLength(2);
  });

  it('counts notional per account and UTC day, once per clientOrderId, and refuses what would pass maxDailyNotional', async () => {
    const price = passiveBuy();
    const one = 100 * price;
    await withLimits({ [A_DAILY]: { maxDailyNotional: one * 2.5 } });
    const first = await place(A_DAILY, 'daily-1', { qty: 100, price });
    expect(first.status, first.text).toBe(201);
    // The retry of daily-1 neither places nor counts a second time.
    const retry = await place(A_DAILY, 'daily-1', { qty: 100, price });
    expect(retry.body.order.orderId).toBe(first.body.order.orderId);
    expect((await place(A_DAILY, 'daily-2', { qty: 100, price })).status).toBe(201);
    const third = await place(A_DAILY, 'daily-3', { qty: 100, price });
    expectRisk(third, 'maxDailyNotional', one * 2.5);
    expect(third.body.error.details.usedToday).toBeCloseTo(one * 2, 6);
    expect(simOrders(A_DAILY)).toHaveLength(2);
  });

  it('refuses a MARKET order when there is no quote to collar it against', async () => {
    await withLimits({});
    h.sim.core.failNextRequests(1, { protoIds: [PROTO_ID.Qot_GetSecuritySnapshot] });
    const r = await place(A_MARKET, 'market-noquote', { type: 'MARKET', qty: 100 });
    expectRisk(r, 'priceCollarPct', LOOSE.priceCollarPct);
    expect(r.body.error.message).toContain('needs a live quote');
    expect(simOrders(A_MARKET)).toHaveLength(0);
  });

  it('refuses a MARKET order whose far side of the book is further from the last price than the collar', async () => {
    // Find a moment where the ask is away from the last trade, then set the collar below that distance.
    let q = await lastPrice();
    for (let i = 0; i < 200 && q.ask === q.price; i++) {
      h.sim.advance(1_000);
      q = await lastPrice();
    }
    expect(q.ask).not.toBe(q.price);
    const away = (Math.abs(q.ask - q.price) / q.price) * 100;
    await withLimits({ [A_MARKET]: { priceCollarPct: away / 2 } });
    // No nextTradeSlot here: it would move the market this test measured.
    const r = await h.http('POST', `/v1/accounts/${A_MARKET}/orders`, { headers: as(RISK_BOT), body: { clientOrderId: 'market-wide', code: 'HK.00700', side: 'BUY', type: 'MARKET', qty: 100 } });
    expectRisk(r, 'priceCollarPct', away / 2);
    expect(r.body.error.details).toMatchObject({ lastPrice: q.price, wouldTradeAt: q.ask });
    // A collar wider than the distance lets the same order through.
    await withLimits({ [A_MARKET]: { priceCollarPct: away * 2 + 0.01 } });
    const ok = await h.http('POST', `/v1/accounts/${A_MARKET}/orders`, { headers: as(RISK_BOT), body: { clientOrderId: 'market-ok', code: 'HK.00700', side: 'BUY', type: 'MARKET', qty: 100 } });
    expect(ok.status, ok.text).toBe(201);
  });

  it('judges a modification as the order it would become', async () => {
    const price = passiveBuy();
    await withLimits({ [A_LIMITS]: { maxQty: 500 } });
    const placed = await place(A_LIMITS, 'modify-1', { qty: 100, price });
    expect(placed.status, placed.text).toBe(201);
    await h.nextTradeSlot();
    const r = await h.http('PATCH', `/v1/accounts/${A_LIMITS}/orders/${placed.body.order.orderId}`, { headers: as(RISK_BOT), body: { qty: 600 } });
    expectRisk(r, 'maxQty', 500);
    expect(simOrders(A_LIMITS).find((o) => o.remark === 'oc:modify-1')!.qty).toBe(100);
  });
});

describe('error replies in Lambda', () => {
  it('name no internal address when OpenD is unreachable, while the local stack keeps the details', async () => {
    // A port nobody listens on: the closed port of a server that was just shut down.
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const deadPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await h.restartRuntime({ OPEND_PORT: String(deadPort) });
    try {
      const local = await h.http('GET', '/v1/quotes?codes=HK.00700', { headers: as(READER) });
      expect(local.status, local.text).toBe(503);
      expect(local.body.error.message).toContain(`127.0.0.1:${deadPort}`);

      process.env['AWS_LAMBDA_FUNCTION_NAME'] = 'OpenDCloud-quotes';
      const quotes = await h.http('GET', '/v1/quotes?codes=HK.00700', { headers: as(READER) });
      expect(quotes.status, quotes.text).toBe(503);
      expect(quotes.body.error.code).toBe('GATEWAY_NOT_READY');
      const gateway = await h.http('GET', '/v1/gateway', { headers: as(READER) });
      expect(gateway.status, gateway.text).toBe(200);
      expect(gateway.body.openD.reachable).toBe(false);
      for (const r of [quotes, gateway]) {
        expect(r.text).not.toContain(String(deadPort));
        expect(r.text).not.toContain('127.0.0.1');
      }
    } finally {
      delete process.env['AWS_LAMBDA_FUNCTION_NAME'];
      await h.restartRuntime({ OPEND_PORT: String(h.sim.port) });
    }
  });
});

describe('audit log', () => {
  it('writes one line per place, modify, cancel and verification, with caller, account, IDs and outcome', async () => {
    await h.restartRuntime(limitsEnv());
    await h.nextTradeSlot();
    const placed = await h.http('POST', `/v1/accounts/${A_AUDIT}/orders`, { headers: as(RISK_BOT, { 'idempotency-key': 'audit-1' }), body: { code: 'HK.00700', side: 'BUY', qty: 100, price: passiveBuy() } });
    expect(placed.status, placed.text).toBe(201);
    const orderId = placed.body.order.orderId as string;
    await h.nextTradeSlot();
    expect((await h.http('PATCH', `/v1/accounts/${A_AUDIT}/orders/${orderId}`, { headers: as(RISK_BOT), body: { qty: 200 } })).status).toBe(200);
    await h.nextTradeSlot();
    expect((await h.http('DELETE', `/v1/accounts/${A_AUDIT}/orders/${orderId}`, { headers: as(RISK_BOT) })).status).toBe(202);
    expect((await h.http('POST', `/v1/accounts/${A_AUDIT}/orders`, { headers: as(READER), body: { clientOrderId: 'audit-denied', code: 'HK.00700', side: 'BUY', qty: 100, price: passiveBuy() } })).status).toBe(403);
    await h.http('POST', '/v1/gateway/verification', { headers: as(OPS), body: { type: 'PHONE', code: '246810' } });
    // Reads are not audited (the access log has them).
    await h.http('GET', `/v1/accounts/${A_AUDIT}/orders`, { headers: as(RISK_BOT) });

    expect(audit.map((a) => a.action)).toEqual([
      'POST /v1/accounts/{accId}/orders',
      'PATCH /v1/accounts/{accId}/orders/{orderId}',
      'DELETE /v1/accounts/{accId}/orders/{orderId}',
      'POST /v1/accounts/{accId}/orders',
      'POST /v1/gateway/verification',
    ]);
    const [place, modify, cancel, denied, verify] = audit as [AuditRecord, AuditRecord, AuditRecord, AuditRecord, AuditRecord];
    expect(place).toMatchObject({ audit: true, caller: RISK_BOT, accId: A_AUDIT, clientOrderId: 'audit-1', orderId, status: 201, outcome: 'ok' });
    expect(modify).toMatchObject({ caller: RISK_BOT, accId: A_AUDIT, orderId, status: 200, outcome: 'ok', clientOrderId: 'audit-1', orderStatus: expect.any(String) });
    expect(cancel).toMatchObject({ caller: RISK_BOT, accId: A_AUDIT, orderId, status: 202, outcome: 'ok', orderStatus: expect.any(String) });
    expect(denied).toMatchObject({ caller: READER, accId: A_AUDIT, clientOrderId: 'audit-denied', status: 403, outcome: 'FORBIDDEN', reason: 'trade' });
    expect(verify).toMatchObject({ caller: OPS, action: 'POST /v1/gateway/verification' });
    expect(typeof verify.status).toBe('number');
    // The verification code never reaches the audit trail.
    expect(JSON.stringify(audit)).not.toContain('246810');
    for (const a of audit) expect(a.requestId).toMatch(/[0-9a-f-]{36}/);
  });
});
