// Major holders' holding changes (Qot_GetHoldingChangeList 3208) for the universe's stocks. Holders and their
// quarterly filings are derived deterministically from the security, the holder category (Futu's
// HolderCategory: 1 institution, 2 fund, 3 senior executive) and the quarter, so every run sees the same
// history; holdings are sized from the universe's issued shares, so holdingRatio = holdingQty / issued shares.
// Futu's rules followed: beginTime / endTime filter on the filing time and are optional (none: everything);
// "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-dd HH:mm:ss.SSS" (a bare date is accepted too); at most the top 100 holders.
import { PROTO_ID } from '../../../proto/registry.js';
import { hash32 } from '../../../proto/seeded-random.js';
import { DAY_MS, formatDay, fromLocalMs, localDay, parseLocalMs } from '../market/calendars.js';
import type { MarketEngine } from '../market/engine.js';
import { SimError, type OpenDSimulator } from '../server.js';
import { knownSecurity } from './known-security.js';

const HOLDERS: Record<number, readonly string[]> = {
  1: ['Harbourfront Capital Management', 'Pacific Crest Asset Management', 'Northgate Investors', 'Meridian Pension Trust'],
  2: ['Evergreen Growth Fund', 'Lotus Asia Equity Fund', 'Summit Index Fund', 'Bluewater Dividend Fund'],
  3: ['Chief Executive Officer', 'Chief Financial Officer', 'Executive Director', 'Non-executive Chairman'],
};
/** Filings start with the first quarter of 2024. */
const FIRST_QUARTER = { year: 2024, q: 0 };

export function registerHoldingHandlers(sim: OpenDSimulator, market: MarketEngine): void {
  sim.handle(PROTO_ID.Qot_GetHoldingChangeList, (_ctx, c2s) => {
    const key = knownSecurity(market, c2s.security);
    const sec = market.security(key)!;
    if (!sec.equity) throw new SimError(`${key} is not a stock: holding changes exist for stocks only`);
    const holders = HOLDERS[c2s.holderCategory];
    if (!holders) throw new SimError(`holderCategory ${c2s.holderCategory} is not one of 1 (institution), 2 (fund), 3 (senior executive)`);
    const bound = (t: string | undefined, field: string, end: boolean) => {
      if (t === undefined || t === '') return undefined;
      try {
        return parseLocalMs(t.replace(/\.\d{1,3}$/, ''), end);
      } catch {
        throw new SimError(`${field} must be "yyyy-MM-dd HH:mm:ss" (or with .SSS), got ${JSON.stringify(t)}`);
      }
    };
    const from = bound(c2s.beginTime, 'beginTime', false);
    const to = bound(c2s.endTime, 'endTime', true);
    const today = localDay(sec.market, sim.now());
    const issued = sec.equity.issuedShares;
    const list = [];
    for (const [h, holderName] of holders.entries()) {
      const seed = `${key}|${c2s.holderCategory}|${h}`;
      // Executives hold a fraction of a percent, institutions and funds a few percent.
      const basePct = c2s.holderCategory === 3 ? 0.05 + (hash32(seed) % 40) / 100 : 1 + (hash32(seed) % 600) / 100;
      let prev = Math.round((issued * basePct) / 100);
      for (let i = 0; ; i++) {
        const year = FIRST_QUARTER.year + Math.floor((FIRST_QUARTER.q + i) / 4);
        const q = (FIRST_QUARTER.q + i) % 4;
        // A filing is dated 45 days after the quarter end (a simplification of disclosure deadlines).
        const filed = Date.UTC(year, q * 3 + 3, 0) / DAY_MS + 45;
        if (filed > today) break;
        const step = ((hash32(`${seed}|${year}Q${q}`) % 2001) - 1000) / 10_000; // -10 % .. +10 %
        const qty = Math.max(0, Math.round(prev * (1 + step)));
        const change = qty - prev;
        const local = filed * DAY_MS;
        if ((from === undefined || local >= from) && (to === undefined || local <= to) && change !== 0) {
          list.push({
            holderName,
            holdingQty: qty,
            holdingRatio: Math.round((qty / issued) * 100 * 10_000) / 10_000,
            changeQty: change,
            changeRatio: prev === 0 ? 0 : Math.round((change / prev) * 100 * 1000) / 1000,
            time: `${formatDay(filed)} 00:00:00`,
            timestamp: fromLocalMs(sec.market, local) / 1000,
          });
        }
        prev = qty;
      }
    }
    list.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.holderName < b.holderName ? -1 : 1));
    return { security: c2s.security, holdingChangeList: list.slice(0, 100) };
  });
}
