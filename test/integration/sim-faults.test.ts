// The simulator's fault switches, which the relay and Lambda tests use to produce OpenD failures.
import { afterEach, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { OpenDClient } from '../../proto/client.js';
import { OpenDError, RequestTimeoutError } from '../../proto/errors.js';
import * as Common from '../../proto/generated/Common.js';
import { until } from '../support/local-aws.js';
import { PROTO_ID } from '../../proto/registry.js';

let sim: Simulator | undefined;
let clients: OpenDClient[] = [];
afterEach(async () => {
  for (const c of clients) await c.close();
  clients = [];
  await sim?.close();
  sim = undefined;
});

async function connect(opts: Partial<Parameters<typeof OpenDClient.connect>[0]> = {}) {
  sim ??= await startSimulator({ port: 0, clock: { manual: true } });
  const c = await OpenDClient.connect({ host: sim.host, port: sim.port, clientId: 'faults', ...opts });
  clients.push(c);
  return c;
}

it('fails the next N requests of the chosen protocols with retType -1, without executing them', async () => {
  const c = await connect();
  sim!.core.failNextRequests(2, { protoIds: [PROTO_ID.Qot_GetSecuritySnapshot], message: 'backend busy' });
  const snap = () => c.request(PROTO_ID.Qot_GetSecuritySnapshot, { securityList: [{ market: 1, code: '00700' }] });
  await expect(snap()).rejects.toMatchObject({ retType: -1, retMsg: 'backend busy' });
  await expect(c.request(PROTO_ID.GetGlobalState, { userID: 0n })).resolves.toBeDefined();
  await expect(snap()).rejects.toBeInstanceOf(OpenDError);
  await expect(snap()).resolves.toMatchObject({ snapshotList: [expect.anything()] });
});

it('stalls replies so that clients time out, and recovers when switched off', async () => {
  const c = await connect({ requestTimeoutMs: 200 });
  sim!.core.stallReplies(1_000);
  await expect(c.request(PROTO_ID.GetGlobalState, { userID: 0n })).rejects.toBeInstanceOf(RequestTimeoutError);
  sim!.core.stallReplies(0);
  await expect(c.request(PROTO_ID.GetGlobalState, { userID: 0n })).resolves.toMatchObject({ qotLogined: true });
});

it('a forced logout notifies, drops every connection, and refuses requests until OpenD is ready again', async () => {
  const c = await connect({ recvNotify: true, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
  const notices: number[] = [];
  c.on('push', (p) => {
    if (p.protoId === PROTO_ID.Notify) notices.push((p.s2c as { programStatus?: { programStatus: { type: number } } }).programStatus?.programStatus.type ?? -1);
  });
  const dropped = new Promise<void>((r) => c.once('disconnected', () => r()));
  sim!.core.setProgramStatus(Common.ProgramStatusType.FORCE_LOGOUT, 'logged in elsewhere');
  await dropped;
  expect(notices).toContain(Common.ProgramStatusType.FORCE_LOGOUT);
  await until(() => c.connected, 5_000, 'reconnected');
  await expect(c.request(PROTO_ID.Qot_GetSecuritySnapshot, { securityList: [{ market: 1, code: '00700' }] })).rejects.toThrow(/not logged in \(program status FORCE_LOGOUT\)/);
  sim!.core.setProgramStatus(Common.ProgramStatusType.READY);
  await expect(c.request(PROTO_ID.Qot_GetSecuritySnapshot, { securityList: [{ market: 1, code: '00700' }] })).resolves.toBeDefined();
});
