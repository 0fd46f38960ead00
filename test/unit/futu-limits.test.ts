// Futu's limits are defined once: the simulator enforces that table and the functions' limiter reads it.
import { describe, expect, it } from 'vitest';
import { FUTU_LIMITS_BY_PROTO, futuLimit } from '../../proto/futu-limits.js';
import { isKnownProtoId, PROTO_ID } from '../../proto/registry.js';
import { OPEND_LIMITS } from '../../gateway-container/simulator/frequency-limits.js';
import { FUTU_LIMITS } from '../../functions/lib/rate-limiter.js';

describe("Futu's frequency limits", () => {
  it('are keyed by registered protocols, per account for trading and per OpenD for quotes', () => {
    for (const [id, rule] of Object.entries(FUTU_LIMITS_BY_PROTO)) {
      expect(isKnownProtoId(Number(id)), `protocol ${id}`).toBe(true);
      const quote = Number(id) >= 3000;
      const unlock = Number(id) === PROTO_ID.Trd_UnlockTrade;
      // Futu counts margin-data queries per user ID (get-margin-ratio, Interface Limitations), not per account.
      const margin = Number(id) === PROTO_ID.Trd_GetMarginRatio;
      expect(rule.scope, `scope of ${id}`).toBe(quote || unlock || margin ? 'opend' : 'account');
      expect(rule.windowMs).toBe(30_000);
    }
  });

  it('are the table the simulator enforces', () => {
    expect(OPEND_LIMITS).toBe(FUTU_LIMITS_BY_PROTO);
  });

  it('give the functions the same counts, windows and gaps', () => {
    expect(FUTU_LIMITS.PlaceOrder).toEqual({ limit: 15, windowMs: 30_000, minGapMs: 20 });
    const pairs: [keyof typeof FUTU_LIMITS, number][] = [
      ['PlaceOrder', PROTO_ID.Trd_PlaceOrder],
      ['ModifyOrder', PROTO_ID.Trd_ModifyOrder],
      ['UnlockTrade', PROTO_ID.Trd_UnlockTrade],
      ['RefreshQuery', PROTO_ID.Trd_GetOrderList],
      ['HistoryOrders', PROTO_ID.Trd_GetHistoryOrderList],
      ['HistoryFills', PROTO_ID.Trd_GetHistoryOrderFillList],
      ['MaxTrdQtys', PROTO_ID.Trd_GetMaxTrdQtys],
      ['OrderFee', PROTO_ID.Trd_GetOrderFee],
      ['CashFlow', PROTO_ID.Trd_FlowSummary],
      ['MarginRatio', PROTO_ID.Trd_GetMarginRatio],
      ['Snapshot', PROTO_ID.Qot_GetSecuritySnapshot],
      ['HistoryKLine', PROTO_ID.Qot_RequestHistoryKL],
    ];
    for (const [name, id] of pairs) {
      const { limit, windowMs, minGapMs } = futuLimit(id);
      expect(FUTU_LIMITS[name], name).toEqual(minGapMs === undefined ? { limit, windowMs } : { limit, windowMs, minGapMs });
    }
  });

  it('refuses to look up a protocol Futu does not limit, naming the ones it does', () => {
    expect(() => futuLimit(PROTO_ID.KeepAlive)).toThrow(/1004 has no Futu frequency limit; limited protocols: .*2202/);
  });
});
