// The simulator's trading state on disk, so a restarted simulator carries on where it stopped.
//
// Format: two lines. Line 1 is a header {"format","version","bytes","sha256"}; line 2 is the state
// (snapshot.ts) as JSON. The header's length and SHA-256 of line 2 catch a truncated or corrupted file, which
// is refused with a clear StateFileError — never read as an empty start. A missing file is a first start.
//
// Durability rule (chosen over debouncing): the file is rewritten synchronously — written to a temporary
// file in the same folder, then renamed over the old one — on every order event and every fill, from a
// listener registered before the wire handlers' push listener. So every order change is on disk before any
// push or reply about it leaves the process, and a SIGKILL at any moment leaves either the previous or the
// new complete file, never a torn one. (No fsync: this protects against the process dying, which is what
// restart tests do, not against the machine losing power.) One gap, by design: a stop / if-touched order
// whose trigger fired without a fill yet is saved with the next event; restored before that, it waits for
// its trigger again. Each save rewrites the whole file, so its cost grows with the orders ever placed (about
// 1.2 MB per 3,000 orders); StateEncoder reuses the JSON of orders that did not change.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TradingEngine } from './engine.js';
import { StateFileError, type TradingStateData } from './snapshot.js';
import { checkWorkedData } from './worked-orders.js';

export { StateFileError, type TradingStateData } from './snapshot.js';

export const STATE_FORMAT = 'opend-simulator-trading-state';
export const STATE_VERSION = 1;

interface Header {
  format: string;
  version: number;
  bytes: number;
  sha256: string;
}

export function encodeState(state: TradingStateData): string {
  return withHeader(JSON.stringify(state));
}

function withHeader(body: string): string {
  const header: Header = { format: STATE_FORMAT, version: STATE_VERSION, bytes: Buffer.byteLength(body), sha256: sha256(body) };
  return `${JSON.stringify(header)}\n${body}\n`;
}

/**
 * encodeState for a file rewritten on every event: each order's JSON is kept and reused while none of the
 * fields the engine changes after placement has changed (fills never change), so a save costs one pass over
 * cached strings instead of serializing every order ever placed again. The result parses to the same state.
 */
export class StateEncoder {
  private readonly orders = new Map<string, { key: string; json: string }>();
  private readonly fills = new Map<string, string>();

  encode(state: TradingStateData): string {
    const orders = state.orders.map((o) => {
      // Every field the engine assigns after placement (see engine.ts / snapshot.ts), the free text last.
      const key = [o.status, o.qty, o.price, o.auxPrice, o.trailType, o.trailValue, o.trailSpread, o.trailMark, o.reservePrice, o.triggered, o.updateMs, o.fillQty, o.fillValue, o.open, JSON.stringify(o.worked), o.lastErrMsg].join('\u0000');
      const hit = this.orders.get(o.orderID);
      if (hit?.key === key) return hit.json;
      const json = JSON.stringify(o);
      this.orders.set(o.orderID, { key, json });
      return json;
    });
    const fills = state.fills.map((f) => {
      let json = this.fills.get(f.fillID);
      if (json === undefined) this.fills.set(f.fillID, (json = JSON.stringify(f)));
      return json;
    });
    const head = JSON.stringify({ clockMs: state.clockMs, lastId: state.lastId, accounts: state.accounts });
    return withHeader(`${head.slice(0, -1)},"orders":[${orders.join(',')}],"fills":[${fills.join(',')}]}`);
  }
}

/** Parses and checks a state file's text; `path` only names the file in errors. */
export function decodeState(text: string, path: string): TradingStateData {
  const bad = (why: string) => new StateFileError(`state file ${path} ${why}; fix or remove it (the simulator will not start empty over it)`);
  if (text.length === 0) throw bad('is empty (truncated?)');
  const nl = text.indexOf('\n');
  if (nl < 0) throw bad('is truncated: it has no state after the header line');
  let header: Header;
  try {
    header = JSON.parse(text.slice(0, nl)) as Header;
  } catch {
    throw bad('does not start with a state-file header line (is it a simulator state file?)');
  }
  if (header?.format !== STATE_FORMAT) throw bad(`has format ${JSON.stringify(header?.format)}, expected "${STATE_FORMAT}"`);
  if (header.version !== STATE_VERSION) throw bad(`has version ${JSON.stringify(header.version)}; this simulator reads version ${STATE_VERSION}`);
  const body = text.slice(nl + 1).replace(/\n$/, '');
  const bytes = Buffer.byteLength(body);
  if (bytes !== header.bytes) throw bad(`is truncated or corrupt: the header promises ${header.bytes} bytes of state, the file has ${bytes}`);
  if (sha256(body) !== header.sha256) throw bad('is corrupt: the state does not match the SHA-256 in its header');
  let state: unknown;
  try {
    state = JSON.parse(body);
  } catch (err) {
    throw bad(`holds state that is not valid JSON (${(err as Error).message})`);
  }
  try {
    checkShape(state);
  } catch (err) {
    throw bad(`is not valid: ${(err as Error).message}`);
  }
  return state;
}

