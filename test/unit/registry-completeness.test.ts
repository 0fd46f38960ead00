// The registry is complete against the pinned futu-api: every ID its ftCmdID table publishes is registered with
// typed codecs (or listed as having no message definition), and PROTO_ID names each one.
import { describe, expect, it } from 'vitest';
import { ftCmdID } from 'futu-api';
import { KNOWN_WITHOUT_DEFINITION, PROTOCOLS, PROTO_ID, isPushProtoId, protocolName, requestCodec, responseCodec } from '../../proto/registry.js';
import '../../proto/all-codecs.js';

const published = Object.entries(ftCmdID as Record<string, { cmd: number; name: string }>);

describe('ProtoID registry against futu-api', () => {
  it('registers every ID of futu-api ftCmdID, or names it as shipped without a message definition', () => {
    expect(published.length).toBeGreaterThan(140);
    const unregistered = published.filter(([, e]) => !(e.cmd in PROTOCOLS) && !(e.cmd in KNOWN_WITHOUT_DEFINITION));
    expect(unregistered).toEqual([]);
    // Only the retired Qot_GetTradeDate lacks a .proto in futu-api 10.11.7108.
    expect(published.filter(([, e]) => e.cmd in KNOWN_WITHOUT_DEFINITION).map(([, e]) => e.cmd)).toEqual([3200]);
  });

  it('gives each registered request protocol working Request and Response codecs and each push a Response codec', () => {
    for (const [key, e] of published) {
      if (!(e.cmd in PROTOCOLS)) continue;
      const id = e.cmd as keyof typeof PROTOCOLS;
      expect(protocolName(id)).toBe(key.replace(/^(Qot|Trd)(?=[A-Z])/, '$1_'));
      const rsp = responseCodec(id);
      expect(rsp.decode(rsp.encode({ retType: -1, retMsg: 'x' }).finish())).toMatchObject({ retType: -1, retMsg: 'x' });
      if (isPushProtoId(id)) continue;
      expect(requestCodec(id).typeName).toMatch(/\.Request$/);
    }
  });

  it('has a PROTO_ID name for every registered protocol, including the newer ones', () => {
    expect(Object.keys(PROTO_ID)).toHaveLength(Object.keys(PROTOCOLS).length);
    expect(PROTO_ID.Qot_GetOptionQuote).toBe(3255);
    expect(PROTO_ID.Qot_StockScreen).toBe(3252);
    expect(PROTO_ID.Qot_GetEarningsCalendar).toBe(3401);
    expect(PROTO_ID.Qot_RequestHistoryEventContractKL).toBe(3456);
    expect(PROTO_ID.InitConnect).toBe(1001);
  });

  it('marks as pushes exactly Notify and the Update*/Push* protocols', () => {
    const pushes = Object.keys(PROTOCOLS).map(Number).filter(isPushProtoId);
    for (const id of pushes) expect(protocolName(id)).toMatch(/^(Notify|Trd_Update|Qot_Update|Qot_Push)/);
    expect(pushes).toEqual(expect.arrayContaining([1003, 2208, 2218, 3005, 3019, 3261, 3310, 3450, 3451, 3452]));
    expect(pushes).toHaveLength(15);
  });
});
