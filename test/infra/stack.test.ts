import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_SOURCE,
  FUNCTION_ENV,
  FUNCTION_IDS,
  FUNCTIONS,
  GATEWAY,
  GATEWAY_ENV,
  METRICS,
  ROUTES,
  TABLE_ENV,
  eventRules,
  schedules,
} from '../../cdk/definitions.js';
import { gatewayBuildArgs } from '../../cdk/constructs/gateway.js';
import { TABLE_IDS, TABLES, tableNames } from '../../functions/lib/tables.js';
import { logicalId, resourcesOf, synthesize, type Synthesized } from './synth.js';

const SETTINGS = {
  priceAlerts: [{ security: 'HK.00700', above: 400, below: 300 }],
  alarmEmail: 'ops@example.com',
};

const SHA256 = 'ab'.repeat(32);

/** The real OpenD, trading unlocked; and a moomoo paper deployment on the simulator, HK only. */
let live: Synthesized;
let paper: Synthesized;

beforeAll(() => {
  live = synthesize({ ...SETTINGS, openDSha256: SHA256, unlockTrading: true });
  paper = synthesize({ ...SETTINGS, openDMode: 'simulator', brand: 'moomoo', markets: ['HK'] });
});

const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });
const ref = (id: string) => ({ Ref: id });

describe('HTTP API', () => {
  // The HTTP API's routes only: the WebSocket stream's are tested in test/infra/stream.test.ts.
  const httpRoutes = () => resourcesOf(live.template, 'AWS::ApiGatewayV2::Route').filter(([, r]) => JSON.stringify(r.Properties!['ApiId']) === JSON.stringify(ref(logicalId(live.stack.api.httpApi))));

  it('has exactly the routes of ROUTES', () => {
    const keys = httpRoutes().map(([, r]) => r.Properties!['RouteKey']);
    expect(keys.sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it('requires IAM authorization on every route', () => {
    const routes = httpRoutes();
    expect(routes.length).toBeGreaterThan(0);
    for (const [, route] of routes) expect(route.Properties!['AuthorizationType'], route.Properties!['RouteKey']).toBe('AWS_IAM');
  });

  it('sends each route to the function ROUTES names', () => {
    const integrations = Object.fromEntries(resourcesOf(live.template, 'AWS::ApiGatewayV2::Integration'));
    for (const [, route] of httpRoutes()) {
      const key = route.Properties!['RouteKey'] as keyof typeof ROUTES;
      const integrationId = JSON.stringify(route.Properties!['Target']).match(/"Ref":"([^"]+)"/)![1]!;
      const fn = live.stack.functions.functions[ROUTES[key]];
      expect(integrations[integrationId]!.Properties!['IntegrationUri'], key).toEqual(getAtt(logicalId(fn), 'Arn'));
    }
  });

  it('writes access logs with the caller identity', () => {
    live.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('\\$context\\.identity\\.userArn'),
      },
    });
  });
});

describe('network', () => {
  it(`admits OpenD's port ${GATEWAY.apiPort} only from the Lambdas' security group`, () => {
    const { network } = live.stack;
    const gatewaySg = logicalId(network.gatewaySecurityGroup);
    const functionSg = logicalId(network.functionSecurityGroup);
    const covers = (rule: Record<string, any>) =>
      rule['IpProtocol'] === '-1' || (rule['FromPort'] <= GATEWAY.apiPort && GATEWAY.apiPort <= rule['ToPort']);

    const standalone = resourcesOf(live.template, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties!);
    const inline = resourcesOf(live.template, 'AWS::EC2::SecurityGroup').flatMap(([id, r]) =>
      ((r.Properties!['SecurityGroupIngress'] ?? []) as Record<string, any>[]).map((rule) => ({ ...rule, GroupId: getAtt(id, 'GroupId') })),
    );
    const reachingOpenD = [...standalone, ...inline].filter(covers);
    expect(reachingOpenD).toEqual([
      expect.objectContaining({
        GroupId: getAtt(gatewaySg, 'GroupId'),
        SourceSecurityGroupId: getAtt(functionSg, 'GroupId'),
        FromPort: GATEWAY.apiPort,
        ToPort: GATEWAY.apiPort,
        IpProtocol: 'tcp',
      }),
    ]);
    // Nothing else gets into the gateway: not the health port, not any address range.
    const intoGateway = [...standalone, ...inline].filter((rule) => JSON.stringify(rule['GroupId']).includes(gatewaySg));
    expect(intoGateway).toHaveLength(1);
  });

  it('runs in two AZs behind a single NAT gateway, with flow logs', () => {
    live.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    expect(resourcesOf(live.template, 'AWS::EC2::Subnet')).toHaveLength(4);
    live.template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', LogDestinationType: 'cloud-watch-logs' });
  });
});

