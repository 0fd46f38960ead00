// Reconciliation: lists every account's orders and fills and hands each to the relay, which publishes what
// changed since it was last published. Runs after trade pushes are registered (so every later change arrives
// as a push), and reads OpenD's HISTORY lists as well as today's whenever the last checkpoint horizon is old
// or on another trading day, so that an order that changed during an outage spanning the day boundary (a DAY
// order expiring, a GTC order filled overnight) is not left on a stale state.
//
// Futu's rules followed here:
// - Trd_GetOrderList / Trd_GetOrderFillList return today's orders and fills (open orders too); the history
//   lists (Trd_GetHistoryOrderList 2221 / Trd_GetHistoryOrderFillList 2222) filter on the creation time and
//   take "YYYY-MM-DD HH:MM:SS" times in the market's time zone, at most 90 days back by default.
// - Fills exist only for REAL accounts (paper trading has no fill lists).
import type { TradeApi, AccountRef } from '../../proto/api/trading.js';
import { fillDetailFromFill, orderDetailFromOrder, type FillDetail, type OrderDetail } from '../../proto/events.js';
import { orderKey, type OrderTracker } from './order-tracker.js';

const DAY_S = 86_400;
/** Futu's history lists reach back 90 days. */
export const MAX_HISTORY_DAYS = 90;
/** Market time zones are within ±14 h of UTC: two days of margin covers any of them. */
const TZ_MARGIN_S = 2 * DAY_S;
/** A change within this long before the horizon may still have been in flight to the relay. */
export const HORIZON_SLACK_S = 60;
/** UTC offsets (hours) of the trading markets' days: HK / CN (+8), JP (+9), SG / MY (+8), US (-4 / -5), AU (+10 / +11). */
const MARKET_OFFSETS_H = [8, 9, -4, -5, 10, 11];

export interface ReconcileTarget {
  offerOrder(d: OrderDetail): boolean;
  offerFill(d: FillDetail): boolean;
  /** Keys ("accId:orderId") of orders that got a push since `watchPushes` was last called with true. */
  pushedKeys(): Set<string>;
  watchPushes(on: boolean): void;
}

export interface ReconcileResult {
  orders: number;
  fills: number;
  historyRead: boolean;
}

function utcText(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

function dayIn(seconds: number, offsetH: number): string {
  return new Date((seconds + offsetH * 3600) * 1000).toISOString().slice(0, 10);
}

/** Whether changes between the horizon and now might be missing from today's lists. */
export function historyNeeded(horizon: number | undefined, now: number, firstAfterRestart: boolean, maxGapS: number): boolean {
  if (horizon === undefined) return false;
  if (firstAfterRestart || now - horizon > maxGapS) return true;
  // The horizon itself (no slack): once one reconciliation after midnight has moved it past midnight, the next
  // reconnects need no history again (Futu allows 10 history queries per 30 s per account).
  return MARKET_OFFSETS_H.some((h) => dayIn(horizon, h) !== dayIn(now, h));
}

/**
 * The history range: from before the horizon (or the oldest order still open in the checkpoint: history lists
 * filter on creation time) with a time-zone margin, to two days ahead; never beyond Futu's 90 days.
 */
export function historyRange(horizon: number, oldestOpenCreate: number | undefined, now: number): { from: string; to: string } {
  const start = Math.min(horizon - HORIZON_SLACK_S, oldestOpenCreate ?? Infinity) - TZ_MARGIN_S;
  const floor = now - (MAX_HISTORY_DAYS - 1) * DAY_S;
  return { from: utcText(Math.max(start, floor)), to: utcText(now + TZ_MARGIN_S) };
}

export async function reconcileAccounts(
  trade: TradeApi,
  accounts: AccountRef[],
  tracker: OrderTracker,
  target: ReconcileTarget,
  opts: { now: () => string; history?: { horizon: number; openDNow: number } },
): Promise<ReconcileResult> {
  const res: ReconcileResult = { orders: 0, fills: 0, historyRead: false };
  for (const acc of accounts) {
    const accId = acc.accId.toString();
    if (opts.history) {
      const { horizon, openDNow } = opts.history;
      const range = historyRange(horizon, tracker.oldestOpenCreate(accId), openDNow);
      res.historyRead = true;
      // Changes before the horizon were accepted by the bus already: only later ones can be missing.
      const since = horizon - HORIZON_SLACK_S;
      res.orders += await listOrders(target, () => trade.historyOrders(acc, range), opts.now, (d) => (d.updateTimestamp ?? Infinity) >= since);
      if (acc.env === 'REAL') {
        for (const f of await trade.historyFills(acc, range)) {
          const d = fillDetailFromFill(f, opts.now());
          if ((d.createTimestamp ?? Infinity) >= since && target.offerFill(d)) res.fills++;
        }
      }
    }
    res.orders += await listOrders(target, () => trade.orders(acc), opts.now, () => true);
    if (acc.env === 'REAL') {
      for (const f of await trade.fills(acc)) if (target.offerFill(fillDetailFromFill(f, opts.now()))) res.fills++;
    }
  }
  return res;
}

/**
 * One listing. A push for an order that arrives while the listing is in flight carries a state at least as new
 * as the listing's (OpenD sends a change's push when the change happens, the listing reply later; and a push
 * that follows the reply in the same TCP read is handled before this continuation runs): such orders are left
 * to their pushes, so an older listed state can never be published after a newer pushed one.
 */
async function listOrders(
  target: ReconcileTarget,
  list: () => Promise<Parameters<typeof orderDetailFromOrder>[0][]>,
  now: () => string,
  keep: (d: OrderDetail) => boolean,
): Promise<number> {
  target.watchPushes(true);
  let orders;
  let pushed: Set<string>;
  try {
    orders = await list();
  } finally {
    pushed = target.pushedKeys();
    target.watchPushes(false);
  }
  let n = 0;
  for (const o of orders) {
    const d = orderDetailFromOrder(o, now());
    if (pushed.has(orderKey(d.accId, d.orderId)) || !keep(d)) continue;
    if (target.offerOrder(d)) n++;
  }
  return n;
}
