import type { JsonObject, TokenUsage } from '@nova-cost/domain';
import { isJsonObject } from '@nova-cost/domain';

/** Bumped when the envelope shape changes: older entries then read as misses and get replaced. */
export const ENVELOPE_VERSION = 2;

/** What a cache entry holds. */
export interface ResponseEnvelope {
  readonly v: typeof ENVELOPE_VERSION;
  readonly body: JsonObject;
  readonly usage: TokenUsage;
  /** What the upstream call was billed, in USD, when the invoker was given a pricing catalog. */
  readonly costUsd?: number;
  readonly modelId: string;
  readonly stopReason?: string;
  /** When the upstream answer was stored (ms since epoch). */
  readonly createdAt: number;
}

export function encodeEnvelope(envelope: ResponseEnvelope): string {
  return JSON.stringify(envelope);
}

const USAGE_FIELDS = ['inputTokens', 'outputTokens', 'cacheReadInputTokens', 'cacheWriteInputTokens'] as const;

/** The envelope in `raw`, or undefined when it is corrupt, truncated or of another version. Never throws. */
export function decodeEnvelope(raw: string): ResponseEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value) || value['v'] !== ENVELOPE_VERSION) return undefined;
  const { body, usage, costUsd, modelId, stopReason, createdAt } = value;
  if (!isJsonObject(body) || !isJsonObject(usage) || typeof modelId !== 'string' || typeof createdAt !== 'number')
    return undefined;
  if (stopReason !== undefined && typeof stopReason !== 'string') return undefined;
  if (costUsd !== undefined && !(typeof costUsd === 'number' && costUsd >= 0)) return undefined;
  if (!USAGE_FIELDS.every((f) => typeof usage[f] === 'number')) return undefined;
  return value as unknown as ResponseEnvelope;
}
