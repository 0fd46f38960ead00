import { fileURLToPath } from 'node:url';
import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { eventRules, schedules, type OpenDCloudConfig } from './definitions.js';
import { Alarms } from './constructs/alarms.js';
import { Api } from './constructs/api.js';
import { Data } from './constructs/data.js';
import { Events } from './constructs/events.js';
import { Functions } from './constructs/functions.js';
import { Gateway } from './constructs/gateway.js';
import { Network } from './constructs/network.js';
import { Schedules } from './constructs/schedules.js';
import { Stream } from './constructs/stream.js';

/**
 * Feature flags the app is written for. They live here rather than in cdk.json so that every way of building
 * the stack (cdk.json, `npm run synth`, the tests) gets the same ones; cdk.json holds the user's settings.
 * CLI context still wins over these.
 */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = {
  // The EFS file system policy refuses anonymous NFS clients; the task mounts with IAM authorization.
  '@aws-cdk/aws-efs:denyAnonymousAccess': true,
  '@aws-cdk/aws-efs:mountTargetOrderInsensitiveLogicalId': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/aws-ecs:reduceEc2FargateCloudWatchPermissions': true,
};

/** The repository root: function entries and the gateway image's build context are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface OpenDCloudStackProps extends StackProps {
  readonly config: OpenDCloudConfig;
  /** Defaults to this repository. */
  readonly repoRoot?: string;
}

/** Everything opend-cloud needs in one AWS account and region. */
export class OpenDCloudStack extends Stack {
  readonly network: Network;
  readonly data: Data;
  readonly events: Events;
  readonly gateway: Gateway;
  readonly functions: Functions;
  readonly api: Api;
  readonly schedules: Schedules;
  readonly alarms: Alarms;
  readonly stream: Stream;

  constructor(scope: Construct, id: string, props: OpenDCloudStackProps) {
    super(scope, id, props);
    const { config } = props;
    const repoRoot = props.repoRoot ?? REPO_ROOT;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    Tags.of(this).add('project', 'opend-cloud');

    this.network = new Network(this, 'Network', { logRetention });
    this.data = new Data(this, 'Data', { config });
    this.events = new Events(this, 'Events', { config });
    this.gateway = new Gateway(this, 'Gateway', {
      config,
      repoRoot,
      network: this.network,
      data: this.data,
      events: this.events,
      logRetention,
    });
    this.functions = new Functions(this, 'Functions', {
      config,
      repoRoot,
      network: this.network,
      data: this.data,
      events: this.events,
      openDHost: this.gateway.hostName,
      logRetention,
    });
    const functions = this.functions.functions;
    this.events.addRules(eventRules(config), functions);
    this.api = new Api(this, 'Api', { config, functions, logRetention });
    this.stream = new Stream(this, 'Stream', { config, functions, logRetention });
    this.schedules = new Schedules(this, 'Schedules', {
      schedules: schedules(config),
      functions,
      deadLetterQueue: this.events.deadLetterQueue,
    });
    this.alarms = new Alarms(this, 'Alarms', {
      functions,
      deadLetterQueue: this.events.deadLetterQueue,
      topic: this.events.topics.alerts,
    });

    this.addOutputs(config);
  }

  private addOutputs(config: OpenDCloudConfig): void {
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    // The endpoint itself, without the trailing "/" of the stage URL: "$API/v1/quotes" must not become "//v1/…".
    output('ApiUrl', this.api.httpApi.apiEndpoint, 'HTTP API base URL, no trailing slash (requests must be SigV4-signed: IAM authorization)');
    output('StreamUrl', this.stream.stage.url, 'WebSocket stream URL (the $connect request must be SigV4-signed; see docs/streaming.md)');
    output('EventBusName', this.events.bus.eventBusName, 'EventBridge bus the relay publishes OpenD events to');
    output('AlertsTopicArn', this.events.topics.alerts.topicArn, 'SNS topic of alarms and price alerts');
    output('LoginChallengesTopicArn', this.events.topics.loginChallenges.topicArn, 'SNS topic asking for SMS / picture codes');
    output('OpenDHost', this.gateway.hostName, 'Cloud Map name of OpenD inside the VPC');
    output(
      'RsaKeySecretArn',
      this.data.rsaKeySecret.secretArn,
      config.openDMode === 'simulator'
        ? 'RSA key of the simulator and the Lambdas: the gateway generates and stores it on its first start'
        : 'Fill in (PKCS#1 or PKCS#8 PEM both work): openssl genrsa -out futu.pem 1024 && aws secretsmanager put-secret-value --secret-id <this> --secret-string file://futu.pem',
    );
    if (this.data.loginSecret !== undefined) {
      output(
        'LoginSecretArn',
        this.data.loginSecret.secretArn,
        'Fill in: {"account":"<id, phone or email>","passwordMd5":"<lowercase hex md5 of the password>"}',
      );
    }
    if (this.data.tradePasswordSecret !== undefined) {
      output('TradePasswordSecretArn', this.data.tradePasswordSecret.secretArn, 'Optional: MD5 of the trade password; fill in, then deploy with -c unlockTrading=true');
    }
    output('GatewayClusterName', this.gateway.cluster.clusterName, 'ECS cluster of the gateway');
    output(
      'GatewayServiceName',
      this.gateway.service.serviceName,
      'After changing a secret: aws ecs update-service --cluster <GatewayClusterName> --service <this> --force-new-deployment',
    );
    output('OpenDMode', config.openDMode, 'opend = the real OpenD, simulator = the offline simulator');
  }
}