describe('gateway task', () => {
  it('keeps exactly one OpenD: desiredCount 1, deployments stop the old task first', () => {
    live.template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({
        MinimumHealthyPercent: 0,
        MaximumPercent: 100,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
      AvailabilityZoneRebalancing: 'DISABLED',
    });
  });

  it('runs on x86_64 Linux (OpenD has no ARM build)', () => {
    live.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      RequiresCompatibilities: ['FARGATE'],
    });
  });

  it("mounts OpenD's state folder from encrypted EFS through an access point", () => {
    live.template.hasResourceProperties('AWS::EFS::FileSystem', { Encrypted: true });
    live.template.hasResourceProperties('AWS::EFS::AccessPoint', {
      PosixUser: { Uid: String(GATEWAY.uid), Gid: String(GATEWAY.gid) },
    });
    live.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      // Beside the scratch volumes of the read-only container (test/infra/security.test.ts).
      Volumes: Match.arrayWith([
        {
          Name: 'opend-state',
          EFSVolumeConfiguration: Match.objectLike({
            TransitEncryption: 'ENABLED',
            AuthorizationConfig: { AccessPointId: Match.anyValue(), IAM: 'ENABLED' },
          }),
        },
      ]),
      ContainerDefinitions: [
        Match.objectLike({ MountPoints: Match.arrayWith([{ ContainerPath: GATEWAY.stateDirs.futu, SourceVolume: 'opend-state', ReadOnly: false }]) }),
      ],
    });
  });

  it('registers in Cloud Map as opend.opend-cloud.local, which the Lambdas are given', () => {
    live.template.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', { Name: GATEWAY.namespace });
    live.template.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      Name: GATEWAY.serviceName,
      DnsConfig: Match.objectLike({ DnsRecords: [{ Type: 'A', TTL: 10 }] }),
    });
    live.template.hasResourceProperties('AWS::ECS::Service', { ServiceRegistries: [Match.objectLike({ RegistryArn: Match.anyValue() })] });
    live.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [FUNCTION_ENV.openDHost]: 'opend.opend-cloud.local', [FUNCTION_ENV.openDPort]: '11111' }) },
    });
  });

  it('checks liveness, not readiness, so a task waiting for an SMS code is not killed', () => {
    const [container] = containerDefinitions(live);
    expect(container!['HealthCheck']['Command'].join(' ')).toContain(`127.0.0.1:${GATEWAY.healthPort}/livez`);
  });

  it('takes credentials and the RSA key from Secrets Manager, never from plain environment variables', () => {
    const [container] = containerDefinitions(live);
    const secretNames = (container!['Secrets'] as { Name: string; ValueFrom: unknown }[]).map((s) => s.Name).sort();
    expect(secretNames).toEqual(
      [GATEWAY_ENV.secretLogin, GATEWAY_ENV.secretRsaPrivateKey, GATEWAY_ENV.secretTradePasswordMd5].sort(),
    );
    for (const secret of container!['Secrets'] as { ValueFrom: unknown }[]) {
      expect(JSON.stringify(secret.ValueFrom)).toMatch(/DataLogin|DataRsaPrivateKey|DataTradePassword/);
    }
    const environment = container!['Environment'] as { Name: string; Value: unknown }[];
    const secretLooking = environment.filter((e) => /PASS|PWD|SECRET|PRIVATE|TOKEN|CREDENTIAL|LOGIN/i.test(e.Name));
    expect(secretLooking).toEqual([]);
  });

  it('gives the relay its settings: mode, bus, subscriptions — and no table, which it never touches', () => {
    const [container] = containerDefinitions(live);
    const environment = Object.fromEntries((container!['Environment'] as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
    expect(environment).toMatchObject({
      [GATEWAY_ENV.mode]: 'opend',
      [GATEWAY_ENV.eventSource]: EVENT_SOURCE,
      [GATEWAY_ENV.eventBusName]: ref(logicalId(live.stack.events.bus)),
      [GATEWAY_ENV.subscriptions]: '[]',
      [GATEWAY_ENV.healthPort]: '8080',
    });
    expect(environment[GATEWAY_ENV.gatewayStateTable]).toBeUndefined();
  });

  it('lets the task put events on the bus', () => {
    live.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(logicalId(live.stack.gateway.taskDefinition.taskRole))],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'events:PutEvents', Resource: getAtt(logicalId(live.stack.events.bus), 'Arn') }),
        ]),
      },
    });
  });

  it('gives the trade password to the gateway only once unlockTrading is on', () => {
    const locked = synthesize({ openDSha256: SHA256 });
    const [container] = containerDefinitions(locked);
    expect((container!['Secrets'] as { Name: string }[]).map((s) => s.Name).sort()).toEqual(
      [GATEWAY_ENV.secretLogin, GATEWAY_ENV.secretRsaPrivateKey].sort(),
    );
    locked.template.resourceCountIs('AWS::SecretsManager::Secret', 3);
  });

  it('builds the image with a verified OpenD download, or without OpenD for the simulator', () => {
    expect(gatewayBuildArgs(live.config)).toEqual({
      OPEND_SIMULATOR_ONLY: '0',
      OPEND_VERSION: '10.9.6918',
      OPEND_BRAND: 'futu',
      OPEND_SHA256: SHA256,
    });
    expect(gatewayBuildArgs(paper.config)).toEqual({ OPEND_SIMULATOR_ONLY: '1', OPEND_BRAND: 'moomoo' });
  });

  it('warns at synth when the real OpenD is wanted but its tarball digest is not configured', () => {
    const unpinned = synthesize({});
    Annotations.fromStack(unpinned.stack).hasWarning('*', Match.stringLikeRegexp('openDSha256 is not set'));
    Annotations.fromStack(live.stack).hasNoWarning('*', Match.stringLikeRegexp('openDSha256'));
  });

  it("mounts the moomoo build's own state folder for moomoo", () => {
    paper.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ MountPoints: Match.arrayWith([Match.objectLike({ ContainerPath: GATEWAY.stateDirs.moomoo })]) })],
    });
  });

  it('in simulator mode runs the simulator without any broker login secret', () => {
    const [container] = containerDefinitions(paper);
    const environment = Object.fromEntries((container!['Environment'] as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
    expect(environment[GATEWAY_ENV.mode]).toBe('simulator');
    expect((container!['Secrets'] as { Name: string }[]).map((s) => s.Name)).toEqual([GATEWAY_ENV.secretRsaPrivateKey]);
    paper.template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    live.template.resourceCountIs('AWS::SecretsManager::Secret', 3);
  });
});

