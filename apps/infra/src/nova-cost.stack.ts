import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, Token, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  BedrockBatchInference,
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
import { NovaCostError } from '@nova-cost/domain';
import type { Construct } from 'constructs';
import { gatewayImageFromRepo } from './gateway-image';
import { defaultNovaAccess } from './nova-model-access';
import { addServerlessParts, type ServerlessParts, type ServerlessPartsProps } from './serverless-parts';

export interface NovaCostStackProps extends StackProps, ServerlessPartsProps {
  /**
   * Budget e-mail subscribers.
   * @default - none: the budget is created without notifications and synth warns (no address is guessed)
   */
  readonly alertEmails?: readonly string[];
  /** @default 10000 */
  readonly monthlyBudgetUsd?: number;
  /** @default - built from the repository (apps/infra/docker/gateway.Dockerfile) */
  readonly gatewayImage?: ecs.ContainerImage;
  /** Put the gateway behind an internet-facing ALB (and CloudFront) instead of an internal one. @default false */
  readonly publicEndpoint?: boolean;
  /** CloudFront in front of the public ALB; ignored for an internal endpoint. @default true */
  readonly cloudFront?: boolean;
  /**
   * NAT gateways, 1 up to the VPC's AZs (2). Not 0: the tasks pull the image from ECR and read Secrets Manager and
   * Bedrock through it (only S3, DynamoDB and bedrock-runtime have endpoints here).
   * @default 1
   */
  readonly natGateways?: number;
  /** @default - Nova Micro, Lite and Pro by plain id where the stack's region serves them directly (us-east-1) */
  readonly foundationModels?: readonly FoundationModelAccess[];
  /** @default - the Nova profiles of the stack region's geography (us., eu., apac.) with every region they route to */
  readonly inferenceProfiles?: readonly InferenceProfileAccess[];
  /** @default 'cache.t4g.small' */
  readonly cacheNodeType?: string;
  /**
   * Complete ARN (with the 6-character suffix: ECS refuses partial ARNs) of an existing Secrets Manager secret whose
   * value is the gateway's tenants-and-policy JSON. ECS injects it as NOVA_COST_CONFIG_JSON at task start.
   * @default - a new, retained secret holding the placeholder `{"tenants":[]}`: the gateway starts but refuses every
   * request until the tenants document is put into it and the service is redeployed
   */
  readonly tenantsSecretArn?: string;
  /**
   * The async API (StartAsyncInvoke at half price through Bedrock batch inference): the batch service role, lifecycle
   * rules on the content bucket's `nova-cost/async/` prefix, the task role's grants and the NOVA_COST_ASYNC_*
   * variables. Nothing in it costs anything until jobs run. @default true
   */
  readonly asyncInvoke?: boolean;
}

/**
 * The value of a tenants secret the stack creates: a valid document with no tenants, so the gateway starts (and
 * refuses every request) instead of failing its tasks and rolling the deployment back. Not a secret. Never change it:
 * CloudFormation writes SecretString again when it changes, over the tenants document the operator put there.
 */
export const TENANTS_PLACEHOLDER = JSON.stringify({ tenants: [] });

/**
 * How long the gateway drains after SIGTERM (DRAIN_DEADLINE_MS), within the container's 120 s stop timeout. The
 * target group keeps a deregistered task's connections a little longer, so the ALB never cuts a request the gateway
 * is still answering.
 */
const GATEWAY_DRAIN_DEADLINE = Duration.seconds(110);
const DEREGISTRATION_DELAY = Duration.seconds(GATEWAY_DRAIN_DEADLINE.toSeconds() + 5);

/**
 * How long the ALB keeps a connection without a byte either way: above CloudFront's 60 s origin read timeout, so a
 * long Converse call or deferrable batch ends with its answer, not an ALB 504.
 */
const ALB_IDLE_TIMEOUT = Duration.seconds(120);

/**
 * The header CloudFront adds to every request to the ALB (overwriting a viewer's), with a generated value the ALB
 * listener requires before it forwards to the gateway: a request sent to the public ALB directly gets a 403.
 */
export const ORIGIN_VERIFY_HEADER = 'X-Origin-Verify';

/** `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>` */
const COMPLETE_SECRET_ARN = /^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

