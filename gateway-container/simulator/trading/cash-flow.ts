// The cash-flow log of REAL accounts and the fees of their orders: what Trd_FlowSummary (2226) and
// Trd_GetOrderFee (2225) answer. Fed by the engine's fill booking (engine.ts calls `bookFill` for every fill,
// before any listener hears of it): a REAL fill is charged its fees from the schedule in fees.ts — the cash
// moves here, in the same synchronous step as the fill — and leaves two entries, the trade and its fees. The
// starting cash of every REAL account is logged as a deposit at the first start.
//
// Futu's rules followed: cash flow is listed per clearing date ("query each day separately", FlowSummaryInfo
// clearingDate / settlementDate, cashFlowDirection 1 in / 2 out, cashFlowAmount positive in, negative out);
// paper trading (SIMULATE) has neither an order-fee nor a cash-flow query, and is charged nothing.
// Settlement: HK T+2, US T+1 (since 28 May 2024), counted in weekdays (exchange holidays are not skipped here).
//
// Persistence: with a state file, the log lives beside it in `<stateFile>.cash-flow.json` (the trading state
// file's format belongs to orders and fills), rewritten atomically (temporary file + rename) on every change,
// before the fill's order event is emitted, so it survives a restart exactly as the trading state does. A missing
// file is a first start; a malformed one stops the start with an error naming the file.
// Invariant: every cent charged to an account's cash is in exactly one fee entry and in its order's fee items.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as Trd_Common from '../../../proto/generated/Trd_Common.js';
import type * as Trd_FlowSummary from '../../../proto/generated/Trd_FlowSummary.js';
import { feeSubjectOf, feesForFill, fromCents, toCents } from './fees.js';
import { isBuy, type OrderState } from './records.js';
import { currencyEnum, currencyFromEnum, localDate, securityCurrency, trdMarketTimeZone, type CashCurrency } from './util.js';

export const CASH_FLOW_FORMAT = 'opend-simulator-cash-flow';
/** Cash-flow IDs count up from here (uint64 on the wire), apart from order and fill IDs. */
const CASH_FLOW_ID_SEED = 7_000_000_000_000_000_000n;

export class CashFlowFileError extends Error {
  override readonly name = 'CashFlowFileError';
}

export function cashFlowPathFor(stateFile: string): string {
  return `${stateFile}.cash-flow.json`;
}

export interface CashFlowEntry {
  id: bigint;
  accID: bigint;
  clearingDate: string;
  settlementDate: string;
  currency: CashCurrency;
  /** "Deposit", "Stock Trade", "Option Trade" or "Fees". */
  type: string;
  /** Whole cents; positive flows in, negative flows out. */
  cents: number;
  remark: string;
}

interface OrderFeeRecord {
  accID: bigint;
  /** title → whole cents, in the order the items were first charged. */
  items: Map<string, number>;
}

/** Adds `n` weekdays to a "yyyy-MM-dd" date. */
function addWeekdays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  let left = n;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) left--;
  }
  return d.toISOString().slice(0, 10);
}

const SETTLEMENT_DAYS: Readonly<Record<string, number>> = { HK: 2, US: 1 };

export class CashFlowBook {
  private lastId = CASH_FLOW_ID_SEED;
  private readonly entries: CashFlowEntry[] = [];
  private readonly fees = new Map<string, OrderFeeRecord>();

  /** True when no cash-flow file was read: the starting cash is then logged as deposits. */
  readonly firstStart: boolean;

  /** Reads `file` when it exists; otherwise the book starts empty. */
  constructor(private readonly file?: string) {
    this.firstStart = file ? !this.read(file) : true;
  }

  /** Logs an account's starting cash (Trd_Common.Currency → amount) as deposits; REAL accounts only. */
  depositStartingCash(acc: { accID: bigint; real: boolean; trdMarket: number }, cash: { currency: number; amount: number }[], now: number): void {
    if (!acc.real) return;
    const date = localDate(now, trdMarketTimeZone(acc.trdMarket));
    for (const { currency, amount } of cash) {
      if (!(amount > 0)) continue;
      const c = currencyFromEnum(currency);
      this.entries.push({ id: this.nextId(), accID: acc.accID, clearingDate: date, settlementDate: date, currency: c, type: 'Deposit', cents: toCents(amount), remark: 'starting cash' });
    }
    this.save();
  }

