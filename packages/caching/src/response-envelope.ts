import type { TokenUsage } from '@nova-cost/domain';
import { isJsonObject } from '@nova-cost/domain';

/** Bumped when the envelope shape changes: older entries then read as misses and get replaced. */
export const ENVELOPE_VERSION = 3;

/** What a cache entry holds. */
export interface ResponseEnvelope {
  readonly v: typeof ENVELOPE_VERSION;
  /** The Bedrock response body as JSON text: what a hit sends back as it is, never parsed to be served. */
  readonly bodyText: string;
  readonly usage: TokenUsage;
  readonly modelId: string;
  readonly stopReason?: string;
  /** When the upstream answer was stored (ms since epoch). */
  readonly createdAt: number;
}

/**
 * One line of JSON with everything but the body (and the body's length, so a cut entry is told apart), a newline,
 * then the body's JSON text. JSON text never holds a raw newline, so the first one ends the head.
 */
export function encodeEnvelope(envelope: ResponseEnvelope): string {
  const { bodyText, ...head } = envelope;
  return `${JSON.stringify({ ...head, n: bodyText.length })}\n${bodyText}`;
}

const USAGE_FIELDS = ['inputTokens', 'outputTokens', 'cacheReadInputTokens', 'cacheWriteInputTokens'] as const;

/**
 * The envelope in `raw`, or undefined when it is corrupt, cut short or of another version. Never throws. Only the
 * head is parsed: the body is checked for its length and its braces, not read.
 */
export function decodeEnvelope(raw: string): ResponseEnvelope | undefined {
  const newline = raw.indexOf('\n');
  if (newline < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw.slice(0, newline));
  } catch {
    return undefined;
  }
  if (!isJsonObject(value) || value['v'] !== ENVELOPE_VERSION) return undefined;
  const { n, usage, modelId, stopReason, createdAt } = value;
  const bodyText = raw.slice(newline + 1);
  if (n !== bodyText.length || bodyText.charCodeAt(0) !== 0x7b || bodyText.charCodeAt(n - 1) !== 0x7d) return undefined;
  if (!isJsonObject(usage) || typeof modelId !== 'string' || typeof createdAt !== 'number') return undefined;
  if (stopReason !== undefined && typeof stopReason !== 'string') return undefined;
  if (!USAGE_FIELDS.every((f) => typeof usage[f] === 'number')) return undefined;
  return {
    v: ENVELOPE_VERSION,
    bodyText,
    usage: usage as unknown as TokenUsage,
    modelId,
    ...(stopReason === undefined ? {} : { stopReason }),
    createdAt,
  };
}
