import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NovaCostError } from '@nova-cost/domain';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { EventProcessor, type EventProcessorProps } from './event-processor';

const CODE = lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });');

function synth(props: Partial<EventProcessorProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const processor = new EventProcessor(stack, 'Events', { code: CODE, ...props });
  return { app, stack, processor, template: Template.fromStack(stack) };
}

describe(EventProcessor, () => {
  it('runs on arm64 with 256 MB, a 30 s timeout, the latest Node runtime and a reserved-concurrency cap of 10', () => {
    synth().template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 30,
      Runtime: 'nodejs24.x',
      ReservedConcurrentExecutions: 10,
    });
  });

  it('polls its queue in batches of 10 gathered for up to 1 s, reports partial batch failures, and polls no wider than the cap', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsQueue'), 'Arn'] },
    });
  });

  it('keeps logs a month in its own log group, written by its own role without managed policies', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^EventsLogs') } },
    });
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('moves a message that failed 3 deliveries to an encrypted dead-letter queue kept 14 days, and alarms on the first one there', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::SQS::Queue', {
      // 6 × 30 s timeout + 1 s window
      VisibilityTimeout: 181,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        maxReceiveCount: 3,
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsDeadLetterQueue'), 'Arn'] },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsDeadLetterQueue'), 'QueueName'] } },
      ],
    });
  });

  it('applies its overrides and lowers the polling width with the cap', () => {
    const { template } = synth({
      memorySize: 512,
      reservedConcurrency: 3,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(20),
      timeout: Duration.seconds(60),
      maxReceiveCount: 5,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      ReservedConcurrentExecutions: 3,
      Timeout: 60,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 3 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 380,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
  });

  it('leaves the polling width to the cap alone when the cap is 1 (the event source accepts 2 at least)', () => {
    synth({ reservedConcurrency: 1 }).template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: Match.absent(),
    });
  });

  it('passes the AwsSolutions checks with no acknowledgement but the dead-letter queue having none of its own', () => {
    const { app } = synth();
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  describe('misuse', () => {
    it.each<[string, Partial<EventProcessorProps>, RegExp]>([
      [
        'a memory below Lambda’s 128 MB',
        { memorySize: 64 },
        /memorySize must be an integer number of MB in 128\.\.10240, got 64/,
      ],
      [
        'a cap of 0, which would stop the function',
        { reservedConcurrency: 0 },
        /reservedConcurrency must be a positive integer/,
      ],
      [
        'a batch above 10 without a window',
        { batchSize: 50, maxBatchingWindow: Duration.seconds(0) },
        /batchSize above 10 needs a maxBatchingWindow of at least 1 s/,
      ],
      [
        'a window above 300 s',
        { maxBatchingWindow: Duration.minutes(10) },
        /maxBatchingWindow must be at most 300 s, got 600 s/,
      ],
      [
        'no delivery before the dead-letter queue',
        { maxReceiveCount: 0 },
        /maxReceiveCount must be an integer in 1\.\.1000/,
      ],
    ])('refuses %s', (_, props, message) => {
      expect(() => synth(props)).toThrow(NovaCostError);
      expect(() => synth(props)).toThrow(message);
    });
  });
});