  /**
   * Books one fill of `o` (already counted in o.fillQty / o.fillValue): for a REAL account, charges its fees to
   * the account's cash and logs the trade and the fees. Paper accounts are left alone (Futu charges them nothing).
   */
  bookFill(o: OrderState, qty: number, price: number, now: number): void {
    const acc = o.acc;
    if (acc.envName !== 'REAL') return;
    const buy = isBuy(o.trdSide);
    const before = { qty: o.fillQty - qty, value: o.fillValue - qty * price };
    const items = feesForFill(feeSubjectOf(o.sec, buy), before, qty, price);
    const cur = securityCurrency(o.sec);
    const total = items.reduce((s, i) => s + i.cents, 0);
    if (total > 0) acc.addCash(cur, -fromCents(total));

    const rec = this.fees.get(o.orderIDEx) ?? { accID: acc.accID, items: new Map<string, number>() };
    for (const i of items) rec.items.set(i.title, (rec.items.get(i.title) ?? 0) + i.cents);
    this.fees.set(o.orderIDEx, rec);

    const clearingDate = localDate(now, o.tz);
    const settlementDate = addWeekdays(clearingDate, SETTLEMENT_DAYS[o.sec.market] ?? 2);
    const base = { accID: acc.accID, clearingDate, settlementDate, currency: cur };
    const what = `${buy ? 'BUY' : 'SELL'} ${qty} ${o.sec.key} @ ${price}, order ${o.orderIDEx}`;
    // An option fill moves its premium (price × contracts × multiplier); a futures fill moves no cash for its
    // notional (margin is held instead, derivatives.ts), so only its fees are logged.
    const d = o.sec.derivative;
    if (d?.kind !== 'future') {
      const notional = toCents(qty * price * (d?.multiplier ?? 1));
      this.entries.push({ ...base, id: this.nextId(), type: d ? 'Option Trade' : 'Stock Trade', cents: (buy ? -1 : 1) * notional, remark: what });
    }
    if (total > 0) {
      const detail = items.map((i) => `${i.title} ${fromCents(i.cents).toFixed(2)}`).join(', ');
      this.entries.push({ ...base, id: this.nextId(), type: 'Fees', cents: -total, remark: `${detail} (${what})` });
    }
    this.save();
  }

  /** Trd_GetOrderFee's entry of one order of `accID` (an order without fills has no fees yet). */
  orderFee(accID: bigint, orderIDEx: string): Trd_Common.OrderFee {
    const rec = this.fees.get(orderIDEx);
    if (!rec || rec.accID !== accID) return { orderIDEx, feeAmount: 0, feeList: [] };
    const feeList = [...rec.items].map(([title, cents]) => ({ title, value: fromCents(cents) }));
    return { orderIDEx, feeAmount: fromCents([...rec.items.values()].reduce((s, c) => s + c, 0)), feeList };
  }

  /** Trd_FlowSummary: the entries of one clearing date, optionally only inflows (1) or outflows (2). */
  flows(accID: bigint, clearingDate: string, direction?: number): Trd_FlowSummary.FlowSummaryInfo[] {
    return this.entries
      .filter((e) => e.accID === accID && e.clearingDate === clearingDate)
      .filter((e) => !direction || (direction === 1 ? e.cents > 0 : e.cents < 0))
      .map((e) => ({
        clearingDate: e.clearingDate,
        settlementDate: e.settlementDate,
        currency: currencyEnum(e.currency),
        cashFlowType: e.type,
        cashFlowDirection: e.cents >= 0 ? 1 : 2,
        cashFlowAmount: fromCents(e.cents),
        cashFlowRemark: e.remark,
        cashFlowID: e.id,
      }));
  }

  private nextId(): bigint {
    this.lastId += 1n;
    return this.lastId;
  }

  private save(): void {
    if (!this.file) return;
    const doc = {
      format: CASH_FLOW_FORMAT,
      lastId: this.lastId.toString(),
      entries: this.entries.map((e) => ({ ...e, id: e.id.toString(), accID: e.accID.toString() })),
      orderFees: [...this.fees].map(([orderIDEx, r]) => ({ orderIDEx, accID: r.accID.toString(), items: [...r.items] })),
    };
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(doc));
    renameSync(tmp, this.file);
  }

  /** Loads the file; false when it does not exist. */
  private read(file: string): boolean {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new CashFlowFileError(`cash-flow file ${file}: ${(err as Error).message}`);
    }
    const fail = (what: string) => new CashFlowFileError(`cash-flow file ${file}: ${what}`);
    let doc: { format?: unknown; lastId?: unknown; entries?: unknown; orderFees?: unknown };
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw fail(`not valid JSON (truncated or corrupted?): ${(err as Error).message}`);
    }
    if (doc?.format !== CASH_FLOW_FORMAT || typeof doc.lastId !== 'string' || !Array.isArray(doc.entries) || !Array.isArray(doc.orderFees)) {
      throw fail(`expected {"format":"${CASH_FLOW_FORMAT}","lastId":"…","entries":[…],"orderFees":[…]}`);
    }
    try {
      this.lastId = BigInt(doc.lastId);
      for (const e of doc.entries as Record<string, unknown>[]) {
        if (typeof e['cents'] !== 'number' || !Number.isInteger(e['cents']) || typeof e['clearingDate'] !== 'string') throw new Error('an entry needs integer "cents" and a "clearingDate"');
        this.entries.push({ ...(e as unknown as CashFlowEntry), id: BigInt(e['id'] as string), accID: BigInt(e['accID'] as string) });
      }
      for (const r of doc.orderFees as { orderIDEx: string; accID: string; items: [string, number][] }[]) {
        this.fees.set(r.orderIDEx, { accID: BigInt(r.accID), items: new Map(r.items) });
      }
    } catch (err) {
      throw fail((err as Error).message);
    }
    return true;
  }
}
