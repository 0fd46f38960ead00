// One terminal-status list for the simulator, the relay and the functions: what Futu documents as final.
import { describe, expect, it } from 'vitest';
import { OrderStatus } from '../../proto/generated/Trd_Common.js';
import { isTerminalOrderStatus, isTerminalOrderStatusValue, TERMINAL_ORDER_STATUSES } from '../../proto/order-status.js';
import { isTerminalStatus } from '../../functions/lib/model.js';
import { FINAL } from '../../gateway-container/simulator/trading/records.js';

describe('terminal order statuses', () => {
  it('treats a rolled-back fill (FILL_CANCELLED) as final, and a disabled HK order (re-enabled by ModifyOrder) as open', () => {
    expect(isTerminalOrderStatus('FILL_CANCELLED')).toBe(true);
    expect(isTerminalOrderStatusValue(OrderStatus.FILL_CANCELLED)).toBe(true);
    expect(isTerminalOrderStatus('DISABLED')).toBe(false);
    expect(isTerminalOrderStatusValue(OrderStatus.DISABLED)).toBe(false);
  });

  it('calls exactly the documented end states terminal, by name and by wire number', () => {
    const terminal = Object.keys(OrderStatus).filter((n) => isTerminalOrderStatus(n)).sort();
    expect(terminal).toEqual(['CANCELLED_ALL', 'CANCELLED_PART', 'DELETED', 'FAILED', 'FILLED_ALL', 'FILL_CANCELLED', 'SUBMIT_FAILED']);
    for (const [name, value] of Object.entries(OrderStatus)) expect(isTerminalOrderStatusValue(value)).toBe(isTerminalOrderStatus(name));
  });

  it('is the list the functions and the simulator use', () => {
    for (const name of Object.keys(OrderStatus)) expect(isTerminalStatus(name)).toBe(isTerminalOrderStatus(name));
    expect([...FINAL].sort((a, b) => a - b)).toEqual(TERMINAL_ORDER_STATUSES.map((n) => OrderStatus[n]).sort((a, b) => a - b));
  });
});
