/**
 * The security a quote request names, as its key ("HK.00700"), when the simulator's universe has it; otherwise
 * the error OpenD gives for an unknown stock. Shared by the quote and reference handlers so every protocol
 * refuses a missing or unknown security with the same words.
 */
import type * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { securityKey } from '../../../proto/securities.js';
import type { MarketEngine } from '../market/engine.js';
import { SimError } from '../server.js';

export function knownSecurity(market: MarketEngine, sec: Qot_Common.Security | undefined, field = 'security'): string {
  if (!sec) throw new SimError(`${field} is required`);
  const key = securityKey(sec);
  if (!market.security(key)) throw new SimError(`Unknown stock ${key}: not in the simulator's universe`);
  return key;
}
