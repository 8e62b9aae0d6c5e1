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

describe('1-hour cache writes', () => {
  it("reads Converse's cacheDetails and Anthropic's cache_creation", () => {
    expect(
      responseUsage('converse', {
        usage: {
          inputTokens: 5,
          outputTokens: 1,
          cacheWriteInputTokens: 300,
          cacheDetails: [
            { ttl: '1h', inputTokens: 200 },
            { ttl: '5m', inputTokens: 100 },
          ],
        },
      }).cacheWrite1hInputTokens,
    ).toBe(200);
    const anthropic = responseUsage('invoke', {
      usage: {
        input_tokens: 5,
        output_tokens: 1,
        cache_creation_input_tokens: 300,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 300 },
      },
    });
    expect(anthropic).toMatchObject({ cacheWriteInputTokens: 300, cacheWrite1hInputTokens: 300 });
    expect(responseUsage('converse', { usage: { cacheWriteInputTokens: 3 } })).not.toHaveProperty(
      'cacheWrite1hInputTokens',
    );
  });
});

describe(responseStopReason, () => {
  it('reads either spelling, and none from an embedding', () => {
    expect(responseStopReason({ stopReason: 'end_turn' })).toBe('end_turn');
    expect(responseStopReason({ stop_reason: 'max_tokens' })).toBe('max_tokens');
    expect(responseStopReason({ embedding: [] })).toBeUndefined();
  });
});
