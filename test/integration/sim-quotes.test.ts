// The simulator's quote protocols over real TCP with the real OpenDClient / QuoteApi: subscriptions and
// push registration per connection, the OpenD-wide quota with its 1-minute rules, Get* calls that need a
// subscription, queries that need none, history K-lines with paging and quota, and quote pushes.
// Virtual time moves only through sim.advance(ms); `barrier()` makes "no push arrived" a deterministic check.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import * as Common from '../../proto/generated/Common.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import {
  barrier,
  closeAll,
  connectClient,
  expectOpenDError,
  pushesOf,
  serverSideClose,
  startTestSimulator,
  type RecordingClient,
} from './sim-helpers.js';
import { PROTO_ID } from '../../proto/registry.js';

const ST = Qot_Common.SubType;
const HK = Qot_Common.QotMarket.HK_SECURITY;
const US = Qot_Common.QotMarket.US_SECURITY;
const TENCENT = { market: HK, code: '00700' };
const APPLE = { market: US, code: 'AAPL' };

/** Every client a test opens is closed after it, so connections never leak between tests. */
const open: RecordingClient[] = [];
async function client(sim: Simulator, opts: Parameters<typeof connectClient>[1] = {}): Promise<{ c: RecordingClient; q: QuoteApi }> {
  const c = await connectClient(sim, opts);
  open.push(c);
  return { c, q: new QuoteApi(c) };
}
afterEach(async () => {
  await closeAll(...open.splice(0));
});

async function subInfoAll(c: RecordingClient) {
  return c.request(PROTO_ID.Qot_GetSubInfo, { isReqAllConn: true });
}

function codesOf(info: Qot_Common.ConnSubInfo, subType: number): string[] {
  return ((info.subInfoList ?? []).find((s) => s.subType === subType)?.securityList ?? []).map((s) => s.code).sort();
}

