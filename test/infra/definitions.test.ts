import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchesEventPattern, validateEventPattern } from '../../bin/local/event-pattern.js';
import {
  ConfigError,
  DEFAULT_CONFIG,
  DETAIL_TYPES,
  EVENT_RULES,
  EVENT_SOURCE,
  FUNCTIONS,
  FUNCTION_ENV,
  FUNCTION_IDS,
  GATEWAY,
  GATEWAY_ENV,
  LOGIN_SECRET_FIELDS,
  MARKET_TIME_ZONES,
  ROUTES,
  SCHEDULES,
  SUB_TYPES,
  TABLE_ENV,
  eventRules,
  isSecretPlaceholder,
  loadConfig,
  priceAlertRules,
  routeList,
  schedules,
} from '../../cdk/definitions.js';
import { REPO_ROOT } from '../../cdk/stack.js';
import { DETAIL_TYPES as PROTO_DETAIL_TYPES, DEFAULT_EVENT_SOURCE } from '../../proto/events.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { SECRET_VALUE_VARS, readSettingsFromEnv } from '../../gateway-container/opend-config.js';
import { loadRuntimeConfig } from '../../functions/lib/runtime.js';
import { TABLE_ENV as RUNTIME_TABLE_ENV } from '../../functions/lib/tables.js';

const event = (detailType: string, detail: Record<string, unknown>) => ({
  version: '0',
  id: '1',
  source: EVENT_SOURCE,
  'detail-type': detailType,
  account: '123456789012',
  time: '2026-07-01T02:00:00Z',
  region: 'ap-east-1',
  resources: [],
  detail,
});

describe('event contract', () => {
  it('lists the same detail-types and source as the relay publishes (proto/events.ts)', () => {
    expect([...DETAIL_TYPES].sort()).toEqual(Object.values(PROTO_DETAIL_TYPES).sort());
    expect(EVENT_SOURCE).toBe(DEFAULT_EVENT_SOURCE);
  });

  it('lists the subscription types the relay accepts (Qot_Common.SubType without NONE)', () => {
    expect([...SUB_TYPES].sort()).toEqual(Object.keys(Qot_Common.SubType).filter((k) => k !== 'NONE').sort());
  });

  it('has rule patterns the local EventBridge accepts', () => {
    for (const [name, rule] of Object.entries(eventRules({ priceAlerts: [{ security: 'HK.00700', above: 400, below: 300 }] }))) {
      expect(() => validateEventPattern(rule.eventPattern), name).not.toThrow();
    }
  });

  it('sends order updates and fills, and nothing else, to the order-events function', () => {
    const pattern = EVENT_RULES.orderEvents.eventPattern;
    expect(matchesEventPattern(pattern, event('Order Update', { orderId: '1' }))).toBe(true);
    expect(matchesEventPattern(pattern, event('Order Fill', { fillId: '1' }))).toBe(true);
    expect(matchesEventPattern(pattern, event('Quote', { price: 1 }))).toBe(false);
  });

  it('alerts when the gateway reports it is not ready, not when it is', () => {
    const pattern = EVENT_RULES.gatewayNotReady.eventPattern;
    expect(matchesEventPattern(pattern, event('Gateway State', { ready: false }))).toBe(true);
    expect(matchesEventPattern(pattern, event('Gateway State', { ready: true }))).toBe(false);
  });

  it('fires a price alert on its security’s Price Reminder at either bound, not on Quotes or other reminders', () => {
    const [rule] = Object.values(priceAlertRules([{ security: 'HK.00700', above: 400, below: 300.12345 }]));
    const reminder = (security: string, reminderType: string, setValue: number) =>
      event('Price Reminder', { security, market: 'HK', code: security.slice(3), reminderType, setValue, curValue: setValue, price: setValue });
    expect(matchesEventPattern(rule!.eventPattern, reminder('HK.00700', 'PRICE_UP', 400))).toBe(true);
    // Futu keeps 3 decimals of a reminder value: the event carries 300.123.
    expect(matchesEventPattern(rule!.eventPattern, reminder('HK.00700', 'PRICE_DOWN', 300.123))).toBe(true);
    expect(matchesEventPattern(rule!.eventPattern, reminder('HK.00700', 'PRICE_UP', 300.123))).toBe(false);
    expect(matchesEventPattern(rule!.eventPattern, reminder('HK.00700', 'PRICE_UP', 410))).toBe(false);
    expect(matchesEventPattern(rule!.eventPattern, reminder('HK.09988', 'PRICE_UP', 400))).toBe(false);
    // A Quote beyond the bound is not an alert any more: the reminder fires once per crossing instead.
    expect(matchesEventPattern(rule!.eventPattern, event('Quote', { security: 'HK.00700', market: 'HK', code: '00700', price: 450 }))).toBe(false);
    expect(rule!.target).toEqual({ kind: 'topic', topic: 'alerts' });
    const [upOnly] = Object.values(priceAlertRules([{ security: 'US.AAPL', above: 250, frequency: 'ALWAYS' }]));
    expect(matchesEventPattern(upOnly!.eventPattern, event('Price Reminder', { security: 'US.AAPL', reminderType: 'PRICE_UP', setValue: 250 }))).toBe(true);
    expect(upOnly!.description).toBe('Price alert: US.AAPL ≥ 250 (ALWAYS)');
  });
});

