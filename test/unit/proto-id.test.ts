// PROTO_ID is derived from the registry: every protocol has exactly one name and the table agrees with PROTOCOLS.
import { describe, expect, it } from 'vitest';
import { PROTO_ID, PROTOCOLS, protocolName } from '../../proto/registry.js';

describe('PROTO_ID', () => {
  it('maps every registered protocol name to its ID and back', () => {
    const entries = Object.entries(PROTOCOLS);
    expect(Object.keys(PROTO_ID)).toHaveLength(entries.length);
    for (const [id, entry] of entries) {
      expect(PROTO_ID[entry.name as keyof typeof PROTO_ID]).toBe(Number(id));
      expect(protocolName(Number(id))).toBe(entry.name);
    }
  });

  it('carries the official SDK numbers for the protocols the project uses most', () => {
    expect(PROTO_ID.InitConnect).toBe(1001);
    expect(PROTO_ID.KeepAlive).toBe(1004);
    expect(PROTO_ID.Trd_PlaceOrder).toBe(2202);
    expect(PROTO_ID.Trd_UpdateOrder).toBe(2208);
    expect(PROTO_ID.Qot_GetSecuritySnapshot).toBe(3203);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(PROTO_ID)).toBe(true);
  });
});
