// The publish policy's pure parts: its schema (shared by the CDK configuration and the relay) and the gate that
// limits market-data events per security, on a fake clock.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PUBLISH_POLICY, parsePublishPolicyJson } from '../../gateway-container/publish-policy-schema.js';
import { PublishGate, rateKey, TypeRateMeter } from '../../gateway-container/relay/publish-policy.js';
import { loadConfig } from '../../cdk/config-schema.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('publish policy schema', () => {
  it('defaults every market-data type to one event per second per security', () => {
    expect(parsePublishPolicyJson(undefined)).toEqual(DEFAULT_PUBLISH_POLICY);
    expect(Object.values(DEFAULT_PUBLISH_POLICY).every((p) => p.enabled && p.maxPerSecurityPerSecond === 1)).toBe(true);
  });

  it('merges the fields given over the defaults', () => {
    const p = parsePublishPolicyJson('{"Quote":{"maxPerSecurityPerSecond":0.2},"Ticker":{"enabled":false}}');
    expect(p.Quote).toEqual({ enabled: true, maxPerSecurityPerSecond: 0.2 });
    expect(p.Ticker).toEqual({ enabled: false, maxPerSecurityPerSecond: 1 });
    expect(p.KLine).toEqual(DEFAULT_PUBLISH_POLICY.KLine);
  });

  it('refuses to throttle or turn off order, fill and gateway events', () => {
    for (const t of ['Order Update', 'Order Fill', 'Gateway State', 'Gateway Notice', 'Login Challenge']) {
      expect(() => parsePublishPolicyJson(JSON.stringify({ [t]: { enabled: false } }))).toThrow(`${t} events are always published and never throttled`);
    }
  });

  it('is part of the deployment configuration, with the same refusals', () => {
    expect(loadConfig().publishPolicy).toEqual(DEFAULT_PUBLISH_POLICY);
    expect(loadConfig({}, { publishPolicy: { Quote: { maxPerSecurityPerSecond: 0.5 } } as never }).publishPolicy.Quote).toEqual({ enabled: true, maxPerSecurityPerSecond: 0.5 });
    expect(() => loadConfig({}, { publishPolicy: { 'Order Fill': { enabled: false } } as never })).toThrow(/Order Fill events are always published and never throttled/);
  });

  it('names the field and what is allowed', () => {
    expect(() => parsePublishPolicyJson('{"Quotes":{}}')).toThrow('RELAY_PUBLISH_POLICY.Quotes: unknown DetailType "Quotes"; allowed: Quote, KLine, Ticker, OrderBook, TimeShare, Broker');
    expect(() => parsePublishPolicyJson('{"Quote":{"maxPerSecurityPerSecond":0}}')).toThrow('RELAY_PUBLISH_POLICY.Quote.maxPerSecurityPerSecond: must be above 0 (to stop a type, set "enabled": false)');
    expect(() => parsePublishPolicyJson('{"Quote":{"rate":1}}')).toThrow('RELAY_PUBLISH_POLICY.Quote: unknown field(s) rate; allowed: enabled, maxPerSecurityPerSecond');
    expect(() => parsePublishPolicyJson('{nope')).toThrow(/^RELAY_PUBLISH_POLICY is not JSON/);
  });
});

describe('publish gate', () => {
  const quote = (security: string, price: number) => ({ detailType: 'Quote', detail: { security, price } });

  it('lets one Quote per security per window through, the latest of a burst at the end of the window', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const released: { detail: { security: string; price: number } }[] = [];
    const gate = new PublishGate<ReturnType<typeof quote>>({ policy: { ...DEFAULT_PUBLISH_POLICY, Quote: { enabled: true, maxPerSecurityPerSecond: 2 } }, release: (e) => released.push(e) });
    const admitted: number[] = [];
    // 100 pushes of each of two securities within one second.
    for (let i = 0; i < 100; i++) {
      if (gate.admit(quote('HK.00700', i))) admitted.push(i);
      gate.admit(quote('US.AAPL', i));
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(1_000);
    // 2/s: the first at once, then one per 500 ms window, each the latest at its window's end.
    expect(admitted).toEqual([0]);
    const tencent = released.filter((e) => e.detail.security === 'HK.00700').map((e) => e.detail.price);
    expect(tencent).toEqual([49, 99]);
    expect(gate.metrics.conflated['Quote']).toBe(2 * (100 - 1 - 2));
    expect(gate.held).toBe(0);
    gate.close();
  });

  it('keeps K-line types apart, drops a disabled type and passes events without a security', () => {
    vi.useFakeTimers({ now: 0 });
    const gate = new PublishGate({ policy: { ...DEFAULT_PUBLISH_POLICY, Ticker: { enabled: false, maxPerSecurityPerSecond: 1 } }, release: () => undefined });
    expect(gate.admit({ detailType: 'KLine', detail: { security: 'HK.00700', klType: 'K_1M' } })).toBe(true);
    expect(gate.admit({ detailType: 'KLine', detail: { security: 'HK.00700', klType: 'K_DAY' } })).toBe(true);
    expect(gate.admit({ detailType: 'KLine', detail: { security: 'HK.00700', klType: 'K_1M' } })).toBe(false);
    expect(gate.admit({ detailType: 'Ticker', detail: { security: 'HK.00700' } })).toBe(false);
    expect(gate.metrics.suppressed['Ticker']).toBe(1);
    expect(gate.admit({ detailType: 'Order Update', detail: { security: 'HK.00700' } })).toBe(true);
    expect(rateKey('Quote', { price: 1 })).toBeUndefined();
    gate.close();
  });

  it('drops what it holds when closed', () => {
    vi.useFakeTimers({ now: 0 });
    const released: unknown[] = [];
    const gate = new PublishGate({ policy: DEFAULT_PUBLISH_POLICY, release: (e) => released.push(e) });
    gate.admit(quote('HK.00700', 1));
    gate.admit(quote('HK.00700', 2));
    gate.close();
    vi.advanceTimersByTime(5_000);
    expect(released).toEqual([]);
  });
});

describe('type rate meter', () => {
  it('averages events per second by DetailType over the last whole seconds', () => {
    let now = 10_000;
    const m = new TypeRateMeter({ windowS: 10, now: () => now });
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 3; i++) m.add('Quote');
      m.add('Order Update');
      now += 1_000;
    }
    expect(m.perSecond()).toEqual({ Quote: 3, 'Order Update': 1 });
    now += 20_000;
    expect(m.perSecond()).toEqual({});
  });
});
