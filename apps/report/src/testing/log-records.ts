/**
 * Invocation log records in the documented shapes (schemaType ModelInvocationLog, schemaVersion 1.0), for specs.
 * Each builder takes overrides so a spec states only what it is about.
 */
type Json = Record<string, unknown>;

const base = (operation: string, modelId: string, over: Json = {}): Json => ({
  schemaType: 'ModelInvocationLog',
  schemaVersion: '1.0',
  timestamp: '2026-03-02T09:00:00Z',
  accountId: '123456789012',
  identity: { arn: 'arn:aws:sts::123456789012:assumed-role/checkout-api/i-0abc' },
  region: 'us-east-1',
  requestId: 'req-1',
  operation,
  modelId,
  ...over,
});

export const converseText = (text: string, temperature = 0) => ({
  messages: [{ role: 'user', content: [{ text }] }],
  inferenceConfig: { maxTokens: 300, temperature },
});

export function converseRecord(
  over: Json = {},
  text = 'What is the refund window?',
  usage = { in: 120, out: 80 },
): Json {
  return base('Converse', 'amazon.nova-lite-v1:0', {
    input: { inputContentType: 'application/json', inputBodyJson: converseText(text), inputTokenCount: usage.in },
    output: {
      outputContentType: 'application/json',
      outputBodyJson: {
        output: { message: { role: 'assistant', content: [{ text: 'Thirty days.' }] } },
        stopReason: 'end_turn',
        metrics: { latencyMs: 900 },
        usage: { inputTokens: usage.in, outputTokens: usage.out, totalTokens: usage.in + usage.out },
      },
      outputTokenCount: usage.out,
    },
    ...over,
  });
}

export function converseStreamRecord(over: Json = {}): Json {
  return base('ConverseStream', 'us.anthropic.claude-haiku-4-5-20251001-v1:0', {
    input: { inputContentType: 'application/json', inputBodyJson: converseText('Plan my week'), inputTokenCount: 30 },
    output: {
      outputContentType: 'application/json',
      outputBodyJson: [
        { messageStart: { role: 'assistant' } },
        { contentBlockDelta: { delta: { text: 'Monday: ' }, contentBlockIndex: 0 } },
        { messageStop: { stopReason: 'max_tokens' } },
        { metadata: { usage: { inputTokens: 30, outputTokens: 70, totalTokens: 100 }, metrics: { latencyMs: 1400 } } },
      ],
      outputTokenCount: 70,
    },
    ...over,
  });
}

export function novaInvokeRecord(over: Json = {}): Json {
  return base('InvokeModel', 'amazon.nova-pro-v1:0', {
    input: {
      inputContentType: 'application/json',
      inputBodyJson: {
        schemaVersion: 'messages-v1',
        messages: [{ role: 'user', content: [{ text: 'Summarise' }] }],
        inferenceConfig: { max_new_tokens: 200, temperature: 0 },
      },
      inputTokenCount: 500,
      cacheReadInputTokenCount: 1000,
    },
    output: {
      outputContentType: 'application/json',
      outputBodyJson: {
        output: { message: { role: 'assistant', content: [{ text: 'ok' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 500, outputTokens: 40 },
      },
      outputTokenCount: 40,
    },
    ...over,
  });
}

export function claudeInvokeRecord(over: Json = {}): Json {
  return base('InvokeModel', 'anthropic.claude-3-5-haiku-20241022-v1:0', {
    input: {
      inputContentType: 'application/json',
      inputBodyJson: {
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 400,
        temperature: 0,
        messages: [{ role: 'user', content: 'Classify this ticket' }],
      },
      inputTokenCount: 220,
    },
    output: {
      outputContentType: 'application/json',
      outputBodyJson: {
        id: 'msg_bdrk_01',
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: 'billing' }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 220, output_tokens: 5, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      },
      outputTokenCount: 5,
    },
    ...over,
  });
}

export function claudeStreamRecord(over: Json = {}): Json {
  return base('InvokeModelWithResponseStream', 'anthropic.claude-sonnet-4-20250514-v1:0', {
    input: {
      inputContentType: 'application/json',
      inputBodyJson: {
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'Write a haiku' }],
      },
    },
    output: {
      outputContentType: 'application/json',
      outputBodyJson: [
        {
          type: 'message_start',
          message: { id: 'msg_1', role: 'assistant', usage: { input_tokens: 12, output_tokens: 1 } },
        },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Autumn moon' } },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 17 } },
        {
          type: 'message_stop',
          'amazon-bedrock-invocationMetrics': {
            inputTokenCount: 12,
            outputTokenCount: 17,
            invocationLatency: 2100,
            firstByteLatency: 300,
          },
        },
      ],
    },
    ...over,
  });
}

export function titanEmbedRecord(over: Json = {}): Json {
  return base('InvokeModel', 'amazon.titan-embed-text-v2:0', {
    input: {
      inputContentType: 'application/json',
      inputBodyJson: { inputText: 'red running shoes', dimensions: 512 },
      inputTokenCount: 4,
    },
    output: {
      outputContentType: 'application/json',
      outputBodyJson: { embedding: [0.1, 0.2], inputTextTokenCount: 4 },
    },
    ...over,
  });
}

export function cohereEmbedRecord(over: Json = {}): Json {
  return base('InvokeModel', 'cohere.embed-english-v3', {
    input: {
      inputContentType: 'application/json',
      inputBodyJson: { texts: ['a', 'b'], input_type: 'search_document' },
      inputTokenCount: 6,
    },
    output: {
      outputContentType: 'application/json',
      outputBodyJson: { embeddings: [[0.1], [0.2]], id: 'e1', response_type: 'embeddings_floats' },
    },
    ...over,
  });
}

export function errorRecord(over: Json = {}): Json {
  return base('Converse', 'amazon.nova-lite-v1:0', {
    errorCode: 'ThrottlingException',
    input: { inputContentType: 'application/json', inputBodyJson: converseText('busy') },
    ...over,
  });
}

export function largeBodyRecord(over: Json = {}): Json {
  return base('Converse', 'amazon.nova-pro-v1:0', {
    input: {
      inputContentType: 'application/json',
      inputBodyS3Path: 's3://logs/AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/data/abc_input.json.gz',
      inputTokenCount: 40_000,
    },
    output: {
      outputContentType: 'application/json',
      outputBodyJson: { stopReason: 'end_turn', usage: { inputTokens: 40_000, outputTokens: 300 } },
      outputTokenCount: 300,
    },
    ...over,
  });
}
