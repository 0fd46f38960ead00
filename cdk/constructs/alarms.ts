import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS, type FunctionId } from '../definitions.js';

export interface AlarmsProps {
  readonly functions: Readonly<Record<FunctionId, lambda.IFunction>>;
  readonly deadLetterQueue: sqs.IQueue;
  readonly topic: sns.ITopic;
}

/**
 * CloudWatch alarms that notify the alerts topic when they fire and when they recover.
 *
 * Every alarm is named `<stack name>-<id>`, so the topic policy can let CloudWatch publish for exactly these
 * alarms: the topic's policy (written because of enforceSSL) replaces SNS's default one, and without an
 * explicit statement for cloudwatch.amazonaws.com no alarm e-mail would ever arrive.
 */
export class Alarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: SnsAction;
  private readonly namePrefix: string;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.action = new SnsAction(props.topic);
    const stack = Stack.of(this);
    this.namePrefix = `${stack.stackName}-`;
    // Scoped to this account's alarms of this stack (aws:SourceArn) so no other account's alarm can use the
    // CloudWatch service principal to publish here (the confused-deputy problem).
    props.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisStacksCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [props.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': alarmArnPattern(stack) },
        },
      }),
    );

    // The relay publishes GatewayReady every minute; no data at all means the relay (or the task) is down.
    this.add('GatewayNotReady', {
      alarmDescription: 'OpenD is not logged in / not serving for 10 minutes (or the relay stopped reporting)',
      metric: relayMetric(METRICS.gatewayReady, 'Minimum', Duration.minutes(5)),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 2,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    // The relay's counters are cumulative since it started: alarm on their increase. A restart resets them,
    // which DIFF sees as a decrease and ignores.
    this.add('RelayReconnecting', {
      alarmDescription: 'The relay reconnected to OpenD 3 or more times within 15 minutes',
      metric: increase(METRICS.relayReconnects, Duration.minutes(15)),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 3,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.add('PutEventsFailing', {
      alarmDescription: 'EventBridge rejected events the relay published (after its retries)',
      metric: increase(METRICS.putEventsFailedEntries, Duration.minutes(5)),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // The relay stops unlocking after a few rejections (a wrong trade-password secret) and reports UnlockFailed = 1:
    // REAL accounts stay locked until the secret is fixed and the task restarted.
    this.add('TradeUnlockFailed', {
      alarmDescription: 'The relay gave up unlocking trading (wrong trade password secret): fix the secret and restart the gateway task',
      metric: relayMetric('UnlockFailed', 'Maximum', Duration.minutes(5)),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.add('DeadLetters', {
      alarmDescription: 'Events, schedules or async invocations could not be delivered: see the dead-letter queue',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    for (const [functionId, fn] of Object.entries(props.functions) as [FunctionId, lambda.IFunction][]) {
      this.add(`${functionId}Errors`, {
        alarmDescription: `Lambda ${functionId} failed`,
        metric: fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.add(`${functionId}Throttles`, {
        alarmDescription: `Lambda ${functionId} was throttled (its reserved concurrency is exhausted)`,
        metric: fn.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5) }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
  }

  private add(id: string, props: cloudwatch.AlarmProps): void {
    const alarm = new cloudwatch.Alarm(this, id, { alarmName: `${this.namePrefix}${id}`, ...props });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}

/** ARN pattern of the alarms this construct creates (all named `<stack name>-…`). */
export function alarmArnPattern(stack: Stack): string {
  return `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${stack.stackName}-*`;
}

function relayMetric(metricName: string, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS.namespace, metricName, statistic, period });
}

/** How much a cumulative counter grew from one period to the next. */
function increase(metricName: string, period: Duration): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'DIFF(counter)',
    usingMetrics: { counter: relayMetric(metricName, 'Maximum', period) },
    period,
    label: `${metricName} increase`,
  });
}
