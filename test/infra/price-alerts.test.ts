// What the CDK app deploys for configured price alerts: the gateway task gets them (RELAY_PRICE_ALERTS, which the
// relay parses with the same rules) to keep as Futu price reminders, and each alert's rule matches its
// reminders' Price Reminder events, not Quotes.
import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../cdk/definitions.js';
import { parsePriceAlertsJson, PRICE_ALERTS_ENV } from '../../gateway-container/relay/price-alerts-sync.js';
import { logicalId, resourcesOf, synthesize } from './synth.js';

const ALERTS = [
  { security: 'HK.00700', above: 400, below: 300 },
  { security: 'US.AAPL', above: 250.1239, frequency: 'ALWAYS' as const },
];
const { stack, template } = synthesize({ priceAlerts: ALERTS });

describe('price alerts in the stack', () => {
  it('hands the configured alerts to the gateway task, as the relay reads them', () => {
    const [, task] = resourcesOf(template, 'AWS::ECS::TaskDefinition')[0]!;
    const env = Object.fromEntries((task.Properties!['ContainerDefinitions'][0].Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
    expect(parsePriceAlertsJson(String(env[PRICE_ALERTS_ENV]))).toEqual(ALERTS);
  });

  it('routes each alert’s Price Reminder events, at the values Futu keeps, to the alerts topic', () => {
    const topic = logicalId(stack.events.topics.alerts);
    const rules = resourcesOf(template, 'AWS::Events::Rule').map(([, r]) => r.Properties!);
    const hk = rules.find((r) => JSON.stringify(r['EventPattern']).includes('HK.00700'))!;
    expect(hk['EventPattern']).toEqual({
      source: [EVENT_SOURCE],
      'detail-type': ['Price Reminder'],
      detail: {
        security: ['HK.00700'],
        $or: [
          { reminderType: ['PRICE_UP'], setValue: [{ numeric: ['=', 400] }] },
          { reminderType: ['PRICE_DOWN'], setValue: [{ numeric: ['=', 300] }] },
        ],
      },
    });
    expect(hk['Targets'][0].Arn).toEqual({ Ref: topic });
    const us = rules.find((r) => JSON.stringify(r['EventPattern']).includes('US.AAPL'))!;
    // Futu keeps 3 decimals of a reminder value and discards the rest.
    expect(us['EventPattern'].detail).toEqual({ security: ['US.AAPL'], reminderType: ['PRICE_UP'], setValue: [{ numeric: ['=', 250.123] }] });
    expect(rules.some((r) => JSON.stringify(r['EventPattern']).includes('"Quote"') && r['Targets'][0].Arn?.Ref === topic)).toBe(false);
  });
});
