// The security properties of the synthesized stack: the bus accepts `source: "opend"` only from the gateway task
// role, every function and the task get exactly the DynamoDB actions their code performs, the HTTP functions
// carry the callers / riskLimits configuration, the access log names caller and path for a year by default, and
// the gateway container runs read-only, without capabilities, health-checked on /livez.
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, FUNCTION_IDS, FUNCTIONS, GATEWAY, ROUTES, type FunctionId } from '../../cdk/definitions.js';
import { OPEND_SOURCE_STATEMENT_SID } from '../../cdk/constructs/events.js';
import { SCRATCH_VOLUMES } from '../../cdk/constructs/gateway.js';
import { GATEWAY_TABLE_ACTIONS, TABLE_ACTIONS } from '../../cdk/table-permissions.js';
import { loadConfig } from '../../cdk/config-schema.js';
import { DEFAULT_CALLERS, DEFAULT_RISK_LIMITS, SECURITY_ENV, parseCallers } from '../../functions/lib/security-config.js';
import { TABLE_ENV, type TableId } from '../../functions/lib/tables.js';
import { logicalId, resourcesOf, synthesize, type Synthesized } from './synth.js';

const synth: Synthesized = synthesize({ openDMode: 'simulator' });
const { template, stack } = synth;

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: Record<string, Record<string, unknown>>; Sid?: string };

function actionsOf(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

/** Every statement of the IAM policies attached to a role (by logical ID). */
function statementsOfRole(roleLogicalId: string): Statement[] {
  const out: Statement[] = [];
  for (const [, policy] of resourcesOf(template, 'AWS::IAM::Policy')) {
    const roles = (policy.Properties?.['Roles'] ?? []) as { Ref?: string }[];
    if (roles.some((r) => r.Ref === roleLogicalId)) out.push(...(policy.Properties!['PolicyDocument'].Statement as Statement[]));
  }
  return out;
}

/** The logical ID of the table a resource expression points at ({Fn::GetAtt: [Table, Arn]} or a Join on it). */
function tableOf(resource: unknown): string | undefined {
  const json = JSON.stringify(resource);
  return /"Fn::GetAtt":\["(Data\w*?Table\w*?)","Arn"\]/.exec(json)?.[1];
}

function dynamoActionsByTable(statements: Statement[]): Map<string, Set<string>> {
  const byTable = new Map<string, Set<string>>();
  for (const s of statements) {
    const actions = actionsOf(s).filter((a) => a.startsWith('dynamodb:'));
    if (actions.length === 0) continue;
    for (const r of Array.isArray(s.Resource) ? s.Resource : [s.Resource]) {
      const t = tableOf(r);
      expect(t, `a DynamoDB grant on ${JSON.stringify(r)}`).toBeDefined();
      const set = byTable.get(t!) ?? new Set<string>();
      actions.forEach((a) => set.add(a));
      byTable.set(t!, set);
    }
  }
  return byTable;
}

function tableLogicalId(id: TableId): string {
  return logicalId(stack.data.tables[id]);
}

function functionRole(id: FunctionId): string {
  return logicalId(stack.functions.functions[id].role!);
}

describe('event bus policy', () => {
  it('denies PutEvents with source "opend" to every principal but the gateway task role', () => {
    const policies = resourcesOf(template, 'AWS::Events::EventBusPolicy');
    const statements = policies.map(([, p]) => p.Properties!['Statement'] as Statement);
    // CDK prefixes the statement ID with "cdk-".
    const deny = statements.find((s) => s.Sid?.endsWith(OPEND_SOURCE_STATEMENT_SID));
    expect(deny, JSON.stringify(policies)).toBeDefined();
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'events:PutEvents',
      Condition: {
        'ForAnyValue:StringEquals': { 'events:source': ['opend'] },
        ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [logicalId(stack.gateway.taskDefinition.taskRole), 'Arn'] } },
      },
    });
    expect(JSON.stringify(deny!.Resource)).toContain(logicalId(stack.events.bus));
    const busPolicy = policies.find(([, p]) => (p.Properties!['Statement'] as Statement).Sid?.endsWith(OPEND_SOURCE_STATEMENT_SID))![1];
    expect(busPolicy.Properties!['EventBusName']).toEqual({ Ref: logicalId(stack.events.bus) });
  });

  it('lets the task role (and only it, among our roles) put events', () => {
    const taskRole = logicalId(stack.gateway.taskDefinition.taskRole);
    expect(statementsOfRole(taskRole).some((s) => actionsOf(s).includes('events:PutEvents'))).toBe(true);
    for (const id of FUNCTION_IDS) {
      expect(statementsOfRole(functionRole(id)).some((s) => actionsOf(s).includes('events:PutEvents')), id).toBe(false);
    }
  });
});

