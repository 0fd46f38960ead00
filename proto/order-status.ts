// The one list of Futu order statuses after which an order never changes again, shared by the simulator, the
// relay and the functions. Futu's Trd_Common.OrderStatus (futu-api Trd_Common.proto) documents:
//   SUBMIT_FAILED (3), FAILED (21)        the order was rejected;
//   FILLED_ALL (11)                        fully filled;
//   CANCELLED_PART (14), CANCELLED_ALL (15) cancelled, with or without fills;
//   DELETED (23)                           deleted (only an unfilled order can be);
//   FILL_CANCELLED (24)                    a filled order whose fills were rolled back: it became void.
// DISABLED (22) is NOT final: disabling is an HK-only ModifyOrder op (ModifyOrderOp 3) that ENABLE (4) undoes.
// Invariant: a consumer that sees one of these statuses may stop tracking the order; the one change a terminal
// order can still see is FILL_CANCELLED (a fill rolled back after the order ended).
import { OrderStatus, type OrderStatusName } from './generated/Trd_Common.js';

export const TERMINAL_ORDER_STATUSES = [
  'SUBMIT_FAILED',
  'FILLED_ALL',
  'CANCELLED_PART',
  'CANCELLED_ALL',
  'FAILED',
  'DELETED',
  'FILL_CANCELLED',
] as const satisfies readonly OrderStatusName[];

export type TerminalOrderStatus = (typeof TERMINAL_ORDER_STATUSES)[number];

const BY_NAME: ReadonlySet<string> = new Set(TERMINAL_ORDER_STATUSES);
const BY_VALUE: ReadonlySet<number> = new Set(TERMINAL_ORDER_STATUSES.map((name) => OrderStatus[name]));

/** True for a status name (as on public surfaces and in events) after which the order never changes again. */
export function isTerminalOrderStatus(status: string): boolean {
  return BY_NAME.has(status);
}

/** The same test on the wire number (Trd_Common.OrderStatus). */
export function isTerminalOrderStatusValue(status: number): boolean {
  return BY_VALUE.has(status);
}

/** The wire numbers of the terminal statuses. */
export const TERMINAL_ORDER_STATUS_VALUES: ReadonlySet<number> = BY_VALUE;
