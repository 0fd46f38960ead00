// Runtime quote subscriptions end to end: the subscriptions function over HTTP (API Gateway v2 events, DynamoDB
// Local, the simulator for the quota), the real relay reading the table and applying it on its OpenD connection,
// and OpenD's own Qot_GetSubInfo on the simulator as the judge of what is held.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../bin/local/dynamodb-local.js';
import { startLocalEventBridge, type LocalEventBridge } from '../../bin/local/eventbridge-local.js';
import { startHealthServer } from '../../gateway-container/relay/http.js';
import { Relay } from '../../gateway-container/relay/relay.js';
import { tableReader } from '../../gateway-container/relay/runtime-subscriptions.js';
import { OpenDClient } from '../../proto/client.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { startFunctionsHarness, type FunctionsHarness } from '../support/functions-harness.js';
import { LOCAL_CALLER_HEADER } from '../../bin/local/http-api.js';
import { LOCAL_CALLERS, SECURITY_ENV } from '../../functions/lib/security-config.js';
import { until } from '../support/local-aws.js';
import { testRelayOptions } from '../support/test-relay.js';

let h: FunctionsHarness;
let bus: LocalEventBridge;
let observer: OpenDClient;
let doc: DynamoDBDocumentClient;
const relays: Relay[] = [];

beforeAll(async () => {
  // A small quota (20) so the limit is reachable: the relay's set may take 20 - 10 (the API's headroom) = 10 pairs.
  // Idle connections are dropped after 10 virtual minutes, not 30 s: the test moves the clock past the minute rule.
  h = await startFunctionsHarness({ simulator: { subscriptionQuota: 20, idleTimeoutMs: 600_000 } });
  bus = await startLocalEventBridge();
  observer = await OpenDClient.connect({ host: h.sim.host, port: h.sim.port, clientId: 'observer', rsaPrivateKey: h.rsaKeyPem });
  doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: h.ddb.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }));
}, 120_000);

afterAll(async () => {
  for (const r of relays) await r.stop().catch(() => undefined);
  await observer?.close();
  await bus?.close();
  await h?.stop();
});

function startRelay(): Relay {
  const relay = new Relay(
    testRelayOptions({ host: h.sim.host, port: h.sim.port, rsaPrivateKey: h.rsaKeyPem }, bus.endpoint, {
      // The relay's minute rule runs on OpenD's (the simulator's virtual) clock, as OpenD's own does.
      runtimeSubscriptions: { read: tableReader(h.tables.subscriptions, doc), pollMs: 200, now: () => h.sim.clock.now() },
    }),
  );
  relays.push(relay);
  return relay;
}

/** What OpenD holds, over every connection: "HK.00700|BASIC" keys. */
async function heldInOpenD(): Promise<Set<string>> {
  const info = await new QuoteApi(observer).subInfo(true);
  return new Set(info.subscriptions.flatMap((s) => s.codes.map((c) => `${c}|${s.type}`)));
}

/**
 * A minute later, for both judges of Futu's one-minute rule: OpenD (the simulator's virtual clock, which the
 * relay's rule follows too) and the API, which counts from the stored request time — moved back a minute here,
 * since faking the wall clock would also make every OpenD client declare its link dead.
 */
async function afterOneMinute(): Promise<void> {
  h.sim.advance(61_000);
  const items = await doc.send(new QueryCommand({ TableName: h.tables.subscriptions, KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'scope' }, ExpressionAttributeValues: { ':s': 'relay' } }));
  for (const i of items.Items ?? []) {
    await doc.send(new UpdateCommand({ TableName: h.tables.subscriptions, Key: { scope: i['scope'], pair: i['pair'] }, UpdateExpression: 'SET requestedAt = :t', ExpressionAttributeValues: { ':t': Number(i['requestedAt']) - 61_000 } }));
  }
}

