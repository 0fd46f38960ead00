// Futures and options over OpenDClient: contract specs (Qot_GetFutureInfo 3218), option expiration dates
// (Qot_GetOptionExpirationDate 3224), option chains (Qot_GetOptionChain 3209) and the futures accounts
// (Trd_GetAccList with trdCategory FUTURE). Codes in, codes out ("HK.HSImain", "US.AAPL260116C200000"); every
// input is checked before anything is sent, with an error that says what is allowed.
import type { OpenDClient } from '../client.js';
import { enumName } from '../enums.js';
import { ValidationError } from '../errors.js';
import * as Qot_Common from '../generated/Qot_Common.js';
import * as Trd_Common from '../generated/Trd_Common.js';
import { registerCodecs, PROTO_ID } from '../registry.js';
import { parseSecurity, securityKey, toQotSecurity } from '../securities.js';
import { accountOf, type Account } from './trading.js';
import * as Qot_GetFutureInfo from '../generated/Qot_GetFutureInfo.js';
import * as Qot_GetOptionChain from '../generated/Qot_GetOptionChain.js';
import * as Qot_GetOptionExpirationDate from '../generated/Qot_GetOptionExpirationDate.js';
import * as Trd_GetAccList from '../generated/Trd_GetAccList.js';

// The client side (encode the Request, decode the Response) of the protocols this module sends: a bundle carries
// only those functions (proto/registry.ts).
registerCodecs(Qot_GetFutureInfo.clientCodec, Qot_GetOptionChain.clientCodec, Qot_GetOptionExpirationDate.clientCodec, Trd_GetAccList.clientCodec);

/** Futu: at most 200 contracts per Qot_GetFutureInfo. */
export const MAX_FUTURE_INFO_CODES = 200;
/** Futu: an option chain request spans at most one month of expiries; this client asks for at most 30 days. */
export const MAX_OPTION_CHAIN_DAYS = 30;

export interface FutureInfo {
  /** "HK.HSImain" */
  code: string;
  name: string;
  /** "yyyy-MM-dd"; absent for main contracts. */
  lastTradeDate?: string;
  /** The underlying index, "HK.800000". */
  underlying?: string;
  underlyingName: string;
  exchange: string;
  contractType: string;
  /** Currency per index point (the multiplier): HSI 50. */
  contractSize: number;
  contractSizeUnit: string;
  currency: string;
  /** Minimum price move. */
  tick: number;
  tickUnit: string;
  /** Trading sessions in minutes after local midnight. */
  tradeTimes: { begin: number; end: number }[];
  timeZone: string;
  /** A main contract's current dated contract, "HK.HSI2612". */
  mainContractOf?: string;
}

export interface OptionExpiration {
  /** "yyyy-MM-dd" */
  date: string;
  /** Days from today to expiry; negative once expired. */
  daysLeft: number;
  cycle?: Qot_Common.ExpirationCycleName;
}

export interface OptionContractInfo {
  /** "US.AAPL260116C200000" */
  code: string;
  name: string;
  type: 'CALL' | 'PUT';
  strike: number;
  /** "yyyy-MM-dd" */
  expiry: string;
  /** "US.AAPL" */
  underlying: string;
}

export interface OptionChainExpiry {
  expiry: string;
  /** One row per strike, ascending; call and/or put as the filters left them. */
  strikes: { strike: number; call?: OptionContractInfo; put?: OptionContractInfo }[];
}

export interface OptionChainQuery {
  /** First expiry date, "yyyy-MM-dd". */
  from: string;
  /** Last expiry date (default: from + 30 days); at most 30 days after `from`. */
  to?: string;
  type?: 'CALL' | 'PUT';
  /** In or out of the money. */
  moneyness?: 'ITM' | 'OTM';
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayNumber(v: unknown, field: string): number {
  const m = typeof v === 'string' ? DATE_RE.exec(v) : null;
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || new Date(ms).toISOString().slice(0, 10) !== v) throw new ValidationError(field, `must be a date "yyyy-MM-dd", got ${JSON.stringify(v)?.slice(0, 30)}`);
  return ms / 86_400_000;
}

