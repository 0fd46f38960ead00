import { RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionId, OpenDCloudConfig } from '../definitions.js';
import { SECURITY_ENV } from '../../functions/lib/security-config.js';
import { STREAM_ACTIONS, STREAM_CALLBACK_URL_ENV } from '../../functions/lib/stream-protocol.js';
import { acknowledge } from './nag.js';

export interface StreamProps {
  readonly config: OpenDCloudConfig;
  readonly functions: Readonly<Record<FunctionId, lambda.Function>>;
  readonly logRetention: logs.RetentionDays;
}

/** The stage clients connect to: wss://{api-id}.execute-api.{region}.amazonaws.com/v1 */
export const STREAM_STAGE = 'v1';

/**
 * The streaming API (docs/streaming.md): an API Gateway WebSocket API whose $connect requires a SigV4-signed
 * request (IAM authorization; API Gateway authorizes only $connect on a WebSocket API, the later messages ride
 * on that connection), routed by `$request.body.action` to the connection function (subscribe, unsubscribe,
 * ping, and $default for anything else, each answering the client through a route response). The fan-out
 * function (fed by the EVENT_RULES.streamFanout rule) may call the @connections API of this API's stage only.
 */
export class Stream extends Construct {
  readonly webSocketApi: apigw.WebSocketApi;
  readonly stage: apigw.WebSocketStage;

  constructor(scope: Construct, id: string, props: StreamProps) {
    super(scope, id);
    const { config, functions } = props;
    const connections = functions.streamConnections;
    const fanout = functions.streamFanout;
    const integration = new WebSocketLambdaIntegration('ConnectionsIntegration', connections);

    this.webSocketApi = new apigw.WebSocketApi(this, 'WebSocketApi', {
      apiName: `${config.stackName}-stream`,
      description: 'opend-cloud: quotes and order events pushed over a WebSocket (IAM-authorized $connect)',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: { integration, authorizer: new WebSocketIamAuthorizer() },
      disconnectRouteOptions: { integration },
      defaultRouteOptions: { integration, returnResponse: true },
    });
    for (const action of STREAM_ACTIONS) this.webSocketApi.addRoute(action, { integration, returnResponse: true });
    for (const child of this.webSocketApi.node.children) {
      if (!(child instanceof apigw.WebSocketRoute) || child.node.id === '$connect-Route') continue;
      acknowledge(
        child,
        'AwsSolutions-APIG4',
        'A WebSocket API authorizes only $connect (IAM here); the other routes are messages on that authorized connection, and the connection function checks each subscription against the callers configuration.',
      );
    }

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = new apigw.WebSocketStage(this, 'Stage', {
      webSocketApi: this.webSocketApi,
      stageName: STREAM_STAGE,
      autoDeploy: true,
      // For all clients together (a stage-wide limit): subscriptions and pings are a handful per connection and a
      // ping every few minutes, so this only stops a runaway client. Pushes to clients do not count against it.
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            // Who: the SigV4 signer of $connect (the caller the connection function authorizes by).
            userArn: '$context.identity.userArn',
            connectionId: '$context.connectionId',
            eventType: '$context.eventType',
            routeKey: '$context.routeKey',
            status: '$context.status',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
          }),
        ),
      },
    });

    // The connection function authorizes subscriptions by the same `callers` as the HTTP API (authorization.ts).
    connections.addEnvironment(SECURITY_ENV.callers, JSON.stringify(config.callers));
    connections.addEnvironment(SECURITY_ENV.riskLimits, JSON.stringify(config.riskLimits));

    // postToConnection on this API's stage only: POST @connections/{connectionId}.
    const stack = Stack.of(this);
    fanout.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['execute-api:ManageConnections'],
        resources: [
          stack.formatArn({
            service: 'execute-api',
            resource: this.webSocketApi.apiId,
            resourceName: `${STREAM_STAGE}/POST/@connections/*`,
          }),
        ],
      }),
    );
    fanout.addEnvironment(STREAM_CALLBACK_URL_ENV, this.stage.callbackUrl);
    const apiLogicalId = stack.getLogicalId(this.webSocketApi.node.defaultChild as CfnElement);
    acknowledge(
      fanout,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiLogicalId}>/${STREAM_STAGE}/POST/@connections/*]`,
      'Connection IDs are created at run time; the grant is POST @connections of this one API and stage, which is all postToConnection needs.',
    );
  }
}
