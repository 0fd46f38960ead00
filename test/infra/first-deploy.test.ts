// What a first `cdk deploy` into a fresh account needs from the template: alarms that can reach their topic,
// tables and file systems that do not block a retried create, a service that waits for EFS, reservations that
// a low-quota account accepts, Fargate sizes AWS accepts, scheduled strategies that are not run hours late.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, FUNCTION_IDS, FUNCTIONS, GATEWAY_ENV, loadConfig, type OpenDCloudConfig } from '../../cdk/definitions.js';
import { FARGATE_SIZES, fargateMemoryChoices } from '../../cdk/fargate-sizes.js';
import { App } from 'aws-cdk-lib';
import { FEATURE_FLAGS, OpenDCloudStack, REPO_ROOT } from '../../cdk/stack.js';
import { RETAINED_TABLES } from '../../cdk/constructs/data.js';
import { TABLE_IDS, tableNames } from '../../functions/lib/tables.js';
import { buildStack, logicalId, resourcesOf, synthesize, type Synthesized } from './synth.js';

let live: Synthesized;
let paper: Synthesized;

beforeAll(() => {
  live = synthesize({ openDSha256: 'ab'.repeat(32), alarmEmail: 'ops@example.com' });
  paper = synthesize({ openDMode: 'simulator', markets: ['HK'] });
});

const ref = (id: string) => ({ Ref: id });

/** Every statement of every policy document of `type` resources. */
function statements(s: Synthesized, type: string, property: string): Record<string, any>[] {
  return resourcesOf(s.template, type).flatMap(([, r]) => r.Properties![property].Statement as Record<string, any>[]);
}

function principalsOf(statement: Record<string, any>): string[] {
  const p = statement['Principal'];
  if (p === undefined || p === '*') return [];
  return [p.Service ?? [], p.AWS ?? []].flat();
}

describe('alarm notifications', () => {
  it('lets CloudWatch publish to the alerts topic, only for this account and this stack’s alarms', () => {
    const topic = logicalId(live.stack.events.topics.alerts);
    const policy = resourcesOf(live.template, 'AWS::SNS::TopicPolicy').find(([, p]) => JSON.stringify(p.Properties!['Topics']) === JSON.stringify([ref(topic)]));
    expect(policy, 'the alerts topic has a policy').toBeDefined();
    const allow = (policy![1].Properties!['PolicyDocument'].Statement as Record<string, any>[]).find((s) => principalsOf(s).includes('cloudwatch.amazonaws.com'));
    expect(allow).toMatchObject({ Effect: 'Allow', Action: 'sns:Publish', Resource: ref(topic) });
    expect(allow!['Condition']['StringEquals']).toEqual({ 'aws:SourceAccount': ref('AWS::AccountId') });
    const arnPattern = JSON.stringify(allow!['Condition']['ArnLike']['aws:SourceArn']);
    expect(arnPattern).toContain(':cloudwatch:');
    expect(arnPattern).toContain(`:alarm:${live.stack.stackName}-*`);
  });

  it('names every alarm so that the topic policy’s alarm pattern covers it', () => {
    const alarms = resourcesOf(live.template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const [id, alarm] of alarms) expect(alarm.Properties!['AlarmName'], id).toMatch(new RegExp(`^${live.stack.stackName}-`));
  });

  it('lets CloudWatch use the topic key under the same conditions, and never names EventBridge as a principal', () => {
    const keyStatements = statements(live, 'AWS::KMS::Key', 'KeyPolicy');
    const cloudwatch = keyStatements.find((s) => principalsOf(s).includes('cloudwatch.amazonaws.com'));
    expect(cloudwatch!['Action']).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(cloudwatch!['Condition']['StringEquals']).toEqual({ 'aws:SourceAccount': ref('AWS::AccountId') });
    expect(JSON.stringify(cloudwatch!['Condition']['ArnLike']['aws:SourceArn'])).toContain(`:alarm:${live.stack.stackName}-*`);
    const servicePrincipals = [...keyStatements, ...statements(live, 'AWS::SNS::TopicPolicy', 'PolicyDocument')].flatMap(principalsOf);
    expect(servicePrincipals).not.toContain('events.amazonaws.com');
    // Every Allow to a service principal carries a source condition.
    for (const s of [...keyStatements, ...statements(live, 'AWS::SNS::TopicPolicy', 'PolicyDocument')]) {
      if (s['Effect'] === 'Allow' && s['Principal']?.Service !== undefined) expect(s['Condition']?.['StringEquals']?.['aws:SourceAccount'], JSON.stringify(s)).toBeDefined();
    }
  });

  it('publishes EventBridge rule deliveries to the topics through an IAM role', () => {
    const topicIds = Object.values(live.stack.events.topics).map((t) => logicalId(t));
    const snsTargets = resourcesOf(live.template, 'AWS::Events::Rule')
      .flatMap(([, r]) => r.Properties!['Targets'] as Record<string, any>[])
      .filter((t) => topicIds.includes(t['Arn']?.Ref));
    expect(snsTargets.length).toBeGreaterThan(0);
    for (const target of snsTargets) expect(target['RoleArn'], JSON.stringify(target)).toBeDefined();
  });
});

