import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildStack } from './synth.js';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Our cdk-nag acknowledgements (aws-cdk-lib records its own for its built-in CloudFormation-Validate rules). */
function acknowledgements(root: IConstruct): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const ruleId = id.replace(/^annotation::/i, '');
        if (ruleId.startsWith('CloudFormation-Validate::')) continue;
        found.push({ path: construct.node.path, id: ruleId, reason });
      }
    }
  }
  return found;
}

function unacknowledgedFindings(stack: Stack): string[] {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}: ${v.description}`));
}

describe('cdk-nag AwsSolutions', () => {
  it('finds no unacknowledged error or warning in a deployment running the real OpenD', () => {
    const { stack } = buildStack({ priceAlerts: [{ security: 'HK.00700', above: 400 }], alarmEmail: 'ops@example.com' });
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });

  it('finds no unacknowledged error or warning in a simulator deployment with reserved concurrency off', () => {
    const { stack } = buildStack({ openDMode: 'simulator', markets: ['US'], reservedConcurrency: false });
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });

  it('acknowledges findings only on specific resources, each with a reason', () => {
    const { app, stack } = buildStack();
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.path, ack.id).not.toBe(stack.node.path);
      expect(ack.path, ack.id).not.toBe(app.node.path);
      expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(60);
    }
  });

  it('acknowledges only the reviewed rules', () => {
    const { app } = buildStack();
    const rules = new Set(acknowledgements(app).map((a) => a.id.replace(/<[A-Za-z0-9]+\.Arn>/g, '<function>')));
    expect([...rules].sort()).toEqual(
      [
        'AwsSolutions-ECS2',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'AwsSolutions-IAM5[Resource::<function>:*]',
        // The WebSocket stream (cdk/constructs/stream.ts): routes after $connect, and postToConnection per connection.
        'AwsSolutions-APIG4',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<StreamWebSocketApi6B037C92>/v1/POST/@connections/*]',
        'AwsSolutions-L1',
        'AwsSolutions-SMG4',
        'AwsSolutions-SQS3',
      ].sort(),
    );
  });

  it('fails synthesis on a new finding, as cdk/app.ts registers it', () => {
    const { app, stack } = buildStack();
    new sqs.Queue(stack, 'UnencryptedQueueWithoutDlq');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/Validation failed|AwsSolutions-SQS/);
  });

  it('lets a clean app synthesize with the checks registered', () => {
    const { app } = buildStack();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    expect(app).toBeInstanceOf(App);
  });
});
