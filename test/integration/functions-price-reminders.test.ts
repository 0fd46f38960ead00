// /v1/price-reminders through the functions harness: API Gateway v2 events from real HTTP requests, the quotes
// function as it runs in Lambda, DynamoDB Local for the shared rate limiter, and the real simulator over TCP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PriceReminderApi } from '../../proto/api/price-reminders.js';
import { OpenDClient } from '../../proto/client.js';
import { startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';

let h: FunctionsHarness;
let direct: OpenDClient;
beforeAll(async () => {
  h = await startFunctionsHarness();
  direct = await OpenDClient.connect({ host: h.sim.host, port: h.sim.port, clientId: 'reminders-check', rsaPrivateKey: h.rsaKeyPem });
}, 120_000);
afterAll(async () => {
  await direct?.close();
  await h?.stop();
});

describe('/v1/price-reminders', () => {
  it('adds, lists, modifies, disables, deletes one and deletes all of a stock’s', async () => {
    const add = await h.http('POST', '/v1/price-reminders', { body: { code: 'HK.00700', type: 'price_up', value: 420.12345, frequency: 'ONCE_A_DAY', note: 'breakout' } });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ code: 'HK.00700', name: 'Tencent Holdings', type: 'PRICE_UP', value: 420.123, frequency: 'ONCE_A_DAY', note: 'breakout', enabled: true, sessions: ['OPEN'] });
    // Futu's keys exceed 2^53: a decimal string, exact.
    const key: string = add.body.key;
    expect(BigInt(key)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
    const down = await h.http('POST', '/v1/price-reminders', { body: { code: 'HK.00700', type: 'CHANGE_RATE_DOWN', value: 5 } });
    const us = await h.http('POST', '/v1/price-reminders', { body: { code: 'US.AAPL', type: 'PRICE_DOWN', value: 150, sessions: ['OPEN'] } });
    expect([down.status, us.status]).toEqual([201, 201]);

    const list = await h.http('GET', '/v1/price-reminders?code=HK.00700');
    expect(list.status).toBe(200);
    expect(list.body.reminders.map((r: { key: string; type: string }) => [r.key, r.type])).toEqual([[key, 'PRICE_UP'], [down.body.key, 'CHANGE_RATE_DOWN']]);
    const byMarket = await h.http('GET', '/v1/price-reminders?market=US');
    expect(byMarket.body).toMatchObject({ market: 'US', reminders: [{ key: us.body.key, code: 'US.AAPL', sessions: ['OPEN'] }] });

    const patched = await h.http('PATCH', `/v1/price-reminders/${key}`, { body: { value: 430, frequency: 'ONLY_ONCE', enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ key, value: 430, frequency: 'ONLY_ONCE', note: 'breakout', enabled: false });
    // What OpenD holds, read on a connection of its own.
    const held = await new PriceReminderApi(direct).priceReminders({ code: 'HK.00700' });
    expect(held.find((r) => r.key === BigInt(key))).toMatchObject({ value: 430, freq: 'ONLY_ONCE', enabled: false });

    const del = await h.http('DELETE', `/v1/price-reminders/${key}`);
    expect(del.body).toEqual({ deleted: [key], code: 'HK.00700' });
    const all = await h.http('DELETE', '/v1/price-reminders?code=HK.00700');
    expect(all.body).toEqual({ deleted: [down.body.key], code: 'HK.00700' });
    expect((await h.http('GET', '/v1/price-reminders?market=HK')).body.reminders).toEqual([]);
    expect((await h.http('GET', '/v1/price-reminders?code=US.AAPL')).body.reminders).toHaveLength(1);
    await h.http('DELETE', '/v1/price-reminders?code=US.AAPL');
  });

  it('answers 400 naming the field and what is allowed, and changes nothing', async () => {
    const keep = await h.http('POST', '/v1/price-reminders', { body: { code: 'HK.09988', type: 'PRICE_UP', value: 100 } });
    const cases: [string, string, unknown, string, RegExp][] = [
      ['POST', '/v1/price-reminders', { code: 'HK.09988', type: 'PRICE_SIDEWAYS', value: 1 }, 'type', /must be one of PRICE_UP, PRICE_DOWN, CHANGE_RATE_UP/],
      ['POST', '/v1/price-reminders', { code: 'HK.09988', type: 'PRICE_UP', value: -1 }, 'value', /must be a number above 0/],
      ['POST', '/v1/price-reminders', { code: 'HK.09988', type: 'PRICE_UP' }, 'value', /must be a number above 0/],
      ['POST', '/v1/price-reminders', { code: 'HK.09988', type: 'PRICE_UP', value: 1, frequency: 'HOURLY' }, 'frequency', /must be one of ALWAYS, ONCE_A_DAY, ONLY_ONCE/],
      ['POST', '/v1/price-reminders', { code: 'HK.09988', type: 'PRICE_UP', value: 1, note: 'n'.repeat(21) }, 'note', /at most 20 characters/],
      ['POST', '/v1/price-reminders', { code: 'HK.09988', type: 'PRICE_UP', value: 1, sessions: ['LUNCH'] }, 'sessions', /OPEN, US_PRE, US_AFTER, US_OVER_NIGHT/],
      ['POST', '/v1/price-reminders', { code: 'HK.9988', type: 'PRICE_UP', value: 1 }, 'code', /5 digits/],
      ['POST', '/v1/price-reminders', { code: 'HK.09988', type: 'PRICE_UP', value: 1, price: 2 }, 'price', /allowed: code, type, value/],
      ['PATCH', `/v1/price-reminders/${keep.body.key}`, {}, 'body', /nothing to change/],
      ['PATCH', `/v1/price-reminders/${keep.body.key}`, { enabled: 'yes' }, 'enabled', /true or false/],
      ['PATCH', '/v1/price-reminders/12ab', { value: 1 }, 'key', /decimal digits/],
      ['DELETE', '/v1/price-reminders/99999999999999999999', undefined, 'key', /decimal digits/],
      ['GET', '/v1/price-reminders?code=HK.00700&market=HK', undefined, 'market', /either code .* or market/],
      ['GET', '/v1/price-reminders?market=JP', undefined, 'market', /HK, US, SH, SZ/],
      ['DELETE', '/v1/price-reminders', undefined, 'code', /security like/],
    ];
    for (const [method, url, body, field, message] of cases) {
      const r = await h.http(method, url, body === undefined ? {} : { body });
      expect(r.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.error.details.field, url).toBe(field);
      expect(r.body.error.message, url).toMatch(message);
    }
    const missing = await h.http('DELETE', '/v1/price-reminders/12345');
    expect(missing.status).toBe(404);
    expect((await h.http('GET', '/v1/price-reminders?code=HK.09988')).body.reminders).toEqual([expect.objectContaining({ key: keep.body.key, value: 100, enabled: true })]);
  });

  it('passes on Futu’s limit of 10 reminders of one type per stock as 422 BROKER_REJECTED', async () => {
    for (let i = 0; i < 10; i++) expect((await h.http('POST', '/v1/price-reminders', { body: { code: 'HK.03690', type: 'VOLUME_UP', value: 1000 * (i + 1) } })).status).toBe(201);
    const r = await h.http('POST', '/v1/price-reminders', { body: { code: 'HK.03690', type: 'VOLUME_UP', value: 99_000 } });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'BROKER_REJECTED' });
    expect(r.body.error.message).toMatch(/upper limit of reminders for each type of each stock is 10/);
  });

  it('counts SetPriceReminder against Futu’s 60 per 30 s before OpenD: 429 with Retry-After', async () => {
    let status = 0;
    let n = 0;
    let last: Awaited<ReturnType<FunctionsHarness['http']>> | undefined;
    while (n < 70 && status !== 429) {
      last = await h.http('DELETE', '/v1/price-reminders?code=HK.00005');
      status = last.status;
      n++;
    }
    // Earlier tests of this file used some of the window's 60 already.
    expect(status).toBe(429);
    expect(n).toBeLessThanOrEqual(61);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
  });
});
