// Price reminder protocols of the simulator: Qot_SetPriceReminder (3220), Qot_GetPriceReminder (3221) and the
// Qot_UpdatePriceReminder (3019) push, evaluated against every simulated trade (market/price-reminders.ts).
//
// Who gets 3019: Futu's price-reminder callback example (Futu OpenAPI docs, "Price Reminder Callback") only sets
// a handler on a quote context, with no Qot_Sub and no Qot_RegQotPush, so the push is not tied to a quote
// subscription. Both official SDKs always connect with InitConnect recvNotify = true, whose comment reads
// "whether this connection receives event notifications"; this simulator therefore pushes reminders to every
// connection that set recvNotify, like Notify (1003). (Whether real OpenD also pushes to recvNotify = false
// connections is not documented; unverified.)
// Futu's frequency limit for 3220 (60 per 30 s) is enforced by the server from proto/futu-limits.ts.
// Invariants: a refused request changes nothing; a reminder's stored state is saved (when a file is given)
// before the reply or push about it; handlers never change market or trading state.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { PROTO_ID } from '../../../proto/registry.js';
import { prefixOfQotMarket } from '../../../proto/securities.js';
import { localDay } from '../market/calendars.js';
import type { MarketEngine } from '../market/engine.js';
import { priceReminderPathFor } from '../market/price-reminder-file.js';
import { PriceReminderBook, type ReminderContext } from '../market/price-reminders.js';
import { SimError, type OpenDSimulator } from '../server.js';
import { knownSecurity } from './known-security.js';

const MS = Qot_Common.QotMarketState;
const S = Qot_Common.PriceReminderMarketStatus;

export interface PriceReminderService {
  book: PriceReminderBook;
  dispose(): void;
}

/** PriceReminderMarketStatus of a market state: US extended sessions by name, everything else the regular session. */
function reminderStatus(state: number): number {
  if (state === MS.PRE_MARKET_BEGIN || state === MS.PRE_MARKET_END) return S.US_PRE;
  if (state === MS.AFTER_HOURS_BEGIN || state === MS.AFTER_HOURS_END) return S.US_AFTER;
  if (state === MS.OVERNIGHT || state === MS.OVERNIGHT_BEGIN || state === MS.OVERNIGHT_END) return S.US_OVER_NIGHT;
  return S.OPEN;
}

/** With a trading state file, reminders persist beside it (`<stateFile>.price-reminders.json`) and survive a restart. */
export function registerPriceReminderHandlers(sim: OpenDSimulator, market: MarketEngine, opts: { stateFile?: string } = {}): PriceReminderService {
  const sync = () => market.advanceTo(sim.now());
  const marketOf = (security: string) => market.security(security)!.market;
  const ctx: ReminderContext = {
    prefixOf: (security) => marketOf(security),
    dayOf: (security, t) => localDay(marketOf(security), t),
    statusOf: (security, t) => reminderStatus(market.marketState(marketOf(security), t)),
  };
  const book = new PriceReminderBook(ctx, sim.now, opts.stateFile ? priceReminderPathFor(opts.stateFile) : undefined);

  sim.handle(PROTO_ID.Qot_SetPriceReminder, (_ctx, c2s) => {
    sync();
    const security = knownSecurity(market, c2s.security);
    const key = book.set(security, { op: c2s.op, key: c2s.key, type: c2s.type, freq: c2s.freq, value: c2s.value, note: c2s.note, sessions: c2s.reminderSessionList });
    return { key };
  });

  // Futu: security and market are alternatives (security wins when both are given); a Shanghai or Shenzhen
  // market means the whole A-share market.
  sim.handle(PROTO_ID.Qot_GetPriceReminder, (_ctx, c2s) => {
    sync();
    let list;
    if (c2s.security) list = book.list({ security: knownSecurity(market, c2s.security) });
    else if (c2s.market !== undefined) {
      const prefix = prefixOfQotMarket(c2s.market);
      const prefixes = prefix === 'SH' || prefix === 'SZ' ? ['SH', 'SZ'] : prefix === 'HK' || prefix === 'US' ? [prefix] : undefined;
      if (!prefixes) throw new SimError(`market ${c2s.market} has no price reminders here; allowed QotMarket values: HK_SECURITY (1), US_SECURITY (11), CNSH_SECURITY (21), CNSZ_SECURITY (22)`);
      list = book.list({ prefixes });
    } else throw new SimError('security or market is required');
    return {
      priceReminderList: [...list].map(([security, items]) => {
        const sec = market.security(security)!;
        return {
          security: { market: Qot_Common.QotMarket[qotMarketName(sec.market)], code: sec.code },
          name: sec.name,
          itemList: items.map((r) => ({ key: BigInt(r.key), type: r.type, value: r.value, note: r.note, freq: r.freq, isEnable: r.enabled, reminderSessionList: r.sessions })),
        };
      }),
    };
  });

  const off = market.onUpdate((u) => {
    const firings = book.evaluate(u);
    if (firings.length === 0) return;
    const sec = market.security(u.key)!;
    for (const f of firings) {
      const s2c = {
        security: { ...u.security },
        name: sec.name,
        price: f.price,
        changeRate: f.changeRate,
        marketStatus: f.marketStatus,
        content: f.content,
        note: f.reminder.note,
        key: BigInt(f.reminder.key),
        type: f.reminder.type,
        setValue: f.reminder.value,
        curValue: f.curValue,
      };
      for (const conn of sim.connections.values()) if (conn.initialized && conn.recvNotify && !conn.closed) sim.push(conn, PROTO_ID.Qot_UpdatePriceReminder, s2c);
    }
  });

  return { book, dispose: off };
}

function qotMarketName(m: 'HK' | 'US' | 'SH' | 'SZ'): 'HK_SECURITY' | 'US_SECURITY' | 'CNSH_SECURITY' | 'CNSZ_SECURITY' {
  return m === 'HK' ? 'HK_SECURITY' : m === 'US' ? 'US_SECURITY' : m === 'SH' ? 'CNSH_SECURITY' : 'CNSZ_SECURITY';
}
