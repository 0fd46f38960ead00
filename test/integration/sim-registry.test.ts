// The full futu-api ProtoID registry over real TCP: a newer protocol the simulator does not serve still travels as
// a typed request, is decoded by the simulator with the same generated codecs, and is refused by name; an ID futu-api
// lists without a message definition is refused by the client before anything is sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../gateway-container/simulator/index.js';
import { PROTO_ID } from '../../proto/registry.js';
import { closeAll, connectClient, expectOpenDError, startTestSimulator, type RecordingClient } from './sim-helpers.js';

describe('newer futu-api protocols over TCP', () => {
  let sim: Simulator;
  let c: RecordingClient;
  beforeAll(async () => {
    sim = await startTestSimulator();
    c = await connectClient(sim);
  });
  afterAll(async () => {
    await closeAll(c);
    await sim.close();
  });

  it('sends a typed Qot_GetHotList request that the simulator decodes and refuses by its protocol name', async () => {
    const before = sim.core.stats.requests;
    await expectOpenDError(c.request(PROTO_ID.Qot_GetHotList, { market: 1, count: 10 }), /^Qot_GetHotList is not supported by the simulator$/);
    expect(sim.core.stats.requests).toBe(before + 1);
  });

  it('refuses Qot_GetTradeDate (3200), which futu-api lists without a message definition, before sending it', async () => {
    const before = sim.core.stats.requests;
    await expect(c.request(3200 as never, {} as never)).rejects.toThrow(/Qot_GetTradeDate/);
    expect(sim.core.stats.requests).toBe(before);
  });
});
