// Configured price alerts end to end, on real parts: the alert configuration → a Futu price reminder the relay
// keeps in the simulator → the simulator's Qot_UpdatePriceReminder push over TCP → the relay's `Price Reminder`
// event → the local EventBridge with the CDK app's rules (eventRules) → the alert rule's SNS-topic target,
// recorded the way the local stack records topic deliveries (bin/local/stack.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalEventBridge, type BusEvent, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { eventRules, loadConfig } from '../../cdk/definitions.js';
import { ALERT_NOTE, parsePriceAlertsJson, syncPriceAlerts, type PriceAlertSpec } from '../../gateway-container/relay/price-alerts-sync.js';
import { Relay } from '../../gateway-container/relay/relay.js';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { PriceReminderApi } from '../../proto/api/price-reminders.js';
import { OpenDClient } from '../../proto/client.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import { silentLogger } from '../../proto/log.js';
import { until } from '../support/local-aws.js';
import { testRelayOptions } from '../support/test-relay.js';

const KEY = generateRsaKeyPem();
/** Wednesday 2025-01-15 10:00 in Hong Kong. */
const SIM_START = Date.UTC(2025, 0, 15, 2, 0, 0);

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});

/** The simulator, the local bus with every rule of a deployment with these alerts, and topic deliveries. */
async function world(alerts: PriceAlertSpec[]) {
  // Seed 3: HK.00700 wanders around its start for the first hours, crossing a bound one tick above it often.
  const sim = await startSimulator({ host: '127.0.0.1', port: 0, seed: 3, clock: { manual: true, start: SIM_START }, rsaPrivateKey: KEY });
  cleanups.push(() => sim.close());
  const bus = await startLocalEventBridge();
  cleanups.push(() => bus.close());
  const config = loadConfig({}, { priceAlerts: alerts });
  const notifications: { rule: string; topic: string; event: BusEvent }[] = [];
  for (const [name, rule] of Object.entries(eventRules(config))) {
    if (rule.target.kind !== 'topic') continue; // the functions' rules are not what this test is about
    const topic = rule.target.topic;
    bus.addRule({ name, eventBusName: 'opend-test', pattern: rule.eventPattern, target: async (ev) => void notifications.push({ rule: name, topic, event: ev }) });
  }
  const admin = await OpenDClient.connect({ host: sim.host, port: sim.port, clientId: 'alerts-admin', rsaPrivateKey: KEY });
  cleanups.push(() => admin.close());
  return { sim, bus, notifications, reminders: new PriceReminderApi(admin), alerts: config.priceAlerts };
}

async function startRelay(sim: Simulator, bus: LocalEventBridge, alerts: readonly PriceAlertSpec[]): Promise<Relay> {
  const relay = new Relay(testRelayOptions({ host: sim.host, port: sim.port, rsaPrivateKey: KEY }, bus.endpoint, { priceAlerts: alerts }));
  cleanups.push(() => relay.stop());
  await relay.start();
  await until(() => relay.priceAlertSync.state === 'done', 20_000, 'price alert reminders in sync');
  return relay;
}

/** Trades minute by minute (at most an hour) until HK.00700 crossed `bound` 3 times and traded ≥ 20 times at or above it. */
function driveAcross(sim: Simulator, bound: number): { crossings: number; beyond: number } {
  const prices: number[] = [];
  const off = sim.market.onUpdate((u) => {
    if (u.key === 'HK.00700') prices.push(u.basic.curPrice);
  });
  let crossings = 0;
  let beyond = 0;
  try {
    for (let minute = 0; minute < 60; minute++) {
      for (let s = 0; s < 6; s++) sim.advance(10_000);
      crossings = 0;
      let above = false;
      for (const p of prices) {
        if (p >= bound && !above) crossings++;
        above = p >= bound;
      }
      beyond = prices.filter((p) => p >= bound).length;
      if (crossings >= 3 && beyond >= 20) break;
    }
  } finally {
    off();
  }
  return { crossings, beyond };
}

