// The sequencer's list names files that exist: a renamed or removed long-running file would otherwise drop out of
// the front of the queue without a word, and CI would wait on it at the end again.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LONG_RUNNING_FILES } from '../support/sequencer.js';

describe('LONG_RUNNING_FILES', () => {
  it('names test files that exist, each once', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    expect(new Set(LONG_RUNNING_FILES).size).toBe(LONG_RUNNING_FILES.length);
    for (const file of LONG_RUNNING_FILES) {
      expect(file).toMatch(/^test\/(unit|integration|infra|e2e)\/[\w-]+\.test\.ts$/);
      expect(existsSync(root + file), file).toBe(true);
    }
  });
});
