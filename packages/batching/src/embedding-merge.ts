import { NovaCostError, ZERO_USAGE, cacheTtlOf, findModel, isJsonObject, requestKey } from '@nova-cost/domain';
import type { PlannedInvocation, InvocationResult, JsonObject, JsonValue, TokenUsage } from '@nova-cost/domain';

/** The texts of a request that may share an upstream call with others, or undefined. */
export function mergeableTexts(request: PlannedInvocation): readonly string[] | undefined {
  if (request.operation !== 'invoke') return undefined;
  let accepts = false;
  try {
    accepts = findModel(request.modelId)?.acceptsInputBatch === true;
  } catch {
    return undefined; // not a model id at all: let the next link report it
  }
  const texts = request.body['texts'];
  if (!accepts || !Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === 'string'))
    return undefined;
  return texts as string[];
}

/**
 * Requests with the same merge key may be answered by one call: same tenant, region, model, cache rule, plan (the
 * fallback chain, the service tier and who chose it, the lane: the merged call goes out with the first one's) and
 * every body field but `texts` (input_type, truncate, embedding_types…).
 */
export function mergeKey(request: PlannedInvocation): string {
  const { texts: _texts, ...rest } = request.body;
  const tier = request.tier === 'default' ? '' : `${request.tier.by}:${request.tier.name}`;
  const plan = `fallbacks=${request.fallbacks.join(',')}|tier=${tier}|lane=${request.lane}`;
  return `${requestKey({ ...request, body: rest }, request.region)}|ttl=${cacheTtlOf(request) ?? ''}|${plan}`;
}

/** One request whose `texts` are those of all the given requests, in order. */
export function mergeRequests(requests: readonly PlannedInvocation[]): PlannedInvocation {
  const first = requests[0];
  if (!first) throw new NovaCostError('internal', 'cannot merge an empty list of embedding requests');
  const texts = requests.flatMap((r) => r.body['texts'] as string[]);
  return { ...first, body: { ...first.body, texts } };
}

/** Splits `total` into integer shares proportional to `weights` that add up to `total` (largest remainder). */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0)
    return apportion(
      total,
      weights.map(() => 1),
    );
  const exact = weights.map((w) => (total * w) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left <= 0) break;
    shares[i] = (shares[i] ?? 0) + 1;
    left -= 1;
  }
  return shares;
}

function sliceEmbeddings(embeddings: JsonValue | undefined, start: number, end: number, expected: number): JsonValue {
  const slice = (list: JsonValue | undefined, field: string): JsonValue[] => {
    if (!Array.isArray(list) || list.length !== expected) {
      throw new NovaCostError(
        'internal',
        `merged embedding call returned ${Array.isArray(list) ? list.length : 'no'} ${field} for ${expected} texts`,
        {
          details: { expected },
        },
      );
    }
    return list.slice(start, end);
  };
  if (Array.isArray(embeddings)) return slice(embeddings, 'embeddings');
  // With `embedding_types`, Cohere answers { float: [[…]], int8: [[…]] }: one list per type.
  if (isJsonObject(embeddings))
    return Object.fromEntries(
      Object.entries(embeddings).map(([type, list]) => [type, slice(list, `${type} embeddings`)]),
    );
  return slice(embeddings, 'embeddings');
}

/**
 * Gives each merged caller the body it would have had alone (its own embeddings and texts) and a share of the
 * usage proportional to the length of its texts.
 */
export function splitResult(result: InvocationResult, requests: readonly PlannedInvocation[]): InvocationResult[] {
  const counts = requests.map((r) => (r.body['texts'] as string[]).length);
  const expected = counts.reduce((a, b) => a + b, 0);
  const weights = requests.map((r) => (r.body['texts'] as string[]).reduce((n, t) => n + t.length, 0));
  const shares = (Object.keys(ZERO_USAGE) as (keyof TokenUsage)[]).map(
    (k) => [k, apportion(result.usage[k] ?? 0, weights)] as const,
  );
  let start = 0;
  return requests.map((request, i) => {
    const end = start + (counts[i] ?? 0);
    const body: JsonObject = {
      ...result.body,
      embeddings: sliceEmbeddings(result.body['embeddings'], start, end, expected),
    };
    if (Array.isArray(result.body['texts']) && result.body['texts'].length === expected)
      body['texts'] = result.body['texts'].slice(start, end);
    else if ('texts' in result.body) body['texts'] = request.body['texts'] as string[];
    start = end;
    const usage = Object.fromEntries(shares.map(([k, s]) => [k, s[i] ?? 0])) as unknown as TokenUsage;
    return { ...result, body, usage };
  });
}
