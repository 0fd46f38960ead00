// The fee schedules of futures and options fills in REAL accounts (stocks: fees.ts). Every derivative fee is
// charged per CONTRACT, except the ad-valorem SEC fee on US option sells, which is figured on the premium
// actually paid: price × contracts × multiplier (100 shares per US option). No derivative pays stamp duty (HK
// stamp duty is a duty on stock transfers; futures and options transfer no stock) nor the FRC levy (a levy on
// SEHK securities trades, not on HKFE contracts).
//
// HK futures (HKFE, per contract per side). Exchange fee and SFC levy are HKEX's transaction costs per contract
// (as HKEX's contract pages and HK brokers' fee tables list them):
//   HSI  Exchange Fees HK$10.00   SFC Transaction Levy HK$0.54
//   MHI  Exchange Fees HK$3.50    SFC Transaction Levy HK$0.10
//   HHI  Exchange Fees HK$3.50    SFC Transaction Levy HK$0.54
//   Commission and Platform Fees (Futu): ILLUSTRATIVE HK$10 and HK$5 per contract — Futu's HK futures page was
//   not found; the structure (broker commission + platform fee, per contract) follows its futures tables.
// HK stock options (HKATS, per contract per side):
//   Trading Fees (HKEX)  ILLUSTRATIVE HK$1.00 per contract (HKEX charges HK$0.50–3.00 by contract tier; one tier
//   is used for every root here). No SFC levy: stock options are exempt. No stamp duty.
//   Commission and Platform Fees (Futu): ILLUSTRATIVE HK$3 and HK$3 per contract, commission minimum HK$3 per order.
// US options (Futu's published US option schedule — support.futusg.com topic143: commission US$0.65 / contract,
// minimum US$1.99 per ORDER, "an order can be divided into multiple transactions but charged once"; platform
// fee US$0.30 / contract):
//   Option Regulatory Fee  US$0.02135 per contract (exchange ORF as Futu lists it)
//   OCC Clearing Fee       US$0.02 per contract (OCC's per-contract clearing fee; Futu lists the item)
//   SEC Fee                sells only: 0.0000278 × premium amount, minimum US$0.01 per trade
//   Trading Activity Fee   sells only: US$0.002 per contract, minimum US$0.01 per trade (FINRA TAF)
// US futures (CME, per contract per side; Futu HK's CME fee table — futuhk.com/en/support/topic2_1132 — has
// the items Commission, Platform Fee, Exchange Fee and NFA Fee):
//   Commission US$4.00 and Platform Fees US$1.00 — the figures that table lists for the ES / NQ products (it is
//   the futures-options table; taken here for the futures); Exchange Fees ILLUSTRATIVE US$1.38 (the level of
//   CME's non-member E-mini equity-index fee); NFA Fee US$0.02 (the NFA assessment fee, as the table lists).
//
// Invariant: as in fees.ts, items are whole cents; per-contract figures are kept in hundredths of a cent (so
// US$0.02135 is 213.5) and rounded to the cent once per item of a fill.
import type { FeeItem, FeeSubject, FilledSoFar } from './fees.js';

/** Per contract, in hundredths of a cent (1 currency unit = 10,000). */
interface PerContract {
  title: string;
  rate: number;
  /** Whole-cent minimum per trade. */
  min?: number;
  sellOnly?: boolean;
}

const HK_FUTURES: Readonly<Record<string, PerContract[]>> = {
  HSI: [{ title: 'Exchange Fees', rate: 100_000 }, { title: 'SFC Transaction Levy', rate: 5_400 }],
  MHI: [{ title: 'Exchange Fees', rate: 35_000 }, { title: 'SFC Transaction Levy', rate: 1_000 }],
  HHI: [{ title: 'Exchange Fees', rate: 35_000 }, { title: 'SFC Transaction Levy', rate: 5_400 }],
};
/** Futures roots without a row above (none today) pay the HSI pass-through figures. */
const HK_FUTURES_DEFAULT = HK_FUTURES['HSI']!;
const HK_FUTURES_BROKER: PerContract[] = [{ title: 'Commission', rate: 100_000 }, { title: 'Platform Fees', rate: 50_000 }];

const HK_OPTION_PER_TRADE: PerContract[] = [{ title: 'Trading Fees', rate: 10_000 }];
const HK_OPTION_PLATFORM: PerContract = { title: 'Platform Fees', rate: 30_000 };

const US_OPTION_PER_TRADE: PerContract[] = [
  { title: 'Platform Fees', rate: 3_000 },
  { title: 'Option Regulatory Fee', rate: 213.5 },
  { title: 'OCC Clearing Fee', rate: 200 },
  { title: 'Trading Activity Fee', rate: 20, min: 1, sellOnly: true },
];

const US_FUTURES: PerContract[] = [
  { title: 'Commission', rate: 40_000 },
  { title: 'Platform Fees', rate: 10_000 },
  { title: 'Exchange Fees', rate: 13_800 },
  { title: 'NFA Fee', rate: 200 },
];

function perContract(rows: PerContract[], contracts: number, buy: boolean): FeeItem[] {
  return rows
    .filter((r) => !(r.sellOnly && buy))
    .map((r) => ({ title: r.title, cents: Math.max(r.min ?? 0, Math.round((contracts * r.rate) / 100)) }));
}

/** Per-order items of an order that has filled `f.qty` contracts (commission minimums apply once per order). */
export function derivativeOrderLevel(s: FeeSubject, f: FilledSoFar): FeeItem[] {
  if (f.qty === 0 || !s.contract || s.contract.kind !== 'option') return [];
  // US: US$0.65 per contract, minimum US$1.99 per order; HK (illustrative): HK$3 per contract, minimum HK$3.
  if (s.market === 'US') return [{ title: 'Commission', cents: Math.max(199, Math.round(f.qty * 65)) }];
  return [{ title: 'Commission', cents: Math.max(300, f.qty * 300) }];
}

/** Per-trade items of one fill of `qty` contracts at `price` (premium or index points). */
export function derivativePerTrade(s: FeeSubject, qty: number, price: number): FeeItem[] {
  const c = s.contract;
  if (!c) return [];
  if (c.kind === 'future') {
    if (s.market === 'HK') return perContract([...HK_FUTURES_BROKER, ...(HK_FUTURES[c.root ?? ''] ?? HK_FUTURES_DEFAULT)], qty, s.buy);
    return perContract(US_FUTURES, qty, s.buy);
  }
  if (s.market === 'HK') return perContract([HK_OPTION_PLATFORM, ...HK_OPTION_PER_TRADE], qty, s.buy);
  const items = perContract(US_OPTION_PER_TRADE, qty, s.buy);
  if (!s.buy) {
    // Ad valorem: the premium's currency amount, with the contract multiplier (100 shares per contract).
    const amountCents = Math.round(qty * price * c.multiplier * 100);
    items.push({ title: 'SEC Fee', cents: Math.max(1, Math.round((amountCents * 27.8) / 1_000_000)) });
  }
  return items;
}