function dateOf(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** The underlying of an option query: a stock or ETF code, not a derivative. */
function underlyingRef(code: string, field = 'underlying') {
  const ref = parseSecurity(code, field);
  if (ref.derivative) throw new ValidationError(field, `"${code}" is a ${ref.derivative.kind}; give the underlying stock, e.g. "HK.00700" or "US.AAPL"`);
  return ref;
}

export class DerivativesApi {
  constructor(private readonly client: OpenDClient) {}

  /** Contract specs of futures ("HK.HSImain", "US.ES2703"); at most 200 codes. */
  async futureInfo(codes: string[]): Promise<FutureInfo[]> {
    if (!Array.isArray(codes) || codes.length === 0) throw new ValidationError('codes', 'give at least one futures code, e.g. "HK.HSImain"');
    if (codes.length > MAX_FUTURE_INFO_CODES) throw new ValidationError('codes', `at most ${MAX_FUTURE_INFO_CODES} contracts per request, got ${codes.length}`);
    const refs = codes.map((c, i) => {
      const ref = parseSecurity(c, `codes[${i}]`);
      if (ref.derivative?.kind !== 'future') throw new ValidationError(`codes[${i}]`, `"${c}" is not a futures code; e.g. "HK.HSImain", "HK.MHI2612", "US.ESmain"`);
      return ref;
    });
    const s2c = await this.client.request(PROTO_ID.Qot_GetFutureInfo, { securityList: refs.map(toQotSecurity) });
    return (s2c.futureInfoList ?? []).map((f) => ({
      code: securityKey(f.security),
      name: f.name,
      ...(f.lastTradeTime ? { lastTradeDate: f.lastTradeTime.slice(0, 10) } : {}),
      ...(f.owner ? { underlying: securityKey(f.owner) } : {}),
      underlyingName: f.ownerOther,
      exchange: f.exchange,
      contractType: f.contractType,
      contractSize: f.contractSize,
      contractSizeUnit: f.contractSizeUnit,
      currency: f.quoteCurrency,
      tick: f.minVar,
      tickUnit: f.minVarUnit,
      tradeTimes: (f.tradeTime ?? []).map((t) => ({ begin: t.begin ?? 0, end: t.end ?? 0 })),
      timeZone: f.timeZone,
      ...(f.origin ? { mainContractOf: securityKey(f.origin) } : {}),
    }));
  }

  /** Listed option expiries of an underlying stock, nearest first. */
  async optionExpirationDates(underlying: string): Promise<OptionExpiration[]> {
    const ref = underlyingRef(underlying);
    const s2c = await this.client.request(PROTO_ID.Qot_GetOptionExpirationDate, { owner: toQotSecurity(ref) });
    return (s2c.dateList ?? []).map((d) => ({
      date: (d.strikeTime ?? '').slice(0, 10),
      daysLeft: d.optionExpiryDateDistance,
      ...(d.cycle !== undefined ? { cycle: enumName(Qot_Common.ExpirationCycle, d.cycle) } : {}),
    }));
  }

  /** The option chain of an underlying for expiries from `from` to `to` (at most 30 days apart). */
  async optionChain(underlying: string, query: OptionChainQuery): Promise<OptionChainExpiry[]> {
    const ref = underlyingRef(underlying);
    const from = dayNumber(query?.from, 'from');
    const to = query.to === undefined ? from + MAX_OPTION_CHAIN_DAYS : dayNumber(query.to, 'to');
    if (to < from) throw new ValidationError('to', `${query.to} is before from ${query.from}`);
    if (to - from > MAX_OPTION_CHAIN_DAYS) throw new ValidationError('to', `spans ${to - from} days from ${query.from}; at most ${MAX_OPTION_CHAIN_DAYS} (Futu's one-month window)`);
    if (query.type !== undefined && query.type !== 'CALL' && query.type !== 'PUT') throw new ValidationError('type', `must be CALL or PUT, got ${JSON.stringify(query.type)}`);
    if (query.moneyness !== undefined && query.moneyness !== 'ITM' && query.moneyness !== 'OTM') {
      throw new ValidationError('moneyness', `must be ITM or OTM, got ${JSON.stringify(query.moneyness)}`);
    }
    const s2c = await this.client.request(PROTO_ID.Qot_GetOptionChain, {
      owner: toQotSecurity(ref),
      beginTime: dateOf(from),
      endTime: dateOf(to),
      ...(query.type ? { type: Qot_Common.OptionType[query.type] } : {}),
      ...(query.moneyness ? { condition: query.moneyness === 'ITM' ? 1 : 2 } : {}),
    });
    return (s2c.optionChain ?? []).map((c) => ({
      expiry: c.strikeTime.slice(0, 10),
      strikes: (c.option ?? []).map((item) => {
        const call = item.call && contractInfo(item.call);
        const put = item.put && contractInfo(item.put);
        return { strike: (call ?? put)?.strike ?? 0, ...(call ? { call } : {}), ...(put ? { put } : {}) };
      }),
    }));
  }

  /** The futures accounts (Trd_GetAccList with trdCategory FUTURE); TradeApi.accounts() lists the securities ones. */
  async futuresAccounts(): Promise<Account[]> {
    const s2c = await this.client.request(PROTO_ID.Trd_GetAccList, { userID: 0n, trdCategory: Trd_Common.TrdCategory.FUTURE });
    return (s2c.accList ?? []).map(accountOf);
  }
}

function contractInfo(s: Qot_Common.SecurityStaticInfo): OptionContractInfo {
  const ex = s.optionExData;
  return {
    code: securityKey(s.basic.security),
    name: s.basic.name,
    type: ex?.type === Qot_Common.OptionType.PUT ? 'PUT' : 'CALL',
    strike: ex?.strikePrice ?? 0,
    expiry: (ex?.strikeTime ?? '').slice(0, 10),
    underlying: ex ? securityKey(ex.owner) : '',
  };
}
