// Trade protocols: thin adapters from the wire messages to the paper-trading engine, plus routing of
// order and fill pushes to the connections that registered the account with Trd_SubAccPush.
import type * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type { OpenDSimulator } from '../server.js';
import type { TradingEngine } from '../trading/engine.js';
import { inTrdCategory } from '../trading/accounts.js';
import { PROTO_ID } from '../../../proto/registry.js';

export function registerTradeHandlers(sim: OpenDSimulator, trading: TradingEngine): void {
  // trdCategory FUTURE lists the futures accounts, SECURITY (or none) the securities accounts, as OpenD does.
  sim.handle(PROTO_ID.Trd_GetAccList, (_ctx, c2s) => ({ accList: trading.accounts().filter((a) => inTrdCategory(a, c2s.trdCategory)) }));
  sim.handle(PROTO_ID.Trd_UnlockTrade, (_ctx, c2s) => {
    trading.unlock(c2s.unlock, c2s.pwdMD5);
    return {};
  });
  sim.handle(PROTO_ID.Trd_SubAccPush, ({ conn }, c2s) => {
    const known = new Set(trading.accounts().map((a) => a.accID));
    const unknown = (c2s.accIDList as bigint[]).filter((id) => !known.has(id));
    if (unknown.length) throw Object.assign(new Error(`unknown account(s) ${unknown.join(', ')}`), { name: 'TradingError' });
    // The list replaces the previous one, as in OpenD.
    conn.subAccPush.clear();
    for (const id of c2s.accIDList as bigint[]) conn.subAccPush.add(id);
    return {};
  });
  sim.handle(PROTO_ID.Trd_GetFunds, (_ctx, c2s) => ({ header: c2s.header, funds: trading.funds(c2s.header, c2s.currency) }));
  sim.handle(PROTO_ID.Trd_GetPositionList, (_ctx, c2s) => ({
    header: c2s.header,
    positionList: trading.positions(c2s.header, c2s.filterConditions, { min: c2s.filterPLRatioMin, max: c2s.filterPLRatioMax }),
  }));
  sim.handle(PROTO_ID.Trd_GetMaxTrdQtys, (_ctx, c2s) => ({ header: c2s.header, maxTrdQtys: trading.maxTrdQtys(c2s) }));
  sim.handle(PROTO_ID.Trd_GetOrderList, (_ctx, c2s) => ({ header: c2s.header, orderList: trading.orders(c2s.header, c2s.filterConditions, c2s.filterStatusList) }));
  sim.handle(PROTO_ID.Trd_GetOrderFillList, (_ctx, c2s) => ({ header: c2s.header, orderFillList: trading.fills(c2s.header, c2s.filterConditions) }));
  sim.handle(PROTO_ID.Trd_GetHistoryOrderList, (_ctx, c2s) => ({ header: c2s.header, orderList: trading.historyOrders(c2s.header, c2s.filterConditions, c2s.filterStatusList) }));
  sim.handle(PROTO_ID.Trd_GetHistoryOrderFillList, (_ctx, c2s) => ({ header: c2s.header, orderFillList: trading.historyFills(c2s.header, c2s.filterConditions) }));
  sim.handle(PROTO_ID.Trd_PlaceOrder, (_ctx, c2s) => {
    const r = trading.placeOrder(c2s);
    return { header: c2s.header, orderID: r.orderID, orderIDEx: r.orderIDEx };
  });
  sim.handle(PROTO_ID.Trd_ModifyOrder, (_ctx, c2s) => {
    const r = trading.modifyOrder(c2s);
    return { header: c2s.header, orderID: r.orderID, orderIDEx: r.orderIDEx };
  });

  const route = (accID: bigint, protoId: typeof PROTO_ID.Trd_UpdateOrder | typeof PROTO_ID.Trd_UpdateOrderFill, s2c: { header: Trd_Common.TrdHeader }) => {
    for (const conn of sim.connections.values()) if (conn.initialized && conn.subAccPush.has(accID)) sim.push(conn, protoId, s2c);
  };
  trading.onOrder((accID, header, order) => route(accID, PROTO_ID.Trd_UpdateOrder, { header, order } as never));
  trading.onFill((accID, header, orderFill) => route(accID, PROTO_ID.Trd_UpdateOrderFill, { header, orderFill } as never));
}