describe('subscriptions, push registration and Get* calls', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startTestSimulator();
    sim.advance(5_000); // a few simulated trades, so tickers and time-share exist
  });
  afterAll(async () => {
    await sim.close();
  });

  it('keeps subscriptions per connection; GetSubInfo lists only its own connection unless isReqAllConn', async () => {
    const a = await client(sim);
    const b = await client(sim);
    await a.q.subscribe(['HK.00700'], ['BASIC', 'TICKER'], { push: false });
    await b.q.subscribe(['US.AAPL', 'HK.00700'], ['BASIC'], { push: false });

    const own = await a.c.request(PROTO_ID.Qot_GetSubInfo, {});
    expect(own.connSubInfoList).toHaveLength(1);
    const mine = own.connSubInfoList![0]!;
    expect(mine.isOwnConnData).toBe(true);
    expect(mine.usedQuota).toBe(2);
    expect(codesOf(mine, ST.BASIC)).toEqual(['00700']);
    expect(codesOf(mine, ST.TICKER)).toEqual(['00700']);
    // HK.00700 BASIC is held by both connections but costs one unit of quota.
    expect(own.totalUsedQuota).toBe(3);
    expect(own.remainQuota).toBe(97);

    const all = await subInfoAll(a.c);
    expect(all.connSubInfoList).toHaveLength(2);
    const ownEntries = all.connSubInfoList!.filter((i) => i.isOwnConnData);
    const other = all.connSubInfoList!.filter((i) => !i.isOwnConnData);
    expect(ownEntries).toHaveLength(1);
    expect(other).toHaveLength(1);
    expect(codesOf(other[0]!, ST.BASIC)).toEqual(['00700', 'AAPL']);
    expect(codesOf(other[0]!, ST.TICKER)).toEqual([]);
    expect(other[0]!.usedQuota).toBe(2);

    // The typed layer reads the same data.
    const info = await b.q.subInfo();
    expect(info.subscriptions).toEqual([{ type: 'BASIC', codes: expect.arrayContaining(['US.AAPL', 'HK.00700']) }]);
    expect(info.usedQuota).toBe(3);
  });

  it('refuses GetBasicQot, GetKL, GetRT, GetTicker, GetOrderBook and GetBroker without a subscription on the connection', async () => {
    const holder = await client(sim);
    const a = await client(sim);
    // Another connection's subscription does not count: subscriptions belong to the connection.
    await holder.q.subscribe(['HK.00700'], ['BASIC', 'KL_1MIN', 'RT', 'TICKER', 'ORDER_BOOK', 'BROKER'], { push: false });

    await expectOpenDError(a.q.basicQuotes('HK.00700'), /subscribe BASIC for HK\.00700/);
    await expectOpenDError(a.q.klines('HK.00700', { type: '1MIN', count: 5 }), /subscribe KL_1MIN for HK\.00700/);
    await expectOpenDError(a.q.timeShare('HK.00700'), /subscribe RT for HK\.00700/);
    await expectOpenDError(a.q.ticker('HK.00700', 10), /subscribe TICKER for HK\.00700/);
    await expectOpenDError(a.q.orderBook('HK.00700', 10), /subscribe ORDER_BOOK for HK\.00700/);
    await expectOpenDError(a.c.request(PROTO_ID.Qot_GetBroker, { security: TENCENT }), /subscribe BROKER for HK\.00700/);
    // A K-line subscription of one period does not serve another.
    await a.q.subscribe(['HK.00700'], ['KL_DAY'], { push: false });
    await expectOpenDError(a.q.klines('HK.00700', { type: '1MIN', count: 5 }), /subscribe KL_1MIN/);
  });

  it('answers GetBasicQot, GetKL, GetRT, GetTicker, GetOrderBook and GetBroker once subscribed', async () => {
    const a = await client(sim);
    await a.q.subscribe(['HK.00700', 'US.AAPL'], ['BASIC', 'KL_1MIN', 'KL_DAY', 'RT', 'TICKER', 'ORDER_BOOK', 'BROKER'], { push: false });
    sim.advance(3_000);

    const [tencent, apple] = await a.q.basicQuotes(['HK.00700', 'US.AAPL']);
    expect(tencent!.codeKey).toBe('HK.00700');
    expect(tencent!.name).toBe('Tencent Holdings');
    expect(tencent!.curPrice).toBeGreaterThan(0);
    expect(tencent!.highPrice).toBeGreaterThanOrEqual(tencent!.lowPrice);
    expect(tencent!.volume).toBeGreaterThan(0n);
    expect(apple!.codeKey).toBe('US.AAPL');

    const minutes = await a.q.klines('HK.00700', { type: '1MIN', count: 5 });
    expect(minutes).toHaveLength(5);
    for (const bar of minutes) {
      expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
      expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
    }
    const times = minutes.map((b) => b.time);
    expect([...times].sort()).toEqual(times);
    expect(new Set(times).size).toBe(5);
    const days = await a.q.klines('HK.00700', { type: 'DAY', count: 3 });
    expect(days.map((d) => d.time)).toEqual(['2025-01-13 00:00:00', '2025-01-14 00:00:00', '2025-01-15 00:00:00']);

    const rt = await a.q.timeShare('HK.00700');
    expect(rt.length).toBeGreaterThan(0);
    expect(rt.at(-1)!.price).toBeGreaterThan(0);

    const trades = await a.q.ticker('HK.00700', 5);
    expect(trades.length).toBeGreaterThan(0);
    expect(trades.length).toBeLessThanOrEqual(5);
    for (const t of trades) {
      expect(t.price).toBeGreaterThan(0);
      expect(t.volume % 100n).toBe(0n); // whole lots of 100
    }

    const book = await a.q.orderBook('HK.00700', 10);
    expect(book.code).toBe('HK.00700');
    expect(book.bids).toHaveLength(10);
    expect(book.asks).toHaveLength(10);
    expect(book.bids[0]!.price).toBeLessThan(book.asks[0]!.price);
    for (let i = 1; i < 10; i++) {
      expect(book.bids[i]!.price).toBeLessThan(book.bids[i - 1]!.price);
      expect(book.asks[i]!.price).toBeGreaterThan(book.asks[i - 1]!.price);
    }

    const brokers = await a.c.request(PROTO_ID.Qot_GetBroker, { security: TENCENT });
    expect(brokers.brokerAskList!.length).toBeGreaterThan(0);
    expect(brokers.brokerBidList!.length).toBeGreaterThan(0);
    for (const b of [...brokers.brokerAskList!, ...brokers.brokerBidList!]) {
      expect(b.name.length).toBeGreaterThan(0);
      expect(b.pos).toBeGreaterThanOrEqual(1);
    }
    // Broker queues exist only for HK securities.
    await expectOpenDError(a.c.request(PROTO_ID.Qot_GetBroker, { security: APPLE }), /only for HK securities/);
  });

  it('registers pushes with RegQotPush only for items subscribed on the connection, with the cached first push', async () => {
    const a = await client(sim);
    await expectOpenDError(
      a.c.request(PROTO_ID.Qot_RegQotPush, { securityList: [TENCENT], subTypeList: [ST.BASIC], isRegOrUnReg: true }),
      /not subscribed on this connection/,
    );
    await a.q.subscribe(['HK.00700'], ['BASIC'], { push: false });
    sim.advance(1_000);
    await barrier(a.c);
    expect(pushesOf(a.c, PROTO_ID.Qot_UpdateBasicQot)).toHaveLength(0);

    await a.c.request(PROTO_ID.Qot_RegQotPush, { securityList: [TENCENT], subTypeList: [ST.BASIC], isRegOrUnReg: true, isFirstPush: true });
    await barrier(a.c);
    const first = pushesOf(a.c, PROTO_ID.Qot_UpdateBasicQot);
    expect(first).toHaveLength(1); // the cached latest value, before any new trade
    expect((first[0]!.s2c as { basicQotList: Qot_Common.BasicQot[] }).basicQotList[0]!.security.code).toBe('00700');

    sim.advance(2_000);
    await barrier(a.c);
    expect(pushesOf(a.c, PROTO_ID.Qot_UpdateBasicQot).length).toBeGreaterThan(1);

    // De-registration stops the pushes but keeps the subscription.
    await a.c.request(PROTO_ID.Qot_RegQotPush, { securityList: [TENCENT], subTypeList: [ST.BASIC], isRegOrUnReg: false });
    const before = pushesOf(a.c, PROTO_ID.Qot_UpdateBasicQot).length;
    sim.advance(2_000);
    await barrier(a.c);
    expect(pushesOf(a.c, PROTO_ID.Qot_UpdateBasicQot)).toHaveLength(before);
    expect((await a.q.basicQuotes('HK.00700'))[0]!.codeKey).toBe('HK.00700');
  });

  it('pushes UpdateBasicQot, UpdateKL, UpdateRT, UpdateTicker, UpdateOrderBook and UpdateBroker only to connections registered for them', async () => {
    const types = ['BASIC', 'KL_1MIN', 'RT', 'TICKER', 'ORDER_BOOK', 'BROKER'] as const;
    const registered = await client(sim);
    const subscribedOnly = await client(sim);
    const bystander = await client(sim);
    await registered.q.subscribe(['HK.00700'], [...types], { push: true, firstPush: false });
    await subscribedOnly.q.subscribe(['HK.00700'], [...types], { push: false });
    await Promise.all([barrier(registered.c), barrier(subscribedOnly.c), barrier(bystander.c)]);
    expect(registered.c.recorded).toHaveLength(0); // firstPush: false

    sim.advance(3_000);
    await Promise.all([barrier(registered.c), barrier(subscribedOnly.c), barrier(bystander.c)]);

    const got = new Set(registered.c.recorded.map((p) => p.protoId));
    expect([...got].sort()).toEqual([PROTO_ID.Qot_UpdateBasicQot, PROTO_ID.Qot_UpdateKL, PROTO_ID.Qot_UpdateRT, PROTO_ID.Qot_UpdateTicker, PROTO_ID.Qot_UpdateOrderBook, PROTO_ID.Qot_UpdateBroker]);
    expect(subscribedOnly.c.recorded).toHaveLength(0);
    expect(bystander.c.recorded).toHaveLength(0);

    const one = <T>(id: number) => pushesOf(registered.c, id).at(-1)!.s2c as T;
    const basic = one<{ basicQotList: Qot_Common.BasicQot[] }>(PROTO_ID.Qot_UpdateBasicQot).basicQotList[0]!;
    expect(basic.security).toEqual(TENCENT);
    expect(basic.curPrice).toBeGreaterThan(0);
    const kl = one<{ klType: number; rehabType: number; security: Qot_Common.Security; klList: Qot_Common.KLine[] }>(PROTO_ID.Qot_UpdateKL);
    expect(kl.klType).toBe(Qot_Common.KLType['1MIN']);
    expect(kl.rehabType).toBe(Qot_Common.RehabType.FORWARD);
    expect(kl.security).toEqual(TENCENT);
    expect(kl.klList[0]!.closePrice).toBeGreaterThan(0);
    const rt = one<{ security: Qot_Common.Security; rtList: Qot_Common.TimeShare[] }>(PROTO_ID.Qot_UpdateRT);
    expect(rt.security).toEqual(TENCENT);
    expect(rt.rtList[0]!.price).toBeGreaterThan(0);
    const tk = one<{ security: Qot_Common.Security; tickerList: Qot_Common.Ticker[] }>(PROTO_ID.Qot_UpdateTicker);
    expect(tk.security).toEqual(TENCENT);
    expect(tk.tickerList[0]!.volume).toBeGreaterThan(0n);
    const ob = one<{ security: Qot_Common.Security; orderBookAskList: Qot_Common.OrderBook[]; orderBookBidList: Qot_Common.OrderBook[] }>(PROTO_ID.Qot_UpdateOrderBook);
    expect(ob.security).toEqual(TENCENT);
    expect(ob.orderBookAskList[0]!.price).toBeGreaterThan(ob.orderBookBidList[0]!.price);
    const br = one<{ security: Qot_Common.Security; brokerAskList: Qot_Common.Broker[] }>(PROTO_ID.Qot_UpdateBroker);
    expect(br.security).toEqual(TENCENT);
    expect(br.brokerAskList.length).toBeGreaterThan(0);

    // Every push carries the security that was registered: nothing of other securities leaks in.
    for (const p of registered.c.recorded) {
      const s2c = p.s2c as { security?: Qot_Common.Security; basicQotList?: Qot_Common.BasicQot[] };
      expect(s2c.security ?? s2c.basicQotList?.[0]?.security).toEqual(TENCENT);
    }
  });

  it('stops pushing an item once the connection unsubscribes it', async () => {
    const a = await client(sim);
    await a.q.subscribe(['US.AAPL'], ['BASIC', 'TICKER'], { push: true, firstPush: false });
    sim.advance(60_000);
    await barrier(a.c);
    expect(pushesOf(a.c, PROTO_ID.Qot_UpdateBasicQot).length).toBeGreaterThan(0);

    // QuoteApi.unsubscribe sends isRegOrUnRegPush = false: the subscription goes, and with it the pushes.
    await a.q.unsubscribe(['US.AAPL'], ['BASIC', 'TICKER']);
    const before = a.c.recorded.length;
    sim.advance(3_000);
    await barrier(a.c);
    expect(a.c.recorded).toHaveLength(before);
    await expectOpenDError(a.q.basicQuotes('US.AAPL'), /subscribe BASIC/);
  });
});