describe('a first create that rolls back can be retried', () => {
  it('keeps and protects the orders, fills and idempotency tables under generated names', () => {
    expect([...RETAINED_TABLES].sort()).toEqual(['fills', 'idempotency', 'orders']);
    const names = tableNames(live.config.tablePrefix);
    const resources = live.template.toJSON().Resources;
    for (const tableId of TABLE_IDS) {
      const table = resources[logicalId(live.stack.data.tables[tableId])];
      if (RETAINED_TABLES.includes(tableId)) {
        expect(table.DeletionPolicy, tableId).toBe('Retain');
        expect(table.UpdateReplacePolicy, tableId).toBe('Retain');
        expect(table.Properties.DeletionProtectionEnabled, tableId).toBe(true);
        // A fixed name would make the next create fail with "already exists".
        expect(table.Properties.TableName, tableId).toBeUndefined();
      } else {
        expect(table.DeletionPolicy, tableId).toBe('Delete');
        expect(table.Properties.TableName, tableId).toBe(names[tableId]);
      }
    }
  });

  it("removes OpenD's EFS state when a first create rolls back, keeps it when the stack is deleted", () => {
    const fileSystems = resourcesOf(live.template, 'AWS::EFS::FileSystem');
    expect(fileSystems).toHaveLength(1);
    expect(fileSystems[0]![1].DeletionPolicy).toBe('RetainExceptOnCreate');
  });
});

describe('gateway service', () => {
  it('is created only after every EFS mount target', () => {
    const mountTargets = resourcesOf(live.template, 'AWS::EFS::MountTarget').map(([id]) => id);
    expect(mountTargets).toHaveLength(2);
    const service = live.template.toJSON().Resources[logicalId(live.stack.gateway.service)];
    expect(service.DependsOn).toEqual(expect.arrayContaining(mountTargets));
  });

  it('in simulator mode may store the RSA key it generates in that one secret, and nothing else', () => {
    const secret = ref(logicalId(paper.stack.data.rsaKeySecret));
    const taskRole = logicalId(paper.stack.gateway.taskDefinition.taskRole);
    const policies = resourcesOf(paper.template, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties!['Roles']).includes(taskRole));
    const puts = policies.flatMap(([, p]) => p.Properties!['PolicyDocument'].Statement as Record<string, any>[]).filter((s) => JSON.stringify(s['Action']).includes('secretsmanager:'));
    expect(puts).toEqual([expect.objectContaining({ Action: 'secretsmanager:PutSecretValue', Effect: 'Allow', Resource: secret })]);
    const [container] = resourcesOf(paper.template, 'AWS::ECS::TaskDefinition')[0]![1].Properties!['ContainerDefinitions'] as Record<string, any>[];
    expect(container!['Environment']).toEqual(expect.arrayContaining([{ Name: GATEWAY_ENV.rsaKeySecretArn, Value: secret }]));
  });

  it('with the real OpenD gets no write access to any secret', () => {
    expect(JSON.stringify(live.template.findResources('AWS::IAM::Policy'))).not.toContain('secretsmanager:PutSecretValue');
  });

  it("tells the relay where OpenD's state folder (and so the picture challenge) is", () => {
    const [container] = resourcesOf(live.template, 'AWS::ECS::TaskDefinition')[0]![1].Properties!['ContainerDefinitions'] as Record<string, any>[];
    expect(container!['Environment']).toEqual(expect.arrayContaining([{ Name: GATEWAY_ENV.stateDir, Value: '/home/opend/.com.futunn.FutuOpenD' }]));
  });
});

describe('Lambda reserved concurrency', () => {
  it('is off by default, so an account with a concurrency quota of 10 or 50 accepts the deploy', () => {
    expect(live.config.reservedConcurrency).toBe(false);
    for (const [id, fn] of resourcesOf(live.template, 'AWS::Lambda::Function')) expect(fn.Properties!['ReservedConcurrentExecutions'], id).toBeUndefined();
  });

  it('is applied from the definitions when switched on', () => {
    const on = synthesize({ reservedConcurrency: true });
    for (const functionId of FUNCTION_IDS) {
      const fn = on.template.toJSON().Resources[logicalId(on.stack.functions.functions[functionId])];
      expect(fn.Properties.ReservedConcurrentExecutions, functionId).toBe(FUNCTIONS[functionId].reservedConcurrency);
    }
  });
});