describe('least-privilege DynamoDB access', () => {
  it('grants each function exactly the actions of TABLE_ACTIONS, on its tables only', () => {
    for (const id of FUNCTION_IDS) {
      const expected = TABLE_ACTIONS[id];
      expect(expected, `TABLE_ACTIONS has no entry for ${id}`).toBeDefined();
      const got = dynamoActionsByTable(statementsOfRole(functionRole(id)));
      const want = new Map(Object.entries(expected!).map(([t, actions]) => [tableLogicalId(t as TableId), new Set(actions)]));
      expect(Object.fromEntries([...got].map(([t, a]) => [t, [...a].sort()])), id).toEqual(Object.fromEntries([...want].map(([t, a]) => [t, [...a].sort()])));
    }
  });

  it('grants no Scan, BatchWriteItem or DescribeTable to anyone, and DeleteItem only on the idempotency, stream-connection and runtime-subscription tables', () => {
    const idempotency = tableLogicalId('idempotency');
    const streamConnections = tableLogicalId('streamConnections');
    const subscriptions = tableLogicalId('subscriptions');
    for (const [, policy] of resourcesOf(template, 'AWS::IAM::Policy')) {
      for (const s of policy.Properties!['PolicyDocument'].Statement as Statement[]) {
        const actions = actionsOf(s);
        for (const banned of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:DescribeTable', 'dynamodb:*']) expect(actions).not.toContain(banned);
        if (actions.includes('dynamodb:DeleteItem')) expect(JSON.stringify(s.Resource)).toMatch(new RegExp(`${idempotency}|${streamConnections}|${subscriptions}`));
      }
    }
  });

  it('drops the unused grants: no fills for the placing functions; the gateway task only its latest-quote writes', () => {
    const fills = tableLogicalId('fills');
    for (const id of ['orders', 'accounts', 'strategyDca'] as FunctionId[]) {
      expect(dynamoActionsByTable(statementsOfRole(functionRole(id))).has(fills), id).toBe(false);
    }
    expect(GATEWAY_TABLE_ACTIONS.latestQuotes).toEqual(['dynamodb:UpdateItem']);
    const taskRole = logicalId(stack.gateway.taskDefinition.taskRole);
    const taskGrants = dynamoActionsByTable(statementsOfRole(taskRole));
    const want = Object.entries(GATEWAY_TABLE_ACTIONS).map(([t, actions]) => [tableLogicalId(t as TableId), [...actions!].sort()]);
    expect(Object.fromEntries([...taskGrants].map(([t, a]) => [t, [...a].sort()]))).toEqual(Object.fromEntries(want));
    const [, task] = resourcesOf(template, 'AWS::ECS::TaskDefinition')[0]!;
    const env = (task.Properties!['ContainerDefinitions'][0].Environment as { Name: string }[]).map((e) => e.Name);
    expect(env).not.toContain(TABLE_ENV.gatewayState);
  });

  it('queries an index only where Query is granted', () => {
    const orders = tableLogicalId('orders');
    const ordersFn = statementsOfRole(functionRole('orders')).filter((s) => JSON.stringify(s.Resource).includes(orders));
    expect(JSON.stringify(ordersFn)).toContain('/index/byClientOrderId');
    const consumer = statementsOfRole(functionRole('orderEvents')).filter((s) => JSON.stringify(s.Resource).includes(orders));
    expect(JSON.stringify(consumer)).not.toContain('/index/');
  });
});

describe('callers and risk limits reach the HTTP functions', () => {
  it('sets the validated JSON on every function behind a route, on the order-placing strategy and on the stream connections, and on no other', () => {
    const http = new Set<string>([...Object.values(ROUTES), 'strategyDca', 'streamConnections']);
    for (const id of FUNCTION_IDS) {
      const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack.functions.functions[id])]!;
      const vars = fn['Properties']['Environment']['Variables'] as Record<string, string>;
      if (http.has(id)) {
        expect(JSON.parse(vars[SECURITY_ENV.callers]!), id).toEqual(DEFAULT_CALLERS);
        expect(JSON.parse(vars[SECURITY_ENV.riskLimits]!), id).toEqual({ default: DEFAULT_RISK_LIMITS, accounts: {} });
      } else {
        expect(vars[SECURITY_ENV.callers], id).toBeUndefined();
      }
    }
  });

  it('defaults to paper trading for every signed caller: REAL trading needs an explicit tradeReal grant', () => {
    expect(DEFAULT_CONFIG.callers).toEqual([{ principal: '*', accounts: '*', rights: ['read', 'trade'] }]);
    expect(JSON.stringify(DEFAULT_CONFIG.callers)).not.toContain('tradeReal');
  });

  it('passes configured callers and limits through, and refuses malformed ones with the field and what is allowed', () => {
    const callers = [{ principal: 'arn:aws:iam::123456789012:role/bot', accounts: ['281756478396547854'], rights: ['read', 'tradeReal'] }];
    const configured = synthesize({ openDMode: 'simulator', callers: parseCallers(callers), riskLimits: { default: { ...DEFAULT_RISK_LIMITS, maxQty: 300 } } });
    const fn = configured.template.findResources('AWS::Lambda::Function')[logicalId(configured.stack.functions.functions.orders)]!;
    const vars = fn['Properties']['Environment']['Variables'] as Record<string, string>;
    expect(JSON.parse(vars[SECURITY_ENV.callers]!)).toEqual(callers);
    expect(JSON.parse(vars[SECURITY_ENV.riskLimits]!).default.maxQty).toBe(300);

    expect(() => loadConfig({}, { callers: [{ principal: 'bob', accounts: '*', rights: ['read'] }] as never })).toThrow(ConfigError);
    expect(() => loadConfig({}, { callers: [{ principal: '*', accounts: '*', rights: ['admin'] }] as never })).toThrow(/rights: expected a non-empty list of read, trade, tradeReal, gateway/);
    expect(() => loadConfig({}, { riskLimits: { default: { ...DEFAULT_RISK_LIMITS, maxQty: -1 } } })).toThrow(/riskLimits".default.maxQty: expected a whole number above 0, got -1/);
    expect(() => loadConfig({ riskLimits: '{"default":{"maxQty":5}}' })).toThrow(/missing maxOrderNotional/);
    expect(loadConfig({ riskLimits: JSON.stringify({ accounts: { '281756478396547854': { maxQty: 100 } } }) }).riskLimits.accounts).toEqual({ '281756478396547854': { maxQty: 100 } });
  });

  it('refuses at synth a callers list too long for the Lambda environment, saying how to shorten it', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ principal: `arn:aws:iam::123456789012:user/trader-number-${i}`, accounts: ['281756478396547854'], rights: ['read' as const, 'trade' as const] }));
    expect(() => synthesize({ openDMode: 'simulator', callers: many })).toThrow(/Lambda's 4 KB environment allows about 3000/);
  });
});

