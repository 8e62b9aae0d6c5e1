import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../json';
import type { InvocationRequest } from './invocation.types';
import { requestFeatures } from './request-features';

describe(requestFeatures, () => {
  describe('having a Converse body', () => {
    const body: JsonObject = {
      messages: [
        { role: 'user', content: [{ text: 'x'.repeat(400) }, { image: { format: 'png', source: { bytes: 'AAAA' } } }] },
      ],
      system: [{ text: 'y'.repeat(40) }],
      inferenceConfig: { temperature: 0, maxTokens: 256 },
      toolConfig: { tools: [{ toolSpec: { name: 'lookup' } }] },
    };

    it('reads temperature, output cap, tools and attachments', () => {
      const f = requestFeatures({ operation: 'converse', modelId: 'amazon.nova-lite-v1:0', body });
      expect(f.temperature).toBe(0);
      expect(f.maxOutputTokens).toBe(256);
      expect([...f.needs].sort()).toEqual(['images', 'tools']);
    });
  });

  describe('having an Anthropic messages body', () => {
    it('reads max_tokens, temperature and document blocks', () => {
      const f = requestFeatures({
        operation: 'invoke',
        modelId: 'anthropic.claude-sonnet-4-20250514-v1:0',
        body: {
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 100,
          temperature: 0.5,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'document', source: { type: 'base64', data: 'AA' } },
                { type: 'text', text: 'abcd' },
              ],
            },
          ],
        },
      });
      expect(f).toMatchObject({ temperature: 0.5, maxOutputTokens: 100 });
      expect([...f.needs]).toEqual(['documents']);
    });
  });

  describe('having a body that sets nothing', () => {
    it('leaves temperature and the cap undefined rather than guessing 0', () => {
      const f = requestFeatures({
        operation: 'converse',
        modelId: 'amazon.nova-lite-v1:0',
        body: { messages: [{ role: 'user', content: [{ text: 'hello world' }] }] },
      });
      expect(f.temperature).toBeUndefined();
      expect(f.maxOutputTokens).toBeUndefined();
    });
  });

  describe('having prose', () => {
    it('counts about a token per short word, three letters a token in longer ones, and a token per mark', () => {
      // The(1) quick(5/3) brown(5/3) fox(1) jumps(5/3) over(4/3) the(1) lazy(4/3) dog(1) .(1)
      const f = requestFeatures({
        operation: 'invoke',
        modelId: 'amazon.titan-embed-text-v2:0',
        body: { inputText: 'The quick brown fox jumps over the lazy dog.' },
      });
      expect(f.estimatedInputTokens).toBe(13);
    });
  });

  describe('having text outside ASCII', () => {
    it('counts each such character as a token, so Japanese prompts are not underestimated', () => {
      // 'hello world' (two five-letter words, 10/3 tokens) and 10 kana/kanji (10 tokens).
      expect(
        requestFeatures({
          operation: 'invoke',
          modelId: 'amazon.titan-embed-text-v2:0',
          body: { inputText: 'hello world' + 'こんにちは、世界です' },
        }).estimatedInputTokens,
      ).toBe(14);
    });
  });

  describe('having values of the wrong type', () => {
    it('ignores them instead of throwing', () => {
      const f = requestFeatures({
        operation: 'converse',
        modelId: 'amazon.nova-lite-v1:0',
        body: { inferenceConfig: { temperature: 'hot', maxTokens: null }, messages: 'not-a-list' },
      });
      expect(f.temperature).toBeUndefined();
      expect(f.maxOutputTokens).toBeUndefined();
    });
  });
});

/** Digits, marks and other characters that are not letters or white space: each at least a token. */
const marks = (text: string) => text.replace(/[A-Za-z\s]/g, '').length;

/** A PNG's first bytes (signature and IHDR): all an estimate reads of an image. */
const pngHeader = (width: number, height: number): string => {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b.toString('base64');
};

