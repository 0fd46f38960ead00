// One simulated trade of one security: the fair value moves (geometric Brownian motion), the trade prints at
// the bid or the ask (buyer-initiated more often the closer the fair value is to the ask, so trades track it),
// and the book, the day statistics, the tickers, the bar of every KLType and the time-share point follow.
// Invariant: every price is a valid tick price; the bars in `s.touched` are the ones this trade updated.
import * as Qot_Common from '../../../proto/generated/Qot_Common.js';
import { openLiveBar } from './history.js';
import { clampFair, KL_TYPES, MAX_KLINES, MAX_TICKERS, newDay, rebuildBook, round, snapNearest, touchAround, trimFront, type RtPoint, type SecurityState } from './model.js';
import { periodOf } from './periods.js';
import { DAY_MS, formatLocalMs, utcOffsetMs } from './calendars.js';

export interface AppliedTrade {
  ticker: Qot_Common.Ticker;
  /** The time-share point the trade updated. */
  point: RtPoint;
  price: number;
  volume: number;
}

/** Applies the trade of security `s` at UTC instant `t` to its state. */
export function applyTrade(s: SecurityState, t: number): AppliedTrade {
  const localMs = t + utcOffsetMs(s.market, t);
  const day = Math.floor(localMs / DAY_MS);
  if (day !== s.today.day) {
    s.today = newDay(day, s.last);
    s.rt.clear();
  }
  const sigma = s.sigmaStep;
  s.fair = clampFair(s, s.fair * Math.exp(sigma * s.rng.normal() - 0.5 * sigma * sigma));

  let price: number;
  let dir: number;
  if (s.isIndex) {
    price = snapNearest(s.rule, s.fair);
    dir = Qot_Common.TickerDirection.NEUTRAL;
  } else {
    const { bid, ask } = touchAround(s.rule, s.fair);
    // A buyer lifts the ask more often the closer the fair value is to it, so trades track the fair value.
    const buyerInitiated = s.rng.next() < (s.fair - bid) / (ask - bid);
    price = buyerInitiated ? ask : bid;
    dir = buyerInitiated ? Qot_Common.TickerDirection.BID : Qot_Common.TickerDirection.ASK;
  }
  const volume = s.rng.lots(s.meanLots) * s.sec.lotSize;
  const turnover = round(price * volume, 3);
  rebuildBook(s, s.fair);

  s.last = price;
  s.lastTime = t;
  const d = s.today;
  if (d.trades === 0) {
    d.open = price;
    d.high = price;
    d.low = price;
  } else {
    d.high = Math.max(d.high, price);
    d.low = Math.min(d.low, price);
  }
  d.volume += volume;
  d.turnover += turnover;
  d.trades++;

  s.sequence += 1n;
  const ticker: Qot_Common.Ticker = {
    time: formatLocalMs(localMs),
    sequence: s.sequence,
    dir,
    price,
    volume: BigInt(volume),
    turnover,
    type: Qot_Common.TickerType.AUTOMATCH,
    pushDataType: Qot_Common.PushDataType.REALTIME,
    timestamp: t / 1000,
  };
  s.tickers.push(ticker);
  trimFront(s.tickers, MAX_TICKERS);

  const touched = s.touched;
  for (let i = 0; i < KL_TYPES.length; i++) {
    const type = KL_TYPES[i]!;
    const series = s.series.get(type)!;
    const { key, label } = periodOf(s.market, type, localMs);
    let bar = series.current;
    if (!bar || bar.key !== key) {
      if (bar) {
        series.done.push(bar);
        trimFront(series.done, MAX_KLINES);
      }
      bar = openLiveBar(s, type, key, label, price, bar);
      series.current = bar;
    }
    bar.high = Math.max(bar.high, price);
    bar.low = Math.min(bar.low, price);
    bar.close = price;
    bar.volume += volume;
    bar.turnover = round(bar.turnover + turnover, 3);
    touched[i] = bar;
  }

  const minuteLabel = touched[0]!.label; // KL_TYPES starts with 1MIN
  let point = s.rt.get(minuteLabel);
  if (!point) {
    point = { label: minuteLabel, price, avgPrice: price, volume: 0, turnover: 0 };
    s.rt.set(minuteLabel, point);
  }
  point.price = price;
  point.volume += volume;
  point.turnover = round(point.turnover + turnover, 3);
  point.avgPrice = round(d.turnover / d.volume, 4);

  return { ticker, point, price, volume };
}
