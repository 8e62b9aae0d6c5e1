import type { NovaCostError } from '../errors/nova-cost.error';
import type { JsonObject, JsonValue } from '../json';
import { isJsonObject } from '../json';
import type { StreamOperation, TokenUsage } from './invocation.types';
import type { ModelStreamEvent, StreamReport } from './model-stream';
import { hourCacheWrites, withHourWrites } from './response-usage';
import { textTokens } from './token-estimate';

const at = (value: JsonValue | undefined, ...path: string[]): JsonValue | undefined => {
  let v = value;
  for (const key of path) v = isJsonObject(v) ? v[key] : undefined;
  return v;
};
const num = (value: JsonValue | undefined): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
const str = (value: JsonValue | undefined): string | undefined => (typeof value === 'string' ? value : undefined);

/** The model's own JSON in an InvokeModelWithResponseStream chunk (`bytes`, base64), or undefined. */
export function chunkJson(event: ModelStreamEvent): JsonObject | undefined {
  const bytes = event.payload['bytes'];
  if (event.type !== 'chunk' || typeof bytes !== 'string') return undefined;
  try {
    const binary = atob(bytes);
    const parsed: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads what a Bedrock stream is billed on from its events as they pass: the usage it reports at its end (Converse
 * `metadata.usage`; on InvokeModelWithResponseStream the `amazon-bedrock-invocationMetrics` Bedrock adds to the model's
 * last chunk), its stop reason, and — for a stream that never got there — an estimate: the input tokens the model
 * reported or the request's estimate, and the output tokens of the text produced so far.
 */
export class StreamMeter {
  private outputTokens = 0;
  private inputReported: Omit<TokenUsage, 'outputTokens'> | undefined;
  private usage: TokenUsage | undefined;
  private stopReason: string | undefined;
  private serviceTier: string | undefined;
  private count = 0;

  constructor(
    private readonly operation: StreamOperation,
    /** The request's input tokens as estimated before the call, for a stream that ends before saying. */
    private readonly estimatedInputTokens: number,
  ) {}

  /** Whether the stream reached its end with its usage. */
  get complete(): boolean {
    return this.usage !== undefined;
  }

  observe(event: ModelStreamEvent): void {
    this.count += 1;
    if (this.operation === 'converse-stream') this.converse(event);
    else {
      const json = chunkJson(event);
      if (json) this.chunk(json);
    }
  }

  /** The report of the stream as it stands; `end` says how it ended when it did not complete. */
  report(end: 'failed' | 'abandoned', error?: NovaCostError): StreamReport {
    const base = {
      events: this.count,
      ...(this.stopReason === undefined ? {} : { stopReason: this.stopReason }),
      ...(this.serviceTier === undefined ? {} : { serviceTier: this.serviceTier }),
    };
    if (this.usage) return { ...base, end: 'complete', usage: this.usage, reported: true };
    const input = this.inputReported ?? {
      inputTokens: this.estimatedInputTokens,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
    };
    return {
      ...base,
      end,
      usage: { ...input, outputTokens: Math.ceil(this.outputTokens) },
      reported: false,
      ...(error ? { error } : {}),
    };
  }

  private produced(text: JsonValue | undefined): void {
    if (typeof text === 'string') this.outputTokens += textTokens(text);
  }

  private converse({ type, payload }: ModelStreamEvent): void {
    if (type === 'contentBlockDelta') {
      const delta = payload['delta'];
      this.produced(at(delta, 'text') ?? at(delta, 'toolUse', 'input') ?? at(delta, 'reasoningContent', 'text'));
    } else if (type === 'messageStop') this.stopReason = str(payload['stopReason']) ?? this.stopReason;
    else if (type === 'metadata') {
      this.serviceTier = str(at(payload['serviceTier'], 'type')) ?? this.serviceTier;
      const u = payload['usage'];
      this.usage = {
        inputTokens: num(at(u, 'inputTokens')) ?? 0,
        outputTokens: num(at(u, 'outputTokens')) ?? 0,
        cacheReadInputTokens: num(at(u, 'cacheReadInputTokens')) ?? 0,
        cacheWriteInputTokens: num(at(u, 'cacheWriteInputTokens')) ?? 0,
      };
      this.usage = withHourWrites(this.usage, hourCacheWrites(u));
    }
  }

  // The model families' own stream JSON: Nova (Converse-like), Anthropic (message_* events), Llama, Mistral.
  private chunk(json: JsonObject): void {
    this.produced(
      at(json, 'contentBlockDelta', 'delta', 'text') ??
        at(json, 'delta', 'text') ??
        at(json, 'delta', 'partial_json') ??
        at(json, 'delta', 'thinking') ??
        at(json, 'generation'),
    );
    const outputs = json['outputs'];
    if (Array.isArray(outputs)) this.produced(at(outputs[0], 'text'));
    this.stopReason =
      str(at(json, 'messageStop', 'stopReason')) ??
      str(at(json, 'delta', 'stop_reason')) ??
      str(json['stop_reason']) ??
      (Array.isArray(outputs) ? str(at(outputs[0], 'stop_reason')) : undefined) ??
      this.stopReason;
    if (json['type'] === 'message_start') {
      const u = at(json, 'message', 'usage');
      this.inputReported = {
        inputTokens: num(at(u, 'input_tokens')) ?? 0,
        cacheReadInputTokens: num(at(u, 'cache_read_input_tokens')) ?? 0,
        cacheWriteInputTokens: num(at(u, 'cache_creation_input_tokens')) ?? 0,
        ...(hourCacheWrites(u) > 0 ? { cacheWrite1hInputTokens: hourCacheWrites(u) } : {}),
      };
    }
    const metrics = json['amazon-bedrock-invocationMetrics'];
    if (isJsonObject(metrics)) {
      this.usage = {
        inputTokens: num(metrics['inputTokenCount']) ?? 0,
        outputTokens: num(metrics['outputTokenCount']) ?? 0,
        cacheReadInputTokens: num(metrics['cacheReadInputTokenCount']) ?? 0,
        cacheWriteInputTokens: num(metrics['cacheWriteInputTokenCount']) ?? 0,
      };
      // The metrics say nothing of TTLs: Anthropic's message_start did.
      this.usage = withHourWrites(this.usage, this.inputReported?.cacheWrite1hInputTokens ?? 0);
    }
  }
}
