import { expect, it } from 'vitest';
import { Reader, Writer, readU64, writeU64, readI64, readS64, writeS64 } from '../../proto/wire.js';
it('round-trips 64-bit varints at every byte boundary, signed and zig-zag', () => {
  const vals = [0n, 1n, 127n, 128n, 2n**28n-1n, 2n**28n, 2n**32n-1n, 2n**32n, 2n**35n, 2n**49n, 2n**53n-1n, 2n**53n, 2n**53n+1n, 281756480572583411n, 2233785415175766017n, 2n**63n, 2n**64n-1n];
  for (const v of vals) { const w = Writer.create(); writeU64(w, v, 'x'); expect(readU64(Reader.create(w.finish()))).toBe(v); }
  for (const v of [-1n, -5n, -(2n**63n)]) { const w = Writer.create(); writeU64(w, v, 'x'); expect(readI64(Reader.create(w.finish()))).toBe(v); const w2 = Writer.create(); writeS64(w2, v, 'x'); expect(readS64(Reader.create(w2.finish()))).toBe(v); }
});
