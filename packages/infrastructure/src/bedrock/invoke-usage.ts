import type { JsonObject, TokenUsage } from '@nova-cost/domain';
import { responseStopReason, responseUsage, withHourWrites } from '@nova-cost/domain';

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
  const fromBody = responseUsage('invoke', body);
  const pick = (header: string, fallback: number): number => count(headers[header]) ?? fallback;
  return withHourWrites(
    {
      inputTokens: pick('x-amzn-bedrock-input-token-count', fromBody.inputTokens),
      outputTokens: pick('x-amzn-bedrock-output-token-count', fromBody.outputTokens),
      cacheReadInputTokens: pick('x-amzn-bedrock-cache-read-input-token-count', fromBody.cacheReadInputTokens),
      cacheWriteInputTokens: pick('x-amzn-bedrock-cache-write-input-token-count', fromBody.cacheWriteInputTokens),
    },
    fromBody.cacheWrite1hInputTokens ?? 0,
  );
}

/** Why an InvokeModel answer stopped: Nova `stopReason`, Anthropic `stop_reason`; none for embeddings. */
export const invokeStopReason = responseStopReason;

/** The model's latency in ms from `X-Amzn-Bedrock-Invocation-Latency`, when present and sane. */
export function invokeLatencyMs(headers: HeaderBag): number | undefined {
  const value = headers['x-amzn-bedrock-invocation-latency'];
  return value === undefined || value.trim() === '' ? undefined : count(value);
}