describe('runtime subscriptions', () => {
  it('are applied by the relay within seconds, reported by GET, and removed only after their first minute', async () => {
    const relay = startRelay();
    const health = await startHealthServer(relay, 0);
    const healthPort = (health.address() as { port: number }).port;
    try {
      await relay.start();
      await until(() => relay.health().ready, 20_000, 'relay ready');

      const put = await h.http('PUT', '/v1/subscriptions', { body: { codes: ['HK.00700', 'hk.09988'], types: ['BASIC', 'ticker'] } });
      expect(put.status).toBe(200);
      expect(put.body.added).toHaveLength(4);
      await until(async () => {
        const held = await heldInOpenD();
        return ['HK.00700|BASIC', 'HK.00700|TICKER', 'HK.09988|BASIC', 'HK.09988|TICKER'].every((k) => held.has(k));
      }, 15_000, 'OpenD holds the four pairs');

      const get = await h.http('GET', '/v1/subscriptions');
      expect(get.status).toBe(200);
      expect(get.body.subscriptions).toHaveLength(4);
      for (const s of get.body.subscriptions) expect(s).toMatchObject({ source: 'runtime', state: 'applied', unsubscribable: false });
      expect(get.body.quota).toMatchObject({ total: 20, relayLimit: 10, relayDesired: 4 });
      expect(get.body.quota.used).toBeGreaterThanOrEqual(4);
      const relayView = (await (await fetch(`http://127.0.0.1:${healthPort}/subscriptions`)).json()) as { subscriptions: { state: string }[] };
      expect(relayView.subscriptions.map((s) => s.state)).toEqual(['applied', 'applied', 'applied', 'applied']);

      // A repeated PUT is idempotent and keeps the first request time.
      const again = await h.http('PUT', '/v1/subscriptions', { body: { codes: ['HK.00700'], types: ['BASIC'] } });
      expect(again.body).toMatchObject({ added: [], alreadySubscribed: 1 });

      // Within the first minute: refused, nothing removed.
      const early = await h.http('DELETE', '/v1/subscriptions?codes=HK.09988&types=BASIC,TICKER');
      expect(early.status).toBe(409);
      expect(early.body.error.message).toMatch(/only one minute after the subscription/);
      expect(Number(early.headers['retry-after'])).toBeGreaterThan(0);
      expect((await h.http('GET', '/v1/subscriptions')).body.subscriptions).toHaveLength(4);

      await afterOneMinute();
      const del = await h.http('DELETE', '/v1/subscriptions?codes=HK.09988&types=BASIC,TICKER');
      expect(del.status).toBe(200);
      expect(del.body.removed).toHaveLength(2);
      await until(async () => {
        const now = await heldInOpenD();
        return !now.has('HK.09988|BASIC') && !now.has('HK.09988|TICKER') && now.has('HK.00700|BASIC');
      }, 15_000, 'OpenD released HK.09988');
      expect(relay.runtimeSubscriptions!.metrics.unsubscribed).toBe(2);
    } finally {
      health.close();
      await relay.stop();
    }
  }, 90_000);

  it('a restarted relay applies the stored set again', async () => {
    // The first test left HK.00700 BASIC and TICKER in the table; its relay is stopped, so no connection holds them.
    await until(async () => !(await heldInOpenD()).has('HK.00700|BASIC'), 5_000, 'nothing held after the relay stopped');
    const relay = startRelay();
    await relay.start();
    await until(async () => {
      const held = await heldInOpenD();
      return held.has('HK.00700|BASIC') && held.has('HK.00700|TICKER');
    }, 20_000, 'the new relay holds the stored pairs');
    expect(relay.runtimeSubscriptions!.statuses().map((s) => `${s.code}|${s.subType}|${s.state}`).sort()).toEqual(['HK.00700|BASIC|applied', 'HK.00700|TICKER|applied']);
    await relay.stop();
  }, 60_000);

  it('refuses a request beyond the quota with 409 and stores nothing', async () => {
    const before = (await h.http('GET', '/v1/subscriptions')).body.subscriptions.length;
    const r = await h.http('PUT', '/v1/subscriptions', { body: { codes: ['HK.00005', 'HK.00941', 'HK.03690', 'HK.01299', 'HK.00388'], types: ['BASIC', 'TICKER'] } });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('CONFLICT');
    // Two pairs stored by the tests above, ten more asked for: 12 > 20 - 10.
    expect(r.body.error.message).toBe(
      "subscription quota exceeded: the relay's set would hold 12 code × type pairs, over its limit of 10 (OpenD's quota 20 minus 10 left for the quotes API); remove some first (DELETE /v1/subscriptions, after their first minute)",
    );
    expect((await h.http('GET', '/v1/subscriptions')).body.subscriptions.length).toBe(before);
  }, 30_000);

  it('reports a pair OpenD refuses as refused, with the reason, and still applies the rest', async () => {
    const put = await h.http('PUT', '/v1/subscriptions', { body: { codes: ['HK.99999'], types: ['BASIC'] } });
    expect(put.status).toBe(200);
    const relay = startRelay();
    await relay.start();
    await until(() => relay.runtimeSubscriptions!.statuses().some((s) => s.code === 'HK.99999' && s.state === 'refused'), 20_000, 'HK.99999 refused');
    const refused = relay.runtimeSubscriptions!.statuses().find((s) => s.code === 'HK.99999')!;
    expect(refused.reason).toMatch(/HK\.99999|unknown/i);
    await until(() => relay.runtimeSubscriptions!.statuses().filter((s) => s.state === 'applied').length === 2, 10_000, 'the other pairs applied');
    expect(relay.runtimeSubscriptions!.metrics.refused).toBe(1);
    await relay.stop();
  }, 60_000);

  it('lets only callers with the subscriptions right change the set; readers may look', async () => {
    const reader = 'arn:aws:iam::123456789012:user/reader';
    const ops = 'arn:aws:iam::123456789012:role/market-data-ops';
    await h.restartRuntime({ [SECURITY_ENV.callers]: JSON.stringify([{ principal: reader, accounts: '*', rights: ['read', 'trade', 'gateway'] }, { principal: ops, accounts: '*', rights: ['subscriptions'] }]) });
    try {
      const put = await h.http('PUT', '/v1/subscriptions', { headers: { [LOCAL_CALLER_HEADER]: reader }, body: { codes: ['HK.00388'], types: ['BASIC'] } });
      expect(put.status).toBe(403);
      expect(put.body.error).toMatchObject({ code: 'FORBIDDEN', details: { missing: 'subscriptions' } });
      const del = await h.http('DELETE', '/v1/subscriptions?codes=HK.00700&types=BASIC', { headers: { [LOCAL_CALLER_HEADER]: reader } });
      expect(del.status).toBe(403);
      expect((await h.http('GET', '/v1/subscriptions', { headers: { [LOCAL_CALLER_HEADER]: reader } })).status).toBe(200);
      const allowed = await h.http('PUT', '/v1/subscriptions', { headers: { [LOCAL_CALLER_HEADER]: ops }, body: { codes: ['HK.00388'], types: ['BASIC'] } });
      expect(allowed.status).toBe(200);
      expect((await h.http('GET', '/v1/subscriptions', { headers: { [LOCAL_CALLER_HEADER]: ops } })).status).toBe(403);
      const stored = (await h.http('GET', '/v1/subscriptions', { headers: { [LOCAL_CALLER_HEADER]: reader } })).body.subscriptions as { code: string; requestedBy: string }[];
      expect(stored.find((s) => s.code === 'HK.00388')?.requestedBy).toBe(ops);
    } finally {
      await h.restartRuntime({ [SECURITY_ENV.callers]: JSON.stringify(LOCAL_CALLERS) });
    }
  }, 30_000);

  it('names what is wrong in a bad request', async () => {
    const noTypes = await h.http('PUT', '/v1/subscriptions', { body: { codes: ['HK.00700'] } });
    expect(noTypes.status).toBe(400);
    expect(noTypes.body.error.message).toMatch(/^types: expected at least one of BASIC, ORDER_BOOK/);
    const badType = await h.http('PUT', '/v1/subscriptions', { body: { codes: ['HK.00700'], types: ['QUOTES'] } });
    expect(badType.body.error.message).toMatch(/types\[0\]: expected one of .* got "QUOTES"/);
    const extra = await h.http('PUT', '/v1/subscriptions', { body: { codes: ['HK.00700'], types: ['BASIC'], push: true } });
    expect(extra.body.error.message).toMatch(/unknown field\(s\) push; allowed: codes, types/);
    const badCode = await h.http('DELETE', '/v1/subscriptions?codes=XX.1&types=BASIC');
    expect(badCode.status).toBe(400);
    expect(badCode.body.error.message).toMatch(/^codes/);
  }, 30_000);
});
