import { Duration, TimeZone } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

/** A time of day, interpreted in the service's `timeZone`. */
export interface TimeOfDay {
  readonly hour: number;
  readonly minute: number;
}

export interface CostOptimizedFargateServiceProps {
  /**
   * The cluster. Its Fargate capacity providers are enabled by this construct (idempotent), and the service
   * depends on the cluster so the capacity-provider association exists before the service is created.
   */
  readonly cluster: ecs.Cluster;
  /** The container image of the service. */
  readonly image: ecs.ContainerImage;
  /** @default 8080 */
  readonly containerPort?: number;
  /** Task vCPU in CPU units. @default 1024 */
  readonly cpu?: number;
  /** Task memory. @default 2048 */
  readonly memoryLimitMiB?: number;
  /** Plain (non-secret) environment of the container. @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Secret environment of the container, resolved by ECS at task start (Secrets Manager or SSM), so the value is in
   * neither the image nor the task definition. The execution role is granted read on each. @default {}
   */
  readonly secrets?: Readonly<Record<string, ecs.Secret>>;
  /** Path the container health check probes (and load balancers, unless told otherwise). @default '/healthz' */
  readonly healthCheckPath?: string;
  /** @default 2 */
  readonly minTasks?: number;
  /** @default 50 */
  readonly maxTasks?: number;
  /** Target-tracking CPU utilization. @default 70 */
  readonly cpuTargetPercent?: number;
  /** Target-tracking memory utilization. @default 75 */
  readonly memoryTargetPercent?: number;
  /** @default Duration.minutes(5) */
  readonly scaleInCooldown?: Duration;
  /** @default Duration.minutes(1) */
  readonly scaleOutCooldown?: Duration;
  /** Minimum task count during business hours, set ahead of the morning peak. @default 5 */
  readonly peakMinTasks?: number;
  /** When the peak minimum starts. @default { hour: 8, minute: 30 } */
  readonly peakStart?: TimeOfDay;
  /** When the minimum drops back to `minTasks`. @default { hour: 22, minute: 0 } */
  readonly peakEnd?: TimeOfDay;
  /** Time zone of the schedule; without one, scheduled actions run in UTC. @default TimeZone.ASIA_TOKYO */
  readonly timeZone?: TimeZone;
  /** FARGATE_SPOT weight. @default 4 */
  readonly spotWeight?: number;
  /** FARGATE (on-demand) weight. @default 1 */
  readonly onDemandWeight?: number;
  /** Tasks always placed on on-demand FARGATE before the weights apply. @default 2 */
  readonly onDemandBase?: number;
  /** Time between SIGTERM and SIGKILL; Fargate Spot gives 120 s notice. @default Duration.seconds(120) */
  readonly stopTimeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default - the private subnets of the cluster's VPC */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new security group */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * A Fargate service shaped for cost: Spot-heavy capacity mix above an on-demand base, target tracking on CPU and
 * memory, and a scheduled floor for business hours. No desired count is set, so a deploy never resets what the
 * scaler chose.
 */
export class CostOptimizedFargateService extends Construct {
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly scaling: ecs.ScalableTaskCount;
  readonly logGroup: logs.LogGroup;
  readonly containerPort: number;
  /** The path the container health check probes; give it to load balancer target groups too. */
  readonly healthCheckPath: string;

