import type { JsonObject } from '../json';
import { isJsonObject } from '../json';
import type { Operation, TokenUsage } from './invocation.types';

function count(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
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
    return {
      inputTokens: first(usage['inputTokens']),
      outputTokens: first(usage['outputTokens']),
      cacheReadInputTokens: first(usage['cacheReadInputTokens']),
      cacheWriteInputTokens: first(usage['cacheWriteInputTokens']),
    };
  }
  return {
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
  };
}

/** Why an answer stopped, as its body says: Converse and Nova `stopReason`, Anthropic `stop_reason`; none for embeddings. */
export function responseStopReason(body: JsonObject): string | undefined {
  const reason = body['stopReason'] ?? body['stop_reason'];
  return typeof reason === 'string' ? reason : undefined;
}