/** A JPEG whose frame header (SOF0) comes after an APP1 segment, as in camera files. */
const jpegHeader = (width: number, height: number): string => {
  const app1 = Buffer.alloc(2 + 2 + 300);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(2 + 300, 2);
  const sof = Buffer.alloc(2 + 17);
  sof.writeUInt16BE(0xffc0, 0);
  sof.writeUInt16BE(17, 2);
  sof.writeUInt8(8, 4);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, sof]).toString('base64');
};

const converseWith = (
  content: JsonValue[],
  extra: JsonObject = {},
): Pick<InvocationRequest, 'body' | 'operation' | 'modelId'> => ({
  operation: 'converse',
  modelId: 'amazon.nova-pro-v1:0',
  body: { messages: [{ role: 'user', content }], ...extra },
});

describe('requestFeatures estimate of billed input', () => {
  it('counts every digit and mark of toolResult JSON, which a model bills as tokens', () => {
    const json = { readings: Array.from({ length: 2000 }, (_, i) => i * 7), units: 'mV' };
    const f = requestFeatures(converseWith([{ toolResult: { toolUseId: 't1', content: [{ json }] } }]));
    expect(f.estimatedInputTokens).toBeGreaterThanOrEqual(marks(JSON.stringify(json)));
  });

  it('counts the input a toolUse block replays and the tool schemas of toolConfig', () => {
    const input = { ids: Array.from({ length: 500 }, (_, i) => i) };
    const schema = {
      type: 'object',
      properties: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`field${i}`, { type: 'number' }])),
    };
    const f = requestFeatures(
      converseWith([{ toolUse: { toolUseId: 't1', name: 'lookup', input } }], {
        toolConfig: { tools: [{ toolSpec: { name: 'lookup', inputSchema: { json: schema } } }] },
      }),
    );
    expect(f.estimatedInputTokens).toBeGreaterThanOrEqual(marks(JSON.stringify(input)) + marks(JSON.stringify(schema)));
  });

  it('counts an Anthropic tool_result and tool_use as serialised JSON', () => {
    const input = { values: Array.from({ length: 1000 }, (_, i) => i) };
    const f = requestFeatures({
      operation: 'invoke',
      modelId: 'anthropic.claude-sonnet-4-20250514-v1:0',
      body: {
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 10,
        messages: [
          { role: 'assistant', content: [{ type: 'tool_use', id: 'x', name: 'f', input }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'x', content: JSON.stringify(input) }] },
        ],
      },
    });
    expect(f.estimatedInputTokens).toBeGreaterThanOrEqual(2 * marks(JSON.stringify(input)));
  });

  it('prices an image by its size, (width × height) / 750 for Claude, whatever the encoding', () => {
    const claude = (image: string) =>
      requestFeatures({
        operation: 'invoke',
        modelId: 'anthropic.claude-sonnet-4-20250514-v1:0',
        body: {
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 10,
          messages: [
            {
              role: 'user',
              content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: image } }],
            },
          ],
        },
      }).estimatedInputTokens;
    expect(claude(pngHeader(1000, 750))).toBeGreaterThanOrEqual(1000);
    expect(claude(jpegHeader(1000, 750))).toBeGreaterThanOrEqual(1000);
    // Claude scales larger images down to about 1,600 tokens: a bigger picture costs no more.
    expect(claude(pngHeader(4000, 3000))).toBeLessThan(2000);
  });

  it('prices a Nova image at least as Nova does: small ones are scaled up, large ones cost more', () => {
    const nova = (image: string) =>
      requestFeatures(converseWith([{ image: { format: 'png', source: { bytes: image } } }])).estimatedInputTokens;
    expect(nova(pngHeader(100, 100))).toBeGreaterThanOrEqual(1300); // scaled up to about 900 × 900: ~1,300 tokens
    expect(nova(pngHeader(1800, 900))).toBeGreaterThanOrEqual(2400);
  });

  it('assumes the costly case for an image whose size it cannot read (S3, unreadable bytes)', () => {
    const s3 = requestFeatures(
      converseWith([{ image: { format: 'png', source: { s3Location: { uri: 's3://b/k.png' } } } }]),
    ).estimatedInputTokens;
    const garbled = requestFeatures(
      converseWith([{ image: { format: 'png', source: { bytes: 'AAAAAAAA' } } }]),
    ).estimatedInputTokens;
    expect(s3).toBeGreaterThanOrEqual(2600);
    expect(garbled).toBe(s3);
  });

  it('prices a document by its bytes, and one it cannot measure at the model context window', () => {
    const bytes = Buffer.alloc(60_000, 0x41).toString('base64');
    const inline = requestFeatures(
      converseWith([{ document: { format: 'pdf', name: 'doc', source: { bytes } } }]),
    ).estimatedInputTokens;
    expect(inline).toBeGreaterThanOrEqual(60_000);
    const s3 = requestFeatures(
      converseWith([{ document: { format: 'pdf', name: 'doc', source: { s3Location: { uri: 's3://b/k.pdf' } } } }]),
    ).estimatedInputTokens;
    expect(s3).toBe(300_000); // Nova Pro's context window: no call bills more input than that
  });

  it('counts digits and punctuation in plain text a token each', () => {
    const digits = Array.from({ length: 1000 }, (_, i) => i).join(',');
    expect(
      requestFeatures({ operation: 'invoke', modelId: 'amazon.titan-embed-text-v2:0', body: { inputText: digits } })
        .estimatedInputTokens,
    ).toBeGreaterThanOrEqual(digits.length);
  });
});

