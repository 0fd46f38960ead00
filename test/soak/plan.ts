// The soak's command line and its seeded plan. Everything the soak chooses (accounts, securities, prices in
// ticks from the touch, duplicates, which placements crash, which faults fire after which order) comes from
// the plan, and the plan is a pure function of (--orders, --seed, --minutes): the same flags make the same plan.
// What the market does meanwhile runs on real time and is not part of the plan.
import type { AccountConfig } from '../../gateway-container/simulator/trading/engine.js';
import { DEFAULT_ACCOUNTS } from '../../gateway-container/simulator/trading/engine.js';
import { xorshift32 } from '../../proto/seeded-random.js';

export interface SoakOptions {
  orders: number;
  seed: number;
  minutes: number;
  /** Print each fault as it fires. */
  verbose: boolean;
}

export const USAGE = `Usage: npm run soak -- [--orders N] [--seed S] [--minutes M] [--verbose]

The fault soak: drives N orders through the HTTP handlers (DynamoDB Local, the simulator over TCP, the relay as
a child process publishing to a local PutEvents endpoint) while injecting faults, then settles and checks that
OpenD holds exactly one order per accepted clientOrderId and DynamoDB holds every update and fill once.

  --orders N     orders to place (default 1000, 1..20000)
  --seed S       seed of the plan (default 1); the same seed makes the same plan
  --minutes M    wall-time bound of the whole run (default 10, 1..120)
  --verbose      print every fault as it fires
  --help         this text`;

function intFlag(name: string, v: string | undefined, min: number, max: number): number {
  if (v === undefined) throw new Error(`--${name} needs a value`);
  if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < min || n > max) throw new Error(`--${name} must be from ${min} to ${max}, got ${n}`);
  return n;
}

/** Parses the flags; returns 'help' for --help. Throws an Error naming the bad flag and what is allowed. */
export function parseSoakArgs(argv: readonly string[]): SoakOptions | 'help' {
  const o: SoakOptions = { orders: 1000, seed: 1, minutes: 10, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (raw === '--help' || raw === '-h') return 'help';
    const [flag, inline] = raw.includes('=') ? (raw.split('=', 2) as [string, string]) : [raw, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--orders': o.orders = intFlag('orders', value(), 1, 20_000); break;
      case '--seed': o.seed = intFlag('seed', value(), 0, 2 ** 31 - 1); break;
      case '--minutes': o.minutes = intFlag('minutes', value(), 1, 120); break;
      case '--verbose': o.verbose = true; break;
      default: throw new Error(`unknown option ${raw}; allowed: --orders, --seed, --minutes, --verbose, --help`);
    }
  }
  return o;
}

/** The plan's generator: xorshift32 of the seed mixed with the golden-ratio constant (so seeds 0 and 1 differ). */
export function prng(seed: number): () => number {
  return xorshift32(seed ^ 0x9e3779b9);
}

export type Env = 'SIMULATE' | 'REAL';
export type Market = 'HK' | 'US';

export interface SoakAccount {
  accId: string;
  env: Env;
  market: Market;
}

export type Crash = 'none' | 'beforePlaceOrder' | 'afterPlaceOrder';

export interface PlannedOrder {
  index: number;
  clientOrderId: string;
  account: SoakAccount;
  code: string;
  side: 'BUY' | 'SELL';
  type: 'LIMIT' | 'MARKET';
  /** Whole lots. */
  lots: number;
  /**
   * LIMIT price as ticks from the touch: positive = that many ticks below the bid (rests), negative = that many
   * ticks above the ask (marketable: fills on a REAL account).
   */
  ticksFromTouch: number;
  /** Requests sent at the same moment with this clientOrderId (1 = no duplicate). */
  copies: number;
  /** Send the key as the Idempotency-Key header instead of in the body. */
  viaHeader: boolean;
  crash: Crash;
}

export type FaultKind =
  | 'dropConnections'
  | 'stallReplies'
  | 'relaySigkill'
  | 'simulatorRestart'
  | 'tradingDayJump'
  | 'wrongTradePassword';

export interface PlannedFault {
  /** Fires once this many orders have been started. */
  afterOrders: number;
  kind: FaultKind;
  /** Stall length for stallReplies (ms); unused otherwise. */
  ms: number;
}

export interface SoakPlan {
  accounts: SoakAccount[];
  accountConfigs: AccountConfig[];
  orders: PlannedOrder[];
  faults: PlannedFault[];
  /** Fraction of PutEvents entries that fail while the drive phase runs. */
  putEventsFailureRate: number;
  /** Orders in flight at once. */
  concurrency: number;
}