describe('DynamoDB tables', () => {
  const names = () => tableNames(live.config.tablePrefix);

  it('creates every table of TABLES with its keys and indexes, on demand and encrypted', () => {
    live.template.resourceCountIs('AWS::DynamoDB::Table', TABLE_IDS.length);
    for (const tableId of TABLE_IDS) {
      const definition = TABLES[tableId];
      const table = live.template.toJSON().Resources[logicalId(live.stack.data.tables[tableId])];
      // Retained tables have generated names (test/infra/first-deploy.test.ts).
      if (table.Properties.TableName !== undefined) expect(table.Properties.TableName, tableId).toBe(names()[tableId]);
      expect(table.Properties, tableId).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        KeySchema: [
          { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
          ...('sortKey' in definition ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' }] : []),
        ],
        ...('globalSecondaryIndexes' in definition
          ? { GlobalSecondaryIndexes: definition.globalSecondaryIndexes.map((i) => expect.objectContaining({ IndexName: i.indexName, Projection: { ProjectionType: 'ALL' } })) }
          : {}),
      });
    }
  });

  it('has point-in-time recovery on every table', () => {
    for (const [id, table] of resourcesOf(live.template, 'AWS::DynamoDB::Table')) {
      expect(table.Properties!['PointInTimeRecoverySpecification'], id).toEqual({ PointInTimeRecoveryEnabled: true });
    }
  });

  it('expires items by TTL exactly where the definition has a TTL attribute', () => {
    for (const tableId of TABLE_IDS) {
      const definition = TABLES[tableId];
      const ttl = live.template.toJSON().Resources[logicalId(live.stack.data.tables[tableId])].Properties['TimeToLiveSpecification'];
      if ('ttlAttribute' in definition) expect(ttl, tableId).toEqual({ AttributeName: definition.ttlAttribute, Enabled: true });
      else expect(ttl, tableId).toBeUndefined();
    }
  });

  it('keeps the orders and fills tables when the stack is deleted', () => {
    const policy = (tableId: keyof typeof live.stack.data.tables) => live.template.toJSON().Resources[logicalId(live.stack.data.tables[tableId])].DeletionPolicy;
    expect(policy('orders')).toBe('Retain');
    expect(policy('fills')).toBe('Retain');
    expect(policy('rateLimits')).toBe('Delete');
  });
});