describe('queries that need no subscription', () => {
  let sim: Simulator;
  let c: RecordingClient;
  let q: QuoteApi;
  beforeAll(async () => {
    sim = await startTestSimulator({ subscriptionQuota: 300, historyKLQuota: 50 });
    sim.advance(2_000);
    c = await connectClient(sim);
    q = new QuoteApi(c);
  });
  afterAll(async () => {
    await c.close();
    await sim.close();
  });

  it('answers GetSecuritySnapshot for up to 400 codes and rejects 401', async () => {
    const [s] = await q.snapshot(['HK.00700']);
    expect(s).toMatchObject({ code: 'HK.00700', name: 'Tencent Holdings', type: 'EQTY', lotSize: 100, isSuspended: false });
    expect(s!.price).toBeGreaterThan(0);
    expect(s!.bid!).toBeLessThan(s!.ask!);

    const universe = [TENCENT, APPLE, { market: HK, code: '09988' }, { market: US, code: 'MSFT' }];
    const list400 = Array.from({ length: 400 }, (_, i) => universe[i % universe.length]!);
    const ok = await c.request(PROTO_ID.Qot_GetSecuritySnapshot, { securityList: list400 });
    expect(ok.snapshotList).toHaveLength(400);
    expect(ok.snapshotList!.map((x) => x.basic.security.code).slice(0, 4)).toEqual(['00700', 'AAPL', '09988', 'MSFT']);

    await expectOpenDError(c.request(PROTO_ID.Qot_GetSecuritySnapshot, { securityList: [...list400, APPLE] }), /at most 400 securities.*401/);
    await expectOpenDError(c.request(PROTO_ID.Qot_GetSecuritySnapshot, { securityList: [{ market: HK, code: '99999' }] }), /Unknown stock HK\.99999/);
  });

  it('pages RequestHistoryKL with nextReqKey: the pages concatenate to the whole range without gaps or duplicates', async () => {
    const range = { type: '1MIN' as const, from: '2025-01-10', to: '2025-01-14' };
    const pages: string[][] = [];
    let key: Uint8Array | undefined;
    for (let i = 0; i < 20; i++) {
      const page = await q.historyKlinesPage('HK.00700', { ...range, pageSize: 100, pageKey: key });
      pages.push(page.bars.map((b) => b.time));
      key = page.nextPageKey;
      if (!key) break;
    }
    expect(key, 'the last page has no nextReqKey').toBeUndefined();
    // Fri 10, Mon 13, Tue 14 January: 3 trading days × 330 one-minute bars (09:30–12:00, 13:00–16:00).
    expect(pages).toHaveLength(10);
    expect(pages.slice(0, 9).every((p) => p.length === 100)).toBe(true);
    expect(pages[9]).toHaveLength(90);
    const joined = pages.flat();
    expect(new Set(joined).size).toBe(joined.length);
    expect([...joined].sort()).toEqual(joined);
    expect(joined[0]).toBe('2025-01-10 09:31:00');
    expect(joined.at(-1)).toBe('2025-01-14 16:00:00');

    const whole = await q.historyKlinesPage('HK.00700', { ...range, pageSize: 1000 });
    expect(whole.nextPageKey).toBeUndefined();
    expect(whole.bars.map((b) => b.time)).toEqual(joined);
    // Per day, no minute is missing.
    for (const day of ['2025-01-10', '2025-01-13', '2025-01-14']) expect(joined.filter((t) => t.startsWith(day))).toHaveLength(330);

    // A page key belongs to its security and K-line type.
    const first = await q.historyKlinesPage('HK.00700', { ...range, pageSize: 10 });
    await expectOpenDError(q.historyKlinesPage('US.AAPL', { ...range, pageSize: 10, pageKey: first.nextPageKey }), /nextReqKey does not belong/);
  });

  it('answers GetStaticInfo by code and by market', async () => {
    const infos = await q.staticInfo(['HK.00700', 'US.AAPL', 'HK.800000']);
    expect(infos).toEqual([
      { code: 'HK.00700', name: 'Tencent Holdings', lotSize: 100, type: 'EQTY', listTime: '2004-06-16', delisted: false },
      { code: 'US.AAPL', name: 'Apple Inc.', lotSize: 1, type: 'EQTY', listTime: '1980-12-12', delisted: false },
      { code: 'HK.800000', name: 'Hang Seng Index', lotSize: 1, type: 'INDEX', listTime: '1969-11-24', delisted: false },
    ]);
    const hk = await c.request(PROTO_ID.Qot_GetStaticInfo, { market: HK, secType: Qot_Common.SecurityType.EQTY });
    expect(hk.staticInfoList!.map((s) => s.basic.security.code).sort()).toEqual(['00005', '00700', '00939', '03690', '09988']);
    await expectOpenDError(q.staticInfo(['US.ZZZZ']), /Unknown stock US\.ZZZZ/);
  });

  it('answers GetMarketState per security', async () => {
    const states = await q.marketState(['HK.00700', 'US.AAPL', 'SH.600519']);
    expect(states.map((s) => s.code)).toEqual(['HK.00700', 'US.AAPL', 'SH.600519']);
    expect(states.map((s) => s.name)).toEqual(['Tencent Holdings', 'Apple Inc.', 'Kweichow Moutai']);
    // The default session mode trades around the clock and reports continuous trading.
    expect(states.every((s) => s.state === 'AFTERNOON')).toBe(true);
  });

  it('answers GetPlateSet and GetPlateSecurity', async () => {
    const industry = await c.request(PROTO_ID.Qot_GetPlateSet, { market: HK, plateSetType: Qot_Common.PlateSetType.INDUSTRY });
    expect(industry.plateInfoList!.map((p) => `${p.plate.code}:${p.name}`).sort()).toEqual([
      'BK1001:Internet Services',
      'BK1002:Banks',
      'BK1003:Index Funds',
    ]);
    const all = await c.request(PROTO_ID.Qot_GetPlateSet, { market: HK, plateSetType: Qot_Common.PlateSetType.ALL });
    expect(all.plateInfoList).toHaveLength(5);

    const members = await c.request(PROTO_ID.Qot_GetPlateSecurity, { plate: { market: HK, code: 'BK1001' } });
    expect(members.staticInfoList!.map((s) => `${s.basic.security.code} ${s.basic.name}`)).toEqual([
      '00700 Tencent Holdings',
      '03690 Meituan',
      '09988 Alibaba Group',
    ]);
    await expectOpenDError(c.request(PROTO_ID.Qot_GetPlateSecurity, { plate: { market: HK, code: 'BK9999' } }), /unknown plate HK\.BK9999/);
  });

  it('answers GetGlobalState with the login state, market states, virtual server time and this connection', async () => {
    const g = await c.request(PROTO_ID.GetGlobalState, { userID: 0n });
    expect(g.qotLogined).toBe(true);
    expect(g.trdLogined).toBe(true);
    expect(g.programStatus?.type).toBe(Common.ProgramStatusType.READY);
    expect(g.marketHK).toBe(Qot_Common.QotMarketState.AFTERNOON);
    expect(g.marketUS).toBe(Qot_Common.QotMarketState.AFTERNOON);
    expect(g.connID).toBe(c.info.connId);
    expect(g.time).toBe(BigInt(Math.floor(sim.clock.now() / 1000)));
    expect(g.serverVer).toBeGreaterThan(0);
  });

  it('answers GetUserInfo with the configured quotas', async () => {
    const u = await c.request(PROTO_ID.GetUserInfo, {});
    expect(u.subQuota).toBe(300);
    expect(u.historyKLQuota).toBe(50);
    expect(u.userID).toBe(c.info.loginUserId);
    expect(u.nickName).toBeTruthy();
  });

  it('answers KeepAlive with the virtual server time', async () => {
    sim.advance(1_000);
    const k = await c.request(PROTO_ID.KeepAlive, { time: BigInt(Math.floor(Date.now() / 1000)) });
    expect(k.time).toBe(BigInt(Math.floor(sim.clock.now() / 1000)));
    expect(sim.core.connections.get(c.info.connId)!.keepAlives).toBeGreaterThanOrEqual(1);
  });
});

