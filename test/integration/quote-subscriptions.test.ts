// The API's quote subscriptions (order book / ticker reads) against the real simulator over TCP: they stay out
// of the quota kept for the relay and are given back after Futu's one-minute minimum.
import { describe, expect, it } from 'vitest';
import { QuoteApi } from '../../proto/api/quotes.js';
import { OpenDClient } from '../../proto/client.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import { startSimulator } from '../../gateway-container/simulator/index.js';
import { ApiError } from '../../functions/lib/api-error.js';
import { quoteReserveFromEnv, QuoteSubscriptions } from '../../functions/lib/quote-subscriptions.js';
import { teardownAfterEach } from '../support/teardown.js';

const KEY = generateRsaKeyPem();
const cleanups = teardownAfterEach();

async function setup(quota: number) {
  const sim = await startSimulator({ port: 0, clock: { manual: true }, rsaPrivateKey: KEY, subscriptionQuota: quota });
  cleanups.push(() => sim.close());
  const connect = async (clientId: string) => {
    const c = await OpenDClient.connect({ host: sim.host, port: sim.port, clientId, rsaPrivateKey: KEY });
    cleanups.push(() => c.close());
    return c;
  };
  return { sim, connect };
}

describe('API quote subscriptions', () => {
  it('refuse with 429 a subscription that would eat into the relay\'s reserve, and subscribe nothing', async () => {
    const { sim, connect } = await setup(6);
    const relayConn = await connect('relay');
    await new QuoteApi(relayConn).subscribe(['HK.00700'], ['BASIC', 'TICKER'], { push: true });
    const lambda = await connect('lambda');
    const subs = new QuoteSubscriptions(new QuoteApi(lambda), { reserve: 2, now: () => sim.clock.now() });
    await subs.use('HK.09988', 'ORDER_BOOK');
    await subs.use('US.AAPL', 'ORDER_BOOK');
    expect(sim.quotes.subscriptions.remainQuota()).toBe(2);
    // Already held by someone (the relay): costs no quota, allowed.
    await subs.use('HK.00700', 'TICKER');
    const err = await subs.use('US.MSFT', 'ORDER_BOOK').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ statusCode: 429, headers: { 'retry-after': '60' } });
    expect((err as Error).message).toMatch(/2 left, 2 kept for the relay/);
    expect(sim.quotes.subscriptions.remainQuota()).toBe(2);
    expect(sim.quotes.subscriptions.isHeldByAny('US.MSFT', 2)).toBe(false);
    // The relay can still resubscribe what it needs (e.g. after its reconnect) within the reserve.
    await new QuoteApi(relayConn).subscribe(['HK.00005'], ['BASIC', 'TICKER'], { push: true });
    expect(sim.quotes.subscriptions.remainQuota()).toBe(0);
  });

  it('give back what they subscribed once the minute is up, so the quota returns', async () => {
    const { sim, connect } = await setup(4);
    const lambda = await connect('lambda');
    const subs = new QuoteSubscriptions(new QuoteApi(lambda), { reserve: 0, now: () => sim.clock.now() });
    await subs.use('HK.09988', 'ORDER_BOOK');
    await subs.use('US.AAPL', 'TICKER');
    expect(sim.quotes.subscriptions.remainQuota()).toBe(2);
    // Within the minute nothing is given back (Futu refuses to unsubscribe earlier).
    sim.advance(30_000);
    expect(await subs.giveBack()).toBe(0);
    expect(subs.holding).toHaveLength(2);
    sim.advance(31_000);
    // The next call gives back what is due first; the same code again is subscribed anew.
    await subs.use('HK.09988', 'ORDER_BOOK');
    expect(subs.gaveBack).toBe(2);
    expect(subs.holding).toEqual(['HK.09988|ORDER_BOOK']);
    expect(sim.quotes.subscriptions.isHeldByAny('US.AAPL', 4)).toBe(false);
    expect(sim.quotes.subscriptions.remainQuota()).toBeGreaterThanOrEqual(3);
  });

  it('read the reserve from QUOTE_SUBSCRIPTION_RESERVE and reject anything but a whole number', () => {
    expect(quoteReserveFromEnv({})).toBe(20);
    expect(quoteReserveFromEnv({ QUOTE_SUBSCRIPTION_RESERVE: '35' })).toBe(35);
    expect(() => quoteReserveFromEnv({ QUOTE_SUBSCRIPTION_RESERVE: '-1' })).toThrow(/QUOTE_SUBSCRIPTION_RESERVE must be a whole number.*"-1"/);
  });
});