describe('Lambda functions', () => {
  it('deploys every FUNCTIONS entry on Node.js 22', () => {
    const functions = resourcesOf(live.template, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(FUNCTION_IDS.length);
    for (const [id, fn] of functions) {
      expect(fn.Properties!['Runtime'], id).toBe('nodejs22.x');
      expect(fn.Properties!['Handler'], id).toBe('index.handler');
    }
  });

  it('applies the memory and timeout of the definitions (reserved concurrency: test/infra/first-deploy.test.ts)', () => {
    for (const functionId of FUNCTION_IDS) {
      const definition = FUNCTIONS[functionId];
      const fn = live.template.toJSON().Resources[logicalId(live.stack.functions.functions[functionId])];
      expect(fn.Properties, functionId).toMatchObject({
        MemorySize: definition.memoryMb,
        Timeout: definition.timeoutSec,
      });
    }
  });

  it('puts exactly the functions that call OpenD in the VPC, with the Lambda security group and the key', () => {
    const functionSg = getAtt(logicalId(live.stack.network.functionSecurityGroup), 'GroupId');
    for (const functionId of FUNCTION_IDS) {
      const fn = live.template.toJSON().Resources[logicalId(live.stack.functions.functions[functionId])];
      const variables = fn.Properties.Environment.Variables;
      if (FUNCTIONS[functionId].needsOpenD) {
        expect(fn.Properties.VpcConfig.SecurityGroupIds, functionId).toEqual([functionSg]);
        expect(variables[FUNCTION_ENV.rsaKeySecretArn], functionId).toEqual(ref(logicalId(live.stack.data.rsaKeySecret)));
      } else {
        expect(fn.Properties.VpcConfig, functionId).toBeUndefined();
        expect(variables[FUNCTION_ENV.rsaKeySecretArn], functionId).toBeUndefined();
      }
      expect(variables[FUNCTION_ENV.eventBusName], functionId).toEqual(ref(logicalId(live.stack.events.bus)));
    }
  });

  it('grants each function only the tables its definition lists', () => {
    const tableIdsByLogicalId = Object.fromEntries(TABLE_IDS.map((t) => [logicalId(live.stack.data.tables[t]), t]));
    for (const functionId of FUNCTION_IDS) {
      const fn = live.stack.functions.functions[functionId];
      const policies = resourcesOf(live.template, 'AWS::IAM::Policy').filter(([, p]) =>
        JSON.stringify(p.Properties!['Roles']).includes(logicalId(fn.role!)),
      );
      const text = JSON.stringify(policies.map(([, p]) => p.Properties!['PolicyDocument']));
      const touched = Object.entries(tableIdsByLogicalId).filter(([id]) => text.includes(`"${id}"`)).map(([, t]) => t).sort();
      expect(touched, functionId).toEqual(Object.keys(FUNCTIONS[functionId].tables).sort());
      expect(text, functionId).not.toContain('/index/*');
      const variables = live.template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables;
      for (const tableId of Object.keys(FUNCTIONS[functionId].tables) as (keyof typeof TABLE_ENV)[]) {
        expect(variables[TABLE_ENV[tableId]], `${functionId} ${tableId}`).toEqual(ref(logicalId(live.stack.data.tables[tableId])));
      }
    }
  });

  it('retries failed async invocations into the dead-letter queue only where the definition allows', () => {
    const dlq = getAtt(logicalId(live.stack.events.deadLetterQueue), 'Arn');
    for (const functionId of FUNCTION_IDS) {
      const retries = (FUNCTIONS[functionId] as { asyncRetryAttempts?: number }).asyncRetryAttempts;
      const fn = live.template.toJSON().Resources[logicalId(live.stack.functions.functions[functionId])];
      if (retries === undefined) continue;
      expect(fn.Properties.DeadLetterConfig, functionId).toEqual({ TargetArn: dlq });
      live.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(logicalId(live.stack.functions.functions[functionId])),
        MaximumRetryAttempts: retries,
      });
    }
  });
});

