import { NovaCostError } from '@nova-cost/domain';
import { parseTrafficProfile, type TrafficProfile } from './traffic-profile';

/** Context keys that take a number, and where in the profile each goes. */
const NUMBER_KEYS: Readonly<Record<string, readonly string[]>> = {
  requestsPerDay: ['requestsPerDay'],
  eventsPerDay: ['eventsPerDay'],
  msPerEvent: ['msPerEvent'],
  vectorsStored: ['vectorsStored'],
  vectorsWrittenPerDay: ['vectorsWrittenPerDay'],
  vectorQueriesPerDay: ['vectorQueriesPerDay'],
  vectorMetadataBytes: ['vectorMetadataBytes'],
  vectorDimensions: ['vectorDimensions'],
  natGbPerMonth: ['natGbPerMonth'],
  endpointGbPerMonth: ['endpointGbPerMonth'],
  cacheHitRate: ['levers', 'cacheHitRate'],
  promptCacheReadShare: ['levers', 'promptCacheReadShare'],
  batchShare: ['levers', 'batchShare'],
};

/** Every context key the traffic profile reads, besides `trafficProfile` (a JSON file the app reads). */
export const TRAFFIC_CONTEXT_KEYS: readonly string[] = [...Object.keys(NUMBER_KEYS), 'tokensPerRequest', 'routes'];

function bad(key: string, message: string): NovaCostError {
  return new NovaCostError('validation', `-c ${key}: ${message}`);
}

/**
 * `model=in/out@share,model=in/out@share` (the share may be left off for a single model), e.g.
 * `amazon.nova-lite-v1:0=1200/300@0.7,amazon.nova-pro-v1:0=2000/500@0.3`.
 */
function tokensPerRequest(raw: string): Array<Record<string, unknown>> {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.map((item) => {
    const match = /^([^=@/]+)=([\d.]+)\/([\d.]+)(?:@([\d.]+))?$/.exec(item);
    if (!match) throw bad('tokensPerRequest', `expected model=inputTokens/outputTokens@share, got "${item}"`);
    const [, modelId, input, output, share] = match;
    if (share === undefined && items.length > 1)
      throw bad('tokensPerRequest', `"${item}" needs @share when several models are listed`);
    return {
      modelId,
      inputTokens: Number(input),
      outputTokens: Number(output),
      share: share === undefined ? 1 : Number(share),
    };
  });
}

/** `from>to@share,…`, e.g. `amazon.nova-pro-v1:0>amazon.nova-lite-v1:0@0.4`. */
function routes(raw: string): Array<Record<string, unknown>> {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((item) => {
      const match = /^([^>@]+)>([^>@]+)@([\d.]+)$/.exec(item);
      if (!match) throw bad('routes', `expected fromModel>toModel@share, got "${item}"`);
      return { from: match[1], to: match[2], share: Number(match[3]) };
    });
}

function asNumber(key: string, value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw bad(key, `must be a number, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * The traffic profile from CDK context: `base` (read from the `trafficProfile` JSON file, if any) with the `-c` keys
 * laid over it. Undefined when neither gives anything, so the estimate stays a floor.
 */
export function trafficProfileFromContext(
  get: (key: string) => unknown,
  base?: unknown,
  baseOrigin = 'trafficProfile file',
): TrafficProfile | undefined {
  const merged: Record<string, unknown> =
    base === undefined ? {} : (structuredClone(parseTrafficProfile(base, baseOrigin)) as Record<string, unknown>);
  let given = base !== undefined;
  for (const [key, path] of Object.entries(NUMBER_KEYS)) {
    const value = get(key);
    if (value === undefined || value === '') continue;
    given = true;
    const n = asNumber(key, value);
    if (path.length === 1) merged[path[0]!] = n;
    else merged[path[0]!] = { ...(merged[path[0]!] as object | undefined), [path[1]!]: n };
  }
  const tokens = get('tokensPerRequest');
  if (typeof tokens === 'string' && tokens !== '') {
    given = true;
    merged.models = tokensPerRequest(tokens);
  }
  const routed = get('routes');
  if (typeof routed === 'string' && routed !== '') {
    given = true;
    merged.levers = { ...(merged.levers as object | undefined), routes: routes(routed) };
  }
  if (!given) return undefined;
  return parseTrafficProfile(merged, base === undefined ? '-c keys' : `${baseOrigin} and -c keys`);
}