describe('history K-line quota (RequestHistoryKLQuota)', () => {
  it('counts distinct securities, lets the same security be pulled again for free and refuses one over the quota', async () => {
    const sim = await startTestSimulator({ historyKLQuota: 2 });
    try {
      const { c, q } = await client(sim);
      const quota = () => c.request(PROTO_ID.Qot_RequestHistoryKLQuota, { bGetDetail: true });
      expect(await quota()).toMatchObject({ usedQuota: 0, remainQuota: 2 });

      const range = { from: '2025-01-06', to: '2025-01-10' };
      expect(await q.historyKlines('HK.00700', { type: 'DAY', ...range })).toHaveLength(5);
      expect(await quota()).toMatchObject({ usedQuota: 1, remainQuota: 1 });
      // The same security again, even another K-line type, costs nothing.
      await q.historyKlines('HK.00700', { type: 'DAY', ...range });
      await q.historyKlines('HK.00700', { type: '60MIN', ...range });
      expect(await quota()).toMatchObject({ usedQuota: 1, remainQuota: 1 });

      await q.historyKlines('US.AAPL', { type: 'DAY', ...range });
      const full = await quota();
      expect(full).toMatchObject({ usedQuota: 2, remainQuota: 0 });
      expect(full.detailList!.map((d) => `${d.security.code} ${d.name}`).sort()).toEqual(['00700 Tencent Holdings', 'AAPL Apple Inc.']);
      expect(full.detailList!.every((d) => d.requestTimeStamp === BigInt(Math.floor(sim.clock.now() / 1000)))).toBe(true);

      await expectOpenDError(q.historyKlines('HK.09988', { type: 'DAY', ...range }), /history K-line quota exhausted: 2 securities/);
      expect(await quota()).toMatchObject({ usedQuota: 2, remainQuota: 0 });
      expect(await q.historyKlines('HK.00700', { type: 'DAY', ...range })).toHaveLength(5);
    } finally {
      await closeAll(...open.splice(0));
      await sim.close();
    }
  });
});

