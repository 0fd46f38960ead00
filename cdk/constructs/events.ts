import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  EVENT_SOURCE,
  TOPIC_IDS,
  type EventPatternJson,
  type EventRuleDefinition,
  type FunctionId,
  type OpenDCloudConfig,
  type TopicId,
} from '../definitions.js';
import { acknowledge } from './nag.js';

export interface EventsProps {
  readonly config: OpenDCloudConfig;
}

/** Sid of the bus policy statement that keeps `source: "opend"` to the gateway task. */
export const OPEND_SOURCE_STATEMENT_SID = 'OnlyTheGatewayTaskPublishesOpenDEvents';

/**
 * The event bus the relay publishes to (with an archive for replay), the SNS topics humans subscribe to, and
 * the dead-letter queue that catches whatever EventBridge, Scheduler or an async Lambda could not deliver.
 */
export class Events extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  readonly topics: Readonly<Record<TopicId, sns.Topic>>;
  readonly deadLetterQueue: sqs.Queue;
  readonly rules: Record<string, events.Rule> = {};

  constructor(scope: Construct, id: string, props: EventsProps) {
    super(scope, id);
    const { config } = props;

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: config.stackName });
    this.archive = this.bus.archive('Archive', {
      description: 'OpenD events kept for replay (rebuilding order state after an incident)',
      eventPattern: { source: [EVENT_SOURCE], detailType: [...config.archiveDetailTypes] },
      retention: Duration.days(config.archiveRetentionDays),
    });

    // A customer-managed key, because EventBridge and CloudWatch alarms cannot publish to a topic encrypted
    // with the AWS-managed SNS key: its policy cannot be extended to them.
    const topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the opend-cloud SNS topics (alerts, login challenges)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // EventBridge publishes through an IAM role (authorizeUsingRole below), which gets the key through its own
    // grant: neither this key policy nor the topic policies name events.amazonaws.com. CloudWatch alarms can
    // only publish as their service principal, limited here to this account's alarms of this stack.
    const stack = Stack.of(this);
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisStacksAlarmsToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${stack.stackName}-*` },
        },
      }),
    );

    const displayNames: Record<TopicId, string> = {
      alerts: 'OpenD alerts',
      loginChallenges: 'OpenD login challenges',
    };
    const topics = {} as Record<TopicId, sns.Topic>;
    for (const topicId of TOPIC_IDS) {
      const topic = new sns.Topic(this, `${topicId.charAt(0).toUpperCase()}${topicId.slice(1)}Topic`, {
        displayName: displayNames[topicId],
        masterKey: topicKey,
        enforceSSL: true,
      });
      if (config.alarmEmail !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
      topics[topicId] = topic;
    }
    this.topics = topics;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue IS the dead-letter queue (of the EventBridge rule targets, the Scheduler targets and async Lambda invocations); cdk-nag only recognizes SQS redrive policies as DLQ use.',
    );
  }

  /**
   * Only `publisher` (the gateway task role) may put events with source `opend` on the bus: a Deny for every
   * other principal, so even an account admin's events:PutEvents cannot post a forged Order Update (which would
   * win the consumer's version comparison for good) or Login Challenge (which e-mails people). An explicit Deny
   * in the resource policy wins over any Allow in an identity policy. aws:PrincipalArn of the task's role
   * session is the role's ARN; events:source has one value per entry of a PutEvents call, hence ForAnyValue.
   */
  restrictSourceToPublisher(publisher: iam.IRole): void {
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: OPEND_SOURCE_STATEMENT_SID,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: {
          'ForAnyValue:StringEquals': { 'events:source': [EVENT_SOURCE] },
          ArnNotEquals: { 'aws:PrincipalArn': publisher.roleArn },
        },
      }),
    );
  }

  /** One EventBridge rule per definition, delivering to its function or topic with retries and the DLQ. */
  addRules(rules: Readonly<Record<string, EventRuleDefinition>>, functions: Readonly<Record<FunctionId, lambda.IFunction>>): void {
    for (const [name, definition] of Object.entries(rules)) {
      const rule = new events.Rule(this, `Rule-${name}`, {
        eventBus: this.bus,
        description: definition.description,
        eventPattern: toEventPattern(definition.eventPattern, name),
      });
      const target = definition.target;
      if (target.kind === 'function') {
        rule.addTarget(
          new targets.LambdaFunction(functions[target.function], {
            deadLetterQueue: this.deadLetterQueue,
            // Trade events must not be lost: keep trying for EventBridge's maximum of a day.
            retryAttempts: 185,
            maxEventAge: Duration.hours(24),
          }),
        );
      } else {
        rule.addTarget(
          new targets.SnsTopic(this.topics[target.topic], {
            // A role, not a topic-policy grant to events.amazonaws.com: KMS key policies cannot scope that
            // principal by aws:SourceArn for EventBridge deliveries, an IAM role needs no such scoping.
            authorizeUsingRole: true,
            deadLetterQueue: this.deadLetterQueue,
            // A verification code expires within minutes and an alert an hour late is noise.
            retryAttempts: 20,
            maxEventAge: target.topic === 'loginChallenges' ? Duration.minutes(15) : Duration.hours(1),
          }),
        );
        acknowledge(
          rule,
          'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
          "Generated by Topic.grantPublish for the rule's role: SNS needs a data key of the topic's own key for each message; the resource is that one key.",
        );
      }
      this.rules[name] = rule;
    }
  }
}

const TOP_LEVEL_FIELDS: Readonly<Record<string, keyof events.EventPattern>> = {
  version: 'version',
  id: 'id',
  'detail-type': 'detailType',
  source: 'source',
  account: 'account',
  time: 'time',
  region: 'region',
  resources: 'resources',
  detail: 'detail',
};

/** EventBridge JSON syntax → the L2 `EventPattern` (which renders it back to the same JSON). */
export function toEventPattern(json: EventPatternJson, ruleName: string): events.EventPattern {
  const pattern: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const field = TOP_LEVEL_FIELDS[key];
    if (field === undefined) {
      throw new Error(
        `Event rule "${ruleName}": top-level "${key}" is not supported by the CDK app; ` +
          `use ${Object.keys(TOP_LEVEL_FIELDS).join(', ')} (put "$or" inside "detail")`,
      );
    }
    pattern[field] = value;
  }
  return pattern as events.EventPattern;
}