/** The gateway on Fargate with its Redis cache, content bucket, tables, budget and cost dashboard. */
export class NovaCostStack extends Stack {
  readonly gateway: CostOptimizedFargateService;
  readonly cache: RedisCache;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly frontDoor: CloudFrontFrontDoor | undefined;
  readonly budget: CostBudget;
  readonly content: ContentBucket;
  /** The secret holding the tenants document (NOVA_COST_CONFIG_JSON). */
  readonly tenantsSecret: secretsmanager.ISecret;
  /** True when the stack created the tenants secret, which then still needs its value. */
  readonly tenantsSecretOwned: boolean;
  /** The value CloudFront sends in the origin-verify header and the ALB requires; only behind CloudFront. */
  readonly originVerifySecret: secretsmanager.Secret | undefined;
  /** The async API's batch inference role, prefix and grants; undefined when `asyncInvoke` is false. */
  readonly batchInference: BedrockBatchInference | undefined;
  /** The event processor, vector search and HTTP API, where the props asked for them. */
  readonly serverless: ServerlessParts;

  constructor(scope: Construct, id: string, props: NovaCostStackProps) {
    super(scope, id, props);
    if (props.natGateways === 0) {
      throw new NovaCostError(
        'configuration',
        'natGateways must be at least 1 for NovaCostStack: the gateway tasks, the ALB and Redis sit in private subnets with egress, and the tasks reach ECR, Secrets Manager and CloudWatch Logs through the NAT, got 0',
      );
    }
    const network = new CostAwareVpc(this, 'Network', { natGateways: props.natGateways });
    const { vpc } = network;
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, enableFargateCapacityProviders: true });

    this.cache = new RedisCache(this, 'Cache', { vpc, nodeType: props.cacheNodeType });
    const content = (this.content = new ContentBucket(this, 'Content'));
    const tables = new EventStoreTables(this, 'Tables');

    // A region token (an environment-agnostic stack) gets the us-east-1 defaults; pass the models to override.
    const nova = defaultNovaAccess(Token.isUnresolved(this.region) ? 'us-east-1' : this.region);
    const foundationModels = props.foundationModels ?? nova.foundationModels;
    const inferenceProfiles = props.inferenceProfiles ?? nova.inferenceProfiles;
    this.batchInference =
      (props.asyncInvoke ?? true)
        ? new BedrockBatchInference(this, 'BatchInference', {
            bucket: content.bucket,
            foundationModels,
            inferenceProfiles,
          })
        : undefined;

    this.tenantsSecretOwned = props.tenantsSecretArn === undefined;
    this.tenantsSecret = this.tenantsSecretFrom(props.tenantsSecretArn);
    this.gateway = new CostOptimizedFargateService(this, 'Gateway', {
      cluster,
      image: props.gatewayImage ?? gatewayImageFromRepo(),
      // The gateway binds 127.0.0.1 by default: in a task, neither the ALB nor the health check could reach that.
      environment: {
        HOST: '0.0.0.0',
        REDIS_URL: this.cache.url,
        AWS_REGION: this.region,
        CONTENT_BUCKET: content.bucket.bucketName,
        EVENT_STORE_TABLE: tables.eventStore.tableName,
        READ_MODEL_TABLE: tables.readModel.tableName,
        DRAIN_DEADLINE_MS: String(GATEWAY_DRAIN_DEADLINE.toMilliseconds()),
        ...this.batchInference?.environment,
      },
      // Real Bedrock needs tenants (the demo tenant's keys are public); a task has no file, so ECS injects the JSON.
      secrets: {
        NOVA_COST_CONFIG_JSON: ecs.Secret.fromSecretsManager(this.tenantsSecret),
        REDIS_PASSWORD: ecs.Secret.fromSecretsManager(this.cache.authToken),
      },
    });
    this.cache.allowFrom(this.gateway.service);
    content.bucket.grantReadWrite(this.gateway.taskDefinition.taskRole);
    tables.eventStore.grantReadWriteData(this.gateway.taskDefinition.taskRole);
    tables.readModel.grantReadWriteData(this.gateway.taskDefinition.taskRole);
    new BedrockInvokePolicy(this, 'BedrockInvoke', {
      roles: [this.gateway.taskDefinition.taskRole],
      foundationModels,
      inferenceProfiles,
    });
    this.batchInference?.grantSubmit(this.gateway.taskDefinition.taskRole);

    const publicEndpoint = props.publicEndpoint ?? false;
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Endpoint', {
      vpc,
      internetFacing: publicEndpoint,
      dropInvalidHeaderFields: true,
      idleTimeout: ALB_IDLE_TIMEOUT,
      vpcSubnets: { subnetType: publicEndpoint ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    const listener = this.loadBalancer.addListener('Http', { port: 80, open: publicEndpoint });
    if (!publicEndpoint)
      this.loadBalancer.connections.allowFrom(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(80), 'clients in the VPC');
    const behindCloudFront = publicEndpoint && (props.cloudFront ?? true);
    this.originVerifySecret = behindCloudFront ? this.originVerifySecretFor() : undefined;
    // The ALB is open to the world on port 80, but forwards only what carries CloudFront's origin-verify header.
    const originVerifyValue = this.originVerifySecret?.secretValue.unsafeUnwrap();
    if (originVerifyValue !== undefined) {
      listener.addAction('RefuseDirect', {
        action: elbv2.ListenerAction.fixedResponse(403, {
          contentType: 'application/json',
          messageBody: JSON.stringify({ message: 'call this gateway through its CloudFront endpoint' }),
        }),
      });
    }
    if (publicEndpoint) {
      // Prometheus metrics are for scrapers inside the VPC (they reach the tasks directly), not for the internet.
      listener.addAction('HideMetrics', {
        priority: 1,
        conditions: [elbv2.ListenerCondition.pathPatterns(['/metrics', '/metrics/*'])],
        action: elbv2.ListenerAction.fixedResponse(404, {
          contentType: 'application/json',
          messageBody: JSON.stringify({ message: 'not found' }),
        }),
      });
    }
    listener.addTargets('Gateway', {
      ...(originVerifyValue !== undefined
        ? { priority: 2, conditions: [elbv2.ListenerCondition.httpHeader(ORIGIN_VERIFY_HEADER, [originVerifyValue])] }
        : {}),
      port: this.gateway.containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.gateway.service],
      deregistrationDelay: DEREGISTRATION_DELAY,
      // /readyz turns 503 as soon as a task drains (SIGTERM, Spot notice), so the ALB stops sending it requests.
      healthCheck: { path: '/readyz', healthyHttpCodes: '200', interval: Duration.seconds(15) },
    });
    this.frontDoor = behindCloudFront
      ? new CloudFrontFrontDoor(this, 'FrontDoor', {
          loadBalancer: this.loadBalancer,
          originCustomHeaders: { [ORIGIN_VERIFY_HEADER]: originVerifyValue! },
        })
      : undefined;

    this.serverless = addServerlessParts(this, props, {
      vpc,
      listener,
      gatewayUrl: `http://${this.loadBalancer.loadBalancerDnsName}`,
      publicEndpoint,
    });

    this.budget = new CostBudget(this, 'Budget', {
      emails: props.alertEmails ?? [],
      monthlyLimitUsd: props.monthlyBudgetUsd,
    });
    new CostDashboard(this, 'Dashboard');
    new CfnOutput(this, 'TenantsSecretArn', {
      value: this.tenantsSecret.secretArn,
      description: 'Put the tenants-and-policy JSON here',
    });
    new CfnOutput(this, 'EndpointDnsName', {
      value: this.frontDoor?.distribution.distributionDomainName ?? this.loadBalancer.loadBalancerDnsName,
    });
  }

  private originVerifySecretFor(): secretsmanager.Secret {
    return new secretsmanager.Secret(this, 'OriginVerifySecret', {
      description: `nova-cost: the ${ORIGIN_VERIFY_HEADER} value CloudFront sends and the ALB requires (stack-managed)`,
      // Letters and digits only: an ALB header condition treats * and ? as wildcards.
      generateSecretString: { passwordLength: 40, excludePunctuation: true, includeSpace: false },
    });
  }

  private tenantsSecretFrom(arn: string | undefined): secretsmanager.ISecret {
    if (arn !== undefined) {
      if (!COMPLETE_SECRET_ARN.test(arn)) {
        throw new NovaCostError(
          'configuration',
          `tenantsSecretArn must be a complete secret ARN ending in -XXXXXX (ECS cannot resolve a name or partial ARN), got "${arn}"`,
        );
      }
      return secretsmanager.Secret.fromSecretCompleteArn(this, 'TenantsSecret', arn);
    }
    return new secretsmanager.Secret(this, 'TenantsSecret', {
      description: 'nova-cost gateway tenants and cost policy (NOVA_COST_CONFIG_JSON); put the JSON document here',
      secretStringValue: SecretValue.unsafePlainText(TENANTS_PLACEHOLDER),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
