// Shared by the simulator (order checks, book prices) and the Lambdas (validation before an order reaches OpenD).
// Price grids ("tick ladders") and lot sizes. Prices are compared in integer units of 1e-4 so that
// floating-point noise (0.1 + 0.2) never decides whether an order is valid.
// HK_FUTURE: one index point (HKFE index futures); US_FUTURE: a quarter point (CME E-mini); OPTION: 0.01.
export type TickRule = 'HK' | 'US' | 'CN' | 'HK_FUTURE' | 'US_FUTURE' | 'OPTION';

const SCALE = 10_000;

// HKEX spread table: [upper bound of the band (inclusive), tick size].
const HK_BANDS: readonly (readonly [number, number])[] = [
  [0.25, 0.001],
  [0.5, 0.005],
  [10, 0.01],
  [20, 0.02],
  [100, 0.05],
  [200, 0.1],
  [500, 0.2],
  [1000, 0.5],
  [2000, 1],
  [5000, 2],
  [9995, 5],
];

export function toUnits(price: number): number {
  return Math.round(price * SCALE);
}

export function fromUnits(units: number): number {
  return units / SCALE;
}

/** Tick size that applies at `price` (for HK: the band the price is in; a band's upper bound belongs to it). */
export function tickSize(rule: TickRule, price: number): number {
  switch (rule) {
    case 'HK': {
      for (const [upper, tick] of HK_BANDS) if (toUnits(price) <= toUnits(upper)) return tick;
      return 5;
    }
    case 'US':
      return price < 1 ? 0.0001 : 0.01;
    case 'CN':
    case 'OPTION':
      return 0.01;
    case 'HK_FUTURE':
      return 1;
    case 'US_FUTURE':
      return 0.25;
  }
}

/** Tick size for the next price above `price` (differs from tickSize only at HK band boundaries). */
function tickAbove(rule: TickRule, price: number): number {
  return tickSize(rule, fromUnits(toUnits(price) + 1));
}

export function isOnTick(rule: TickRule, price: number): boolean {
  if (!(price > 0) || !Number.isFinite(price)) return false;
  const u = toUnits(price);
  if (Math.abs(u - price * SCALE) > 1e-6 * Math.max(1, price)) return false; // finer than 1e-4
  return u % toUnits(tickSize(rule, price)) === 0;
}

/** The nearest valid price at or above (`up`) / at or below (`down`) `price`. */
export function snapToTick(rule: TickRule, price: number, direction: 'up' | 'down'): number {
  const u = toUnits(price);
  const t = toUnits(direction === 'up' ? tickAbove(rule, fromUnits(u - 1)) : tickSize(rule, price));
  const snapped = direction === 'up' ? Math.ceil(u / t) * t : Math.floor(u / t) * t;
  return fromUnits(snapped);
}

/** Moves `n` ticks from a valid price (n may be negative); never below one tick. */
export function stepTicks(rule: TickRule, price: number, n: number): number {
  let p = price;
  const dir = n >= 0 ? 1 : -1;
  for (let i = 0; i < Math.abs(n); i++) {
    const t = dir > 0 ? tickAbove(rule, p) : tickSize(rule, p);
    const next = fromUnits(toUnits(p) + dir * toUnits(t));
    if (next <= 0) break;
    p = next;
  }
  return p;
}

export function isWholeLots(qty: number, lotSize: number): boolean {
  return Number.isInteger(qty) && qty > 0 && qty % lotSize === 0;
}

/** Renders a price for messages: no float noise. */
export function formatPrice(price: number): string {
  return String(fromUnits(toUnits(price)));
}