describe('Fargate task size', () => {
  it('accepts every pair of AWS’s table and synthesizes it', () => {
    for (const size of FARGATE_SIZES) {
      for (const memory of fargateMemoryChoices(size.cpu)) {
        expect(() => loadConfig({}, { gatewayCpu: size.cpu as 256, gatewayMemoryMiB: memory }), `${size.cpu}/${memory}`).not.toThrow();
      }
    }
    expect(fargateMemoryChoices(4096)).toHaveLength(23);
    const big = synthesize({ gatewayCpu: 2048, gatewayMemoryMiB: 5120, openDMode: 'simulator' });
    big.template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '2048', Memory: '5120' });
  });

  it('rejects a pair Fargate does not have at synth time, saying which memory goes with that CPU', () => {
    expect(() => loadConfig({}, { gatewayCpu: 256, gatewayMemoryMiB: 4096 })).toThrow(ConfigError);
    expect(() => loadConfig({}, { gatewayCpu: 256, gatewayMemoryMiB: 4096 })).toThrow(
      /gatewayMemoryMiB 4096 does not go with gatewayCpu 256 on Fargate: with 256 CPU units the memory must be 512, 1024, 2048 MiB; 4096 MiB fits gatewayCpu 512 or 1024 or 2048/,
    );
    expect(() => loadConfig({ gatewayMemoryMiB: '2500' }, {})).toThrow(/with 1024 CPU units the memory must be 2048 to 8192 in steps of 1024 MiB/);
    expect(() => loadConfig({ gatewayCpu: '8192', gatewayMemoryMiB: '18432' }, {})).toThrow(/16384 to 61440 in steps of 4096/);
    expect(() => loadConfig({ gatewayCpu: '3000' }, {})).toThrow(/gatewayCpu.*a Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192, 16384/);
  });

  it('is checked by the gateway construct too, for a stack built from a configuration that skipped loadConfig', () => {
    const { config } = buildStack({ openDMode: 'simulator' });
    expect(() => synthesizeWith({ ...config, gatewayCpu: 512, gatewayMemoryMiB: 512 })).toThrow(/with 512 CPU units the memory must be 1024 to 4096/);
  });
});

describe('scheduled strategies', () => {
  it('are dropped to the dead-letter queue after 15 minutes in Lambda’s async queue, and never retried', () => {
    const strategy = logicalId(live.stack.functions.functions.strategyDca);
    const configs = resourcesOf(live.template, 'AWS::Lambda::EventInvokeConfig').filter(([, c]) => c.Properties!['FunctionName']?.Ref === strategy);
    expect(configs).toHaveLength(1);
    expect(configs[0]![1].Properties).toMatchObject({ MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 0 });
    // Event consumers keep Lambda's default age: a trade event must not be dropped after 15 minutes.
    const consumer = logicalId(live.stack.functions.functions.orderEvents);
    const consumerConfig = resourcesOf(live.template, 'AWS::Lambda::EventInvokeConfig').find(([, c]) => c.Properties!['FunctionName']?.Ref === consumer);
    expect(consumerConfig![1].Properties!['MaximumEventAgeInSeconds']).toBeUndefined();
  });
});

describe('outputs and settings', () => {
  it('gives ApiUrl without a trailing slash, so "$API/v1/…" is a valid URL', () => {
    const api = live.template.toJSON().Outputs.ApiUrl;
    expect(api.Value).toEqual({ 'Fn::GetAtt': [logicalId(live.stack.api.httpApi), 'ApiEndpoint'] });
  });

  it('keeps settings in cdk.json, whose app is the CDK app and whose context keys are all configuration keys', () => {
    const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { app: string; context: Record<string, unknown> };
    expect(cdkJson.app).toBe('npx tsx cdk/app.ts');
    for (const key of Object.keys(cdkJson.context)) expect(CONFIG_KEYS as string[], key).toContain(key);
    expect(() => loadConfig(cdkJson.context, {})).not.toThrow();
  });
});

/** The stack as cdk/app.ts builds it, but from a configuration object that never went through loadConfig. */
function synthesizeWith(config: OpenDCloudConfig): void {
  const app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } });
  new OpenDCloudStack(app, 'HandMade', { config });
}
