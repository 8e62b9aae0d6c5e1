import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

export interface EventProcessorProps {
  /** The handler's code, built for linux-arm64 (the function runs on Graviton). */
  readonly code: lambda.Code;
  /** @default 'index.handler' */
  readonly handler?: string;
  /** @default lambda.Runtime.NODEJS_24_X */
  readonly runtime?: lambda.Runtime;
  /**
   * Memory, and with it CPU. An event handler mostly waits on Bedrock or the gateway: more memory buys CPU it does not
   * use, and every GB-second is billed. Raise it for CPU-bound work (at 1,769 MB a function gets a whole vCPU).
   * @default 256
   */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /**
   * The most executions at once: caps the spend rate and the load this function puts on Bedrock quotas. The SQS
   * event source polls no faster than this, so a burst waits in the queue instead of being throttled into the DLQ.
   * @default 10
   */
  readonly reservedConcurrency?: number;
  /** Records per invocation; above 10, `maxBatchingWindow` must be at least 1 s. @default 10 */
  readonly batchSize?: number;
  /**
   * How long the event source gathers records before it invokes: fewer, fuller invocations (the design document's
   * batching, 10 requests or 1 s, applied to events). At most 300 s.
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /** Deliveries of a message before it goes to the dead-letter queue. @default 3 */
  readonly maxReceiveCount?: number;
  /** How long the dead-letter queue keeps a message for inspection and redrive (at most 14 days). @default Duration.days(14) */
  readonly deadLetterRetention?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** Run inside this VPC (to reach the gateway's internal endpoint). @default - no VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** What the dead-letter alarm does, e.g. an SNS action. @default - none: the alarm only shows in CloudWatch */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

/** The event source's MaximumConcurrency accepts 2..1000; below 2 the reserved concurrency alone caps it. */
const MAX_CONCURRENCY_RANGE = { min: 2, max: 1000 };

/**
 * A Lambda function that processes the events of an SQS queue the cheap way: arm64 (Graviton, a fifth less per
 * GB-second than x86), a small memory default, batches gathered for a window, partial batch failures reported so only
 * the failed records are retried, a reserved-concurrency cap, a dead-letter queue and an alarm on it.
 */
export class EventProcessor extends Construct {
  readonly function: lambda.Function;
  /** Send events here. */
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** In ALARM while the dead-letter queue holds a message. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EventProcessorProps) {
    super(scope, id);
    tagCostCategory(this, 'compute');
    const memorySize = props.memorySize ?? 256;
    const timeout = props.timeout ?? Duration.seconds(30);
    const reservedConcurrency = props.reservedConcurrency ?? 10;
    const batchSize = props.batchSize ?? 10;
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(1);
    const maxReceiveCount = props.maxReceiveCount ?? 3;
    validate({
      memorySize,
      reservedConcurrency,
      batchSize,
      windowSeconds: maxBatchingWindow.toSeconds(),
      maxReceiveCount,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: props.deadLetterRetention ?? Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the event queue; its messages are inspected and redriven, never delivered again by themselves.',
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      // AWS's guidance for a Lambda event source: six times the function timeout plus the batching window, so a record
      // is not redelivered while a throttled or retried invocation still holds it.
      visibilityTimeout: Duration.seconds(6 * timeout.toSeconds() + maxBatchingWindow.toSeconds()),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    // An own role instead of the AWSLambdaBasicExecutionRole managed policy: it may write to this log group only.
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(role);
    if (props.vpc) {
      role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
    }
    this.function = new lambda.Function(this, 'Function', {
      code: props.code,
      handler: props.handler ?? 'index.handler',
      runtime: props.runtime ?? lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout,
      reservedConcurrentExecutions: reservedConcurrency,
      role,
      logGroup: this.logGroup,
      environment: { ...props.environment },
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
    });
    this.function.node.addDependency(this.logGroup);
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        maxBatchingWindow,
        reportBatchItemFailures: true,
        ...(reservedConcurrency >= MAX_CONCURRENCY_RANGE.min
          ? { maxConcurrency: Math.min(reservedConcurrency, MAX_CONCURRENCY_RANGE.max) }
          : {}),
      }),
    );

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription:
        'Events failed every delivery and wait in the dead-letter queue: inspect them, fix the cause, redrive.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const action of props.alarmActions ?? []) this.deadLetterAlarm.addAlarmAction(action);
  }
}

interface Checked {
  memorySize: number;
  reservedConcurrency: number;
  batchSize: number;
  windowSeconds: number;
  maxReceiveCount: number;
}

function validate(v: Checked): void {
  const fail = (message: string) => {
    throw new NovaCostError('configuration', message);
  };
  if (!Number.isInteger(v.memorySize) || v.memorySize < 128 || v.memorySize > 10_240) {
    fail(`memorySize must be an integer number of MB in 128..10240, got ${v.memorySize}`);
  }
  if (!Number.isInteger(v.reservedConcurrency) || v.reservedConcurrency < 1) {
    fail(`reservedConcurrency must be a positive integer (0 would stop the function), got ${v.reservedConcurrency}`);
  }
  if (!Number.isInteger(v.batchSize) || v.batchSize < 1 || v.batchSize > 10_000) {
    fail(`batchSize must be an integer in 1..10000, got ${v.batchSize}`);
  }
  if (v.windowSeconds > 300) fail(`maxBatchingWindow must be at most 300 s, got ${v.windowSeconds} s`);
  if (v.batchSize > 10 && v.windowSeconds < 1) {
    fail(
      `a batchSize above 10 needs a maxBatchingWindow of at least 1 s (an SQS event source rule), got batchSize ${v.batchSize} and ${v.windowSeconds} s`,
    );
  }
  if (!Number.isInteger(v.maxReceiveCount) || v.maxReceiveCount < 1 || v.maxReceiveCount > 1000) {
    fail(`maxReceiveCount must be an integer in 1..1000, got ${v.maxReceiveCount}`);
  }
}