describe('subscription quota', () => {
  let sim: Simulator;
  afterEach(async () => {
    await closeAll(...open.splice(0));
    await sim?.close();
  });

  it('refuses a subscription over the quota with an error naming the quota, and subscribes nothing of it', async () => {
    sim = await startTestSimulator({ subscriptionQuota: 5 });
    const { c, q } = await client(sim);
    await q.subscribe(['HK.00700'], ['BASIC', 'TICKER', 'ORDER_BOOK'], { push: false });
    await expectOpenDError(q.subscribe(['US.AAPL'], ['BASIC', 'TICKER', 'ORDER_BOOK'], { push: false }), /subscription quota exceeded: 3 of 5 used, this request needs 3 more/);
    const info = await c.request(PROTO_ID.Qot_GetSubInfo, {});
    expect(info).toMatchObject({ totalUsedQuota: 3, remainQuota: 2 });
    expect(codesOf(info.connSubInfoList![0]!, ST.BASIC)).toEqual(['00700']);
    // Exactly filling the quota is fine; an item held already costs nothing more.
    await q.subscribe(['US.AAPL'], ['BASIC', 'TICKER'], { push: false });
    await q.subscribe(['HK.00700'], ['BASIC'], { push: false });
    expect(await c.request(PROTO_ID.Qot_GetSubInfo, {})).toMatchObject({ totalUsedQuota: 5, remainQuota: 0 });
    await expectOpenDError(q.subscribe(['US.MSFT'], ['BASIC'], { push: false }), /subscription quota exceeded/);
    // GetUserInfo reports the same quota.
    expect((await c.request(PROTO_ID.GetUserInfo, {})).subQuota).toBe(5);
  });

  it('refuses to unsubscribe within a minute of subscribing, and allows it once the virtual clock has moved 60 s', async () => {
    sim = await startTestSimulator({ subscriptionQuota: 10 });
    const { c, q } = await client(sim);
    await q.subscribe(['HK.00700'], ['BASIC'], { push: false });
    await expectOpenDError(q.unsubscribe(['HK.00700'], ['BASIC']), /can be unsubscribed only 1 minute after subscribing; try again in 60 s/);
    sim.advance(59_000);
    await expectOpenDError(q.unsubscribe(['HK.00700'], ['BASIC']), /try again in 1 s/);
    await expectOpenDError(q.unsubscribeAll(), /only 1 minute after subscribing/);
    sim.advance(1_000);
    await q.unsubscribe(['HK.00700'], ['BASIC']);
    expect(await c.request(PROTO_ID.Qot_GetSubInfo, {})).toMatchObject({ totalUsedQuota: 0, remainQuota: 10 });

    // unsubscribeAll follows the same rule.
    await q.subscribe(['US.AAPL', 'US.MSFT'], ['BASIC', 'TICKER'], { push: false });
    await expectOpenDError(q.unsubscribeAll(), /1 minute/);
    sim.advance(60_000);
    await q.unsubscribeAll();
    expect(await c.request(PROTO_ID.Qot_GetSubInfo, {})).toMatchObject({ totalUsedQuota: 0, remainQuota: 10 });
  });

  it("keeps a closed connection's young subscriptions on the quota until their minute is up, then returns it", async () => {
    sim = await startTestSimulator({ subscriptionQuota: 3 });
    const observer = await client(sim);
    const leaver = await client(sim);
    await leaver.q.subscribe(['US.AAPL'], ['BASIC'], { push: false }); // old by the time it closes
    sim.advance(30_000);
    await leaver.q.subscribe(['HK.00700'], ['BASIC', 'TICKER'], { push: false }); // young when it closes
    sim.advance(40_000); // AAPL held 70 s, 00700 held 40 s
    expect(await subInfoAll(observer.c)).toMatchObject({ totalUsedQuota: 3, remainQuota: 0 });

    const id = leaver.c.info.connId;
    await leaver.c.close();
    await serverSideClose(sim, id);

    const after = await subInfoAll(observer.c);
    // The connection is gone from the lists; its old item is released at once, the young ones linger.
    expect(after.connSubInfoList!.every((i) => i.isOwnConnData)).toBe(true);
    expect(after).toMatchObject({ totalUsedQuota: 2, remainQuota: 1 });
    // Taking over a lingering item costs nothing; a new one takes the last unit.
    await observer.q.subscribe(['HK.00700'], ['TICKER'], { push: false });
    expect(await subInfoAll(observer.c)).toMatchObject({ totalUsedQuota: 2, remainQuota: 1 });
    await observer.q.subscribe(['US.MSFT'], ['BASIC'], { push: false });
    await expectOpenDError(observer.q.subscribe(['US.TSLA'], ['BASIC'], { push: false }), /subscription quota exceeded: 3 of 3 used/);

    sim.advance(19_000); // 00700 items are 59 s old
    expect(await subInfoAll(observer.c)).toMatchObject({ totalUsedQuota: 3, remainQuota: 0 });
    sim.advance(1_000); // their minute is up: 00700 BASIC goes, 00700 TICKER stays (the observer holds it)
    const released = await subInfoAll(observer.c);
    expect(released).toMatchObject({ totalUsedQuota: 2, remainQuota: 1 });
    expect(codesOf(released.connSubInfoList![0]!, ST.TICKER)).toEqual(['00700']);
    await observer.q.subscribe(['US.TSLA'], ['BASIC'], { push: false });
  });

  it('counts an item held by two connections once and returns the quota only when both have unsubscribed', async () => {
    sim = await startTestSimulator({ subscriptionQuota: 10 });
    const a = await client(sim);
    const b = await client(sim);
    await a.q.subscribe(['HK.00700'], ['BASIC'], { push: false });
    sim.advance(10_000);
    await b.q.subscribe(['HK.00700'], ['BASIC'], { push: false });
    expect(await subInfoAll(a.c)).toMatchObject({ totalUsedQuota: 1 });

    sim.advance(50_000); // a's subscription is 60 s old, b's 50 s
    await a.q.unsubscribe(['HK.00700'], ['BASIC']);
    expect(await subInfoAll(a.c)).toMatchObject({ totalUsedQuota: 1, remainQuota: 9 });
    await expectOpenDError(a.q.basicQuotes('HK.00700'), /subscribe BASIC/);
    expect((await b.q.basicQuotes('HK.00700'))[0]!.codeKey).toBe('HK.00700');
    // b's own minute is counted from its own subscription.
    await expectOpenDError(b.q.unsubscribe(['HK.00700'], ['BASIC']), /try again in 10 s/);

    sim.advance(10_000);
    await b.q.unsubscribe(['HK.00700'], ['BASIC']);
    expect(await subInfoAll(a.c)).toMatchObject({ totalUsedQuota: 0, remainQuota: 10 });
  });
});