describe('events', () => {
  it('archives the non-market-data events of the bus for replay', () => {
    live.template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: getAtt(logicalId(live.stack.events.bus), 'Arn'),
      RetentionDays: live.config.archiveRetentionDays,
      EventPattern: { source: [EVENT_SOURCE], 'detail-type': [...live.config.archiveDetailTypes] },
    });
  });

  it('creates one rule per EVENT_RULES entry and price alert, with its pattern, target, retries and DLQ', () => {
    const rules = eventRules(live.config);
    expect(Object.keys(rules)).toContain('priceAlert-HK.00700');
    live.template.resourceCountIs('AWS::Events::Rule', Object.keys(rules).length);
    const { functions } = live.stack.functions;
    const { topics, deadLetterQueue, bus } = live.stack.events;
    for (const [name, rule] of Object.entries(rules)) {
      const arn =
        rule.target.kind === 'function' ? getAtt(logicalId(functions[rule.target.function]), 'Arn') : ref(logicalId(topics[rule.target.topic]));
      live.template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: ref(logicalId(bus)),
        EventPattern: rule.eventPattern,
        Targets: [
          Match.objectLike({
            Arn: arn,
            DeadLetterConfig: { Arn: getAtt(logicalId(deadLetterQueue), 'Arn') },
            RetryPolicy: { MaximumRetryAttempts: Match.anyValue(), MaximumEventAgeInSeconds: Match.anyValue() },
          }),
        ],
      });
      expect(name).toBeTruthy();
    }
  });

  it('encrypts both topics with a customer-managed key and subscribes the alarm email', () => {
    const topics = resourcesOf(live.template, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(2);
    for (const [, topic] of topics) expect(topic.Properties!['KmsMasterKeyId']).toEqual(getAtt(expect.stringMatching(/^EventsTopicKey/), 'Arn'));
    live.template.resourceCountIs('AWS::SNS::Subscription', 2);
    live.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: SETTINGS.alarmEmail });
  });
});

