import { Lazy, Names, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as aoss from 'aws-cdk-lib/aws-opensearchserverless';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

export interface OpenSearchVectorCollectionProps {
  /**
   * Production keeps standby replicas in a second AZ, which doubles the idle floor (1 indexing + 1 search OCU instead of
   * 0.5 + 0.5). Anywhere else a lost AZ costs a re-index, not an outage that matters.
   * @default false
   */
  readonly production?: boolean;
  /**
   * The most indexing OCUs the collection group may scale to: the ceiling of its bill, stated in the template
   * (CloudFormation accepts 2 at least). The account-wide ceiling (10 by default) still applies on top.
   * @default 2
   */
  readonly maxIndexingOcu?: number;
  /** The most search OCUs, as `maxIndexingOcu`. @default 2 */
  readonly maxSearchOcu?: number;
  /**
   * Reach the collection only through an OpenSearch Serverless VPC endpoint in this VPC's private subnets (billed per
   * AZ-hour like an interface endpoint).
   * @default - reachable from anywhere on the network; IAM and the data access policy still decide who may call
   */
  readonly vpc?: ec2.IVpc;
  /** Collection name, 3..24 characters of a-z, 0-9 and '-', starting with a letter. @default - derived from the construct path */
  readonly name?: string;
}

const NAME = /^[a-z][a-z0-9-]{2,23}$/;
/** What an application needs on the collection and its indexes (no policy or collection administration). */
const COLLECTION_PERMISSIONS = [
  'aoss:DescribeCollectionItems',
  'aoss:CreateCollectionItems',
  'aoss:UpdateCollectionItems',
];
const INDEX_PERMISSIONS = [
  'aoss:CreateIndex',
  'aoss:DescribeIndex',
  'aoss:UpdateIndex',
  'aoss:ReadDocument',
  'aoss:WriteDocument',
];

/**
 * An OpenSearch Serverless vector search collection set for cost: standby replicas only in production, an AWS-owned
 * encryption key (no KMS charges, and collections sharing a key share their OCUs), a collection group whose OCU
 * ceiling is in the template, and network and data access policies that admit only what is granted.
 */
export class OpenSearchVectorCollection extends Construct {
  readonly collection: aoss.CfnCollection;
  readonly group: aoss.CfnCollectionGroup;
  readonly name: string;
  readonly standbyReplicas: boolean;
  readonly maxIndexingOcu: number;
  readonly maxSearchOcu: number;
  /** The collection's HTTPS endpoint. */
  readonly endpoint: string;
  /** The OpenSearch Serverless VPC endpoint, when the collection is reachable only from the VPC. */
  readonly vpcEndpoint: aoss.CfnVpcEndpoint | undefined;
  private readonly principals: string[] = [];

  constructor(scope: Construct, id: string, props: OpenSearchVectorCollectionProps = {}) {
    super(scope, id);
    tagCostCategory(this, 'storage');
    const name = (this.name = props.name ?? defaultName(this));
    if (!NAME.test(name)) {
      throw new NovaCostError(
        'configuration',
        `name must be 3..24 characters of a-z, 0-9 and '-', starting with a letter, got "${name}"`,
      );
    }
    this.maxIndexingOcu = checkedCeiling('maxIndexingOcu', props.maxIndexingOcu ?? 2);
    this.maxSearchOcu = checkedCeiling('maxSearchOcu', props.maxSearchOcu ?? 2);
    this.standbyReplicas = props.production ?? false;
    const standby = this.standbyReplicas ? 'ENABLED' : 'DISABLED';
    const rules = [{ ResourceType: 'collection', Resource: [`collection/${name}`] }];

    const encryption = new aoss.CfnSecurityPolicy(this, 'EncryptionPolicy', {
      name: `${name}-enc`,
      type: 'encryption',
      policy: JSON.stringify({ Rules: rules, AWSOwnedKey: true }),
    });
    this.vpcEndpoint = props.vpc ? this.endpointIn(props.vpc) : undefined;
    const network = new aoss.CfnSecurityPolicy(this, 'NetworkPolicy', {
      name: `${name}-net`,
      type: 'network',
      policy: Stack.of(this).toJsonString([
        this.vpcEndpoint
          ? { Rules: rules, AllowFromPublic: false, SourceVPCEs: [this.vpcEndpoint.attrId] }
          : { Rules: rules, AllowFromPublic: true },
      ]),
    });
    new aoss.CfnAccessPolicy(this, 'DataAccessPolicy', {
      name: `${name}-data`,
      type: 'data',
      policy: Lazy.string({
        produce: () =>
          Stack.of(this).toJsonString([
            {
              Rules: [
                { ResourceType: 'collection', Resource: [`collection/${name}`], Permission: COLLECTION_PERMISSIONS },
                { ResourceType: 'index', Resource: [`index/${name}/*`], Permission: INDEX_PERMISSIONS },
              ],
              Principal: this.principals,
            },
          ]),
      }),
    });
    this.node.addValidation({
      validate: () =>
        this.principals.length === 0
          ? [`OpenSearchVectorCollection ${name}: no principal may use it; call grantReadWrite(role)`]
          : [],
    });
    this.group = new aoss.CfnCollectionGroup(this, 'Group', {
      name: `${name}-group`,
      generation: 'CLASSIC',
      standbyReplicas: standby,
      capacityLimits: { maxIndexingCapacityInOcu: this.maxIndexingOcu, maxSearchCapacityInOcu: this.maxSearchOcu },
    });
    this.collection = new aoss.CfnCollection(this, 'Collection', {
      name,
      type: 'VECTORSEARCH',
      standbyReplicas: standby,
      collectionGroupName: this.group.name,
    });
    // A collection cannot be created before a policy covering its name exists.
    this.collection.node.addDependency(encryption, network, this.group);
    this.endpoint = this.collection.attrCollectionEndpoint;
  }

  /** Lets `role` create indexes and read and write documents: in IAM and in the data access policy. */
  grantReadWrite(role: iam.IRole): iam.Grant {
    this.principals.push(role.roleArn);
    return iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['aoss:APIAccessAll'],
      resourceArns: [this.collection.attrArn],
    });
  }

  private endpointIn(vpc: ec2.IVpc): aoss.CfnVpcEndpoint {
    const securityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: `HTTPS from the VPC to the OpenSearch Serverless endpoint of ${this.name}`,
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(443), 'clients in the VPC');
    Validations.of(securityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The endpoint security group admits only the VPC CIDR on 443; the rule cannot read the CIDR token and errs.',
    });
    return new aoss.CfnVpcEndpoint(this, 'VpcEndpoint', {
      name: `${this.name}-vpce`,
      vpcId: vpc.vpcId,
      // Private subnets, or the isolated ones of a VPC without NAT: the endpoint needs no egress.
      subnetIds: (vpc.privateSubnets.length > 0 ? vpc.privateSubnets : vpc.isolatedSubnets).map((s) => s.subnetId),
      securityGroupIds: [securityGroup.securityGroupId],
    });
  }
}

function checkedCeiling(prop: string, ocu: number): number {
  if (!Number.isFinite(ocu) || ocu < 2) {
    throw new NovaCostError(
      'configuration',
      `${prop} must be at least 2 OCU (the smallest ceiling CloudFormation accepts), got ${ocu}`,
    );
  }
  return ocu;
}

function defaultName(scope: Construct): string {
  const raw = Names.uniqueResourceName(scope, { maxLength: 24, separator: '-' })
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '');
  return /^[a-z]/.test(raw) ? raw : `v${raw}`.slice(0, 24);
}
