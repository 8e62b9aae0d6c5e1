import { describe, expect, it } from 'vitest';
import { countTokens, generateEmbedding, generateText, hashOf, stableJson } from './deterministic-content';

describe(generateText, () => {
  it('derives the answer from the hash alone', () => {
    expect(generateText(hashOf('a'), undefined)).toEqual(generateText(hashOf('a'), undefined));
    expect(generateText(hashOf('a'), undefined).text).not.toBe(generateText(hashOf('b'), undefined).text);
  });

  it("cuts the answer at maxTokens and says 'max_tokens'", () => {
    const full = generateText(hashOf('x'), undefined);
    const cut = generateText(hashOf('x'), 4);
    expect(full.stopReason).toBe('end_turn');
    expect(full.outputTokens).toBe(countTokens(full.text));
    expect(cut).toEqual({ text: full.text.slice(0, 16), outputTokens: 4, stopReason: 'max_tokens' });
  });
});

describe(stableJson, () => {
  it('ignores key order', () => {
    expect(stableJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(stableJson({ a: [{ c: 3, d: 2 }], b: 1 }));
  });
});

describe(generateEmbedding, () => {
  it('returns a unit vector of the asked length', () => {
    const v = generateEmbedding(hashOf('t'), 256);
    expect(v).toHaveLength(256);
    expect(Math.sqrt(v.reduce((s, x) => s + x * x, 0))).toBeCloseTo(1, 3);
  });
});
