import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import {
  BedrockInvokePolicy,
  CloudFrontFrontDoor,
  ContentBucket,
  CostAwareVpc,
  CostBudget,
  CostDashboard,
  CostOptimizedFargateService,
  EventStoreTables,
  RedisCache,
  type FoundationModelAccess,
  type InferenceProfileAccess,
} from '@nova-cost/cdk';
import type { Construct } from 'constructs';
import { gatewayImageFromRepo } from './gateway-image';

export interface NovaCostStackProps extends StackProps {
  /** Budget e-mail subscribers. */
  readonly alertEmails: readonly string[];
  /** @default 10000 */
  readonly monthlyBudgetUsd?: number;
  /** @default - built from the repository (apps/infra/docker/gateway.Dockerfile) */
  readonly gatewayImage?: ecs.ContainerImage;
  /** Put the gateway behind an internet-facing ALB (and CloudFront) instead of an internal one. @default false */
  readonly publicEndpoint?: boolean;
  /** CloudFront in front of the public ALB; ignored for an internal endpoint. @default true */
  readonly cloudFront?: boolean;
  /** @default 1 */
  readonly natGateways?: number;
  /** @default Nova Micro, Lite and Pro in the stack's region */
  readonly foundationModels?: readonly FoundationModelAccess[];
  /** @default [] */
  readonly inferenceProfiles?: readonly InferenceProfileAccess[];
  /** @default 'cache.t4g.small' */
  readonly cacheNodeType?: string;
}

const DEFAULT_MODELS: readonly FoundationModelAccess[] = [
  { modelId: 'amazon.nova-micro-v1:0' },
  { modelId: 'amazon.nova-lite-v1:0' },
  { modelId: 'amazon.nova-pro-v1:0' },
];

/** The gateway on Fargate with its Redis cache, content bucket, tables, budget and cost dashboard. */
export class NovaCostStack extends Stack {
  readonly gateway: CostOptimizedFargateService;
  readonly cache: RedisCache;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly frontDoor: CloudFrontFrontDoor | undefined;
  readonly budget: CostBudget;
  readonly content: ContentBucket;

  constructor(scope: Construct, id: string, props: NovaCostStackProps) {
    super(scope, id, props);
    const network = new CostAwareVpc(this, 'Network', { natGateways: props.natGateways });
    const { vpc } = network;
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, enableFargateCapacityProviders: true });

    this.cache = new RedisCache(this, 'Cache', { vpc, nodeType: props.cacheNodeType });
    const content = (this.content = new ContentBucket(this, 'Content'));
    const tables = new EventStoreTables(this, 'Tables');

    this.gateway = new CostOptimizedFargateService(this, 'Gateway', {
      cluster,
      image: props.gatewayImage ?? gatewayImageFromRepo(),
      environment: {
        REDIS_URL: this.cache.url,
        AWS_REGION: this.region,
        CONTENT_BUCKET: content.bucket.bucketName,
        EVENT_STORE_TABLE: tables.eventStore.tableName,
        READ_MODEL_TABLE: tables.readModel.tableName,
      },
    });
    this.cache.allowFrom(this.gateway.service);
    content.bucket.grantReadWrite(this.gateway.taskDefinition.taskRole);
    tables.eventStore.grantReadWriteData(this.gateway.taskDefinition.taskRole);
    tables.readModel.grantReadWriteData(this.gateway.taskDefinition.taskRole);
    new BedrockInvokePolicy(this, 'BedrockInvoke', {
      roles: [this.gateway.taskDefinition.taskRole],
      foundationModels: props.foundationModels ?? DEFAULT_MODELS,
      inferenceProfiles: props.inferenceProfiles,
    });

    const publicEndpoint = props.publicEndpoint ?? false;
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Endpoint', {
      vpc,
      internetFacing: publicEndpoint,
      dropInvalidHeaderFields: true,
      vpcSubnets: { subnetType: publicEndpoint ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    const listener = this.loadBalancer.addListener('Http', { port: 80, open: publicEndpoint });
    if (!publicEndpoint) this.loadBalancer.connections.allowFrom(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(80), 'clients in the VPC');
    listener.addTargets('Gateway', {
      port: this.gateway.containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.gateway.service],
      deregistrationDelay: Duration.seconds(30),
      healthCheck: { path: this.gateway.healthCheckPath, healthyHttpCodes: '200', interval: Duration.seconds(15) },
    });
    this.frontDoor =
      publicEndpoint && (props.cloudFront ?? true)
        ? new CloudFrontFrontDoor(this, 'FrontDoor', { loadBalancer: this.loadBalancer })
        : undefined;

    this.budget = new CostBudget(this, 'Budget', { emails: props.alertEmails, monthlyLimitUsd: props.monthlyBudgetUsd });
    new CostDashboard(this, 'Dashboard');
  }
}
