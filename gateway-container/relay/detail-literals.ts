// The Detail of a Quote or Ticker event written straight as the JSON string literal a PutEvents entry carries
// (the detail's JSON, escaped once more as a string), in one pass over the detail's fields.
//
// Why hand-written: a PutEvents entry's Detail is a string holding JSON, so the generic path serializes every
// detail twice — JSON.stringify(detail), then JSON.stringify of that string to escape it into the entry. Quote and
// Ticker events are the relay's bulk (one per quote push, one per trade), and their details are flat records of
// known keys, so here their escaped form is written directly: the keys are constants written pre-escaped, a
// number is written as JSON writes it, a string is copied when it holds nothing JSON escapes (the usual case) and
// escaped twice by the engine otherwise. Measured in isolation: about half the CPU time of the two native passes
// for a Quote detail.
//
// Invariants:
// - quoteDetailLiteral(d) === JSON.stringify(JSON.stringify(d)) for every detail quoteDetail builds, and likewise
//   tickerDetailLiteral for tickerDetail: the same keys in the same order, an undefined member left out, a
//   non-finite number written as null (test/integration/put-events-body.test.ts checks these against the native
//   passes, including names with quotes, backslashes, control characters and text outside ASCII).
// - The key lists below follow quoteDetail and tickerDetail (proto/events.ts); a key added there and not here fails
//   that test.
import type { QuoteDetail } from '../../proto/events.js';

/** The escaped quote of a JSON string inside a JSON string literal. */
const Q = '\\"';
/** Anything JSON.stringify escapes in a string (then the string is escaped twice here, by the engine). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/;

/** A string member's value, escaped as it appears inside the entry's Detail literal. */
function str(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return Q + s + Q;
  const once = JSON.stringify(s);
  const twice = JSON.stringify(once);
  return twice.slice(1, -1);
}

/** A number as JSON.stringify writes it (non-finite numbers as null). */
const num = (n: number): string => (Number.isFinite(n) ? '' + n : 'null');

/** `,"key":` (escaped), for a member after the first. */
const key = (k: string): string => ',' + Q + k + Q + ':';

const K_MARKET = key('market');
const K_CODE = key('code');
const K_NAME = key('name');
const K_PRICE = key('price');
const K_OPEN = key('open');
const K_HIGH = key('high');
const K_LOW = key('low');
const K_LAST_CLOSE = key('lastClose');
const K_VOLUME = key('volume');
const K_TURNOVER = key('turnover');
const K_TURNOVER_RATE = key('turnoverRate');
const K_AMPLITUDE = key('amplitude');
const K_CHANGE_RATE = key('changeRate');
const K_IS_SUSPENDED = key('isSuspended');
const K_UPDATE_TIME = key('updateTime');
const K_UPDATE_TIMESTAMP = key('updateTimestamp');
const K_GATEWAY_TIME = key('gatewayTime');
const K_TIME = key('time');
const K_TIMESTAMP = key('timestamp');
const K_SEQUENCE = key('sequence');
const K_DIRECTION = key('direction');
const START_SECURITY = '"{' + Q + 'security' + Q + ':';

/** The Detail literal of a Quote event (quoteDetail's record). */
export function quoteDetailLiteral(d: QuoteDetail): string {
  return (
    START_SECURITY + str(d.security) +
    K_MARKET + str(d.market) +
    K_CODE + str(d.code) +
    (d.name === undefined ? '' : K_NAME + str(d.name)) +
    K_PRICE + num(d.price) +
    K_OPEN + num(d.open) +
    K_HIGH + num(d.high) +
    K_LOW + num(d.low) +
    K_LAST_CLOSE + num(d.lastClose) +
    K_VOLUME + num(d.volume) +
    K_TURNOVER + num(d.turnover) +
    K_TURNOVER_RATE + num(d.turnoverRate) +
    K_AMPLITUDE + num(d.amplitude) +
    K_CHANGE_RATE + num(d.changeRate) +
    K_IS_SUSPENDED + (d.isSuspended ? 'true' : 'false') +
    K_UPDATE_TIME + str(d.updateTime) +
    (d.updateTimestamp === undefined ? '' : K_UPDATE_TIMESTAMP + num(d.updateTimestamp)) +
    K_GATEWAY_TIME + str(d.gatewayTime) +
    '}"'
  );
}

/** The record tickerDetail builds (proto/events.ts). */
export interface TickerDetailRecord {
  security: string;
  market: string;
  code: string;
  time: string;
  timestamp?: number;
  sequence: string;
  direction: string;
  price: number;
  volume: number;
  turnover?: number;
  gatewayTime: string;
}

/** The Detail literal of a Ticker event (tickerDetail's record). */
export function tickerDetailLiteral(d: TickerDetailRecord): string {
  return (
    START_SECURITY + str(d.security) +
    K_MARKET + str(d.market) +
    K_CODE + str(d.code) +
    K_TIME + str(d.time) +
    (d.timestamp === undefined ? '' : K_TIMESTAMP + num(d.timestamp)) +
    K_SEQUENCE + str(d.sequence) +
    K_DIRECTION + str(d.direction) +
    K_PRICE + num(d.price) +
    K_VOLUME + num(d.volume) +
    (d.turnover === undefined ? '' : K_TURNOVER + num(d.turnover)) +
    K_GATEWAY_TIME + str(d.gatewayTime) +
    '}"'
  );
}
