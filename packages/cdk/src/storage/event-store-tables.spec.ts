import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { NovaCostError } from '@nova-cost/domain';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventStoreTables, type EventStoreTablesProps } from './event-store-tables';

function synth(props?: EventStoreTablesProps): Template {
  const stack = new Stack(new App(), 'Test');
  new EventStoreTables(stack, 'Tables', props);
  return Template.fromStack(stack);
}

describe(EventStoreTables, () => {
  describe('having default props', () => {
    let template: Template;
    beforeAll(() => (template = synth()));

    it('keeps the event store on demand with TTL on `ttl` and point-in-time recovery', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        ProvisionedThroughput: Match.absent(),
      });
    });

    it('provisions the read model at 10/10 and scales reads 5..100 at 70% utilization', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        ProvisionedThroughput: { ReadCapacityUnits: 10, WriteCapacityUnits: 10 },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ScalableDimension: 'dynamodb:table:ReadCapacityUnits',
        MinCapacity: 5,
        MaxCapacity: 100,
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBReadCapacityUtilization' },
          TargetValue: 70,
        },
      });
    });
  });

  describe('having overrides', () => {
    it('applies every number it is given', () => {
      const template = synth({
        ttlAttribute: 'expiresAt',
        pointInTimeRecovery: false,
        readModelReadCapacity: 20,
        readModelWriteCapacity: 4,
        readModelMinReadCapacity: 2,
        readModelMaxReadCapacity: 40,
        readModelTargetUtilizationPercent: 50,
      });
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      });
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        ProvisionedThroughput: { ReadCapacityUnits: 20, WriteCapacityUnits: 4 },
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        MinCapacity: 2,
        MaxCapacity: 40,
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 50 }),
      });
    });
  });

  describe('misuse', () => {
    it('refuses a read range whose minimum exceeds its maximum', () => {
      expect(() => synth({ readModelMinReadCapacity: 50, readModelMaxReadCapacity: 10 })).toThrow(NovaCostError);
      expect(() => synth({ readModelMinReadCapacity: 50, readModelMaxReadCapacity: 10 })).toThrow(
        /1 <= min <= max, got 50..10/,
      );
    });
  });
});
