import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { routeList, type FunctionId, type OpenDCloudConfig } from '../definitions.js';

export interface ApiProps {
  readonly config: OpenDCloudConfig;
  readonly functions: Readonly<Record<FunctionId, lambda.IFunction>>;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The HTTP API of `ROUTES`. Every route requires SigV4-signed requests (IAM authorization): callers need
 * `execute-api:Invoke` on the route, so access is managed with IAM policies like any other AWS API; which
 * accounts a caller may act on, and how, is then decided by the functions from `callers` (authorization.ts).
 * The access log records every request with its caller and path, for the configured retention (default a year).
 */
export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: props.config.stackName,
      description: 'opend-cloud: quotes, accounts, orders and the gateway over HTTP',
      defaultAuthorizer: new HttpIamAuthorizer(),
      createDefaultStage: false,
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      // Far above what Futu's own limits let through, but stops a runaway client before it reaches Lambda.
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            // Who: the SigV4 signer as IAM's authorizer saw it (the same ARN the functions authorize by).
            caller: '$context.identity.caller',
            userArn: '$context.identity.userArn',
            callerAccount: '$context.identity.accountId',
            // What: the concrete path (account and order IDs), not only the route template.
            method: '$context.httpMethod',
            path: '$context.path',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            // Why API Gateway itself refused (e.g. a bad signature): such requests never reach a function.
            error: '$context.error.message',
          }),
        ),
      },
    });

    const integrations = new Map<FunctionId, HttpLambdaIntegration>();
    for (const route of routeList()) {
      let integration = integrations.get(route.function);
      if (integration === undefined) {
        integration = new HttpLambdaIntegration(`${route.function}Integration`, props.functions[route.function]);
        integrations.set(route.function, integration);
      }
      this.httpApi.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration,
      });
    }
  }
}
