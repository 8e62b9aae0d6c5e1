import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { describe, it } from 'vitest';
import { CostOptimizedFargateService } from './compute/cost-optimized-fargate-service';
import { COST_CATEGORY_TAG } from './cost-category-tag';
import { CostAwareVpc } from './network/cost-aware-vpc';
import { ContentBucket } from './storage/content-bucket';
import { EventStoreTables } from './storage/event-store-tables';
import { RedisCache } from './storage/redis-cache';

describe('cost category tags', () => {
  it('tag each construct’s resources with the bill category they belong to', () => {
    const stack = new Stack(new App(), 'Test');
    const { vpc } = new CostAwareVpc(stack, 'Network');
    new CostOptimizedFargateService(stack, 'Gateway', {
      cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
      image: ecs.ContainerImage.fromRegistry('node:20-slim'),
    });
    new ContentBucket(stack, 'Content');
    new EventStoreTables(stack, 'Tables');
    new RedisCache(stack, 'Cache', { vpc });
    const template = Template.fromStack(stack);
    const tagged = (value: string) => ({ Tags: Match.arrayWith([{ Key: COST_CATEGORY_TAG, Value: value }]) });
    template.hasResourceProperties('AWS::EC2::NatGateway', tagged('network'));
    template.hasResourceProperties('AWS::ECS::TaskDefinition', tagged('compute'));
    template.hasResourceProperties('AWS::S3::Bucket', tagged('storage'));
    template.hasResourceProperties('AWS::DynamoDB::Table', tagged('storage'));
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', tagged('storage'));
  });
});