describe('schedules', () => {
  it('creates the configured schedules in their market time zone, invoking their function with their input', () => {
    const deployed = schedules(live.config);
    expect(Object.keys(deployed)).toEqual(expect.arrayContaining(['dcaHk', 'dcaUs']));
    live.template.resourceCountIs('AWS::Scheduler::Schedule', Object.keys(deployed).length);
    for (const [name, schedule] of Object.entries(deployed)) {
      live.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: schedule.expression,
        ScheduleExpressionTimezone: schedule.timeZone,
        State: schedule.enabled ? 'ENABLED' : 'DISABLED',
        Target: Match.objectLike({
          Arn: getAtt(logicalId(live.stack.functions.functions[schedule.function]), 'Arn'),
          Input: Match.serializedJson({ ...schedule.input, schedule: name, scheduledTime: '<aws.scheduler.scheduled-time>' }),
          DeadLetterConfig: Match.anyValue(),
        }),
      });
    }
    live.template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpressionTimezone: 'Asia/Hong_Kong' });
    live.template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpressionTimezone: 'America/New_York' });
  });

  it('leaves out schedules of markets the deployment does not trade', () => {
    const deployed = Object.values(schedules(paper.config));
    expect(deployed.length).toBeGreaterThan(0);
    expect(deployed.every((s) => s.market === 'HK')).toBe(true);
    paper.template.resourceCountIs('AWS::Scheduler::Schedule', deployed.length);
    for (const [, schedule] of resourcesOf(paper.template, 'AWS::Scheduler::Schedule')) {
      expect(schedule.Properties!['ScheduleExpressionTimezone']).toBe('Asia/Hong_Kong');
    }
  });
});

describe('alarms', () => {
  it('watches the relay metrics, the dead-letter queue and every function', () => {
    live.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS.namespace,
      MetricName: METRICS.gatewayReady,
      TreatMissingData: 'breaching',
    });
    for (const metric of [METRICS.relayReconnects, METRICS.putEventsFailedEntries]) {
      live.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'DIFF(counter)' }),
          Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: METRICS.namespace, MetricName: metric }) }) }),
        ]),
      });
    }
    for (const functionId of FUNCTION_IDS) {
      for (const metricName of ['Errors', 'Throttles']) {
        live.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: ref(logicalId(live.stack.functions.functions[functionId])) }],
        });
      }
    }
    live.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' });
  });

  it('notifies the alerts topic from every alarm', () => {
    const alerts = ref(logicalId(live.stack.events.topics.alerts));
    const alarms = resourcesOf(live.template, 'AWS::CloudWatch::Alarm');
    // GatewayNotReady, RelayReconnecting, PutEventsFailing, TradeUnlockFailed, DeadLetters, and two per function.
    expect(alarms.length).toBe(5 + 2 * FUNCTION_IDS.length);
    for (const [id, alarm] of alarms) expect(alarm.Properties!['AlarmActions'], id).toEqual([alerts]);
  });
});

describe('outputs', () => {
  it('tells the user the API URL, bus, topics and the secrets to fill in', () => {
    const outputs = Object.keys(live.template.toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining(['ApiUrl', 'EventBusName', 'AlertsTopicArn', 'LoginChallengesTopicArn', 'RsaKeySecretArn', 'LoginSecretArn', 'TradePasswordSecretArn']),
    );
    expect(Object.keys(paper.template.toJSON().Outputs)).not.toContain('LoginSecretArn');
  });
});

function containerDefinitions(s: Synthesized): Record<string, any>[] {
  const taskDefinitions = resourcesOf(s.template, 'AWS::ECS::TaskDefinition');
  expect(taskDefinitions).toHaveLength(1);
  return taskDefinitions[0]![1].Properties!['ContainerDefinitions'];
}
