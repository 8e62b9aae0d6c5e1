import { describe, expect, it } from 'vitest';
import { responseStopReason, responseUsage } from './response-usage';

describe(responseUsage, () => {
  it('reads Converse usage, cache reads and writes included', () => {
    expect(
      responseUsage('converse', {
        usage: { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 3, cacheWriteInputTokens: 2 },
      }),
    ).toEqual({ inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 3, cacheWriteInputTokens: 2 });
  });

  it.each([
    [
      'Nova',
      { usage: { inputTokens: 7, outputTokens: 4, cacheReadInputTokenCount: 1 } },
      { inputTokens: 7, outputTokens: 4, cacheReadInputTokens: 1, cacheWriteInputTokens: 0 },
    ],
    [
      'Anthropic',
      { usage: { input_tokens: 7, output_tokens: 4, cache_creation_input_tokens: 2 } },
      { inputTokens: 7, outputTokens: 4, cacheReadInputTokens: 0, cacheWriteInputTokens: 2 },
    ],
    [
      'Titan embeddings',
      { embedding: [0.1], inputTextTokenCount: 9 },
      { inputTokens: 9, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    ],
  ])('reads %s InvokeModel bodies', (_family, body, usage) => {
    expect(responseUsage('invoke', body)).toEqual(usage);
  });

  it('counts what the body does not state, or states wrongly, as 0', () => {
    expect(responseUsage('converse', { usage: { inputTokens: -1, outputTokens: 'x' } })).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
    });
  });
});

describe(responseStopReason, () => {
  it('reads either spelling, and none from an embedding', () => {
    expect(responseStopReason({ stopReason: 'end_turn' })).toBe('end_turn');
    expect(responseStopReason({ stop_reason: 'max_tokens' })).toBe('max_tokens');
    expect(responseStopReason({ embedding: [] })).toBeUndefined();
  });
});
