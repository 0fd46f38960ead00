// The WebSocket stream in the synthesized template: the API with IAM on $connect only, its routes and their
// integration, the connection table with TTL, the bus rule into the fan-out function, and the fan-out's
// ManageConnections grant limited to this API's stage.
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_RULES, EVENT_SOURCE } from '../../cdk/definitions.js';
import { STREAM_STAGE } from '../../cdk/constructs/stream.js';
import { SECURITY_ENV } from '../../functions/lib/security-config.js';
import { STREAM_CALLBACK_URL_ENV } from '../../functions/lib/stream-poster.js';
import { STREAM_ACTIONS, STREAM_DETAIL_TYPES } from '../../functions/lib/stream-protocol.js';
import { TABLE_ENV, TABLES } from '../../functions/lib/tables.js';
import { logicalId, resourcesOf, synthesize, type Resource, type Synthesized } from './synth.js';

let s: Synthesized;
let apiId: string;
const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attr: string) => ({ 'Fn::GetAtt': [id, attr] });

beforeAll(() => {
  s = synthesize();
  apiId = logicalId(s.stack.stream.webSocketApi);
}, 120_000);

const streamRoutes = (): Resource[] =>
  resourcesOf(s.template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r).filter((r) => JSON.stringify(r.Properties!['ApiId']) === JSON.stringify(ref(apiId)));

function policiesOfFunction(fnId: 'streamFanout' | 'streamConnections'): Record<string, any>[] {
  const role = logicalId(s.stack.functions.functions[fnId].role!);
  return resourcesOf(s.template, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties!['Roles']).includes(role))
    .flatMap(([, p]) => p.Properties!['PolicyDocument'].Statement as Record<string, any>[]);
}

describe('WebSocket stream API', () => {
  it('is a WebSocket API routed by the message action', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' });
  });

  it('has $connect, $disconnect, $default and one route per action, IAM authorization on $connect (the only route API Gateway authorizes)', () => {
    const routes = streamRoutes();
    const byKey = Object.fromEntries(routes.map((r) => [r.Properties!['RouteKey'], r.Properties!]));
    expect(Object.keys(byKey).sort()).toEqual(['$connect', '$default', '$disconnect', ...STREAM_ACTIONS].sort());
    expect(byKey['$connect']!['AuthorizationType']).toBe('AWS_IAM');
    for (const key of ['$disconnect', '$default', ...STREAM_ACTIONS]) expect(byKey[key]!['AuthorizationType'] ?? 'NONE', key).toBe('NONE');
  });

  it('sends every route to the connection function, and answers the message routes with a route response', () => {
    const integrations = Object.fromEntries(resourcesOf(s.template, 'AWS::ApiGatewayV2::Integration'));
    const fnArn = JSON.stringify(getAtt(logicalId(s.stack.functions.functions.streamConnections), 'Arn'));
    for (const route of streamRoutes()) {
      const integrationId = JSON.stringify(route.Properties!['Target']).match(/"Ref":"([^"]+)"/)![1]!;
      expect(JSON.stringify(integrations[integrationId]!.Properties!['IntegrationUri']), route.Properties!['RouteKey']).toContain(fnArn);
    }
    const responses = resourcesOf(s.template, 'AWS::ApiGatewayV2::RouteResponse').filter(([, r]) => JSON.stringify(r.Properties!['ApiId']) === JSON.stringify(ref(apiId)));
    expect(responses).toHaveLength(1 + STREAM_ACTIONS.length);
  });

  it(`deploys the "${STREAM_STAGE}" stage with throttling and access logs naming the caller`, () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: ref(apiId),
      StageName: STREAM_STAGE,
      AutoDeploy: true,
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() }),
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context\\.identity\\.userArn') },
    });
    expect(Object.keys(s.template.findOutputs('StreamUrl'))).toEqual(['StreamUrl']);
  });
});

describe('connection table', () => {
  it('keys subscriptions by topic and connection, with TTL', () => {
    const table = s.template.toJSON().Resources[logicalId(s.stack.data.tables.streamConnections)];
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: TABLES.streamConnections.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: TABLES.streamConnections.sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });
});

describe('fan-out', () => {
  it('is fed by a bus rule on the quote and order events the stream carries', () => {
    expect(EVENT_RULES.streamFanout.eventPattern).toEqual({ source: [EVENT_SOURCE], 'detail-type': [...STREAM_DETAIL_TYPES] });
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: EVENT_RULES.streamFanout.eventPattern,
      Targets: [Match.objectLike({ Arn: getAtt(logicalId(s.stack.functions.functions.streamFanout), 'Arn') })],
    });
  });

  it('may post to connections of this API and stage only, and knows the callback URL', () => {
    const manage = policiesOfFunction('streamFanout').filter((st) => JSON.stringify(st.Action).includes('execute-api'));
    expect(manage).toHaveLength(1);
    expect(manage[0]!['Action']).toBe('execute-api:ManageConnections');
    const resource = JSON.stringify(manage[0]!['Resource']);
    expect(resource).toContain(JSON.stringify(ref(apiId)));
    expect(resource).toContain(`/${STREAM_STAGE}/POST/@connections/*`);
    const vars = s.template.toJSON().Resources[logicalId(s.stack.functions.functions.streamFanout)].Properties.Environment.Variables;
    expect(JSON.stringify(vars[STREAM_CALLBACK_URL_ENV])).toContain(apiId);
    expect(vars[TABLE_ENV.streamConnections]).toEqual(ref(logicalId(s.stack.data.tables.streamConnections)));
  });

  it('gives the connection function no ManageConnections, and the callers it authorizes by', () => {
    expect(policiesOfFunction('streamConnections').filter((st) => JSON.stringify(st.Action).includes('execute-api'))).toEqual([]);
    const vars = s.template.toJSON().Resources[logicalId(s.stack.functions.functions.streamConnections)].Properties.Environment.Variables;
    expect(JSON.parse(vars[SECURITY_ENV.callers])).toEqual(s.config.callers);
  });

  it('grants the stream functions exactly their DynamoDB actions on the connection table only, no Scan', () => {
    const table = logicalId(s.stack.data.tables.streamConnections);
    for (const [fnId, want] of [
      ['streamConnections', ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']],
      ['streamFanout', ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Query']],
    ] as const) {
      const dynamo = policiesOfFunction(fnId).filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
      const actions = dynamo.flatMap((st) => [st['Action']].flat() as string[]).sort();
      expect(actions, fnId).toEqual([...want].sort());
      for (const st of dynamo) expect(JSON.stringify(st['Resource']), fnId).toContain(table);
    }
  });
});
