import { countTokens } from './deterministic-content';
import { isObject } from './prompt';

/** One event of a streamed answer. */
export interface StreamedEvent {
  /** The frame's `:event-type`. */
  readonly type: string;
  readonly payload: Record<string, unknown>;
  /** Output tokens the model had produced when this event was ready: it is sent after time to first token + this many token times. */
  readonly tokensBefore: number;
}

/** When the first byte left and when the answer was complete, for the latencies the last event reports. */
export interface StreamTiming {
  readonly firstByteMs: number;
  readonly totalMs: number;
}

type Json = Record<string, unknown>;

/** Words with the blank after them: how a model's text arrives, a few characters per delta. */
function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** A tool call's input JSON, in the short fragments a model streams it in. */
function fragments(json: string): string[] {
  return json.match(/[\s\S]{1,16}/g) ?? [];
}

/** Each piece with the output tokens produced before it. */
function paced(pieces: readonly string[]): { piece: string; tokensBefore: number }[] {
  let prefix = '';
  return pieces.map((piece) => {
    const tokensBefore = countTokens(prefix);
    prefix += piece;
    return { piece, tokensBefore };
  });
}

const first = (content: unknown): Json => (Array.isArray(content) && isObject(content[0]) ? content[0] : {});

/** ConverseStream: messageStart, contentBlockStart (tool use only, as Bedrock), contentBlockDelta…, contentBlockStop, messageStop, metadata. */
export function converseStreamEvents(body: Json): StreamedEvent[] {
  const message = isObject(body['output']) && isObject(body['output']['message']) ? body['output']['message'] : {};
  const block = first(message['content']);
  const usage = (body['usage'] ?? {}) as Json;
  const total = Number(usage['outputTokens'] ?? 0);
  const events: StreamedEvent[] = [{ type: 'messageStart', payload: { role: 'assistant' }, tokensBefore: 0 }];
  const toolUse = isObject(block['toolUse']) ? block['toolUse'] : undefined;
  if (toolUse) {
    events.push({
      type: 'contentBlockStart',
      payload: { contentBlockIndex: 0, start: { toolUse: { toolUseId: toolUse['toolUseId'], name: toolUse['name'] } } },
      tokensBefore: 0,
    });
    for (const { piece, tokensBefore } of paced(fragments(JSON.stringify(toolUse['input'])))) {
      events.push({
        type: 'contentBlockDelta',
        payload: { contentBlockIndex: 0, delta: { toolUse: { input: piece } } },
        tokensBefore,
      });
    }
  } else {
    for (const { piece, tokensBefore } of paced(words(String(block['text'] ?? '')))) {
      events.push({
        type: 'contentBlockDelta',
        payload: { contentBlockIndex: 0, delta: { text: piece } },
        tokensBefore,
      });
    }
  }
  events.push(
    { type: 'contentBlockStop', payload: { contentBlockIndex: 0 }, tokensBefore: total },
    { type: 'messageStop', payload: { stopReason: body['stopReason'] }, tokensBefore: total },
    {
      type: 'metadata',
      payload: {
        usage,
        metrics: body['metrics'] ?? { latencyMs: 0 },
        ...(body['serviceTier'] === undefined ? {} : { serviceTier: body['serviceTier'] }),
      },
      tokensBefore: total,
    },
  );
  return events;
}

interface InvokeCounts {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
}

/** What Bedrock adds to the model's last chunk on InvokeModelWithResponseStream. */
function invocationMetrics(counts: InvokeCounts, timing: StreamTiming): Json {
  return {
    inputTokenCount: counts.inputTokens,
    outputTokenCount: counts.outputTokens,
    invocationLatency: timing.totalMs,
    firstByteLatency: timing.firstByteMs,
    ...(counts.cacheReadInputTokens > 0 ? { cacheReadInputTokenCount: counts.cacheReadInputTokens } : {}),
    ...(counts.cacheWriteInputTokens > 0 ? { cacheWriteInputTokenCount: counts.cacheWriteInputTokens } : {}),
  };
}

/** The model's own streamed JSON, one `chunk` event each, its bytes base64 as Bedrock sends them. */
function chunks(parts: readonly { json: Json; tokensBefore: number }[]): StreamedEvent[] {
  return parts.map(({ json, tokensBefore }) => ({
    type: 'chunk',
    payload: { bytes: Buffer.from(JSON.stringify(json), 'utf8').toString('base64') },
    tokensBefore,
  }));
}