describe('configured price alerts', () => {
  it('alert once per crossing: the price crosses, goes back, crosses again and stays beyond for many trades — exactly one SNS alert', async () => {
    const probe = await startSimulator({ host: '127.0.0.1', port: 0, seed: 3, clock: { manual: true, start: SIM_START } });
    const start = probe.market.top('HK.00700')!.last;
    await probe.close();
    const bound = Math.round((start + 0.2) * 1000) / 1000;
    const { sim, bus, notifications, reminders, alerts } = await world([{ security: 'HK.00700', above: bound }]);

    let relay = await startRelay(sim, bus, alerts);
    const listed = await reminders.priceReminders({ code: 'HK.00700' });
    expect(listed).toMatchObject([{ code: 'HK.00700', type: 'PRICE_UP', value: bound, freq: 'ONCE_A_DAY', note: ALERT_NOTE, enabled: true }]);
    // A restart of the relay finds the reminder and adds nothing.
    await relay.stop();
    relay = await startRelay(sim, bus, alerts);
    expect(await reminders.priceReminders({ code: 'HK.00700' })).toEqual(listed);

    const { crossings, beyond } = driveAcross(sim, bound);
    expect(crossings).toBeGreaterThanOrEqual(3);
    expect(beyond).toBeGreaterThanOrEqual(20);
    // Every push OpenD sent is on the bus, and every rule target has run.
    await relay.flush();
    await bus.idle();
    // (The alerts topic also hears the gateway's own not-ready states from the relay restarts above.)
    const priceAlerts = () => notifications.filter((x) => x.rule === 'priceAlert-HK.00700');
    await until(() => priceAlerts().length >= 1, 10_000, 'the alert');
    await relay.flush();
    await bus.idle();

    expect(priceAlerts()).toHaveLength(1);
    const [n] = priceAlerts();
    expect(n).toMatchObject({ rule: 'priceAlert-HK.00700', topic: 'alerts' });
    expect(n!.event['detail-type']).toBe('Price Reminder');
    expect(n!.event.detail).toMatchObject({ security: 'HK.00700', market: 'HK', code: '00700', reminderType: 'PRICE_UP', setValue: bound, marketStatus: 'OPEN', note: ALERT_NOTE });
    expect((n!.event.detail as { price: number }).price).toBeGreaterThanOrEqual(bound);
    expect((n!.event.detail as { key: string }).key).toBe(listed[0]!.key.toString());
    // The relay held no quote subscription: price reminders need none.
    expect(bus.events.filter((e) => e['detail-type'] === 'Quote')).toHaveLength(0);
  });

  it('keeps OpenD’s reminders in line with the configuration: matches by code, type and value, never duplicates, removes only its own stale ones', async () => {
    const { sim, reminders } = await world([]);
    const api = reminders;
    // A person's reminder at the alert's value (another note, ALWAYS, disabled), one of theirs elsewhere, and a
    // reminder an earlier configuration made for an alert that is gone.
    const personal = await api.setPriceReminder({ op: 'ADD', code: 'HK.00700', type: 'PRICE_UP', value: 420, freq: 'ALWAYS', note: 'mine' });
    await api.setPriceReminder({ op: 'DISABLE', code: 'HK.00700', key: personal });
    const other = await api.setPriceReminder({ op: 'ADD', code: 'US.AAPL', type: 'PRICE_DOWN', value: 100, note: 'mine too' });
    const stale = await api.setPriceReminder({ op: 'ADD', code: 'SZ.000001', type: 'PRICE_UP', value: 20, note: ALERT_NOTE });
    const alerts = parsePriceAlertsJson(JSON.stringify([{ security: 'HK.00700', above: 420, below: 380.0004 }]));

    const first = await syncPriceAlerts(api, alerts, silentLogger);
    expect(first).toEqual({ added: 1, modified: 1, enabled: 1, removed: 1, kept: 0 });
    const hk = await api.priceReminders({ code: 'HK.00700' });
    expect(hk.map((r) => [r.key === personal, r.type, r.value, r.freq, r.enabled, r.note])).toEqual([
      [true, 'PRICE_UP', 420, 'ONCE_A_DAY', true, 'mine'],
      [false, 'PRICE_DOWN', 380, 'ONCE_A_DAY', true, ALERT_NOTE],
    ]);
    expect((await api.priceReminders({ market: 'US' })).map((r) => r.key)).toEqual([other]);
    expect((await api.priceReminders({ market: 'SZ' })).map((r) => r.key)).not.toContain(stale);

    // Again (a restart): nothing to do.
    expect(await syncPriceAlerts(api, alerts, silentLogger)).toEqual({ added: 0, modified: 0, enabled: 0, removed: 0, kept: 2 });
    expect(await api.priceReminders({ code: 'HK.00700' })).toEqual(hk);
    expect(sim.core.connections.size).toBeGreaterThan(0);
  });

  it('refuses a malformed RELAY_PRICE_ALERTS naming the entry and what is allowed', () => {
    expect(() => parsePriceAlertsJson('{')).toThrow(/RELAY_PRICE_ALERTS must be JSON like \[\{"security":"HK.00700","above":400\}\]/);
    expect(() => parsePriceAlertsJson('[{"security":"HK.00700"}]')).toThrow('RELAY_PRICE_ALERTS[0]: needs "above", "below" or both');
    expect(() => parsePriceAlertsJson('[{"security":"HK.00700","above":-1}]')).toThrow('RELAY_PRICE_ALERTS[0].above: expected a price above 0, got -1');
    expect(() => parsePriceAlertsJson('[{"security":"HK.00700","above":1,"frequency":"HOURLY"}]')).toThrow(/frequency: expected one of ONCE_A_DAY, ALWAYS, ONLY_ONCE/);
    expect(() => parsePriceAlertsJson('[{"security":"HK.00700","above":1,"abov":2}]')).toThrow(/unknown field\(s\) abov/);
    expect(() => parsePriceAlertsJson('[{"security":"00700","above":1}]')).toThrow(/RELAY_PRICE_ALERTS\[0\]\.security/);
    expect(parsePriceAlertsJson(undefined)).toEqual([]);
  });
});
