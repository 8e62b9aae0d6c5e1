import { asyncPrefixLines } from './async-prefix-traffic';
import { numberProp, referencedLogicalIds, resourcesOfType, type CfnTemplate } from './cfn-template';
import type { EstimateLines } from './estimate-line';
import { DAYS_PER_MONTH, HOURS_PER_MONTH, type RegionInfraPrices } from './infra-price-table';
import { openSearchFloorOcu } from './serverless-floor';
import type { TrafficProfile } from './traffic-profile';

const GB = 2 ** 30;
const TB = 2 ** 40;
/** The first tier of an S3 vector index's query processing price. */
const FIRST_TIER_VECTORS = 100_000;

/**
 * The traffic lines of the infrastructure (Bedrock has its own): Lambda and SQS, API Gateway, NAT and endpoint GB,
 * vectors, the async API's S3 prefix.
 */
export function trafficLines(
  template: CfnTemplate,
  profile: TrafficProfile,
  prices: RegionInfraPrices,
  out: EstimateLines,
): void {
  events(template, profile, prices, out);
  const requests = (profile.requestsPerDay ?? 0) * DAYS_PER_MONTH;
  for (const [id, api] of resourcesOfType(template, 'AWS::ApiGatewayV2::Api')) {
    if (api.Properties?.ProtocolType !== 'HTTP') continue;
    out.traffic(
      'network',
      `API Gateway HTTP API ${id} requests`,
      requests / 1e6,
      'million requests',
      prices.httpApiRequestsPerMillion.usd,
    );
  }
  byteLines(template, profile, prices, out);
  vectors(template, profile, prices, out);
  asyncPrefixLines(template, profile, prices, out);
}

function events(template: CfnTemplate, profile: TrafficProfile, prices: RegionInfraPrices, out: EstimateLines): void {
  const perMonth = (profile.eventsPerDay ?? 0) * DAYS_PER_MONTH;
  const msPerEvent = profile.msPerEvent ?? 100;
  const fromQueues = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').filter(([, m]) =>
    [...referencedLogicalIds(m.Properties?.EventSourceArn)].some(
      (id) => template.Resources?.[id]?.Type === 'AWS::SQS::Queue',
    ),
  );
  if (perMonth > 0 && fromQueues.length === 0)
    out.note('eventsPerDay given, but the stack has no Lambda function fed by an SQS queue');
  if (fromQueues.length > 1) out.note(`eventsPerDay applies to each of the ${fromQueues.length} event processors`);
  const fedByQueue = new Set(fromQueues.flatMap(([, m]) => [...referencedLogicalIds(m.Properties?.FunctionName)]));
  for (const [id] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    if (!fedByQueue.has(id)) out.note(`Lambda ${id} is not fed by an SQS queue: its invocations are not estimated`);
  }
  for (const [, mapping] of fromQueues) {
    const fnId = [...referencedLogicalIds(mapping.Properties?.FunctionName)][0] ?? 'function';
    const fn = template.Resources?.[fnId];
    const memoryMb = numberProp(fn?.Properties?.MemorySize) ?? 128;
    const batchSize = numberProp(mapping.Properties?.BatchSize) ?? 10;
    const arm = JSON.stringify(fn?.Properties?.Architectures ?? []).includes('arm64');
    if (!arm)
      out.note(`Lambda ${fnId} runs on x86_64: priced at the arm64 rate, x86 costs a quarter more per GB-second`);
    // Under steady volume the batching window fills each batch: one invocation per batchSize events.
    const invocations = perMonth / batchSize;
    const gbSeconds = perMonth * (msPerEvent / 1000) * (memoryMb / 1024);
    out.traffic(
      'compute',
      `Lambda ${fnId} duration (${memoryMb} MB, ${msPerEvent} ms an event)`,
      gbSeconds,
      'GB-seconds',
      prices.lambdaArmGbSecond.usd,
    );
    out.traffic(
      'compute',
      `Lambda ${fnId} invocations (batches of ${batchSize})`,
      invocations / 1e6,
      'million requests',
      prices.lambdaRequestsPerMillion.usd,
    );
    // One SendMessage per event; one ReceiveMessage and one DeleteMessageBatch per batch.
    out.traffic(
      'compute',
      `SQS requests of ${fnId}'s queue`,
      (perMonth + 2 * invocations) / 1e6,
      'million requests',
      prices.sqsRequestsPerMillion.usd,
    );
  }
}

