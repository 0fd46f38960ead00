// `npm run sim -- --help`: aligned columns that never run together, every option's default shown (including
// --key's), the description wrapped under its own column; and the real CLI prints it and exits 0.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, usage } from '../../gateway-container/simulator/main.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The option rows of the table: lines starting with "  --". */
function optionRows(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('  --'));
}

describe('simulator --help', () => {
  it('aligns the variable and description columns, with at least two spaces between columns', () => {
    const rows = optionRows(usage(400)); // wide: one line per option
    expect(rows.length).toBeGreaterThan(15);
    const columns = rows.map((r) => {
      const m = /^( {2}--\S+(?: <value>| -h)? {2,})(?:([A-Z][A-Z0-9_]+) {2,})?\S/.exec(r)!;
      return { env: m[2] === undefined ? undefined : m[1]!.length, desc: m[0].length - 1 };
    });
    expect(new Set(columns.filter((c) => c.env !== undefined).map((c) => c.env)).size).toBe(1);
    expect(new Set(columns.map((c) => c.desc)).size).toBe(1);
    // Every row but --help names its variable in that column.
    expect(rows.filter((r) => /^ {2}--\S+(?: <value>)? {2,}[A-Z]/.test(r)).length).toBe(rows.length - 1);
  });

  it('shows a default for every option, --key included', () => {
    const text = usage(400); // wide: one line per option
    const rows = optionRows(text).filter((r) => !r.startsWith('  --help'));
    for (const r of rows) expect(r, r).toMatch(/\(default: [^)]+\)$/);
    expect(rows.find((r) => r.startsWith('  --key '))).toMatch(/\(default: \.local-data\/simulator-rsa\.pem\)$/);
  });

  it('wraps long descriptions under the description column and within the width', () => {
    const text = usage(100);
    const lines = text.split('\n');
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(100);
    const first = optionRows(text)[0]!;
    const descColumn = first.indexOf('listen address');
    const continuation = lines[lines.indexOf(first) + 1]!;
    expect(continuation.startsWith(' '.repeat(descColumn))).toBe(true);
    expect(continuation[descColumn]).not.toBe(' ');
  });

  it('uses the --key default when neither the flag nor OPEND_RSA_KEY_FILE is given', () => {
    expect(parseArgs([], {})['key']).toBe('.local-data/simulator-rsa.pem');
    expect(parseArgs([], { OPEND_RSA_KEY_FILE: '/k.pem' })['key']).toBe('/k.pem');
    expect(parseArgs(['--key', '/f.pem'], { OPEND_RSA_KEY_FILE: '/k.pem' })['key']).toBe('/f.pem');
  });

  it('is what the real CLI prints for --help, exiting 0', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'gateway-container/simulator/main.ts', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(usage(120) + '\n');
  });
});
