import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NovaCostError } from '@nova-cost/domain';
import { beforeAll, describe, expect, it } from 'vitest';
import { CostOptimizedFargateService, type CostOptimizedFargateServiceProps } from './cost-optimized-fargate-service';

const TENANTS_ARN = 'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:nova-cost/tenants-AbCdEf';

type Props = Partial<CostOptimizedFargateServiceProps>;

function synth(given: Props | ((stack: Stack) => Props) = {}) {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'ap-northeast-1' } });
  const props = typeof given === 'function' ? given(stack) : given;
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 1, maxAzs: 2 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const construct = new CostOptimizedFargateService(stack, 'Gateway', {
    cluster,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:20-slim'),
    ...props,
  });
  return { template: Template.fromStack(stack), construct };
}

describe(CostOptimizedFargateService, () => {
  describe('having default props', () => {
    let template: Template;
    beforeAll(() => ({ template } = synth()));

    it('mixes FARGATE_SPOT weight 4 base 0 with FARGATE weight 1 base 2, and sets no desired count', () => {
      template.hasResourceProperties('AWS::ECS::Service', {
        CapacityProviderStrategy: [
          { CapacityProvider: 'FARGATE_SPOT', Weight: 4, Base: 0 },
          { CapacityProvider: 'FARGATE', Weight: 1, Base: 2 },
        ],
        DesiredCount: Match.absent(),
        LaunchType: Match.absent(),
        DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 100, MaximumPercent: 200 }),
      });
    });

    it('enables the Fargate capacity providers and depends on their association with the cluster', () => {
      template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
        CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
      });
      const association = Object.keys(template.findResources('AWS::ECS::ClusterCapacityProviderAssociations'))[0]!;
      const service = Object.values(template.findResources('AWS::ECS::Service'))[0]!;
      expect(service.DependsOn).toContain(association);
    });

    it('gives the container a 120 s stop timeout, a health check and logs with retention', () => {
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        Cpu: '1024',
        Memory: '2048',
        ContainerDefinitions: [
          Match.objectLike({
            StopTimeout: 120,
            HealthCheck: Match.objectLike({ Command: ['CMD-SHELL', Match.stringLikeRegexp('127.0.0.1:8080/healthz')] }),
            LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
            PortMappings: [Match.objectLike({ ContainerPort: 8080 })],
          }),
        ],
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });

    it('scales 2..50 tasks with business-hours floors of 5 at 08:30 and 2 at 22:00 Asia/Tokyo', () => {
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        MinCapacity: 2,
        MaxCapacity: 50,
        ScalableDimension: 'ecs:service:DesiredCount',
        ScheduledActions: [
          {
            ScheduledActionName: Match.stringLikeRegexp('ScaleUpMorning'),
            Schedule: 'cron(30 8 * * ? *)',
            ScalableTargetAction: { MinCapacity: 5 },
            Timezone: 'Asia/Tokyo',
          },
          {
            ScheduledActionName: Match.stringLikeRegexp('ScaleDownNight'),
            Schedule: 'cron(0 22 * * ? *)',
            ScalableTargetAction: { MinCapacity: 2 },
            Timezone: 'Asia/Tokyo',
          },
        ],
      });
    });

    it('tracks CPU at 70% and memory at 75% with 300 s scale-in and 60 s scale-out cooldowns', () => {
      for (const [metric, target] of [
        ['ECSServiceAverageCPUUtilization', 70],
        ['ECSServiceAverageMemoryUtilization', 75],
      ] as const) {
        template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: {
            PredefinedMetricSpecification: { PredefinedMetricType: metric },
            TargetValue: target,
            ScaleInCooldown: 300,
            ScaleOutCooldown: 60,
          },
        });
      }
    });
  });

  describe('having overrides', () => {
    it('applies every number it is given', () => {
      const { template } = synth((stackScope) => ({
        minTasks: 1,
        maxTasks: 10,
        peakMinTasks: 3,
        peakStart: { hour: 7, minute: 0 },
        peakEnd: { hour: 20, minute: 15 },
        timeZone: TimeZone.EUROPE_BERLIN,
        cpuTargetPercent: 60,
        memoryTargetPercent: 80,
        scaleInCooldown: Duration.minutes(10),
        scaleOutCooldown: Duration.seconds(30),
        spotWeight: 1,
        onDemandWeight: 1,
        onDemandBase: 1,
        stopTimeout: Duration.seconds(60),
        cpu: 512,
        memoryLimitMiB: 1024,
        containerPort: 3000,
        healthCheckPath: '/readyz',
        environment: { HOST: '0.0.0.0' },
        secrets: {
          NOVA_COST_CONFIG_JSON: ecs.Secret.fromSecretsManager(
            secretsmanager.Secret.fromSecretCompleteArn(stackScope, 'Tenants', TENANTS_ARN),
          ),
        },
      }));
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        MinCapacity: 1,
        MaxCapacity: 10,
        ScheduledActions: [
          Match.objectLike({
            Schedule: 'cron(0 7 * * ? *)',
            ScalableTargetAction: { MinCapacity: 3 },
            Timezone: 'Europe/Berlin',
          }),
          Match.objectLike({
            Schedule: 'cron(15 20 * * ? *)',
            ScalableTargetAction: { MinCapacity: 1 },
            Timezone: 'Europe/Berlin',
          }),
        ],
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          TargetValue: 60,
          ScaleInCooldown: 600,
          ScaleOutCooldown: 30,
        }),
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 80 }),
      });
      template.hasResourceProperties('AWS::ECS::Service', {
        CapacityProviderStrategy: [
          { CapacityProvider: 'FARGATE_SPOT', Weight: 1, Base: 0 },
          { CapacityProvider: 'FARGATE', Weight: 1, Base: 1 },
        ],
      });
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        Cpu: '512',
        Memory: '1024',
        ContainerDefinitions: [
          Match.objectLike({
            StopTimeout: 60,
            PortMappings: [Match.objectLike({ ContainerPort: 3000 })],
            HealthCheck: Match.objectLike({ Command: ['CMD-SHELL', Match.stringLikeRegexp('127.0.0.1:3000/readyz')] }),
            Environment: Match.arrayWith([{ Name: 'HOST', Value: '0.0.0.0' }]),
            Secrets: [{ Name: 'NOVA_COST_CONFIG_JSON', ValueFrom: TENANTS_ARN }],
          }),
        ],
      });
      // The value is fetched by the agent at task start: the execution role, not the task role, reads it.
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
              Resource: TENANTS_ARN,
            }),
          ]),
        },
        Roles: [{ Ref: Match.stringLikeRegexp('ExecutionRole') }],
      });
    });
  });

  describe('misuse', () => {
    it.each([
      [{ minTasks: 5, maxTasks: 2 }, /minTasks/],
      [{ peakMinTasks: 60 }, /peakMinTasks/],
      [{ stopTimeout: Duration.seconds(121) }, /stopTimeout must be at most 120 s/],
      [{ peakStart: { hour: 24, minute: 0 } }, /hour 0..23 and a minute 0..59, got 24:0/],
    ])('refuses %o', (props, message) => {
      expect(() => synth(props)).toThrow(message);
      expect(() => synth(props)).toThrow(NovaCostError);
    });
  });
});