const CODES: Record<Market, { code: string; lot: number }[]> = {
  HK: [{ code: 'HK.00700', lot: 100 }, { code: 'HK.09988', lot: 100 }, { code: 'HK.03690', lot: 100 }],
  US: [{ code: 'US.AAPL', lot: 1 }, { code: 'US.MSFT', lot: 1 }, { code: 'US.TSLA', lot: 1 }],
};

/**
 * Futu allows 15 PlaceOrder per 30 s per account, so the number of accounts sets the throughput: enough
 * groups of the four kinds (SIMULATE/REAL × HK/US) to place all orders in about half the time bound.
 */
export function accountGroups(orders: number, minutes: number): number {
  const perAccountPerSecond = 15 / 30;
  const driveSeconds = minutes * 60 * 0.5;
  return Math.max(1, Math.ceil((orders * 1.4) / (perAccountPerSecond * driveSeconds) / 4));
}

function accountsFor(groups: number): { accounts: SoakAccount[]; configs: AccountConfig[] } {
  // The simulator's four default accounts, then extra ones of the same kinds (IDs above 2^53, so a lost bit
  // anywhere shows up as a mismatch). Deep pockets: many open buy orders never run out of cash.
  const configs: AccountConfig[] = DEFAULT_ACCOUNTS.map((a) => ({ ...a, cash: { HKD: 1e11, USD: 1e10 } }));
  for (let g = 1; g < groups; g++) {
    DEFAULT_ACCOUNTS.forEach((a, k) => {
      configs.push({
        ...a,
        accID: 281756490000000000n + BigInt(g * 10 + k),
        cardNum: String(1001100530000000 + g * 10 + k),
        uniCardNum: a.uniCardNum ? String(1001100540000000 + g) : undefined,
        cash: { HKD: 1e11, USD: 1e10 },
      });
    });
  }
  const accounts = configs.map((c) => ({ accId: c.accID.toString(), env: c.trdEnv, market: c.markets[0] as Market }));
  return { accounts, configs };
}

export function makePlan(o: SoakOptions): SoakPlan {
  const rnd = prng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const { accounts, configs } = accountsFor(accountGroups(o.orders, o.minutes));
  const orders: PlannedOrder[] = [];
  for (let i = 0; i < o.orders; i++) {
    const account = accounts[i % accounts.length]!;
    const sec = pick(CODES[account.market]);
    const r = rnd();
    // Mostly resting buys (their cancellation at the end of the day is an update too), some marketable buys
    // (fills and fill pushes on REAL accounts), a few market orders on REAL accounts.
    const type: PlannedOrder['type'] = account.env === 'REAL' && r < 0.1 ? 'MARKET' : 'LIMIT';
    const ticksFromTouch = r < 0.45 ? -1 - Math.floor(rnd() * 3) : 2 + Math.floor(rnd() * 20);
    const c = rnd();
    const crash: Crash = c < 0.02 ? 'beforePlaceOrder' : c < 0.04 ? 'afterPlaceOrder' : 'none';
    const d = rnd();
    orders.push({
      index: i,
      clientOrderId: `soak-${o.seed}-${i}`,
      account,
      code: sec.code,
      side: 'BUY',
      type,
      lots: 1 + Math.floor(rnd() * 3),
      ticksFromTouch,
      copies: d < 0.25 ? 2 + Math.floor(rnd() * 3) : 1,
      viaHeader: rnd() < 0.3,
      crash,
    });
  }

  // Faults at seeded positions of the order sequence; counts grow with the run, each kind at least once.
  const faults: PlannedFault[] = [];
  const at = (from: number, to: number) => Math.floor(o.orders * (from + rnd() * (to - from)));
  const many = (kind: FaultKind, per: number, min: number, ms = 0) => {
    const n = Math.max(min, Math.round(o.orders / per));
    for (let k = 0; k < n; k++) faults.push({ afterOrders: at(0.05, 0.9), kind, ms: kind === 'stallReplies' ? ms || (rnd() < 0.25 ? 11_000 : 1_500 + Math.floor(rnd() * 2000)) : ms });
  };
  many('dropConnections', 40, 2);
  many('stallReplies', 60, 2);
  many('relaySigkill', 150, 2);
  many('simulatorRestart', 300, 1);
  many('wrongTradePassword', 1000, 1);
  faults.push({ afterOrders: at(0.55, 0.65), kind: 'tradingDayJump', ms: 0 });
  faults.sort((a, b) => a.afterOrders - b.afterOrders);
  return { accounts, accountConfigs: configs, orders, faults, putEventsFailureRate: 0.3, concurrency: Math.min(24, Math.max(6, accounts.length * 2)) };
}
