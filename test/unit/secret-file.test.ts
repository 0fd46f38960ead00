// The one secret-file reader the relay and the simulator share: content without surrounding whitespace, nothing
// when no file is named, and a failure that names the setting and the path and ends the way
// the caller chose.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSecretFile } from '../../gateway-container/secret-file.js';

const dir = mkdtempSync(join(tmpdir(), 'secret-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readSecretFile', () => {
  it('returns the content without the trailing newline echo adds', () => {
    const path = join(dir, 'md5');
    writeFileSync(path, 'e10adc3949ba59abbe56e057f20f883e\n');
    expect(readSecretFile(path, 'the trade password MD5 file')).toBe('e10adc3949ba59abbe56e057f20f883e');
  });

  it('returns undefined when no file is named (unset or empty setting)', () => {
    expect(readSecretFile(undefined, 'OPEND_RSA_KEY_FILE:')).toBeUndefined();
    expect(readSecretFile('', 'OPEND_RSA_KEY_FILE:')).toBeUndefined();
  });

  it('throws by default, naming the setting, the path and the reason', () => {
    const missing = join(dir, 'missing');
    expect(() => readSecretFile(missing, 'the verification code file')).toThrow(`the verification code file ${missing} cannot be read: ENOENT`);
  });

  it('hands the sentence to the caller-chosen failure instead of throwing its own error', () => {
    const sentences: string[] = [];
    const fail = (message: string): never => {
      sentences.push(message);
      throw new Error('stopped');
    };
    // A folder, not a mode-0 file: root reads a mode-0 file anyway.
    expect(() => readSecretFile(dir, 'OPEND_TRADE_PASSWORD_MD5_FILE:', fail)).toThrow('stopped');
    expect(sentences).toEqual([`OPEND_TRADE_PASSWORD_MD5_FILE: ${dir} cannot be read: EISDIR`]);
  });
});