/** Nova messages-v1 on InvokeModelWithResponseStream: Converse-like events, the last with usage and Bedrock's metrics. */
export function novaStreamChunks(body: Json, counts: InvokeCounts, timing: StreamTiming): StreamedEvent[] {
  const message = isObject(body['output']) && isObject(body['output']['message']) ? body['output']['message'] : {};
  const total = counts.outputTokens;
  const usage = { ...(body['usage'] as Json) };
  delete usage['totalTokens'];
  return chunks([
    { json: { messageStart: { role: 'assistant' } }, tokensBefore: 0 },
    ...paced(words(String(first(message['content'])['text'] ?? ''))).map(({ piece, tokensBefore }) => ({
      json: { contentBlockDelta: { delta: { text: piece }, contentBlockIndex: 0 } },
      tokensBefore,
    })),
    { json: { contentBlockStop: { contentBlockIndex: 0 } }, tokensBefore: total },
    { json: { messageStop: { stopReason: body['stopReason'] } }, tokensBefore: total },
    {
      json: {
        metadata: { usage, metrics: {}, trace: {} },
        'amazon-bedrock-invocationMetrics': invocationMetrics(counts, timing),
      },
      tokensBefore: total,
    },
  ]);
}

/** Anthropic messages on InvokeModelWithResponseStream: message_start … message_stop, the last with Bedrock's metrics. */
export function anthropicStreamChunks(body: Json, counts: InvokeCounts, timing: StreamTiming): StreamedEvent[] {
  const block = first(body['content']);
  const usage = body['usage'] as Json;
  const total = counts.outputTokens;
  const toolUse = block['type'] === 'tool_use';
  const deltas = toolUse
    ? paced(fragments(JSON.stringify(block['input']))).map(({ piece, tokensBefore }) => ({
        json: { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: piece } },
        tokensBefore,
      }))
    : paced(words(String(block['text'] ?? ''))).map(({ piece, tokensBefore }) => ({
        json: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } },
        tokensBefore,
      }));
  return chunks([
    {
      json: {
        type: 'message_start',
        message: {
          id: body['id'],
          type: 'message',
          role: 'assistant',
          model: body['model'],
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
      tokensBefore: 0,
    },
    {
      json: {
        type: 'content_block_start',
        index: 0,
        content_block: toolUse
          ? { type: 'tool_use', id: block['id'], name: block['name'], input: {} }
          : { type: 'text', text: '' },
      },
      tokensBefore: 0,
    },
    ...deltas,
    { json: { type: 'content_block_stop', index: 0 }, tokensBefore: total },
    {
      json: {
        type: 'message_delta',
        delta: { stop_reason: body['stop_reason'], stop_sequence: null },
        usage: { output_tokens: total },
      },
      tokensBefore: total,
    },
    {
      json: { type: 'message_stop', 'amazon-bedrock-invocationMetrics': invocationMetrics(counts, timing) },
      tokensBefore: total,
    },
  ]);
}

/** Meta Llama: `{generation, prompt_token_count, generation_token_count, stop_reason}` per piece, the stop reason last. */
export function llamaStreamChunks(body: Json, counts: InvokeCounts, timing: StreamTiming): StreamedEvent[] {
  const pieces = paced(words(String(body['generation'] ?? '')));
  return chunks([
    ...pieces.map(({ piece, tokensBefore }, i) => ({
      json: {
        generation: piece,
        prompt_token_count: i === 0 ? counts.inputTokens : null,
        generation_token_count: countTokens(piece) + tokensBefore,
        stop_reason: null,
      },
      tokensBefore,
    })),
    {
      json: {
        generation: '',
        prompt_token_count: null,
        generation_token_count: counts.outputTokens,
        stop_reason: body['stop_reason'],
        'amazon-bedrock-invocationMetrics': invocationMetrics(counts, timing),
      },
      tokensBefore: counts.outputTokens,
    },
  ]);
}

/** Mistral completion: `{outputs: [{text, stop_reason}]}` per piece, the stop reason last. */
export function mistralStreamChunks(body: Json, counts: InvokeCounts, timing: StreamTiming): StreamedEvent[] {
  const output = first(body['outputs']);
  return chunks([
    ...paced(words(String(output['text'] ?? ''))).map(({ piece, tokensBefore }) => ({
      json: { outputs: [{ text: piece, stop_reason: null }] },
      tokensBefore,
    })),
    {
      json: {
        outputs: [{ text: '', stop_reason: output['stop_reason'] }],
        'amazon-bedrock-invocationMetrics': invocationMetrics(counts, timing),
      },
      tokensBefore: counts.outputTokens,
    },
  ]);
}