describe('access and audit logs', () => {
  it('logs caller, account, method and path of every request', () => {
    const [, stage] = resourcesOf(template, 'AWS::ApiGatewayV2::Stage')[0]!;
    const format = JSON.parse(stage.Properties!['AccessLogSettings'].Format as string) as Record<string, string>;
    expect(format).toMatchObject({
      userArn: '$context.identity.userArn',
      caller: '$context.identity.caller',
      callerAccount: '$context.identity.accountId',
      method: '$context.httpMethod',
      path: '$context.path',
      routeKey: '$context.routeKey',
      status: '$context.status',
    });
  });

  it('keeps every log group a year by default, and as configured otherwise', () => {
    expect(DEFAULT_CONFIG.logRetentionDays).toBe(365);
    const groups = resourcesOf(template, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(FUNCTION_IDS.length);
    for (const [id, g] of groups) expect(g.Properties?.['RetentionInDays'], id).toBe(365);
    const short = synthesize({ openDMode: 'simulator', logRetentionDays: 90 });
    for (const [id, g] of resourcesOf(short.template, 'AWS::Logs::LogGroup')) expect(g.Properties?.['RetentionInDays'], id).toBe(90);
  });
});

describe('gateway task hardening', () => {
  const [, task] = resourcesOf(template, 'AWS::ECS::TaskDefinition')[0]!;
  const container = task.Properties!['ContainerDefinitions'][0] as Record<string, any>;

  it('runs with a read-only root filesystem and every capability dropped', () => {
    expect(container['ReadonlyRootFilesystem']).toBe(true);
    expect(container['LinuxParameters']).toMatchObject({ Capabilities: { Drop: ['ALL'] } });
    expect(container['Privileged']).toBeUndefined();
  });

  it('mounts writable volumes exactly where the container writes: /tmp, the runtime dir, and OpenD state on EFS', () => {
    const mounts = Object.fromEntries((container['MountPoints'] as { SourceVolume: string; ContainerPath: string; ReadOnly: boolean }[]).map((m) => [m.ContainerPath, m]));
    for (const path of Object.values(SCRATCH_VOLUMES)) expect(mounts[path], path).toMatchObject({ ReadOnly: false });
    expect(mounts[GATEWAY.stateDirs.futu]).toMatchObject({ SourceVolume: 'opend-state', ReadOnly: false });
    const volumes = task.Properties!['Volumes'] as { Name: string; EFSVolumeConfiguration?: unknown; Host?: unknown }[];
    for (const name of Object.keys(SCRATCH_VOLUMES)) {
      const v = volumes.find((x) => x.Name === name);
      expect(v, name).toBeDefined();
      expect(v!.EFSVolumeConfiguration, name).toBeUndefined();
    }
    const env = Object.fromEntries((container['Environment'] as { Name: string; Value: string }[]).map((e) => [e.Name, e.Value]));
    expect(env['OPEND_RUNTIME_DIR']).toBe(SCRATCH_VOLUMES['runtime']);
  });

  it('health-checks the relay on /livez, the one health path the image uses too', () => {
    expect(GATEWAY.healthCheckPath).toBe('/livez');
    const command = (container['HealthCheck'] as { Command: string[] }).Command;
    expect(command.some((c) => c.includes(`:${GATEWAY.healthPort}/livez`)), JSON.stringify(command)).toBe(true);
    expect(JSON.stringify(container['HealthCheck'])).not.toContain('/readyz');
    // Asked from inside the task (127.0.0.1), so the relay's HTTP server listens there and nowhere else.
    expect(command.some((c) => c.includes('http://127.0.0.1:'))).toBe(true);
    const env = Object.fromEntries((container['Environment'] as { Name: string; Value: string }[]).map((e) => [e.Name, e.Value]));
    expect(env['RELAY_HTTP_HOST']).toBe('127.0.0.1');
  });
});

describe('function definitions and table permissions agree', () => {
  it('grants tables only among those a function declares', () => {
    for (const id of FUNCTION_IDS) {
      const declared = Object.keys(FUNCTIONS[id].tables);
      for (const t of Object.keys(TABLE_ACTIONS[id] ?? {})) expect(declared, `${id} uses ${t}`).toContain(t);
    }
  });
});
