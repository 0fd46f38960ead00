/**
 * Paging of the simulator's list answers that Futu pages by `begin` + `num`: Qot_StockFilter (3215) and
 * Qot_GetWarrant (3210). Futu's rules: begin is the 0-based index of the first row, num is 1..200 rows, and
 * the answer carries allCount (rows matched in all) and lastPage (nothing after this page).
 * checkPage runs before any work so a bad page is refused whatever else the request asks.
 */
import { SimError } from '../server.js';

/** Futu's largest page for the begin + num lists. */
export const MAX_PAGE_ROWS = 200;

/** Refuses a begin or num outside Futu's bounds, naming the field and what is allowed. */
export function checkPage(begin: number, num: number): void {
  if (!Number.isInteger(begin) || begin < 0) throw new SimError(`begin must be a whole number ≥ 0, got ${begin}`);
  if (!Number.isInteger(num) || num < 1 || num > MAX_PAGE_ROWS) throw new SimError(`num must be 1..${MAX_PAGE_ROWS}, got ${num}`);
}

/** The rows of one page, with allCount and lastPage as Futu reports them. */
export function pageOf<T>(rows: readonly T[], begin: number, num: number): { rows: T[]; allCount: number; lastPage: boolean } {
  return { rows: rows.slice(begin, begin + num), allCount: rows.length, lastPage: begin + num >= rows.length };
}
