import type { JsonObject } from '../json';
import { isJsonObject } from '../json';
import type { Operation, TokenUsage } from './invocation.types';

function count(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Cache-write tokens kept for an hour, as a usage object states them: Converse's `cacheDetails` (`[{ttl, inputTokens}]`)
 * or Anthropic's `cache_creation.ephemeral_1h_input_tokens`. 0 when it does not say.
 */
export function hourCacheWrites(usage: unknown): number {
  if (!isJsonObject(usage)) return 0;
  const details = usage['cacheDetails'];
  if (Array.isArray(details))
    return details.reduce<number>(
      (sum, d) => sum + (isJsonObject(d) && d['ttl'] === '1h' ? (count(d['inputTokens']) ?? 0) : 0),
      0,
    );
  const creation = usage['cache_creation'];
  return isJsonObject(creation) ? (count(creation['ephemeral_1h_input_tokens']) ?? 0) : 0;
}

/** `usage` with its 1-hour writes (see hourCacheWrites), when there are any. */
export function withHourWrites(usage: TokenUsage, hour: number): TokenUsage {
  return hour > 0 ? { ...usage, cacheWrite1hInputTokens: Math.min(hour, usage.cacheWriteInputTokens) } : usage;
}

/**
 * Token usage as a response body states it, for answers that come without Bedrock's token-count headers (batch job
 * output): Converse `usage`, Nova `usage`, Anthropic `usage` (snake_case), Titan `inputTextTokenCount`. A count the
 * body does not state is 0.
 */
export function responseUsage(operation: Operation, body: JsonObject): TokenUsage {
  const usage = isJsonObject(body['usage']) ? body['usage'] : {};
  const first = (...values: unknown[]): number => values.map(count).find((n) => n !== undefined) ?? 0;
  if (operation === 'converse') {
    return withHourWrites(
      {
        inputTokens: first(usage['inputTokens']),
        outputTokens: first(usage['outputTokens']),
        cacheReadInputTokens: first(usage['cacheReadInputTokens']),
        cacheWriteInputTokens: first(usage['cacheWriteInputTokens']),
      },
      hourCacheWrites(usage),
    );
  }
  return withHourWrites(
    {
      inputTokens: first(usage['inputTokens'], usage['input_tokens'], body['inputTextTokenCount']),
      outputTokens: first(usage['outputTokens'], usage['output_tokens']),
      cacheReadInputTokens: first(
        usage['cacheReadInputTokenCount'],
        usage['cacheReadInputTokens'],
        usage['cache_read_input_tokens'],
      ),
      cacheWriteInputTokens: first(
        usage['cacheWriteInputTokenCount'],
        usage['cacheWriteInputTokens'],
        usage['cache_creation_input_tokens'],
      ),
    },
    hourCacheWrites(usage),
  );
}

/** Why an answer stopped, as its body says: Converse and Nova `stopReason`, Anthropic `stop_reason`; none for embeddings. */
export function responseStopReason(body: JsonObject): string | undefined {
  const reason = body['stopReason'] ?? body['stop_reason'];
  return typeof reason === 'string' ? reason : undefined;
}
