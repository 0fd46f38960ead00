// What the CDK app deploys for runtime subscriptions and the publish policy: the relay gets the policy and the
// subscriptions table's name with Query on that table only, and the subscriptions function gets the
// deploy-time set and the quotes API's headroom.
import { describe, expect, it } from 'vitest';
import { QUOTE_RESERVE_MARGIN } from '../../cdk/quote-reserve.js';
import { HEADROOM_ENV } from '../../functions/lib/subscription-store.js';
import { TABLE_ENV } from '../../functions/lib/tables.js';
import { parsePublishPolicyJson } from '../../gateway-container/publish-policy-schema.js';
import { logicalId, resourcesOf, synthesize } from './synth.js';

const SUBSCRIPTIONS = [{ codes: ['HK.00700'], types: ['BASIC' as const] }];
const { stack, template } = synthesize({ subscriptions: SUBSCRIPTIONS, publishPolicy: { Quote: { enabled: true, maxPerSecurityPerSecond: 0.5 } } as never });

function envOf(props: Record<string, any>): Record<string, unknown> {
  return Object.fromEntries((props['ContainerDefinitions'][0].Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
}

describe('runtime subscriptions and publish policy in the stack', () => {
  it('gives the relay the configured policy and the subscriptions table, with Query on it and nothing more', () => {
    const [, task] = resourcesOf(template, 'AWS::ECS::TaskDefinition')[0]!;
    const env = envOf(task.Properties!);
    const policy = parsePublishPolicyJson(String(env['RELAY_PUBLISH_POLICY']));
    expect(policy.Quote).toEqual({ enabled: true, maxPerSecurityPerSecond: 0.5 });
    expect(policy.Ticker).toEqual({ enabled: true, maxPerSecurityPerSecond: 1 });
    expect(env[TABLE_ENV.subscriptions]).toBeDefined();

    const table = logicalId(stack.data.tables.subscriptions);
    const taskRole = logicalId(stack.gateway.taskDefinition.taskRole);
    const onTable: string[] = [];
    for (const [, policyResource] of resourcesOf(template, 'AWS::IAM::Policy')) {
      if (!JSON.stringify(policyResource.Properties!['Roles']).includes(taskRole)) continue;
      for (const s of policyResource.Properties!['PolicyDocument'].Statement as { Action: string | string[]; Resource: unknown }[]) {
        if (JSON.stringify(s.Resource).includes(table)) onTable.push(...[s.Action].flat());
      }
    }
    expect(onTable).toEqual(['dynamodb:Query']);
  });

  it('gives the subscriptions function the deploy-time set and the quotes API headroom', () => {
    const fns = resourcesOf(template, 'AWS::Lambda::Function').filter(([, f]) => String(f.Properties!['Description'] ?? '').startsWith('/v1/subscriptions'));
    expect(fns).toHaveLength(1);
    const vars = fns[0]![1].Properties!['Environment'].Variables as Record<string, unknown>;
    expect(JSON.parse(String(vars['RELAY_SUBSCRIPTIONS']))).toEqual(SUBSCRIPTIONS);
    expect(vars[HEADROOM_ENV]).toBe(String(QUOTE_RESERVE_MARGIN));
    expect(vars[TABLE_ENV.subscriptions]).toBeDefined();
  });
});
