// Which trading sessions an order may fill in, from Trd_PlaceOrder's `session` (Common.Session: NONE 0, RTH 1,
// ETH 2, ALL 3, OVERNIGHT 4; "美股订单时段", US orders only) and `fillOutsideRTH` ("是否允许盘前盘后成交。仅适用于美股
// 限价单": pre-market and after-hours fills, US limit orders only) — both from the futu-api protos
// (Trd_PlaceOrder.proto, Common.proto) and Futu's place_order documentation
// (https://openapi.futunn.com/futu-api-doc/en/trade/place-order.html: fill_outside_rth, session=Session.NONE).
// Rules, checked when the order is placed (a refusal names what was wrong and what is allowed):
//   - outside regular hours only limit-priced orders trade (NORMAL, STOP_LIMIT, LIMITIF_TOUCHED); a market-priced
//     order (MARKET, STOP, MARKETIF_TOUCHED) with ETH, OVERNIGHT, ALL or fillOutsideRTH is refused;
//   - session and fillOutsideRTH apply to US securities only;
//   - paper trading has pre-market and after-hours for US margin accounts only, and no overnight session
//     (Futu's paper-trading FAQ, https://openapi.futunn.com/futu-api-doc/en/qa/trade.html).
// Session NONE (or none given) means RTH, or ETH when fillOutsideRTH is set. ETH = pre-market + regular +
// after-hours; OVERNIGHT = the overnight session only; ALL = every session.
// Invariant: the allowed sessions are a pure function of the order's stored fields, so a restored order keeps them.
import * as Common from '../../../proto/generated/Common.js';
import * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { MarketView, SecurityFacts, SecurityMarket, TradingSessionName } from '../market-view.js';
import type { AccountState } from './accounts.js';
import { TradingError } from './errors.js';
import { localDate, nameOf } from './util.js';

const { Session } = Common;
const { OrderType } = Trd_Common;

/** Order types with a limit price: the only ones that may trade outside regular hours. */
const OUTSIDE_RTH_TYPES: ReadonlySet<number> = new Set([OrderType.NORMAL, OrderType.STOP_LIMIT, OrderType.LIMITIF_TOUCHED]);

const RTH_ONLY: ReadonlySet<TradingSessionName> = new Set(['RTH']);
const ETH: ReadonlySet<TradingSessionName> = new Set(['PRE', 'RTH', 'AFTER']);
const OVERNIGHT_ONLY: ReadonlySet<TradingSessionName> = new Set(['OVERNIGHT']);
const ALL: ReadonlySet<TradingSessionName> = new Set(['OVERNIGHT', 'PRE', 'RTH', 'AFTER']);

const SESSION_NAMES = 'NONE (0), RTH (1), ETH (2), ALL (3) or OVERNIGHT (4)';

/** The Common.Session an order effectively has: NONE resolves to RTH, or ETH with fillOutsideRTH. */
export function effectiveSession(session: number | undefined, fillOutsideRTH: boolean | undefined): number {
  if (session === undefined || session === Session.NONE) return fillOutsideRTH ? Session.ETH : Session.RTH;
  return session;
}

/** The sessions an order may fill in. Non-US orders: the regular session only. */
export function allowedSessions(o: { sec: { market: SecurityMarket }; session?: number; fillOutsideRTH?: boolean }): ReadonlySet<TradingSessionName> {
  if (o.sec.market !== 'US') return RTH_ONLY;
  switch (effectiveSession(o.session, o.fillOutsideRTH)) {
    case Session.ETH:
      return ETH;
    case Session.OVERNIGHT:
      return OVERNIGHT_ONLY;
    case Session.ALL:
      return ALL;
    default:
      return RTH_ONLY;
  }
}

/** Refuses a session / fillOutsideRTH combination that OpenD would refuse for this account, security and order type. */
export function checkSessions(acc: AccountState, sec: SecurityFacts, orderType: number, session: number | undefined, fillOutsideRTH: boolean | undefined): void {
  if (session !== undefined && !(Object.values(Session) as number[]).includes(session)) {
    throw new TradingError(`session ${session} is invalid: use ${SESSION_NAMES} (Common.Session)`);
  }
  const effective = effectiveSession(session, fillOutsideRTH);
  const explicit = session !== undefined && session !== Session.NONE;
  if (sec.market !== 'US') {
    if (explicit && session !== Session.RTH) {
      throw new TradingError(`session ${nameOf(Session, session)} is only for US securities; ${sec.key} trades in its regular sessions only (use NONE or RTH)`);
    }
    if (fillOutsideRTH) throw new TradingError(`fillOutsideRTH is only for US securities; ${sec.key} trades in its regular sessions only`);
    return;
  }
  if (effective === Session.RTH) return;
  const how = explicit ? `session ${nameOf(Session, effective)}` : 'fillOutsideRTH';
  if (!OUTSIDE_RTH_TYPES.has(orderType)) {
    throw new TradingError(
      `${nameOf(OrderType, orderType)} orders trade in the regular session only; ${how} (trading outside regular hours) is allowed for limit orders only (NORMAL, STOP_LIMIT, LIMITIF_TOUCHED)`,
    );
  }
  if (acc.envName === 'SIMULATE') {
    if (effective === Session.OVERNIGHT || effective === Session.ALL) {
      throw new TradingError(`${how} is not available in paper trading: it has no overnight session; use RTH or ETH`);
    }
    if (!acc.isMargin) {
      throw new TradingError(`${how} is not available for this paper-trading cash account: pre-market and after-hours paper trading needs a margin account; use RTH`);
    }
  }
}

/** The session a market is in now, by the market's own report, or RTH while it says it is trading. */
export function currentSession(market: MarketView, m: SecurityMarket): TradingSessionName | undefined {
  if (market.tradingSession) return market.tradingSession(m);
  return market.isTradingNow(m) ? 'RTH' : undefined;
}

/** Whether an order may fill now: its market is in one of the order's sessions. */
export function canFillNow(o: { sec: { market: SecurityMarket }; session?: number; fillOutsideRTH?: boolean }, market: MarketView): boolean {
  const now = currentSession(market, o.sec.market);
  return now !== undefined && allowedSessions(o).has(now);
}

/** How far the US trading date runs ahead of the ET calendar date: the overnight session from 20:00 belongs to the next day. */
const US_DATE_LEAD_MS = 4 * 3_600_000;

/**
 * The trading date of an order placed at `now` in time zone `tz`: the local date, except that a US order placed
 * from 20:00 ET on (the overnight session, which trades for the next trading day) belongs to the next date, so a
 * DAY order placed in the evening lives through the night instead of expiring at midnight.
 */
export function orderTradeDate(market: SecurityMarket, now: number, tz: string): string {
  return localDate(market === 'US' ? now + US_DATE_LEAD_MS : now, tz);
}
