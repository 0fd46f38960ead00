// Custom watchlist groups on disk, beside the trading state file (`<stateFile>.watchlists.json`), so a restarted
// simulator keeps the groups its clients made with Qot_ModifyUserSecurity. Kept out of the trading state file
// on purpose: that file's format and save rule belong to orders and fills, and a watchlist edit must not
// rewrite every order. Written atomically (temporary file, then rename) after every change, before the reply.
// A missing file is a first start; an unreadable or malformed one is refused with an error naming the file,
// never read as "no watchlists".
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const WATCHLIST_FORMAT = 'opend-simulator-watchlists';

export class WatchlistFileError extends Error {
  override readonly name = 'WatchlistFileError';
}

/** The sidecar path of a trading state file. */
export function watchlistPathFor(stateFile: string): string {
  return `${stateFile}.watchlists.json`;
}

/** Groups in their order of creation: name → security keys ("HK.00700"). */
export function readWatchlists(path: string): Map<string, string[]> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WatchlistFileError(`watchlist file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new WatchlistFileError(`watchlist file ${path} is not valid JSON (truncated or corrupted?): ${(err as Error).message}`);
  }
  const d = doc as { format?: unknown; groups?: unknown };
  if (d?.format !== WATCHLIST_FORMAT || !Array.isArray(d.groups)) throw new WatchlistFileError(`watchlist file ${path}: expected {"format":"${WATCHLIST_FORMAT}","groups":[…]}`);
  const out = new Map<string, string[]>();
  d.groups.forEach((g: unknown, i) => {
    const e = g as { name?: unknown; securities?: unknown };
    if (typeof e?.name !== 'string' || !Array.isArray(e.securities) || !e.securities.every((s) => typeof s === 'string')) {
      throw new WatchlistFileError(`watchlist file ${path}: groups[${i}] needs a "name" string and a "securities" array of codes`);
    }
    out.set(e.name, [...(e.securities as string[])]);
  });
  return out;
}

export function writeWatchlists(path: string, groups: ReadonlyMap<string, readonly string[]>): void {
  const body = JSON.stringify({ format: WATCHLIST_FORMAT, groups: [...groups].map(([name, securities]) => ({ name, securities })) });
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, body);
  renameSync(tmp, path);
}
