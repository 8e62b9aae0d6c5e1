import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

export interface RedisCacheProps {
  readonly vpc: ec2.IVpc;
  /** @default - the VPC's private subnets with egress, else its isolated ones (the cache needs no egress) */
  readonly subnets?: ec2.SubnetSelection;
  /** @default 'cache.t4g.small' */
  readonly nodeType?: string;
  /** Primary plus replicas; 2 or more enables Multi-AZ automatic failover. @default 2 */
  readonly nodes?: number;
  /** @default 6379 */
  readonly port?: number;
  /** @default '7.1' */
  readonly engineVersion?: string;
}

/**
 * The response cache: a Redis replication group in private subnets, encrypted in transit and at rest, reachable
 * only from security groups given to `allowFrom`, and requiring Redis AUTH with a generated token kept in Secrets
 * Manager (`authToken`; give it to the clients, e.g. as an ECS secret).
 */
export class RedisCache extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  /** The Redis AUTH token: 64 letters and digits (ElastiCache refuses some punctuation). */
  readonly authToken: secretsmanager.Secret;
  readonly securityGroup: ec2.SecurityGroup;
  readonly port: number;

  constructor(scope: Construct, id: string, props: RedisCacheProps) {
    super(scope, id);
    tagCostCategory(this, 'storage');
    const nodes = props.nodes ?? 2;
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 6) {
      throw new NovaCostError(
        'configuration',
        `nodes must be an integer in 1..6 (primary plus up to 5 replicas), got ${nodes}`,
      );
    }
    this.port = props.port ?? 6379;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Redis cache: ingress only from the services allowed explicitly',
      allowAllOutbound: false,
    });
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'Private subnets of the Redis cache',
      subnetIds: props.vpc.selectSubnets(props.subnets ?? { subnetType: privateSubnetType(props.vpc) }).subnetIds,
    });
    this.authToken = new secretsmanager.Secret(this, 'AuthToken', {
      description: 'nova-cost: Redis AUTH token of the response cache (stack-managed)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: 'nova-cost response cache',
      engine: 'redis',
      engineVersion: props.engineVersion ?? '7.1',
      cacheNodeType: props.nodeType ?? 'cache.t4g.small',
      numCacheClusters: nodes,
      automaticFailoverEnabled: nodes > 1,
      multiAzEnabled: nodes > 1,
      port: this.port,
      transitEncryptionEnabled: true,
      // Resolved by CloudFormation at deploy time: the token never sits in the template.
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      atRestEncryptionEnabled: true,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
    });
  }

  /** `rediss://host:port` of the primary endpoint (TLS, since transit encryption is on). */
  get url(): string {
    return `rediss://${this.replicationGroup.attrPrimaryEndPointAddress}:${this.replicationGroup.attrPrimaryEndPointPort}`;
  }

  /** Lets `peer` reach the cache port; nothing else can. */
  allowFrom(peer: ec2.IConnectable): void {
    this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(this.port), 'Redis from the gateway');
  }
}

/** A VPC without NAT has isolated subnets only: selecting PRIVATE_WITH_EGRESS there would throw. */
function privateSubnetType(vpc: ec2.IVpc): ec2.SubnetType {
  return vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED;
}