describe('requestFeatures output cap', () => {
  const converseBody = (extra: JsonObject) => ({
    operation: 'converse' as const,
    modelId: 'amazon.nova-pro-v1:0',
    body: { messages: [], ...extra },
  });

  it('reads a Converse cap from inferenceConfig.maxTokens only, never a top-level max_tokens Bedrock ignores', () => {
    expect(requestFeatures(converseBody({ max_tokens: 1 })).maxOutputTokens).toBeUndefined();
    expect(requestFeatures(converseBody({ inferenceConfig: { max_new_tokens: 1 } })).maxOutputTokens).toBeUndefined();
    expect(requestFeatures(converseBody({ max_tokens: 1, inferenceConfig: { maxTokens: 300 } })).maxOutputTokens).toBe(
      300,
    );
  });

  it('reads an InvokeModel cap from the field of the model family', () => {
    const nova = (body: JsonObject) =>
      requestFeatures({ operation: 'invoke', modelId: 'amazon.nova-lite-v1:0', body }).maxOutputTokens;
    expect(nova({ inferenceConfig: { max_new_tokens: 40 } })).toBe(40);
    expect(nova({ max_tokens: 1 })).toBeUndefined();
    expect(nova({ inferenceConfig: { maxTokens: 1 } })).toBeUndefined();
    const claude = (body: JsonObject) =>
      requestFeatures({ operation: 'invoke', modelId: 'anthropic.claude-3-haiku-20240307-v1:0', body }).maxOutputTokens;
    expect(claude({ max_tokens: 70 })).toBe(70);
    expect(claude({ inferenceConfig: { maxTokens: 1 } })).toBeUndefined();
  });

  it('reads temperature where the operation reads it', () => {
    expect(requestFeatures(converseBody({ temperature: 0 })).temperature).toBeUndefined();
    expect(
      requestFeatures({
        operation: 'invoke',
        modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
        body: { temperature: 0 },
      }).temperature,
    ).toBe(0);
    expect(
      requestFeatures({ operation: 'invoke', modelId: 'amazon.nova-lite-v1:0', body: { temperature: 0 } }).temperature,
    ).toBeUndefined();
  });
});
