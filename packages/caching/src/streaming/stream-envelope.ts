import type { ModelStreamEvent } from '@nova-cost/domain';
import { isJsonObject } from '@nova-cost/domain';

/** Bumped when the shape changes: older entries then read as misses and get replaced. */
export const STREAM_ENVELOPE_VERSION = 1;

/** A complete stream kept in the cache: its events as Bedrock sent them (the usage is in the last ones). */
export interface StreamEnvelope {
  readonly v: typeof STREAM_ENVELOPE_VERSION;
  readonly kind: 'stream';
  readonly events: readonly ModelStreamEvent[];
  readonly modelId: string;
  /** When the stream was stored (ms since epoch). */
  readonly createdAt: number;
}

export function encodeStreamEnvelope(envelope: StreamEnvelope): string {
  return JSON.stringify(envelope);
}

/** The envelope in `raw`, or undefined when it is corrupt, of another version or not a stream. Never throws. */
export function decodeStreamEnvelope(raw: string): StreamEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value) || value['v'] !== STREAM_ENVELOPE_VERSION || value['kind'] !== 'stream') return undefined;
  const { events, modelId, createdAt } = value;
  if (typeof modelId !== 'string' || typeof createdAt !== 'number' || !Array.isArray(events) || events.length === 0)
    return undefined;
  if (!events.every((e) => isJsonObject(e) && typeof e['type'] === 'string' && isJsonObject(e['payload'])))
    return undefined;
  return value as unknown as StreamEnvelope;
}
