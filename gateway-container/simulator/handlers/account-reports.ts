// Account reports: Trd_GetMarginRatio (2223), Trd_GetOrderFee (2225) and Trd_FlowSummary (2226). Wires the
// cash-flow book (trading/cash-flow.ts) into the engine's fill booking, so REAL fills pay the fee schedule of
// trading/fees.ts, and logs the REAL accounts' starting cash as deposits at a first start.
//
// Futu's rules followed: Trd_GetOrderFee takes at most 400 orderIDEx per request; Trd_GetMarginRatio at most
// 100 securities, HK and US stocks only; Trd_FlowSummary needs clearingDate "yyyy-MM-dd" (one day per request); paper trading
// (SIMULATE) has neither the order-fee nor the cash-flow query (Futu's paper-trading limits), so both answer a
// business error for it, while the margin data is per security and answers for every account.
import type * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { MarketEngine } from '../market/engine.js';
import { SimError, type OpenDSimulator } from '../server.js';
import { CashFlowBook, cashFlowPathFor } from '../trading/cash-flow.js';
import type { TradingEngine } from '../trading/engine.js';
import { marginRatioInfo, marginRatioRefusal } from '../trading/margin-ratios.js';
import { PROTO_ID } from '../../../proto/registry.js';
import { knownSecurity } from './known-security.js';

export const MAX_ORDER_FEE_IDS = 400;
export const MAX_MARGIN_RATIO_SECURITIES = 100;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface AccountReportOptions {
  /** The trading state file: the cash-flow log is kept beside it. */
  stateFile?: string;
  /** The trading state was restored from the state file (no deposits are logged then). */
  restored: boolean;
  now: () => number;
}

export function registerAccountReportHandlers(sim: OpenDSimulator, trading: TradingEngine, market: MarketEngine, o: AccountReportOptions): CashFlowBook {
  const book = new CashFlowBook(o.stateFile ? cashFlowPathFor(o.stateFile) : undefined);
  if (book.firstStart && !o.restored) {
    for (const acc of trading.accounts()) {
      const header = { trdEnv: acc.trdEnv, accID: acc.accID, trdMarket: acc.trdMarketAuthList?.[0] ?? Trd_Common.TrdMarket.HK };
      const cash = (trading.funds(header).cashInfoList ?? []).map((c) => ({ currency: c.currency ?? 0, amount: c.cash ?? 0 }));
      book.depositStartingCash({ accID: acc.accID, real: acc.trdEnv === Trd_Common.TrdEnv.REAL, trdMarket: header.trdMarket }, cash, o.now());
    }
  }
  trading.fillBooking = (order, qty, price, now) => book.bookFill(order, qty, price, now);

  /** The account a header names, and whether it is REAL; an unknown account is refused as OpenD does. */
  const account = (header: Trd_Common.TrdHeader) => {
    const acc = trading.accounts().find((a) => a.accID === header.accID);
    if (!acc) throw new SimError(`account ${header.accID} not found; Trd_GetAccList lists the accounts`);
    if (acc.trdEnv !== header.trdEnv) throw new SimError(`account ${header.accID} is not a ${header.trdEnv === Trd_Common.TrdEnv.REAL ? 'REAL' : 'SIMULATE'} account`);
    return acc;
  };
  const requireReal = (header: Trd_Common.TrdHeader, what: string) => {
    if (account(header).trdEnv !== Trd_Common.TrdEnv.REAL) throw new SimError(`simulated trading does not support ${what}`);
  };

  sim.handle(PROTO_ID.Trd_GetMarginRatio, (_ctx, c2s) => {
    const acc = account(c2s.header);
    const list: Qot_Common.Security[] = c2s.securityList ?? [];
    if (list.length === 0) throw new SimError('securityList is required: 1 to 100 securities');
    if (list.length > MAX_MARGIN_RATIO_SECURITIES) throw new SimError(`securityList has ${list.length} securities; at most ${MAX_MARGIN_RATIO_SECURITIES} per request`);
    const isMargin = acc.accType === Trd_Common.TrdAccType.MARGIN;
    const marginRatioInfoList = list.map((s, i) => {
      const sec = market.security(knownSecurity(market, s, `securityList[${i}]`))!;
      const refusal = marginRatioRefusal(sec);
      if (refusal) throw new SimError(refusal);
      return marginRatioInfo(sec, { isMargin });
    });
    return { header: c2s.header, marginRatioInfoList };
  });

  sim.handle(PROTO_ID.Trd_GetOrderFee, (_ctx, c2s) => {
    requireReal(c2s.header, 'order fee queries');
    const ids: string[] = c2s.orderIdExList ?? [];
    if (ids.length === 0) throw new SimError(`orderIdExList is required: 1 to ${MAX_ORDER_FEE_IDS} orderIDEx`);
    if (ids.length > MAX_ORDER_FEE_IDS) throw new SimError(`orderIdExList has ${ids.length} orders; at most ${MAX_ORDER_FEE_IDS} per request`);
    // Every order of the account, whatever its day: the history list over all time.
    const known = new Set(
      trading
        .historyOrders(c2s.header, { orderIDExList: ids, beginTime: '1970-01-01 00:00:00', endTime: '2999-12-31 23:59:59' })
        .map((x) => x.orderIDEx),
    );
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length) throw new SimError(`order(s) ${unknown.join(', ')} not found in account ${c2s.header.accID}`);
    return { header: c2s.header, orderFeeList: ids.map((id) => book.orderFee(c2s.header.accID, id)) };
  });

  sim.handle(PROTO_ID.Trd_FlowSummary, (_ctx, c2s) => {
    requireReal(c2s.header, 'cash flow queries');
    const m = DATE_RE.exec(c2s.clearingDate ?? '');
    const d = m ? new Date(`${c2s.clearingDate}T00:00:00Z`) : undefined;
    if (!m || !d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== c2s.clearingDate) {
      throw new SimError(`clearingDate ${JSON.stringify(c2s.clearingDate)} is not a date: use "yyyy-MM-dd", one day per request`);
    }
    const dir = c2s.cashFlowDirection;
    if (dir !== undefined && ![0, 1, 2].includes(dir)) throw new SimError(`cashFlowDirection ${dir} is not one of 0 (all), 1 (in), 2 (out)`);
    return { header: c2s.header, flowSummaryInfoList: book.flows(c2s.header.accID, c2s.clearingDate, dir) };
  });
  return book;
}
