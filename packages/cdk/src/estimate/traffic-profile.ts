import { NovaCostError } from '@nova-cost/domain';

/** One model's part of the requests, and the tokens of an average request to it. */
export interface ModelTraffic {
  /** Model id or inference profile id, as callers send it. */
  readonly modelId: string;
  /** Share of `requestsPerDay` that asks for this model; the shares of all models sum to 1. */
  readonly share: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** A route of the cost policy, as a share of the calls to `from` that go to the cheaper `to`. */
export interface RoutedShare {
  readonly from: string;
  readonly to: string;
  readonly share: number;
}

/** How much of the traffic nova-cost's levers take. Every lever is off unless given: the estimate never assumes a saving. */
export interface BedrockLevers {
  /** Share of requests answered from the response cache or joined to an identical call in flight. @default 0 */
  readonly cacheHitRate?: number;
  /** Share of input tokens read from Bedrock's prompt cache (cache points) instead of billed as input. @default 0 */
  readonly promptCacheReadShare?: number;
  /** Share of the calls reaching Bedrock that go as batch inference, at half price. @default 0 */
  readonly batchShare?: number;
  /** Calls the cost policy routes to a cheaper model. @default [] */
  readonly routes?: readonly RoutedShare[];
}

/** What a stack serves in a day or month: the estimate prices its traffic lines from this. */
export interface TrafficProfile {
  /** Requests a day through the front door (API Gateway, ALB) to Bedrock models. @default 0 */
  readonly requestsPerDay?: number;
  /** How those requests spread over models, with tokens per request. @default [] */
  readonly models?: readonly ModelTraffic[];
  readonly levers?: BedrockLevers;
  /** Events a day into each event processor's queue. @default 0 */
  readonly eventsPerDay?: number;
  /** Lambda run time per event (a batch of n events runs n × this). @default 100 */
  readonly msPerEvent?: number;
  /** Vectors held in the vector store. @default 0 */
  readonly vectorsStored?: number;
  /** Vectors written (put) a day. @default 0 */
  readonly vectorsWrittenPerDay?: number;
  /** Similarity queries a day. @default 0 */
  readonly vectorQueriesPerDay?: number;
  /** Bytes of key and metadata stored with each vector, on top of its dimensions × 4. @default 0 */
  readonly vectorMetadataBytes?: number;
  /** Dimensions of a vector where the template does not say (OpenSearch indexes are made by the application). @default 1024 */
  readonly vectorDimensions?: number;
  /** GB a month through NAT gateways (image pulls, AWS APIs without an endpoint, the internet). @default 0 */
  readonly natGbPerMonth?: number;
  /** GB a month through interface endpoints (Bedrock requests and answers through bedrock-runtime). @default 0 */
  readonly endpointGbPerMonth?: number;
}

const COUNTS = [
  'requestsPerDay',
  'eventsPerDay',
  'msPerEvent',
  'vectorsStored',
  'vectorsWrittenPerDay',
  'vectorQueriesPerDay',
  'vectorMetadataBytes',
  'vectorDimensions',
  'natGbPerMonth',
  'endpointGbPerMonth',
] as const;
const SHARES = ['cacheHitRate', 'promptCacheReadShare', 'batchShare'] as const;
const TOP_LEVEL = new Set<string>([...COUNTS, 'models', 'levers']);
const LEVERS = new Set<string>([...SHARES, 'routes']);

function invalid(origin: string, message: string): NovaCostError {
  return new NovaCostError('validation', `traffic profile (${origin}): ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown, path: string, origin: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(origin, `${path} must be a number >= 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

function share(value: unknown, path: string, origin: string): number {
  const n = count(value, path, origin);
  if (n > 1) throw invalid(origin, `${path} must be a share in 0..1, got ${n}`);
  return n;
}

function text(value: unknown, path: string, origin: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(origin, `${path} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function unknownKeys(value: Record<string, unknown>, known: ReadonlySet<string>, path: string, origin: string): void {
  const extra = Object.keys(value).filter((k) => !known.has(k));
  if (extra.length > 0)
    throw invalid(origin, `${path}${extra.map((k) => `"${k}"`).join(', ')} unknown; known: ${[...known].join(', ')}`);
}

/**
 * Checks a traffic profile read from JSON (or assembled from context keys) and returns it typed. Every error names
 * the field and where it came from (`origin`: a file name or "-c keys").
 */
export function parseTrafficProfile(value: unknown, origin: string): TrafficProfile {
  if (!isRecord(value)) throw invalid(origin, `must be a JSON object, got ${JSON.stringify(value)}`);
  unknownKeys(value, TOP_LEVEL, '', origin);
  const profile: Record<string, unknown> = {};
  for (const key of COUNTS) if (Object.hasOwn(value, key)) profile[key] = count(value[key], key, origin);
  if (Object.hasOwn(value, 'models')) profile.models = models(value.models, origin);
  if (Object.hasOwn(value, 'levers')) profile.levers = levers(value.levers, origin);
  return profile as TrafficProfile;
}

function models(value: unknown, origin: string): ModelTraffic[] {
  if (!Array.isArray(value)) throw invalid(origin, `models must be an array, got ${JSON.stringify(value)}`);
  const parsed = value.map((m: unknown, i) => {
    if (!isRecord(m)) throw invalid(origin, `models[${i}] must be an object`);
    return {
      modelId: text(m.modelId, `models[${i}].modelId`, origin),
      share: share(m.share, `models[${i}].share`, origin),
      inputTokens: count(m.inputTokens, `models[${i}].inputTokens`, origin),
      outputTokens: count(m.outputTokens, `models[${i}].outputTokens`, origin),
    };
  });
  const total = parsed.reduce((sum, m) => sum + m.share, 0);
  if (parsed.length > 0 && Math.abs(total - 1) > 1e-6) {
    throw invalid(origin, `the models' shares must sum to 1, got ${Number(total.toFixed(6))}`);
  }
  return parsed;
}

function levers(value: unknown, origin: string): BedrockLevers {
  if (!isRecord(value)) throw invalid(origin, `levers must be an object, got ${JSON.stringify(value)}`);
  unknownKeys(value, LEVERS, 'levers.', origin);
  const result: Record<string, unknown> = {};
  for (const key of SHARES) if (Object.hasOwn(value, key)) result[key] = share(value[key], `levers.${key}`, origin);
  if (Object.hasOwn(value, 'routes')) {
    if (!Array.isArray(value.routes)) throw invalid(origin, `levers.routes must be an array`);
    const routes = value.routes.map((r: unknown, i) => {
      if (!isRecord(r)) throw invalid(origin, `levers.routes[${i}] must be an object`);
      return {
        from: text(r.from, `levers.routes[${i}].from`, origin),
        to: text(r.to, `levers.routes[${i}].to`, origin),
        share: share(r.share, `levers.routes[${i}].share`, origin),
      };
    });
    for (const from of new Set(routes.map((r) => r.from))) {
      const total = routes.filter((r) => r.from === from).reduce((sum, r) => sum + r.share, 0);
      if (total > 1 + 1e-9)
        throw invalid(origin, `levers.routes from ${from} route more than all of its calls (shares sum to ${total})`);
    }
    result.routes = routes;
  }
  return result as BedrockLevers;
}
