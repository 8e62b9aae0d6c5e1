/** One price, with where it came from and when it was read. */
export interface SourcedPrice {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
  /** ISO date the price was read from the source. */
  readonly asOf: string;
}

/** The infrastructure prices the estimate needs for one region. */
export interface RegionInfraPrices {
  readonly fargateVcpuHour: SourcedPrice;
  readonly fargateGbHour: SourcedPrice;
  /** Fraction off the on-demand Fargate price for FARGATE_SPOT (Spot prices float; this is a planning figure). */
  readonly fargateSpotDiscount: SourcedPrice;
  readonly natGatewayHour: SourcedPrice;
  readonly interfaceEndpointAzHour: SourcedPrice;
  readonly albHour: SourcedPrice;
  /** Every public IPv4 address (NAT gateway EIPs, internet-facing load balancer nodes). */
  readonly publicIpv4Hour: SourcedPrice;
  readonly dynamodbRcuHour: SourcedPrice;
  readonly dynamodbWcuHour: SourcedPrice;
  /** Per node type, e.g. 'cache.t4g.small'. */
  readonly elasticacheNodeHour: Readonly<Record<string, SourcedPrice>>;
  readonly dashboardMonth: SourcedPrice;
}

export interface InfraPriceTable {
  /** Bump when any price changes, so an estimate says which table produced it. */
  readonly version: string;
  readonly regions: Readonly<Record<string, RegionInfraPrices>>;
}

const AS_OF = '2025-06-01';
/** Re-read on this date against the source (or a dated copy of it) and unchanged. */
const CHECKED = '2026-11-28';
const p = (usd: number, unit: string, source: string, asOf = AS_OF): SourcedPrice => ({ usd, unit, source, asOf });
const FARGATE = 'https://aws.amazon.com/fargate/pricing/';
const VPC = 'https://aws.amazon.com/vpc/pricing/';
const PRIVATELINK = 'https://aws.amazon.com/privatelink/pricing/';
const ELB = 'https://aws.amazon.com/elasticloadbalancing/pricing/';
const DDB = 'https://aws.amazon.com/dynamodb/pricing/provisioned/';
const CACHE = 'https://aws.amazon.com/elasticache/pricing/';
const CW = 'https://aws.amazon.com/cloudwatch/pricing/';

/**
 * Linux/x86 on-demand list prices, USD. Prices dated CHECKED were compared again on that date; the others carry the
 * date they were first read (the regional tables of those pages render client-side, so re-check them in the AWS
 * Pricing Calculator before trusting a Tokyo figure to the cent).
 */
export const INFRA_PRICES_2025_06: InfraPriceTable = {
  version: '2025-06',
  regions: {
    'us-east-1': {
      fargateVcpuHour: p(0.04048, 'vCPU-hour', FARGATE, CHECKED),
      fargateGbHour: p(0.004445, 'GB-hour', FARGATE, CHECKED),
      fargateSpotDiscount: p(0.7, 'fraction ("up to 70%" off: the floor takes the best case)', FARGATE, CHECKED),
      natGatewayHour: p(0.045, 'NAT gateway-hour', VPC, CHECKED),
      interfaceEndpointAzHour: p(0.01, 'endpoint-AZ-hour', PRIVATELINK, CHECKED),
      albHour: p(0.0225, 'ALB-hour (LCUs extra)', ELB),
      publicIpv4Hour: p(0.005, 'public IPv4-hour', VPC, CHECKED),
      dynamodbRcuHour: p(0.00013, 'RCU-hour', DDB),
      dynamodbWcuHour: p(0.00065, 'WCU-hour', DDB),
      elasticacheNodeHour: {
        'cache.t4g.micro': p(0.016, 'node-hour', CACHE),
        'cache.t4g.small': p(0.032, 'node-hour', CACHE),
        'cache.t4g.medium': p(0.065, 'node-hour', CACHE),
        'cache.r7g.large': p(0.219, 'node-hour', CACHE),
      },
      dashboardMonth: p(3, 'dashboard-month (first 3 free, not applied)', CW, CHECKED),
    },
    'ap-northeast-1': {
      fargateVcpuHour: p(0.05056, 'vCPU-hour', FARGATE),
      fargateGbHour: p(0.00553, 'GB-hour', FARGATE),
      fargateSpotDiscount: p(0.7, 'fraction ("up to 70%" off: the floor takes the best case)', FARGATE, CHECKED),
      natGatewayHour: p(0.062, 'NAT gateway-hour', VPC, CHECKED),
      interfaceEndpointAzHour: p(0.014, 'endpoint-AZ-hour', PRIVATELINK),
      albHour: p(0.0243, 'ALB-hour (LCUs extra)', ELB),
      publicIpv4Hour: p(0.005, 'public IPv4-hour', VPC, CHECKED),
      dynamodbRcuHour: p(0.0001484, 'RCU-hour', DDB),
      dynamodbWcuHour: p(0.000742, 'WCU-hour', DDB),
      elasticacheNodeHour: {
        'cache.t4g.micro': p(0.02, 'node-hour', CACHE),
        'cache.t4g.small': p(0.041, 'node-hour', CACHE),
        'cache.t4g.medium': p(0.082, 'node-hour', CACHE),
        'cache.r7g.large': p(0.274, 'node-hour', CACHE),
      },
      dashboardMonth: p(3, 'dashboard-month (first 3 free, not applied)', CW, CHECKED),
    },
  },
};

/** Hours in the average month, the convention AWS pricing pages use. */
export const HOURS_PER_MONTH = 730;
