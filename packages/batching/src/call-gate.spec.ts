import type { JsonObject, PlannedInvocation } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { describe, expect, it } from 'vitest';
import { CallGate, usedTokens } from './call-gate';

const call = (modelId: string, body: JsonObject): PlannedInvocation =>
  plannedCall({
    tenantId: 't',
    modelId,
    operation: 'invoke',
    body,
  });
const registry = (byModel = {}, fallback = {}) =>
  new CallGate({
    quotas: { default: fallback, byModel },
    defaultOutputTokenEstimate: 512,
    adaptiveRate: false,
    now: () => 0,
  });

describe(CallGate, () => {
  describe('.quotaFor', () => {
    it('has none when no limit applies', () => {
      expect(registry().quotaFor('amazon.nova-lite-v1:0')).toBeUndefined();
    });
    it('shares one quota between a base model, its inference profiles and its ARN', () => {
      const r = registry({ 'amazon.nova-lite-v1:0': { requestsPerMinute: 10 } });
      const q = r.quotaFor('amazon.nova-lite-v1:0');
      expect(q).toBeDefined();
      expect(r.quotaFor('eu.amazon.nova-lite-v1:0')).toBe(q);
      expect(r.quotaFor('arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0')).toBe(q);
      expect(r.quotaFor('amazon.nova-pro-v1:0')).toBeUndefined();
    });
    it('gives each known model its own default quota, and unknown ids one shared bucket', () => {
      const r = registry({}, { requestsPerMinute: 10 });
      expect(r.quotaFor('amazon.nova-lite-v1:0')).not.toBe(r.quotaFor('amazon.nova-pro-v1:0'));
      expect(r.quotaFor('made.up-model-1')).toBe(r.quotaFor('made.up-model-2'));
      expect(r.quotaFor('not a model id')).toBe(r.quotaFor('made.up-model-1'));
    });
  });

  describe('.estimateTokens', () => {
    it('adds the output cap, or the default when none is set, to the prompt estimate', () => {
      const text = (maxTokens?: number) =>
        call('amazon.nova-lite-v1:0', {
          messages: [{ role: 'user', content: [{ text: 'x'.repeat(40) }] }],
          ...(maxTokens ? { inferenceConfig: { max_new_tokens: maxTokens } } : {}),
        });
      const r = registry();
      // A 40-letter run (40/3 tokens), 'user' (4/3) and the message's 4 tokens of markers: 19 tokens.
      expect(r.estimateTokens([text(100)])).toBe(119);
      expect(r.estimateTokens([text()])).toBe(19 + 512);
    });
    it('reserves no output for embeddings', () => {
      expect(registry().estimateTokens([call('cohere.embed-english-v3', { texts: ['abcdefgh'] })])).toBe(3);
    });
  });
});

describe(usedTokens, () => {
  it('counts every kind of token', () => {
    expect(usedTokens({ inputTokens: 1, outputTokens: 2, cacheReadInputTokens: 3, cacheWriteInputTokens: 4 })).toBe(10);
  });
});
