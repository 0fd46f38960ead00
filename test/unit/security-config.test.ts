// The callers / riskLimits configuration as a Lambda reads it at cold start, and the principal patterns of
// authorization: what is accepted, what is refused with which message, and that nothing falls back to the
// permissive local defaults inside Lambda.
import { describe, expect, it } from 'vitest';
import { principalMatches, rightsOf } from '../../functions/lib/authorization.js';
import { DEFAULT_RISK_LIMITS, LOCAL_CALLERS, limitsFor, loadSecurityConfig, parseCallers, parseRiskLimits, SECURITY_ENV } from '../../functions/lib/security-config.js';

const CALLERS = JSON.stringify([{ principal: '*', accounts: '*', rights: ['read'] }]);
const LIMITS = JSON.stringify({ default: DEFAULT_RISK_LIMITS });

describe('loadSecurityConfig', () => {
  it('gives the local stack a caller that may do everything and no risk limits when nothing is set', () => {
    expect(loadSecurityConfig({})).toEqual({ callers: LOCAL_CALLERS, riskLimits: undefined });
  });

  it('refuses to start in Lambda without both variables, rather than fall back to the local defaults', () => {
    const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'OpenDCloud-orders' };
    expect(() => loadSecurityConfig(lambda)).toThrow(/OPEND_CALLERS and OPEND_RISK_LIMITS must be set/);
    expect(() => loadSecurityConfig({ ...lambda, [SECURITY_ENV.callers]: CALLERS })).toThrow(/must be set/);
    expect(loadSecurityConfig({ ...lambda, [SECURITY_ENV.callers]: CALLERS, [SECURITY_ENV.riskLimits]: LIMITS }).riskLimits?.default).toEqual(DEFAULT_RISK_LIMITS);
  });

  it('names the variable when its JSON is broken', () => {
    expect(() => loadSecurityConfig({ [SECURITY_ENV.callers]: '[{' })).toThrow(/^OPEND_CALLERS is not valid JSON/);
  });
});

describe('parseCallers and parseRiskLimits', () => {
  it.each([
    [[{ principal: 'alice', accounts: '*', rights: ['read'] }], /principal: expected an IAM principal ARN/],
    [[{ principal: '*', accounts: ['12x'], rights: ['read'] }], /accounts: expected "\*" or a non-empty list of account IDs/],
    [[{ principal: '*', accounts: '*', rights: [] }], /rights: expected a non-empty list of read, trade, tradeReal, gateway/],
    [[{ principal: '*', accounts: '*', rights: ['read'], admin: true }], /unknown field\(s\) admin/],
    [{ principal: '*' }, /expected a list like/],
  ])('refuses %j', (value, message) => {
    expect(() => parseCallers(value)).toThrow(message);
  });

  it('fills a partial default from the conservative defaults only when default is absent, and merges account overrides', () => {
    const cfg = parseRiskLimits({ accounts: { '281756478396547854': { maxQty: 100 } } });
    expect(cfg.default).toEqual(DEFAULT_RISK_LIMITS);
    expect(limitsFor(cfg, '281756478396547854')).toEqual({ ...DEFAULT_RISK_LIMITS, maxQty: 100 });
    expect(limitsFor(cfg, '1')).toEqual(DEFAULT_RISK_LIMITS);
    expect(() => parseRiskLimits({ default: { maxQty: 5 } })).toThrow(/default: missing maxOrderNotional, maxDailyNotional, maxOpenOrders, priceCollarPct/);
    expect(() => parseRiskLimits({ default: { ...DEFAULT_RISK_LIMITS, maxOpenOrders: 2.5 } })).toThrow(/maxOpenOrders: expected a whole number above 0, got 2.5/);
    expect(() => parseRiskLimits({ accounts: { abc: {} } })).toThrow(/account IDs as decimal strings/);
    expect(() => parseRiskLimits({ default: DEFAULT_RISK_LIMITS, extra: 1 })).toThrow(/unknown field\(s\) extra/);
  });
});

describe('principal patterns', () => {
  it('matches * as any run of characters and everything else literally', () => {
    expect(principalMatches('arn:aws:sts::123456789012:assumed-role/bot/*', 'arn:aws:sts::123456789012:assumed-role/bot/i-0abc')).toBe(true);
    expect(principalMatches('arn:aws:sts::123456789012:assumed-role/bot/*', 'arn:aws:sts::123456789012:assumed-role/bot-admin/x')).toBe(false);
    // A dot in a pattern is a dot, not "any character".
    expect(principalMatches('arn:aws:iam::123456789012:user/a.b', 'arn:aws:iam::123456789012:user/aXb')).toBe(false);
    expect(principalMatches('arn:aws:iam::123456789012:user/alice', 'arn:aws:iam::123456789012:user/alice2')).toBe(false);
  });

  it('adds up the rights of every matching grant, per account', () => {
    const callers = parseCallers([
      { principal: 'arn:aws:iam::1:user/*', accounts: '*', rights: ['read'] },
      { principal: 'arn:aws:iam::1:user/bob', accounts: ['42'], rights: ['trade'] },
    ]);
    expect([...rightsOf(callers, 'arn:aws:iam::1:user/bob', '42')].sort()).toEqual(['read', 'trade']);
    expect([...rightsOf(callers, 'arn:aws:iam::1:user/bob', '43')]).toEqual(['read']);
    expect([...rightsOf(callers, 'arn:aws:iam::2:user/bob', '42')]).toEqual([]);
  });
});
