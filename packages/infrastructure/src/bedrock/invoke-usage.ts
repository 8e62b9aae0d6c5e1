import type { JsonObject, TokenUsage } from '@nova-cost/domain';
import { isJsonObject } from '@nova-cost/domain';

export type HeaderBag = Readonly<Record<string, string | undefined>>;

function count(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Usage of an InvokeModel call. Bedrock reports it in the X-Amzn-Bedrock-*-Token-Count headers for every
 * model; the body is only a fallback (Nova `usage`, Anthropic `usage`, Titan `inputTextTokenCount`).
 */
export function invokeUsage(headers: HeaderBag, body: JsonObject): TokenUsage {
  const usage = isJsonObject(body['usage']) ? body['usage'] : {};
  const pick = (header: string, ...fields: unknown[]): number =>
    count(headers[header]) ?? fields.map(count).find((n) => n !== undefined) ?? 0;
  return {
    inputTokens: pick(
      'x-amzn-bedrock-input-token-count',
      usage['inputTokens'],
      usage['input_tokens'],
      body['inputTextTokenCount'],
    ),
    outputTokens: pick('x-amzn-bedrock-output-token-count', usage['outputTokens'], usage['output_tokens']),
    cacheReadInputTokens: pick(
      'x-amzn-bedrock-cache-read-input-token-count',
      usage['cacheReadInputTokenCount'],
      usage['cache_read_input_tokens'],
    ),
    cacheWriteInputTokens: pick(
      'x-amzn-bedrock-cache-write-input-token-count',
      usage['cacheWriteInputTokenCount'],
      usage['cache_creation_input_tokens'],
    ),
  };
}

/** Why an InvokeModel answer stopped: Nova `stopReason`, Anthropic `stop_reason`; none for embeddings. */
export function invokeStopReason(body: JsonObject): string | undefined {
  const reason = body['stopReason'] ?? body['stop_reason'];
  return typeof reason === 'string' ? reason : undefined;
}

/** The model's latency in ms from `X-Amzn-Bedrock-Invocation-Latency`, when present and sane. */
export function invokeLatencyMs(headers: HeaderBag): number | undefined {
  const value = headers['x-amzn-bedrock-invocation-latency'];
  return value === undefined || value.trim() === '' ? undefined : count(value);
}
