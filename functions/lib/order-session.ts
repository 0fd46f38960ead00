// The `session` of an order request over HTTP: which US sessions the order may trade in (Futu's Common.Session:
// RTH, ETH = pre-market + regular + after-hours, OVERNIGHT, ALL; Trd_PlaceOrder.session "美股订单时段"), checked
// before anything reaches OpenD with the rules OpenD applies: US securities only, and outside regular hours limit
// orders only (Trd_PlaceOrder.fillOutsideRTH: "仅适用于美股限价单", US limit orders only).
import type { SecurityRef } from '../../proto/securities.js';
import type { OrderTypeName } from '../../proto/api/trading.js';
import { invalid } from './api-error.js';

export const ORDER_SESSIONS = ['RTH', 'ETH', 'OVERNIGHT', 'ALL'] as const;
export type OrderSession = (typeof ORDER_SESSIONS)[number];

/** Order types with a limit price: the only ones that may trade outside regular hours. */
const OUTSIDE_RTH_TYPES: readonly OrderTypeName[] = ['NORMAL', 'STOP_LIMIT'];

/** undefined when not given; a 400 that names the allowed values and the rule otherwise. */
export function parseOrderSession(v: unknown, security: SecurityRef, type: OrderTypeName): OrderSession | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(ORDER_SESSIONS as readonly string[]).includes(v)) {
    throw invalid('session', `must be one of ${ORDER_SESSIONS.join(', ')} (ETH = pre-market, regular and after-hours), got ${JSON.stringify(v)?.slice(0, 40)}`, {
      allowed: ORDER_SESSIONS,
    });
  }
  const session = v as OrderSession;
  if (session === 'RTH') return session;
  if (security.prefix !== 'US') {
    throw invalid('session', `${session} is only for US securities; ${security.key} trades in its regular sessions only (leave session out or use RTH)`);
  }
  if (!OUTSIDE_RTH_TYPES.includes(type)) {
    throw invalid('session', `${session} (trading outside regular hours) takes limit orders only (${OUTSIDE_RTH_TYPES.join(', ')}); ${type} orders trade in the regular session (RTH)`);
  }
  return session;
}