  constructor(scope: Construct, id: string, props: CostOptimizedFargateServiceProps) {
    super(scope, id);
    tagCostCategory(this, 'compute');
    const minTasks = props.minTasks ?? 2;
    const maxTasks = props.maxTasks ?? 50;
    const peakMinTasks = props.peakMinTasks ?? 5;
    const stopTimeout = props.stopTimeout ?? Duration.seconds(120);
    const peakStart = props.peakStart ?? { hour: 8, minute: 30 };
    const peakEnd = props.peakEnd ?? { hour: 22, minute: 0 };
    validate({
      minTasks,
      maxTasks,
      peakMinTasks,
      stopTimeoutSeconds: stopTimeout.toSeconds(),
      times: [peakStart, peakEnd],
    });
    this.containerPort = props.containerPort ?? 8080;
    const healthCheckPath = (this.healthCheckPath = props.healthCheckPath ?? '/healthz');

    props.cluster.enableFargateCapacityProviders();

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryLimitMiB ?? 2048,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    this.container = this.taskDefinition.addContainer('app', {
      image: props.image,
      essential: true,
      environment: { PORT: String(this.containerPort), ...props.environment },
      secrets: { ...props.secrets },
      portMappings: [{ containerPort: this.containerPort }],
      stopTimeout,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'app' }),
      healthCheck: {
        // Node is in the image; curl may not be.
        command: [
          'CMD-SHELL',
          `node -e "fetch('http://127.0.0.1:${this.containerPort}${healthCheckPath}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"`,
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      // desiredCount deliberately unset: CloudFormation then keeps the scaler's count on every update.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      capacityProviderStrategies: [
        { capacityProvider: 'FARGATE_SPOT', weight: props.spotWeight ?? 4, base: 0 },
        { capacityProvider: 'FARGATE', weight: props.onDemandWeight ?? 1, base: props.onDemandBase ?? 2 },
      ],
    });
    // Without this, CloudFormation may create the service before the cluster's capacity-provider association
    // and the deploy fails with "capacity provider ... is not associated with the cluster".
    this.service.node.addDependency(props.cluster);

    this.scaling = this.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
    const cooldowns = {
      scaleInCooldown: props.scaleInCooldown ?? Duration.minutes(5),
      scaleOutCooldown: props.scaleOutCooldown ?? Duration.minutes(1),
    };
    this.scaling.scaleOnCpuUtilization('CpuScaling', {
      targetUtilizationPercent: props.cpuTargetPercent ?? 70,
      ...cooldowns,
    });
    this.scaling.scaleOnMemoryUtilization('MemoryScaling', {
      targetUtilizationPercent: props.memoryTargetPercent ?? 75,
      ...cooldowns,
    });
    const timeZone = props.timeZone ?? TimeZone.ASIA_TOKYO;
    this.scaling.scaleOnSchedule('ScaleUpMorning', {
      schedule: appscaling.Schedule.cron({ hour: String(peakStart.hour), minute: String(peakStart.minute) }),
      minCapacity: peakMinTasks,
      timeZone,
    });
    this.scaling.scaleOnSchedule('ScaleDownNight', {
      schedule: appscaling.Schedule.cron({ hour: String(peakEnd.hour), minute: String(peakEnd.minute) }),
      minCapacity: minTasks,
      timeZone,
    });
  }
}

interface Checked {
  minTasks: number;
  maxTasks: number;
  peakMinTasks: number;
  stopTimeoutSeconds: number;
  times: TimeOfDay[];
}

function validate(v: Checked): void {
  if (!Number.isInteger(v.minTasks) || v.minTasks < 0 || v.maxTasks < v.minTasks) {
    throw new NovaCostError(
      'configuration',
      `minTasks must be an integer in 0..maxTasks, got ${v.minTasks} (maxTasks ${v.maxTasks})`,
    );
  }
  if (v.peakMinTasks < v.minTasks || v.peakMinTasks > v.maxTasks) {
    throw new NovaCostError('configuration', `peakMinTasks must be within minTasks..maxTasks, got ${v.peakMinTasks}`);
  }
  if (v.stopTimeoutSeconds > 120) {
    throw new NovaCostError(
      'configuration',
      `stopTimeout must be at most 120 s on Fargate, got ${v.stopTimeoutSeconds} s`,
    );
  }
  for (const t of v.times) {
    if (
      !Number.isInteger(t.hour) ||
      !Number.isInteger(t.minute) ||
      t.hour < 0 ||
      t.hour > 23 ||
      t.minute < 0 ||
      t.minute > 59
    ) {
      throw new NovaCostError(
        'configuration',
        `peakStart and peakEnd need an hour 0..23 and a minute 0..59, got ${t.hour}:${t.minute}`,
      );
    }
  }
}
