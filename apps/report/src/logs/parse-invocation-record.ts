import type { JsonObject, JsonValue, Operation, TokenUsage } from '@nova-cost/domain';
import { hourCacheWrites, isJsonObject, withHourWrites } from '@nova-cost/domain';
import type { LoggedCall, RecordOrigin } from './logged-call';

/** A record that could be read, or why not (named in the report with its file and line). */
export type ParsedRecord = { readonly call: LoggedCall } | { readonly problem: string };

const GATEWAY_OPERATION: Readonly<Record<string, Operation>> = {
  Converse: 'converse',
  ConverseStream: 'converse-stream',
  InvokeModel: 'invoke',
  InvokeModelWithResponseStream: 'invoke-with-response-stream',
};

const count = (v: JsonValue | undefined): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;

function at(v: JsonValue | undefined, ...path: string[]): JsonValue | undefined {
  let cur = v;
  for (const key of path) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** Some exports carry the body as a JSON string rather than an object. */
function bodyObject(v: JsonValue | undefined): JsonObject | undefined {
  if (isJsonObject(v)) return v;
  if (typeof v === 'string' && v.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(v);
      return isJsonObject(parsed as JsonValue) ? (parsed as JsonObject) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

interface OutputFacts {
  inputTokens?: number;
  outputTokens?: number;
  cacheRead?: number;
  cacheWrite?: number;
  /** Of the cache writes, those kept for an hour (billed at the 1-hour write rate). */
  cacheWrite1h?: number;
  latencyMs?: number;
  stopReason?: string;
}

/**
 * What an output body says about usage, latency and stop reason, whatever its shape: a Converse answer, a model's
 * own InvokeModel answer (Nova, Anthropic, Titan embeddings), or the array of events of a streaming operation
 * (ConverseStream `metadata`/`messageStop`, Anthropic `message_start`/`message_delta`, and the
 * `amazon-bedrock-invocationMetrics` Bedrock adds to the last chunk).
 */
function outputFacts(out: JsonValue | undefined, facts: OutputFacts = {}): OutputFacts {
  if (Array.isArray(out)) {
    for (const event of out) outputFacts(event, facts);
    return facts;
  }
  if (!isJsonObject(out)) return facts;
  const usage = out['usage'] ?? at(out, 'metadata', 'usage') ?? at(out, 'message', 'usage');
  if (isJsonObject(usage)) {
    facts.inputTokens = count(usage['inputTokens']) ?? count(usage['input_tokens']) ?? facts.inputTokens;
    facts.outputTokens = count(usage['outputTokens']) ?? count(usage['output_tokens']) ?? facts.outputTokens;
    facts.cacheRead =
      count(usage['cacheReadInputTokens']) ??
      count(usage['cacheReadInputTokenCount']) ??
      count(usage['cache_read_input_tokens']) ??
      facts.cacheRead;
    facts.cacheWrite =
      count(usage['cacheWriteInputTokens']) ??
      count(usage['cacheWriteInputTokenCount']) ??
      count(usage['cache_creation_input_tokens']) ??
      facts.cacheWrite;
    facts.cacheWrite1h = hourCacheWrites(usage) || facts.cacheWrite1h;
  }
  const metrics = out['amazon-bedrock-invocationMetrics'];
  if (isJsonObject(metrics)) {
    facts.inputTokens = count(metrics['inputTokenCount']) ?? facts.inputTokens;
    facts.outputTokens = count(metrics['outputTokenCount']) ?? facts.outputTokens;
    facts.latencyMs = count(metrics['invocationLatency']) ?? facts.latencyMs;
  }
  facts.inputTokens = count(out['inputTextTokenCount']) ?? facts.inputTokens; // Titan embeddings
  facts.latencyMs =
    count(at(out, 'metrics', 'latencyMs')) ?? count(at(out, 'metadata', 'metrics', 'latencyMs')) ?? facts.latencyMs;
  const stop =
    out['stopReason'] ??
    out['stop_reason'] ??
    at(out, 'messageStop', 'stopReason') ??
    at(out, 'delta', 'stop_reason') ??
    out['completionReason'];
  if (typeof stop === 'string') facts.stopReason = stop;
  return facts;
}

/**
 * Reads one Bedrock model invocation log record (schemaType ModelInvocationLog, schemaVersion 1.0) as delivered
 * to S3 or CloudWatch Logs. Token counts come from `input.inputTokenCount` / `output.outputTokenCount` and the
 * cache counts beside them, else from the usage in the output body.
 */
export function parseInvocationRecord(value: unknown, origin: RecordOrigin): ParsedRecord {
  if (!isJsonObject(value as JsonValue)) return { problem: 'not a JSON object' };
  const r = value as JsonObject;
  if (r['schemaType'] !== undefined && r['schemaType'] !== 'ModelInvocationLog') {
    return { problem: `schemaType ${JSON.stringify(String(r['schemaType']).slice(0, 40))} is not ModelInvocationLog` };
  }
  const timestamp = r['timestamp'];
  const time = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  if (Number.isNaN(time)) return { problem: 'timestamp missing or not an ISO date' };
  const modelId = r['modelId'];
  if (typeof modelId !== 'string' || modelId === '') return { problem: 'modelId missing' };
  const operation = r['operation'];
  if (typeof operation !== 'string' || operation === '') return { problem: 'operation missing' };
  const input = isJsonObject(r['input']) ? r['input'] : {};
  const output = isJsonObject(r['output']) ? r['output'] : {};
  const errorCode = typeof r['errorCode'] === 'string' && r['errorCode'] !== '' ? r['errorCode'] : undefined;

  const facts = outputFacts(output['outputBodyJson']);
  const inputTokens = count(input['inputTokenCount']) ?? facts.inputTokens;
  if (inputTokens === undefined && errorCode === undefined) {
    return {
      problem:
        input['inputTokenCount'] === undefined
          ? 'no input token count (input.inputTokenCount) nor usage in the output'
          : 'input.inputTokenCount is not a count',
    };
  }
  const usage: TokenUsage = withHourWrites(
    {
      inputTokens: inputTokens ?? 0,
      outputTokens: count(output['outputTokenCount']) ?? facts.outputTokens ?? 0,
      cacheReadInputTokens: count(input['cacheReadInputTokenCount']) ?? facts.cacheRead ?? 0,
      cacheWriteInputTokens: count(input['cacheWriteInputTokenCount']) ?? facts.cacheWrite ?? 0,
    },
    facts.cacheWrite1h ?? 0,
  );
  const metadata: Record<string, string> = {};
  if (isJsonObject(r['requestMetadata'])) {
    for (const [k, v] of Object.entries(r['requestMetadata'])) if (typeof v === 'string') metadata[k] = v;
  }
  const s3Path = input['inputBodyS3Path'];
  return {
    call: {
      origin,
      at: time,
      requestId: typeof r['requestId'] === 'string' ? r['requestId'] : '',
      accountId: typeof r['accountId'] === 'string' ? r['accountId'] : '',
      identityArn: typeof at(r, 'identity', 'arn') === 'string' ? (at(r, 'identity', 'arn') as string) : '',
      region: typeof r['region'] === 'string' && r['region'] !== '' ? r['region'] : 'us-east-1',
      operation,
      gatewayOperation: GATEWAY_OPERATION[operation],
      streaming: operation.endsWith('Stream'),
      modelId,
      body: bodyObject(input['inputBodyJson']),
      bodyS3Path: typeof s3Path === 'string' && s3Path !== '' ? s3Path : undefined,
      usage,
      latencyMs: facts.latencyMs,
      stopReason: facts.stopReason,
      errorCode,
      requestMetadata: metadata,
    },
  };
}
