// The deployment configuration's zod schema and the subscription schema it shares with the relay: one rule for
// what `subscriptions` / RELAY_SUBSCRIPTIONS accept, defaults from the schema, and errors that name the source,
// the key (with its path) and what is allowed.
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, CONFIG_SCHEMA, ConfigError, DEFAULT_CONFIG, loadConfig } from '../../cdk/config-schema.js';
import { parseSubscriptionsJson, SUB_TYPES } from '../../gateway-container/subscription-schema.js';

/** What the relay says about RELAY_SUBSCRIPTIONS, or 'ok'. */
function relayVerdict(value: unknown): string {
  try {
    parseSubscriptionsJson(JSON.stringify(value));
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

/** What loadConfig says about the same value as `subscriptions` in context, or 'ok'. */
function cdkVerdict(value: unknown): string {
  try {
    loadConfig({ subscriptions: JSON.stringify(value) }, {});
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('subscriptions: one schema for the CDK app and the relay', () => {
  const cases: [string, unknown][] = [
    ['a valid list', [{ codes: ['HK.00700', 'US.AAPL'], types: ['BASIC', 'TICKER'] }]],
    ['an empty list', []],
    ['a code without a market', [{ codes: ['00700'], types: ['BASIC'] }]],
    ['an unknown market', [{ codes: ['XX.1'], types: ['BASIC'] }]],
    ['a malformed HK code', [{ codes: ['HK.7A'], types: ['BASIC'] }]],
    ['an unknown type', [{ codes: ['HK.00700'], types: ['BASICS'] }]],
    ['the protocol-only NONE type', [{ codes: ['HK.00700'], types: ['NONE'] }]],
    ['no codes', [{ codes: [], types: ['BASIC'] }]],
    ['no types', [{ codes: ['HK.00700'], types: [] }]],
    ['a misspelt field', [{ codes: ['HK.00700'], types: ['BASIC'], type: ['RT'] }]],
    ['an object instead of a list', { codes: ['HK.00700'], types: ['BASIC'] }],
    ['a number as a code', [{ codes: [700], types: ['BASIC'] }]],
  ];
  it.each(cases)('accept or refuse alike, with the same reason: %s', (_name, value) => {
    const relay = relayVerdict(value);
    const cdk = cdkVerdict(value);
    expect(relay === 'ok').toBe(cdk === 'ok');
    // Same reason after the location prefix ("RELAY_SUBSCRIPTIONS[0].codes[0]: …" vs 'context "subscriptions[0].codes[0]": …').
    if (relay !== 'ok') expect(relay.slice(relay.indexOf(': '))).toBe(cdk.slice(cdk.indexOf(': ')));
  });

  it('names the element, the value and what is allowed', () => {
    expect(relayVerdict([{ codes: ['HK.00700'], types: ['BASIC'] }, { codes: ['00700'], types: ['BASIC'] }])).toMatch(
      /^RELAY_SUBSCRIPTIONS\[1\]\.codes\[0\]: "00700" is not a security like "HK.00700" or "US.AAPL" \("00700" needs a market prefix; allowed: HK, US/,
    );
    expect(cdkVerdict([{ codes: ['HK.00700'], types: ['TICK'] }])).toBe(`context "subscriptions[0].types[0]": expected one of ${SUB_TYPES.join(', ')}, got "TICK"`);
    expect(relayVerdict([{ codes: ['HK.00700'], types: ['BASIC'], type: ['RT'] }])).toBe('RELAY_SUBSCRIPTIONS[0]: unknown field(s) type; allowed: codes, types');
  });

  it('normalises a code to its canonical form in both places', () => {
    expect(parseSubscriptionsJson('[{"codes":["hk.00700"],"types":["BASIC"]}]')).toEqual([{ codes: ['HK.00700'], types: ['BASIC'] }]);
    expect(loadConfig({}, { subscriptions: [{ codes: ['us.AAPL'], types: ['RT'] }] }).subscriptions).toEqual([{ codes: ['US.AAPL'], types: ['RT'] }]);
  });

  it('treats an unset or blank RELAY_SUBSCRIPTIONS as none and refuses text that is not JSON', () => {
    expect(parseSubscriptionsJson(undefined)).toEqual([]);
    expect(parseSubscriptionsJson('  ')).toEqual([]);
    expect(() => parseSubscriptionsJson('[{codes:1}]')).toThrow(/^RELAY_SUBSCRIPTIONS is not JSON \(.*\); give a list like \[\{"codes"/);
  });
});

describe('CONFIG_SCHEMA', () => {
  it('is where the defaults come from, and lists every key (the optional ones have no default)', () => {
    expect(DEFAULT_CONFIG).toEqual(CONFIG_SCHEMA.parse({}));
    expect(DEFAULT_CONFIG.markets).toEqual(['HK', 'US']);
    expect(DEFAULT_CONFIG.gatewayCpu).toBe(1024);
    expect(DEFAULT_CONFIG.riskLimits.accounts).toEqual({});
    expect(CONFIG_KEYS).toEqual(expect.arrayContaining(['alarmEmail', 'openDSha256', 'openDUrl', 'callers', 'riskLimits']));
    for (const key of ['alarmEmail', 'openDSha256', 'openDUrl']) expect(DEFAULT_CONFIG).not.toHaveProperty(key);
  });

  it('keeps a layer to the keys it sets: a context value replaces only its own key', () => {
    const config = loadConfig({ brand: 'moomoo' }, { markets: ['HK'], stackName: 'Paper' });
    expect(config).toMatchObject({ brand: 'moomoo', markets: ['HK'], stackName: 'Paper', tablePrefix: 'Paper', openDMode: 'opend' });
  });

  it('words a wrong value as source, key path, what is allowed and what it got', () => {
    const message = (context: Record<string, unknown>, file: Record<string, unknown> = {}) => {
      try {
        loadConfig(context, file);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected loadConfig to refuse the value');
    };
    expect(message({ archiveRetentionDays: '2.5' })).toBe('context "archiveRetentionDays": expected a whole number of days ≥ 0 (0 = forever), got 2.5');
    expect(message({}, { stackName: '1stack' })).toBe('cdk/config.ts "stackName": expected a CloudFormation stack name (letters, digits, hyphens; starting with a letter), got "1stack"');
    expect(message({ schedules: '{"dcaHk":{"enable":false}}' })).toBe(
      'context "schedules.dcaHk": unknown field(s) enable; allowed: function, description, market, expression, timeZone, input, enabled',
    );
    expect(message({ schedules: '{"dcaHk":{"timeZone":"Asia/Hongkong_Island"}}' })).toBe(
      'context "schedules.dcaHk.timeZone": expected an IANA time zone like "Asia/Hong_Kong", got "Asia/Hongkong_Island"',
    );
    expect(loadConfig({ schedules: '{"dcaHk":{"timeZone":"Asia/Singapore"}}' }, {}).schedules['dcaHk']?.timeZone).toBe('Asia/Singapore');
    expect(message({ schedules: '{"dcaHk":{"market":"UK"}}' })).toMatch(/^context "schedules.dcaHk.market": expected one of HK, US, .*, got "UK"$/);
    expect(message({}, { priceAlerts: [{ security: 'HK.00700', above: 1 }, { security: 'HK.00700', below: 1 }] })).toBe(
      'cdk/config.ts "priceAlerts[1]": a second alert for HK.00700; put both bounds in one alert',
    );
    expect(message({}, { priceAlerts: [{ security: 'HK.00700', abov: 1 }] })).toBe('cdk/config.ts "priceAlerts[0]": unknown field(s) abov; allowed: security, above, below, frequency');
    expect(message({}, { priceAlerts: [{ security: 'HK.00700', above: 1, frequency: 'HOURLY' }] })).toBe('cdk/config.ts "priceAlerts[0].frequency": expected one of ONCE_A_DAY, ALWAYS, ONLY_ONCE, got "HOURLY"');
    expect(message({}, { priceAlerts: [{ security: 'HK.00700', below: -3 }] })).toBe('cdk/config.ts "priceAlerts[0].below": expected a price above 0, got -3');
    expect(message({ callers: '[{"principal":"*","accounts":"*"}]' })).toBe('context "callers"[0].rights: expected a non-empty list of read, trade, tradeReal, gateway, subscriptions, got undefined');
    expect(message({ openDUrl: 'http://example.com/x.tar.gz' })).toBe('context "openDUrl": expected an https:// URL of the OpenD tarball, got "http://example.com/x.tar.gz"');
    expect(message({ archiveDetailTypes: '["Order Update",""]' })).toBe('context "archiveDetailTypes": expected a list of detail-types, got ["Order Update",""]');
  });
});
