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
  /** A standard-resolution CloudWatch alarm (the DLQ alarm of an event processor). */
  readonly alarmMonth: SourcedPrice;
  /** Lambda duration on arm64 (Graviton), first tier (6 billion GB-s a month); the free tier is not applied. */
  readonly lambdaArmGbSecond: SourcedPrice;
  readonly lambdaRequestsPerMillion: SourcedPrice;
  /** SQS standard queue requests (SendMessage, ReceiveMessage, DeleteMessageBatch, each up to 64 KB). */
  readonly sqsRequestsPerMillion: SourcedPrice;
  /** API Gateway HTTP API requests, first 300 million a month (512 KB each). */
  readonly httpApiRequestsPerMillion: SourcedPrice;
  /** Bytes a NAT gateway processes, in either direction. */
  readonly natGatewayGb: SourcedPrice;
  /** Bytes an interface endpoint processes (first PB a month). */
  readonly interfaceEndpointGb: SourcedPrice;
  /** OpenSearch Serverless compute, indexing and search alike. */
  readonly opensearchOcuHour: SourcedPrice;
  readonly opensearchStorageGbMonth: SourcedPrice;
  readonly s3VectorsStorageGbMonth: SourcedPrice;
  /** Logical bytes written by PutVectors. */
  readonly s3VectorsPutGb: SourcedPrice;
  readonly s3VectorsQueriesPerMillion: SourcedPrice;
  /** Data a query processes (the index's vectors × their size), for the first 100,000 vectors of an index. */
  readonly s3VectorsQueryTbFirst100k: SourcedPrice;
  /** Data a query processes beyond the first 100,000 vectors of an index. */
  readonly s3VectorsQueryTbBeyond100k: SourcedPrice;
  /** S3 Standard storage, first 50 TB a month (the async API's prefix). */
  readonly s3StandardGbMonth: SourcedPrice;
  /** S3 Standard PUT, COPY, POST and LIST requests. */
  readonly s3PutRequestsPerThousand: SourcedPrice;
  /** S3 Standard GET and other read requests. */
  readonly s3GetRequestsPerThousand: SourcedPrice;
}

export interface InfraPriceTable {
  /** Bump when any price changes, so an estimate says which table produced it. */
  readonly version: string;
  readonly regions: Readonly<Record<string, RegionInfraPrices>>;
}

const AS_OF = '2025-06-01';
/** Re-read on this date against the source (or a dated copy of it) and unchanged. */
const CHECKED = '2026-11-28';
/** Read on this date for the serverless lines (Lambda, SQS, HTTP API, OpenSearch Serverless, S3 Vectors, GB processed). */
const READ = '2026-11-29';
const p = (usd: number, unit: string, source: string, asOf = AS_OF): SourcedPrice => ({ usd, unit, source, asOf });
const FARGATE = 'https://aws.amazon.com/fargate/pricing/';
const VPC = 'https://aws.amazon.com/vpc/pricing/';
const PRIVATELINK = 'https://aws.amazon.com/privatelink/pricing/';
const ELB = 'https://aws.amazon.com/elasticloadbalancing/pricing/';
const DDB = 'https://aws.amazon.com/dynamodb/pricing/provisioned/';
const CACHE = 'https://aws.amazon.com/elasticache/pricing/';
const CW = 'https://aws.amazon.com/cloudwatch/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const APIGW = 'https://aws.amazon.com/api-gateway/pricing/';
const AOSS = 'https://aws.amazon.com/opensearch-service/pricing/';
const S3 = 'https://aws.amazon.com/s3/pricing/';
/** Said of a figure the sources read on READ did not show for that region (the pages render their tables client-side). */
const UNVERIFIED = (what: string) => ` (not verified: ${what})`;

/**
 * On-demand list prices, USD (Linux/x86 for Fargate, arm64 for Lambda). Prices dated CHECKED were compared again on
 * that date; the others carry the date they were read. The regional tables of those pages render client-side, so a
 * figure the reading could not confirm says "not verified" in its source, with what was assumed: re-check those in the
 * AWS Pricing Calculator before trusting them to the cent.
 */
