// The relay and derivatives: it registers the futures accounts (listed by OpenD only for trdCategory FUTURE)
// for trade pushes like the securities accounts, so futures and option orders become Order Update and Order
// Fill events. Real simulator over TCP, the relay, a local PutEvents endpoint.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocalEventBridge, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { Relay } from '../../gateway-container/relay/relay.js';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { DEFAULT_ACCOUNTS, DEFAULT_FUTURES_ACCOUNTS } from '../../gateway-container/simulator/trading/accounts.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import type * as Trd_Common from '../../proto/generated/Trd_Common.js';
import { until } from '../support/local-aws.js';
import { testRelayOptions } from '../support/test-relay.js';

const KEY = generateRsaKeyPem();
const FUT_REAL: Trd_Common.TrdHeader = { trdEnv: 1, accID: DEFAULT_FUTURES_ACCOUNTS[2]!.accID, trdMarket: 5 };
const REAL_US: Trd_Common.TrdHeader = { trdEnv: 1, accID: 281756460288713516n, trdMarket: 2 };
let sim: Simulator;
let bus: LocalEventBridge;
let relay: Relay;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, clock: { manual: true, start: Date.UTC(2025, 0, 15, 15) }, rsaPrivateKey: KEY, seed: 3, accounts: [...DEFAULT_ACCOUNTS, ...DEFAULT_FUTURES_ACCOUNTS] });
  bus = await startLocalEventBridge();
  relay = new Relay(testRelayOptions({ host: sim.host, port: sim.port, rsaPrivateKey: KEY }, bus.endpoint, { tradePasswordMd5: createHash('md5').update('123456').digest('hex') }));
  await relay.start();
  await until(() => relay.health().ready, 10_000, 'relay ready');
});
afterAll(async () => {
  await relay?.stop();
  await bus?.close();
  await sim?.close();
});

const updates = (orderID: bigint) =>
  bus.events.filter((e) => e['detail-type'] === 'Order Update' && (e.detail as { orderId: string }).orderId === orderID.toString()).map((e) => e.detail as Record<string, unknown>);

it('publishes order and fill events of a futures account and of an option order', async () => {
  // The relay unlocks REAL trading OpenD-wide once it is ready.
  await until(() => sim.trading.isUnlocked(), 10_000, 'relay unlock');
  sim.advance(2000);
  const fut = sim.trading.placeOrder({ packetID: { connID: 0n, serialNo: 0 }, header: FUT_REAL, trdSide: 1, orderType: 2, code: 'ESmain', secMarket: 2, qty: 1, remark: 'oc:fut-relay-1' });
  const option = sim.derivatives.chain('US.AAPL', 0, Number.MAX_SAFE_INTEGER);
  if (typeof option === 'string') throw new Error(option);
  const call = option[0]!.options[8]!.call;
  sim.advance(2000);
  const opt = sim.trading.placeOrder({ packetID: { connID: 0n, serialNo: 0 }, header: REAL_US, trdSide: 1, orderType: 2, code: call.code, secMarket: 2, qty: 2, remark: 'oc:opt-relay-1' });
  await until(() => updates(fut.orderID).some((d) => d['status'] === 'FILLED_ALL') && updates(opt.orderID).some((d) => d['status'] === 'FILLED_ALL'), 10_000, 'order events');
  expect(updates(fut.orderID).at(-1)).toMatchObject({ accId: FUT_REAL.accID.toString(), trdMarket: 'FUTURES', security: 'US.ESmain', qty: 1, fillQty: 1, clientOrderId: 'fut-relay-1' });
  expect(updates(opt.orderID).at(-1)).toMatchObject({ trdMarket: 'US', security: call.key, qty: 2, fillQty: 2, clientOrderId: 'opt-relay-1' });
  await until(() => bus.events.some((e) => e['detail-type'] === 'Order Fill' && (e.detail as { orderId: string }).orderId === fut.orderID.toString()), 10_000, 'futures fill event');
});