/** The saved state, or undefined when the file does not exist (a first start). */
export function readStateFile(path: string): TradingStateData | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(`state file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return decodeState(text, path);
}

/** Writes the whole state atomically: a temporary file in the same folder, renamed over the old one. */
export function writeStateFile(path: string, state: TradingStateData, encoder?: StateEncoder): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, encoder ? encoder.encode(state) : encodeState(state), { mode: 0o600 });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export interface StateFileSaver {
  /** Writes the current state now (also done on every order and fill event). */
  save(): void;
  /** Stops saving on events; writes a last time. */
  close(): void;
}

/**
 * Saves `engine`'s state to `path` now and on every order / fill event. Attach it before anything else
 * listens to the engine, so the file is written before pushes and replies go out. A write that fails is
 * reported through `onError` and retried on the next event; `save()` and `close()` throw it.
 */
export function attachStateFile(engine: TradingEngine, path: string, onError: (err: Error) => void): StateFileSaver {
  mkdirSync(dirname(path), { recursive: true });
  const encoder = new StateEncoder();
  const save = () => writeStateFile(path, engine.exportState(), encoder);
  const onEvent = () => {
    try {
      save();
    } catch (err) {
      onError(err as Error);
    }
  };
  save();
  const offOrder = engine.onOrder(onEvent);
  const offFill = engine.onFill(onEvent);
  return {
    save,
    close() {
      offOrder();
      offFill();
      save();
    },
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

// ------------------------------------------------------------------------------------- shape checks

type Obj = Record<string, unknown>;

function obj(v: unknown, at: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${at} must be an object`);
  return v as Obj;
}
function arr(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${at} must be an array`);
  return v;
}
function num(o: Obj, k: string, at: string, optional = false): void {
  if (optional && o[k] === undefined) return;
  if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw new Error(`${at}.${k} must be a finite number, got ${JSON.stringify(o[k])}`);
}
function str(o: Obj, k: string, at: string): void {
  if (typeof o[k] !== 'string') throw new Error(`${at}.${k} must be a string, got ${JSON.stringify(o[k])}`);
}
function bool(o: Obj, k: string, at: string, optional = false): void {
  if (optional && o[k] === undefined) return;
  if (typeof o[k] !== 'boolean') throw new Error(`${at}.${k} must be true or false, got ${JSON.stringify(o[k])}`);
}
/** 64-bit IDs are decimal strings. */
function id(o: Obj, k: string, at: string): void {
  if (typeof o[k] !== 'string' || !/^\d{1,20}$/.test(o[k] as string) || BigInt(o[k] as string) >= 2n ** 64n) {
    throw new Error(`${at}.${k} must be a 64-bit unsigned ID as a decimal string, got ${JSON.stringify(o[k])}`);
  }
}
function oneOf(o: Obj, k: string, at: string, allowed: readonly string[]): void {
  if (!allowed.includes(o[k] as string)) throw new Error(`${at}.${k} must be one of ${allowed.join(', ')}, got ${JSON.stringify(o[k])}`);
}

function checkShape(v: unknown): asserts v is TradingStateData {
  const s = obj(v, 'state');
  num(s, 'clockMs', 'state');
  id(s, 'lastId', 'state');
  arr(s['accounts'], 'state.accounts').forEach((a0, i) => {
    const at = `accounts[${i}]`;
    const a = obj(a0, at);
    id(a, 'accID', at);
    oneOf(a, 'trdEnv', at, ['SIMULATE', 'REAL']);
    const cash = obj(a['cash'], `${at}.cash`);
    for (const k of Object.keys(cash)) {
      oneOf({ k }, 'k', `${at}.cash currency`, ['HKD', 'USD', 'CNH']);
      num(cash, k, `${at}.cash`);
    }
    arr(a['positions'], `${at}.positions`).forEach((p0, j) => {
      const pat = `${at}.positions[${j}]`;
      const p = obj(p0, pat);
      id(p, 'positionID', pat);
      str(p, 'key', pat);
      oneOf(p, 'currency', pat, ['HKD', 'USD', 'CNH']);
      for (const k of ['qty', 'avgCost', 'costTotal', 'realizedPL']) num(p, k, pat);
      const t = obj(p['today'], `${pat}.today`);
      str(t, 'date', `${pat}.today`);
      for (const k of ['buyVal', 'buyQty', 'sellVal', 'sellQty']) num(t, k, `${pat}.today`);
    });
  });
  arr(s['orders'], 'state.orders').forEach((o0, i) => {
    const at = `orders[${i}]`;
    const o = obj(o0, at);
    for (const k of ['accID', 'orderID']) id(o, k, at);
    for (const k of ['orderIDEx', 'key', 'tradeDate', 'remark', 'lastErrMsg']) str(o, k, at);
    for (const k of ['trdMarket', 'trdSide', 'orderType', 'status', 'qty', 'price', 'fillQty', 'fillValue', 'createMs', 'updateMs', 'timeInForce', 'reservePrice']) {
      num(o, k, at);
    }
    num(o, 'auxPrice', at, true);
    num(o, 'trailType', at, true);
    num(o, 'trailValue', at, true);
    num(o, 'trailSpread', at, true);
    num(o, 'trailMark', at, true);
    num(o, 'session', at, true);
    bool(o, 'fillOutsideRTH', at, true);
    checkWorkedData(o['worked'], `${at}.worked`);
    bool(o, 'triggered', at);
    bool(o, 'open', at);
    oneOf(o, 'role', at, ['open-long', 'close-long', 'open-short', 'close-short']);
  });
  arr(s['fills'], 'state.fills').forEach((f0, i) => {
    const at = `fills[${i}]`;
    const f = obj(f0, at);
    for (const k of ['accID', 'fillID', 'orderID']) id(f, k, at);
    for (const k of ['key', 'fillIDEx', 'orderIDEx']) str(f, k, at);
    for (const k of ['trdMarket', 'createMs', 'trdSide', 'qty', 'price', 'status']) num(f, k, at);
  });
}
