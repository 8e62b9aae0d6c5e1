import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NovaCostError } from '@nova-cost/domain';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';

export interface CostAwareVpcProps {
  /** NAT gateways are billed per hour each; one is the cost-first choice, one per AZ the availability-first one. @default 1 */
  readonly natGateways?: number;
  /** @default 2 */
  readonly maxAzs?: number;
  /**
   * An interface endpoint for bedrock-runtime: billed per hour per AZ, but Bedrock traffic then skips NAT data
   * processing. @default true
   */
  readonly bedrockRuntimeEndpoint?: boolean;
  /** VPC flow logs to CloudWatch Logs with this retention. @default logs.RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: logs.RetentionDays;
  /** @default '10.0.0.0/16' */
  readonly cidr?: string;
}

/**
 * A VPC whose S3 and DynamoDB traffic goes through free gateway endpoints instead of the NAT gateway, with an
 * explicit NAT count and an optional bedrock-runtime interface endpoint.
 */
export class CostAwareVpc extends Construct {
  readonly vpc: ec2.Vpc;
  readonly bedrockRuntimeEndpoint: ec2.InterfaceVpcEndpoint | undefined;

  constructor(scope: Construct, id: string, props: CostAwareVpcProps = {}) {
    super(scope, id);
    tagCostCategory(this, 'network');
    const natGateways = props.natGateways ?? 1;
    const maxAzs = props.maxAzs ?? 2;
    if (!Number.isInteger(natGateways) || natGateways < 0 || natGateways > maxAzs) {
      throw new NovaCostError(
        'configuration',
        `natGateways must be an integer in 0..maxAzs (${maxAzs}), got ${natGateways}`,
      );
    }
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.0.0.0/16'),
      maxAzs,
      natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        {
          name: 'private',
          subnetType: natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
          cidrMask: 22,
        },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', { retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH }),
      ),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    this.bedrockRuntimeEndpoint =
      (props.bedrockRuntimeEndpoint ?? true)
        ? this.vpc.addInterfaceEndpoint('BedrockRuntime', {
            service: ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
            privateDnsEnabled: true,
            subnets: { subnetGroupName: 'private' },
          })
        : undefined;
  }
}
