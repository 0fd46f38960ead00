// Trade protocols: thin adapters from the wire messages to the paper-trading engine, plus routing of
// order and fill pushes to the connections that registered the account with Trd_SubAccPush.
import type * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { OpenDSimulator } from '../server.js';
import type { TradingEngine } from '../trading/engine.js';

export function registerTradeHandlers(sim: OpenDSimulator, trading: TradingEngine): void {
  sim.handle(2001, () => ({ accList: trading.accounts() }));
  sim.handle(2005, (_ctx, c2s) => {
    trading.unlock(c2s.unlock, c2s.pwdMD5);
    return {};
  });
  sim.handle(2008, ({ conn }, c2s) => {
    const known = new Set(trading.accounts().map((a) => a.accID));
    const unknown = (c2s.accIDList as bigint[]).filter((id) => !known.has(id));
    if (unknown.length) throw Object.assign(new Error(`unknown account(s) ${unknown.join(', ')}`), { name: 'TradingError' });
    // The list replaces the previous one, as in OpenD.
    conn.subAccPush.clear();
    for (const id of c2s.accIDList as bigint[]) conn.subAccPush.add(id);
    return {};
  });
  sim.handle(2101, (_ctx, c2s) => ({ header: c2s.header, funds: trading.funds(c2s.header, c2s.currency) }));
  sim.handle(2102, (_ctx, c2s) => ({
    header: c2s.header,
    positionList: trading.positions(c2s.header, c2s.filterConditions, { min: c2s.filterPLRatioMin, max: c2s.filterPLRatioMax }),
  }));
  sim.handle(2111, (_ctx, c2s) => ({ header: c2s.header, maxTrdQtys: trading.maxTrdQtys(c2s) }));
  sim.handle(2201, (_ctx, c2s) => ({ header: c2s.header, orderList: trading.orders(c2s.header, c2s.filterConditions, c2s.filterStatusList) }));
  sim.handle(2211, (_ctx, c2s) => ({ header: c2s.header, orderFillList: trading.fills(c2s.header, c2s.filterConditions) }));
  sim.handle(2221, (_ctx, c2s) => ({ header: c2s.header, orderList: trading.historyOrders(c2s.header, c2s.filterConditions, c2s.filterStatusList) }));
  sim.handle(2222, (_ctx, c2s) => ({ header: c2s.header, orderFillList: trading.historyFills(c2s.header, c2s.filterConditions) }));
  sim.handle(2202, (_ctx, c2s) => {
    const r = trading.placeOrder(c2s);
    return { header: c2s.header, orderID: r.orderID, orderIDEx: r.orderIDEx };
  });
  sim.handle(2205, (_ctx, c2s) => {
    const r = trading.modifyOrder(c2s);
    return { header: c2s.header, orderID: r.orderID, orderIDEx: r.orderIDEx };
  });

  const route = (accID: bigint, protoId: 2208 | 2218, s2c: { header: Trd_Common.TrdHeader }) => {
    for (const conn of sim.connections.values()) if (conn.initialized && conn.subAccPush.has(accID)) sim.push(conn, protoId, s2c);
  };
  trading.onOrder((accID, header, order) => route(accID, 2208, { header, order } as never));
  trading.onFill((accID, header, orderFill) => route(accID, 2218, { header, orderFill } as never));
}