function byteLines(
  template: CfnTemplate,
  profile: TrafficProfile,
  prices: RegionInfraPrices,
  out: EstimateLines,
): void {
  const nat = profile.natGbPerMonth ?? 0;
  if (resourcesOfType(template, 'AWS::EC2::NatGateway').length > 0)
    out.traffic('network', 'NAT gateway data processed', nat, 'GB', prices.natGatewayGb.usd);
  else if (nat > 0) out.note('natGbPerMonth given, but the stack has no NAT gateway');
  const endpoint = profile.endpointGbPerMonth ?? 0;
  const interfaces = resourcesOfType(template, 'AWS::EC2::VPCEndpoint').filter(
    ([, e]) => e.Properties?.VpcEndpointType === 'Interface',
  );
  if (interfaces.length > 0)
    out.traffic('network', 'Interface endpoint data processed', endpoint, 'GB', prices.interfaceEndpointGb.usd);
  else if (endpoint > 0) out.note('endpointGbPerMonth given, but the stack has no interface endpoint');
}

/** What a vector store holds and serves in a month. */
interface VectorLoad {
  readonly stored: number;
  readonly bytesPerVector: number;
  readonly writtenPerMonth: number;
  readonly queriesPerMonth: number;
}

function vectorLoad(profile: TrafficProfile, dimensions: number): VectorLoad {
  return {
    stored: profile.vectorsStored ?? 0,
    bytesPerVector: dimensions * 4 + (profile.vectorMetadataBytes ?? 0),
    writtenPerMonth: (profile.vectorsWrittenPerDay ?? 0) * DAYS_PER_MONTH,
    queriesPerMonth: (profile.vectorQueriesPerDay ?? 0) * DAYS_PER_MONTH,
  };
}

/** The S3 Vectors lines of a load: storage, writes, query calls and the data each query processes (two tiers). */
export function s3VectorsLines(
  load: VectorLoad,
  prices: RegionInfraPrices,
): Array<[item: string, quantity: number, unit: string, usd: number]> {
  const firstTier = Math.min(load.stored, FIRST_TIER_VECTORS);
  return [
    ['storage', (load.stored * load.bytesPerVector) / GB, 'GB-months', prices.s3VectorsStorageGbMonth.usd],
    ['writes', (load.writtenPerMonth * load.bytesPerVector) / GB, 'GB written', prices.s3VectorsPutGb.usd],
    ['query calls', load.queriesPerMonth / 1e6, 'million queries', prices.s3VectorsQueriesPerMillion.usd],
    [
      'query data, first 100 K vectors',
      (load.queriesPerMonth * firstTier * load.bytesPerVector) / TB,
      'TB processed',
      prices.s3VectorsQueryTbFirst100k.usd,
    ],
    [
      'query data, beyond 100 K vectors',
      (load.queriesPerMonth * (load.stored - firstTier) * load.bytesPerVector) / TB,
      'TB processed',
      prices.s3VectorsQueryTbBeyond100k.usd,
    ],
  ];
}

const usdOf = (lines: ReturnType<typeof s3VectorsLines>) =>
  lines.reduce((sum, [, quantity, , usd]) => sum + quantity * usd, 0);

function vectors(template: CfnTemplate, profile: TrafficProfile, prices: RegionInfraPrices, out: EstimateLines): void {
  const indexes = resourcesOfType(template, 'AWS::S3Vectors::Index');
  const collections = resourcesOfType(template, 'AWS::OpenSearchServerless::Collection').filter(
    ([, c]) => c.Properties?.Type === 'VECTORSEARCH',
  );
  const given =
    (profile.vectorsStored ?? 0) + (profile.vectorsWrittenPerDay ?? 0) + (profile.vectorQueriesPerDay ?? 0) > 0;
  if (given && indexes.length + collections.length === 0)
    out.note('vector traffic given, but the stack has no vector store');
  for (const [id, index] of indexes) {
    const load = vectorLoad(profile, numberProp(index.Properties?.Dimension) ?? profile.vectorDimensions ?? 1024);
    for (const [what, quantity, unit, usd] of s3VectorsLines(load, prices))
      out.traffic('storage', `S3 Vectors ${id} ${what}`, quantity, unit, usd);
    if (given) {
      const storage = ((load.stored * load.bytesPerVector) / GB) * prices.opensearchStorageGbMonth.usd;
      const floor = openSearchFloorOcu(false) * HOURS_PER_MONTH * prices.opensearchOcuHour.usd;
      out.note(
        `the same vectors on OpenSearch Serverless: $${(floor + storage).toFixed(2)} a month at least (its idle floor without standby replicas, and storage)`,
      );
    }
  }
  for (const [id] of collections) {
    const load = vectorLoad(profile, profile.vectorDimensions ?? 1024);
    out.traffic(
      'storage',
      `OpenSearch Serverless ${id} storage`,
      (load.stored * load.bytesPerVector) / GB,
      'GB-months',
      prices.opensearchStorageGbMonth.usd,
    );
    if (given) {
      out.note(
        `OpenSearch Serverless ${id}: OCUs above the floor follow indexing and query load and are not estimated`,
      );
      out.note(
        `the same vectors on S3 Vectors: $${usdOf(s3VectorsLines(load, prices)).toFixed(2)} a month, with no floor`,
      );
    }
  }
}