export const INFRA_PRICES: InfraPriceTable = {
  version: '2026-11',
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
      alarmMonth: p(0.1, 'alarm-month (first 10 free, not applied)', CW, READ),
      lambdaArmGbSecond: p(
        0.0000133334,
        'GB-second (arm64)',
        LAMBDA + ' (the page and third-party copies of it agree)',
        READ,
      ),
      lambdaRequestsPerMillion: p(0.2, 'million requests', LAMBDA, READ),
      sqsRequestsPerMillion: p(
        0.4,
        'million requests',
        SQS + UNVERIFIED('the long-standing standard-queue rate, not re-read'),
        READ,
      ),
      httpApiRequestsPerMillion: p(
        1,
        'million requests (first 300 M; $0.90 above, not applied)',
        APIGW + ' (third-party copies of the table agree)',
        READ,
      ),
      natGatewayGb: p(0.045, 'GB processed', VPC, READ),
      interfaceEndpointGb: p(0.01, 'GB processed (first PB)', PRIVATELINK, READ),
      opensearchOcuHour: p(0.24, 'OCU-hour', AOSS + ' (as quoted from it by AWS blogs and third parties)', READ),
      opensearchStorageGbMonth: p(
        0.024,
        'GB-month',
        AOSS + UNVERIFIED('managed storage rate quoted by third parties'),
        READ,
      ),
      s3VectorsStorageGbMonth: p(
        0.06,
        'logical GB-month',
        S3 + ' (S3 Vectors tab; a dated transcription of the page agrees)',
        READ,
      ),
      s3VectorsPutGb: p(
        0.2,
        'logical GB written',
        S3 + ' (S3 Vectors tab; a dated transcription of the page agrees)',
        READ,
      ),
      s3VectorsQueriesPerMillion: p(
        2.5,
        'million QueryVectors calls',
        S3 + ' (S3 Vectors tab; a dated transcription of the page agrees)',
        READ,
      ),
      s3VectorsQueryTbFirst100k: p(
        0.004,
        'TB processed (first 100 K vectors of an index)',
        S3 + UNVERIFIED('launch-time tier; the June 2026 cut for indexes over 10 M vectors is not applied'),
        READ,
      ),
      s3VectorsQueryTbBeyond100k: p(
        0.002,
        'TB processed (beyond 100 K vectors)',
        S3 + UNVERIFIED('launch-time tier; the June 2026 cut for indexes over 10 M vectors is not applied'),
        READ,
      ),
      s3StandardGbMonth: p(
        0.023,
        'GB-month (first 50 TB)',
        S3 + UNVERIFIED('the long-standing Standard rate, not re-read'),
        READ,
      ),
      s3PutRequestsPerThousand: p(
        0.005,
        'thousand PUT/COPY/POST/LIST requests',
        S3 + UNVERIFIED('the long-standing Standard rate, not re-read'),
        READ,
      ),
      s3GetRequestsPerThousand: p(
        0.0004,
        'thousand GET requests',
        S3 + UNVERIFIED('the long-standing Standard rate, not re-read'),
        READ,
      ),
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
      alarmMonth: p(
        0.1,
        'alarm-month (first 10 free, not applied)',
        CW + UNVERIFIED('Tokyo rate assumed equal to Virginia'),
        READ,
      ),
      lambdaArmGbSecond: p(
        0.0000133334,
        'GB-second (arm64)',
        LAMBDA + UNVERIFIED('Tokyo rate assumed equal to Virginia, as Lambda lists it in most regions'),
        READ,
      ),
      lambdaRequestsPerMillion: p(
        0.2,
        'million requests',
        LAMBDA + UNVERIFIED('Tokyo rate assumed equal to Virginia'),
        READ,
      ),
      sqsRequestsPerMillion: p(0.4, 'million requests', SQS + UNVERIFIED('Tokyo rate assumed equal to Virginia'), READ),
      httpApiRequestsPerMillion: p(
        1.29,
        'million requests (first 300 M)',
        APIGW + UNVERIFIED('Tokyo figure from memory of the regional table'),
        READ,
      ),
      natGatewayGb: p(
        0.062,
        'GB processed',
        VPC + UNVERIFIED('Tokyo GB rate taken equal to its hourly rate, as in Virginia'),
        READ,
      ),
      interfaceEndpointGb: p(
        0.01,
        'GB processed (first PB)',
        PRIVATELINK + UNVERIFIED('Tokyo rate assumed equal to Virginia'),
        READ,
      ),
      opensearchOcuHour: p(
        0.334,
        'OCU-hour',
        AOSS + UNVERIFIED('Tokyo figure from memory of the regional table'),
        READ,
      ),
      opensearchStorageGbMonth: p(0.024, 'GB-month', AOSS + UNVERIFIED('Tokyo rate assumed equal to Virginia'), READ),
      s3VectorsStorageGbMonth: p(0.06, 'logical GB-month', S3 + UNVERIFIED('Virginia rate; Tokyo not found'), READ),
      s3VectorsPutGb: p(0.2, 'logical GB written', S3 + UNVERIFIED('Virginia rate; Tokyo not found'), READ),
      s3VectorsQueriesPerMillion: p(
        2.5,
        'million QueryVectors calls',
        S3 + UNVERIFIED('Virginia rate; Tokyo not found'),
        READ,
      ),
      s3VectorsQueryTbFirst100k: p(
        0.004,
        'TB processed (first 100 K vectors of an index)',
        S3 + UNVERIFIED('Virginia launch-time tier; Tokyo not found'),
        READ,
      ),
      s3VectorsQueryTbBeyond100k: p(
        0.002,
        'TB processed (beyond 100 K vectors)',
        S3 + UNVERIFIED('Virginia launch-time tier; Tokyo not found'),
        READ,
      ),
      s3StandardGbMonth: p(
        0.025,
        'GB-month (first 50 TB)',
        S3 + UNVERIFIED('Tokyo figure from memory of the regional table'),
        READ,
      ),
      s3PutRequestsPerThousand: p(
        0.0047,
        'thousand PUT/COPY/POST/LIST requests',
        S3 + UNVERIFIED('Tokyo figure from memory of the regional table'),
        READ,
      ),
      s3GetRequestsPerThousand: p(
        0.00037,
        'thousand GET requests',
        S3 + UNVERIFIED('Tokyo figure from memory of the regional table'),
        READ,
      ),
    },
  },
};

/** Hours in the average month, the convention AWS pricing pages use. */
export const HOURS_PER_MONTH = 730;
/** Days in that average month. */
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
