import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../json';
import { requestFeatures } from './request-features';

describe(requestFeatures, () => {
  describe('having a Converse body', () => {
    const body: JsonObject = {
      messages: [{ role: 'user', content: [{ text: 'x'.repeat(400) }, { image: { format: 'png', source: { bytes: 'AAAA' } } }] }],
      system: [{ text: 'y'.repeat(40) }],
      inferenceConfig: { temperature: 0, maxTokens: 256 },
      toolConfig: { tools: [{ toolSpec: { name: 'lookup' } }] },
    };

    it('reads temperature, output cap, tools and attachments', () => {
      const f = requestFeatures({ body });
      expect(f.temperature).toBe(0);
      expect(f.maxOutputTokens).toBe(256);
      expect([...f.needs].sort()).toEqual(['images', 'tools']);
      // (400 + 40 characters of text + 'user') / 4 + one image at 1600 tokens
      expect(f.estimatedInputTokens).toBe(111 + 1600);
    });
  });

  describe('having an Anthropic messages body', () => {
    it('reads max_tokens, temperature and document blocks', () => {
      const f = requestFeatures({
        body: {
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 100,
          temperature: 0.5,
          messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', data: 'AA' } }, { type: 'text', text: 'abcd' }] }],
        },
      });
      expect(f).toMatchObject({ temperature: 0.5, maxOutputTokens: 100 });
      expect([...f.needs]).toEqual(['documents']);
    });
  });

  describe('having a body that sets nothing', () => {
    it('leaves temperature and the cap undefined rather than guessing 0', () => {
      const f = requestFeatures({ body: { inputText: 'hello world!' } });
      expect(f.temperature).toBeUndefined();
      expect(f.maxOutputTokens).toBeUndefined();
      expect(f.estimatedInputTokens).toBe(3);
    });
  });

  describe('having text outside ASCII', () => {
    it('counts each such character as a token, so Japanese prompts are not underestimated', () => {
      // 12 ASCII characters (3 tokens) and 10 kana/kanji (10 tokens).
      expect(requestFeatures({ body: { inputText: 'hello world!' + 'こんにちは、世界です' } }).estimatedInputTokens).toBe(13);
    });
  });

  describe('having values of the wrong type', () => {
    it('ignores them instead of throwing', () => {
      const f = requestFeatures({ body: { inferenceConfig: { temperature: 'hot', maxTokens: null }, messages: 'not-a-list' } });
      expect(f.temperature).toBeUndefined();
      expect(f.maxOutputTokens).toBeUndefined();
    });
  });
});