describe('functions and routes', () => {
  it('has a handler file for every function', () => {
    for (const functionId of FUNCTION_IDS) expect(existsSync(join(REPO_ROOT, FUNCTIONS[functionId].entry)), functionId).toBe(true);
  });

  it('keeps the OpenD connections of all functions far below the 128 OpenD accepts', () => {
    const connections = FUNCTION_IDS.filter((id) => FUNCTIONS[id].needsOpenD).reduce((sum, id) => sum + FUNCTIONS[id].reservedConcurrency, 0);
    expect(connections).toBeLessThanOrEqual(64);
  });

  it('names the environment variables the way the Lambda runtime reads them', () => {
    expect(RUNTIME_TABLE_ENV).toEqual(TABLE_ENV);
    const config = loadRuntimeConfig({
      [FUNCTION_ENV.openDHost]: 'opend.opend-cloud.local',
      [FUNCTION_ENV.openDPort]: String(GATEWAY.apiPort),
      [FUNCTION_ENV.rsaKeySecretArn]: 'arn:aws:secretsmanager:ap-east-1:123456789012:secret:rsa',
      [TABLE_ENV.orders]: 'Stack-orders',
    });
    expect(config).toMatchObject({
      openDHost: 'opend.opend-cloud.local',
      openDPort: GATEWAY.apiPort,
      rsaKey: { secretArn: 'arn:aws:secretsmanager:ap-east-1:123456789012:secret:rsa' },
      tables: { orders: 'Stack-orders' },
    });
  });

  it('splits route keys into method and path', () => {
    const routes = routeList();
    expect(routes).toHaveLength(Object.keys(ROUTES).length);
    expect(routes).toContainEqual({
      routeKey: 'PATCH /v1/accounts/{accId}/orders/{orderId}',
      method: 'PATCH',
      path: '/v1/accounts/{accId}/orders/{orderId}',
      function: 'orders',
    });
  });
});

describe('schedules', () => {
  it('runs the default DCA strategies dry, in their market time zone', () => {
    for (const schedule of Object.values(SCHEDULES)) {
      if (schedule.function === 'strategyDca') expect((schedule.input as { dryRun?: boolean }).dryRun).toBe(true);
      expect(schedule.timeZone).toBe(MARKET_TIME_ZONES[schedule.market]);
    }
  });

  it('merges overrides by name and keeps only the configured markets', () => {
    const merged = schedules({ markets: ['HK'], schedules: { dcaHk: { enabled: false, expression: 'cron(30 9 ? * MON-FRI *)' } } });
    expect(Object.keys(merged)).toEqual(['dcaHk', 'settleHk']);
    expect(merged['dcaHk']).toMatchObject({ enabled: false, expression: 'cron(30 9 ? * MON-FRI *)', timeZone: 'Asia/Hong_Kong' });
  });

  it('moves a schedule to the clock of the market it is moved to', () => {
    const merged = schedules({ markets: ['HK', 'US', 'JP'], schedules: { dcaUs: { market: 'JP' } } });
    expect(merged['dcaUs']!.timeZone).toBe('Asia/Tokyo');
  });

  it('refuses a new schedule that leaves fields out', () => {
    expect(() => schedules({ markets: ['HK'], schedules: { nightly: { enabled: true } } })).toThrow(/Schedule "nightly" is new and needs function/);
  });
});

