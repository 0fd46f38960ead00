// The relay's own alarm: it gives up unlocking after a few wrong trade passwords and reports UnlockFailed = 1
// in its EMF line (gateway-container/relay/http.ts); the alarm tells the operator to fix the secret.
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../cdk/definitions.js';
import { logicalId, resourcesOf, synthesize, type Synthesized } from './synth.js';

let live: Synthesized;
beforeAll(() => {
  live = synthesize({ openDSha256: 'ab'.repeat(32), alarmEmail: 'ops@example.com' });
});

describe('relay alarms', () => {
  it('alarms on UnlockFailed ≥ 1 from the relay and notifies the alerts topic', () => {
    const alarms = resourcesOf(live.template, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties!['MetricName'] === 'UnlockFailed');
    expect(alarms).toHaveLength(1);
    const p = alarms[0]![1].Properties!;
    expect(p).toMatchObject({
      Namespace: METRICS.namespace,
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(p['AlarmDescription']).toMatch(/trade password secret.*restart/);
    expect(p['AlarmActions']).toEqual([{ Ref: logicalId(live.stack.events.topics.alerts) }]);
  });
});
