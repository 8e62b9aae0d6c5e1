import { describe, expect, it } from 'vitest';
import type { InvocationResult } from './invocation.types';
import { bodyTextOf, resultOfBodyText, withBodyText } from './body-text';

const rest = {
  usage: { inputTokens: 1, outputTokens: 2, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
  latencyMs: 0,
  cache: 'hit',
  modelId: 'amazon.nova-lite-v1:0',
} as const;
const text = '{"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},"stopReason":"end_turn"}';

describe(resultOfBodyText, () => {
  it('reads as an ordinary result, its body parsed from the text', () => {
    const result = resultOfBodyText(text, rest);
    expect(result).toEqual({ ...rest, body: JSON.parse(text) });
    expect(result.body).toBe(result.body); // parsed once
  });

  it('keeps the text for sending as it is', () => {
    expect(bodyTextOf(resultOfBodyText(text, rest))).toBe(text);
  });

  it('gives a copy the body but never the text, so a copy with another body is serialised afresh', () => {
    const result = resultOfBodyText(text, rest);
    expect({ ...result }).toEqual({ ...rest, body: JSON.parse(text) });
    expect(bodyTextOf({ ...result })).toBeUndefined();
    expect(bodyTextOf({ ...result, body: { other: true } })).toBeUndefined();
  });
});

describe(bodyTextOf, () => {
  it('is undefined for a result made without text, and the marked text for one marked', () => {
    const result: InvocationResult = { ...rest, body: { a: 1 } };
    expect(bodyTextOf(result)).toBeUndefined();
    expect(bodyTextOf(withBodyText(result, '{"a":1}'))).toBe('{"a":1}');
  });
});