describe('loadConfig', () => {
  it('defaults to the real OpenD 10.9.6918 for Futu, tables named after the stack', () => {
    const config = loadConfig({}, {});
    expect(config).toMatchObject({ brand: 'futu', openDMode: 'opend', openDVersion: '10.9.6918', tablePrefix: 'OpenDCloud' });
    expect(config.alarmEmail).toBeUndefined();
  });

  it('lets context (strings from -c key=value) override the config file', () => {
    const config = loadConfig(
      {
        openDMode: 'simulator',
        markets: 'HK, US',
        reservedConcurrency: 'false',
        archiveRetentionDays: '30',
        subscriptions: '[{"codes":["HK.00700"],"types":["BASIC","TICKER"]}]',
        stackName: 'OpenDPaper',
      },
      { brand: 'moomoo', openDMode: 'opend' },
    );
    expect(config).toMatchObject({
      brand: 'moomoo',
      openDMode: 'simulator',
      markets: ['HK', 'US'],
      reservedConcurrency: false,
      archiveRetentionDays: 30,
      subscriptions: [{ codes: ['HK.00700'], types: ['BASIC', 'TICKER'] }],
      stackName: 'OpenDPaper',
      tablePrefix: 'OpenDPaper',
    });
  });

  it('says which value is wrong and what would be right', () => {
    expect(() => loadConfig({ brand: 'fut' }, {})).toThrow(new ConfigError('context "brand": expected one of futu, moomoo, got "fut"'));
    expect(() => loadConfig({}, { markets: ['HK', 'XX' as never] })).toThrow(/cdk\/config.ts "markets": expected a non-empty list of HK, US/);
    expect(() => loadConfig({ subscriptions: '[{"codes":["00700"],"types":["BASIC"]}]' }, {})).toThrow(/not a security like "HK.00700"/);
    expect(() => loadConfig({}, { priceAlerts: [{ security: 'HK.00700' }] })).toThrow(/needs "above", "below" or both/);
    expect(() => loadConfig({ logRetentionDays: '10' }, {})).toThrow(/one of 1, 3, 5, 7, 14, 30/);
    expect(() => loadConfig({}, { colour: 'red' } as never)).toThrow(/unknown key "colour"/);
  });

  it('has a default for every key but the optional alarm email', () => {
    expect(Object.keys(DEFAULT_CONFIG)).not.toContain('alarmEmail');
  });
});

describe('gateway contract', () => {
  it('injects the secrets under the names the gateway entrypoint stages', () => {
    const valueVars = SECRET_VALUE_VARS.map((v) => v.valueVar as string);
    for (const name of [GATEWAY_ENV.secretLogin, GATEWAY_ENV.secretRsaPrivateKey, GATEWAY_ENV.secretTradePasswordMd5]) {
      expect(valueVars).toContain(name);
    }
  });

  it('shapes the login secret the way the entrypoint parses it', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    const files: Record<string, string> = {
      '/run/opend/login.json': JSON.stringify({ [LOGIN_SECRET_FIELDS.account]: 'me@example.com', [LOGIN_SECRET_FIELDS.passwordMd5]: 'e10adc3949ba59abbe56e057f20f883e' }),
      '/run/opend/opend-rsa.pem': pem,
    };
    const settings = readSettingsFromEnv(
      { [GATEWAY_ENV.mode]: 'opend', OPEND_LOGIN_SECRET_FILE: '/run/opend/login.json', OPEND_RSA_KEY_FILE: '/run/opend/opend-rsa.pem' },
      (path) => files[path]!,
    );
    expect(settings.opend).toMatchObject({ loginAccount: 'me@example.com', loginPasswordMd5: 'e10adc3949ba59abbe56e057f20f883e' });
    expect(settings.apiPort).toBe(GATEWAY.apiPort);
  });

  it('uses the user and state folders the gateway image creates', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'gateway-container/Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`--uid ${GATEWAY.uid}`);
    expect(dockerfile).toContain(`--gid ${GATEWAY.gid}`);
    for (const dir of Object.values(GATEWAY.stateDirs)) expect(dockerfile).toContain(dir);
    expect(dockerfile).toMatch(new RegExp(`EXPOSE .*${GATEWAY.apiPort}.*${GATEWAY.healthPort}`));
  });
});

describe('secret placeholders', () => {
  it('treats the deployed placeholder and empty values as not configured', () => {
    expect(isSecretPlaceholder('REPLACE_ME')).toBe(true);
    expect(isSecretPlaceholder(' ')).toBe(true);
    expect(isSecretPlaceholder('-----BEGIN RSA PRIVATE KEY-----')).toBe(false);
  });
});
