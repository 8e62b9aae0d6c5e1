import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { tagCostCategory } from '../cost-category-tag';
import { GATEWAY_METRICS } from './gateway-metrics';

/** Billing metrics are published only in us-east-1. */
const BILLING_REGION = 'us-east-1';

export interface CostDashboardProps {
  /** @default - CloudFormation generates a name */
  readonly dashboardName?: string;
  /**
   * Values of the AWS/Billing `ServiceName` dimension to chart, each with a title.
   * @default Bedrock, ECS, EC2 (NAT, endpoints), S3, DynamoDB, ElastiCache, CloudFront, CloudWatch
   */
  readonly billedServices?: Readonly<Record<string, string>>;
  /** Value of the gateway metrics' `Service` dimension. @default 'nova-cost-gateway' */
  readonly gatewayServiceName?: string;
  /** @default 'USD' */
  readonly currency?: string;
}

const DEFAULT_BILLED_SERVICES: Readonly<Record<string, string>> = {
  Bedrock: 'AmazonBedrock',
  ECS: 'AmazonECS',
  'EC2 (NAT, endpoints)': 'AmazonEC2',
  S3: 'AmazonS3',
  DynamoDB: 'AmazonDynamoDB',
  ElastiCache: 'AmazonElastiCache',
  CloudFront: 'AmazonCloudFront',
  CloudWatch: 'AmazonCloudWatch',
};

/**
 * Month-to-date estimated charges per service next to what the gateway reports it spent and saved. Billing metrics
 * are pinned to us-east-1 so the dashboard works from a stack in any region.
 */
export class CostDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: CostDashboardProps = {}) {
    super(scope, id);
    tagCostCategory(this, 'monitoring');
    const currency = props.currency ?? 'USD';
    const billed = props.billedServices ?? DEFAULT_BILLED_SERVICES;
    const billing = (dimensions: Record<string, string>, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Billing',
        metricName: 'EstimatedCharges',
        dimensionsMap: { Currency: currency, ...dimensions },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.hours(6),
        region: BILLING_REGION,
        label,
      });
    const gateway = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: GATEWAY_METRICS.namespace,
        metricName,
        dimensionsMap: { [GATEWAY_METRICS.dimension]: props.gatewayServiceName ?? 'nova-cost-gateway' },
        statistic,
        period: Duration.minutes(5),
        label,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    this.dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: 'Estimated charges, month to date',
        metrics: [billing({}, 'Total')],
        width: 6,
        height: 6,
      }),
      new cloudwatch.GraphWidget({
        title: 'Estimated charges by service',
        left: Object.entries(billed).map(([label, serviceName]) => billing({ ServiceName: serviceName }, label)),
        width: 18,
        height: 6,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Gateway spend vs saved (USD)',
        left: [
          gateway(GATEWAY_METRICS.costUsd, cloudwatch.Stats.SUM, 'Cost'),
          gateway(GATEWAY_METRICS.savedUsd, cloudwatch.Stats.SUM, 'Saved'),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Cache hit ratio',
        left: [gateway(GATEWAY_METRICS.cacheHitRatio, cloudwatch.Stats.AVERAGE, 'Hit ratio')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Batch queue depth',
        left: [gateway(GATEWAY_METRICS.batchQueueDepth, cloudwatch.Stats.MAXIMUM, 'Queue depth')],
        width: 8,
      }),
    );
  }
}
