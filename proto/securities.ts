// Securities as strings on every public surface: "HK.00700", "US.AAPL", "SH.600519".
// On the wire they are Qot_Common.Security { market: QotMarket, code } or a code plus TrdSecMarket.
import { parseDerivativeCode, type DerivativeCode } from './derivatives.js';
import { ValidationError } from './errors.js';

export const QOT_MARKET_BY_PREFIX = {
  HK: 1, US: 11, SH: 21, SZ: 22, SG: 31, JP: 41, AU: 51, MY: 61, CA: 71, FX: 81, CC: 91,
} as const;
export type MarketPrefix = keyof typeof QOT_MARKET_BY_PREFIX;

const PREFIX_BY_QOT_MARKET: Record<number, MarketPrefix> = Object.fromEntries(
  Object.entries(QOT_MARKET_BY_PREFIX).map(([k, v]) => [v, k as MarketPrefix]),
);
PREFIX_BY_QOT_MARKET[2] = 'HK'; // HK_Future (deprecated) shares the HK prefix

/** Trd_Common.TrdSecMarket for a prefix. */
export const TRD_SEC_MARKET_BY_PREFIX: Partial<Record<MarketPrefix, number>> = {
  HK: 1, US: 2, SH: 31, SZ: 32, SG: 41, JP: 51, AU: 61, MY: 71, CA: 81, FX: 91,
};
const PREFIX_BY_TRD_SEC_MARKET: Record<number, MarketPrefix> = Object.fromEntries(
  Object.entries(TRD_SEC_MARKET_BY_PREFIX).map(([k, v]) => [v, k as MarketPrefix]),
);

/** Trd_Common.TrdMarket that trades a prefix's securities (A-shares via CN). */
export const TRD_MARKET_BY_PREFIX: Partial<Record<MarketPrefix, number>> = { HK: 1, US: 2, SH: 3, SZ: 3, SG: 6, AU: 8, JP: 15, MY: 111, CA: 112 };

const CODE_RULES: Partial<Record<MarketPrefix, { re: RegExp; what: string }>> = {
  HK: { re: /^\d{5,6}$/, what: '5 digits for stocks (6 for indexes), e.g. HK.00700' },
  US: { re: /^\.?[A-Z][A-Z0-9.\-]{0,11}$/, what: 'an upper-case ticker, e.g. US.AAPL or US.BRK.B' },
  SH: { re: /^\d{6}$/, what: '6 digits, e.g. SH.600519' },
  SZ: { re: /^\d{6}$/, what: '6 digits, e.g. SZ.000001' },
};

export interface SecurityRef {
  /** "HK.00700" */
  key: string;
  prefix: MarketPrefix;
  /** Qot_Common.QotMarket */
  market: number;
  code: string;
  /** Set for futures ("HK.HSImain", "US.ES2703") and options ("US.AAPL260116C200000"). */
  derivative?: DerivativeCode;
}

const DERIVATIVE_FORMS: Partial<Record<MarketPrefix, string>> = {
  HK: 'a future like HK.HSImain or HK.MHI2612, or an option like HK.TCH260330C400000 (root, yyMMdd, C or P, strike × 1000)',
  US: 'a future like US.ESmain or US.NQ2703, or an option like US.AAPL260116C200000 (root, yyMMdd, C or P, strike × 1000)',
};

/** Parses "HK.00700", "HK.HSImain" or "US.AAPL260116C200000"; throws ValidationError naming `field` and what is allowed. */
export function parseSecurity(input: unknown, field = 'code'): SecurityRef {
  if (typeof input !== 'string' || input.length === 0 || input.length > 24) {
    throw new ValidationError(field, `expected a security like "HK.00700", "US.AAPL" or "SH.600519", got ${JSON.stringify(input)?.slice(0, 40)}`);
  }
  const dot = input.indexOf('.');
  const prefix = input.slice(0, dot).toUpperCase();
  const code = input.slice(dot + 1);
  if (dot <= 0 || !(prefix in QOT_MARKET_BY_PREFIX)) {
    throw new ValidationError(field, `"${input}" needs a market prefix; allowed: ${Object.keys(QOT_MARKET_BY_PREFIX).join(', ')} (e.g. "HK.00700")`);
  }
  const p = prefix as MarketPrefix;
  const derivative = parseDerivativeCode(p, code);
  if (typeof derivative === 'string') throw new ValidationError(field, `"${input}" is not a valid ${p} derivative code: ${derivative}`);
  if (derivative) return { key: `${p}.${code}`, prefix: p, market: QOT_MARKET_BY_PREFIX[p], code, derivative };
  const rule = CODE_RULES[p];
  if (rule ? !rule.re.test(code) : !/^[A-Za-z0-9.\-]{1,16}$/.test(code)) {
    const also = DERIVATIVE_FORMS[p] ? `; or ${DERIVATIVE_FORMS[p]}` : '';
    throw new ValidationError(field, `"${input}" is not a valid ${p} code: ${rule?.what ?? 'letters and digits'}${also}`);
  }
  return { key: `${p}.${code}`, prefix: p, market: QOT_MARKET_BY_PREFIX[p], code };
}

export function parseSecurityList(input: unknown, field = 'codes', max = 400): SecurityRef[] {
  const items = typeof input === 'string' ? input.split(',').map((s) => s.trim()).filter(Boolean) : input;
  if (!Array.isArray(items) || items.length === 0) throw new ValidationError(field, 'expected at least one security, e.g. "HK.00700,US.AAPL"');
  if (items.length > max) throw new ValidationError(field, `at most ${max} securities per request, got ${items.length}`);
  return items.map((s, i) => parseSecurity(s, `${field}[${i}]`));
}

export function securityKey(sec: { market: number; code: string }): string {
  const p = PREFIX_BY_QOT_MARKET[sec.market];
  return `${p ?? `M${sec.market}`}.${sec.code}`;
}

export function toQotSecurity(ref: SecurityRef): { market: number; code: string } {
  return { market: ref.market, code: ref.code };
}

export function prefixOfTrdSecMarket(secMarket: number | undefined): MarketPrefix | undefined {
  return secMarket === undefined ? undefined : PREFIX_BY_TRD_SEC_MARKET[secMarket];
}

export function prefixOfQotMarket(market: number): MarketPrefix | undefined {
  return PREFIX_BY_QOT_MARKET[market];
}
