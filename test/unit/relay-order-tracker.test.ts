// The relay's duplicate/stale filter (gateway-container/relay/order-tracker.ts) with events whose updateTimestamp
// cannot order them: whatever order OpenD's pushes and the reconciliation listings deliver a lifecycle in, the
// broker's final state is always published, nothing is published after a terminal state except a later terminal
// one, and Futu's FILL_CANCELLED (a fill rolled back after the order ended, which lowers fillQty) is not mistaken
// for a stale update.
import { describe, expect, it } from 'vitest';
import { OrderTracker } from '../../gateway-container/relay/order-tracker.js';
import type { OrderDetail } from '../../proto/events.js';
import { isTerminalOrderStatus } from '../../proto/order-status.js';

const TS = 1_736_920_800.125;

function detail(status: string, fillQty = 0, updateTimestamp = TS): OrderDetail {
  return {
    accId: '281756480572583411',
    trdEnv: 'SIMULATE',
    trdMarket: 'HK',
    orderId: '9100000000000000001',
    orderIdEx: 'ex',
    security: 'HK.00700',
    market: 'HK',
    code: '00700',
    name: 'TENCENT',
    side: 'BUY',
    orderType: 'NORMAL',
    status,
    qty: 500,
    price: 320.2,
    fillQty,
    fillAvgPrice: fillQty > 0 ? 320.2 : 0,
    createTime: '2025-01-15 14:00:00.000',
    updateTime: '2025-01-15 14:00:00.125',
    updateTimestamp,
    createTimestamp: TS - 1,
    gatewayTime: '2025-01-15T06:00:00.125Z',
  };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

const LIFECYCLES: Record<string, OrderDetail[]> = {
  'filled in parts': [detail('SUBMITTING'), detail('SUBMITTED'), detail('FILLED_PART', 100), detail('FILLED_PART', 300), detail('FILLED_ALL', 500)],
  'partly filled, then cancelled': [detail('SUBMITTED'), detail('FILLED_PART', 200), detail('CANCELLING_PART', 200), detail('CANCELLED_PART', 200)],
  'filled, then a fill rolled back': [detail('SUBMITTED'), detail('FILLED_PART', 200), detail('FILLED_ALL', 500), detail('FILL_CANCELLED', 300)],
};

describe('relay order tracker with equal updateTimestamps', () => {
  for (const [name, events] of Object.entries(LIFECYCLES)) {
    it(`publishes the final state in every delivery order, and no open state after a terminal one: ${name}`, () => {
      const final = events[events.length - 1]!;
      for (const order of permutations(events)) {
        const tracker = new OrderTracker();
        const label = order.map((e) => `${e.status}/${e.fillQty}`).join(' → ');
        let terminalSeen = false;
        for (const e of order) {
          const decision = tracker.offerOrder(e);
          if (e === final) expect(decision, label).toBe('publish');
          if (decision === 'publish' && terminalSeen) expect(isTerminalOrderStatus(e.status), label).toBe(true);
          if (decision === 'publish' && isTerminalOrderStatus(e.status)) terminalSeen = true;
          if (decision === 'publish') tracker.markOrderDelivered(e);
        }
        // The checkpoint's view (what the bus accepted) ends on the final state too.
        expect(tracker.deliveredSnapshot()[final.accId]?.orders[final.orderId], label).toMatchObject({ status: final.status, fillQty: final.fillQty });
        expect(tracker.orderState(final.accId, final.orderId), label).toMatchObject({ status: final.status, fillQty: final.fillQty });
      }
    });
  }

  it('publishes a FILL_CANCELLED that lowers fillQty, and nothing older after it', () => {
    const tracker = new OrderTracker();
    expect(tracker.offerOrder(detail('FILLED_ALL', 500, TS))).toBe('publish');
    expect(tracker.offerOrder(detail('FILL_CANCELLED', 300, TS + 5))).toBe('publish');
    expect(tracker.offerOrder(detail('FILLED_ALL', 500, TS))).toBe('stale');
    expect(tracker.offerOrder(detail('FILLED_PART', 400, TS + 6))).toBe('stale');
    expect(tracker.orderState(detail('X').accId, detail('X').orderId)).toMatchObject({ status: 'FILL_CANCELLED', fillQty: 300 });
  });
});
