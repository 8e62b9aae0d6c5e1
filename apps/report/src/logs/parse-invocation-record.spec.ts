import { describe, expect, it } from 'vitest';
import {
  claudeInvokeRecord,
  claudeStreamRecord,
  cohereEmbedRecord,
  converseRecord,
  converseStreamRecord,
  errorRecord,
  largeBodyRecord,
  novaInvokeRecord,
  titanEmbedRecord,
} from '../testing/log-records';
import type { LoggedCall } from './logged-call';
import { parseInvocationRecord } from './parse-invocation-record';

const origin = { file: 'a.json.gz', line: 7 };

function call(record: unknown): LoggedCall {
  const parsed = parseInvocationRecord(record, origin);
  if (!('call' in parsed)) throw new Error(`expected a call, got problem ${parsed.problem}`);
  return parsed.call;
}

describe(parseInvocationRecord, () => {
  describe('having a Converse record', () => {
    it('reads caller, model, body, token counts, latency and stop reason', () => {
      const c = call(converseRecord());
      expect(c).toMatchObject({
        origin,
        at: Date.parse('2026-03-02T09:00:00Z'),
        identityArn: 'arn:aws:sts::123456789012:assumed-role/checkout-api/i-0abc',
        region: 'us-east-1',
        operation: 'Converse',
        gatewayOperation: 'converse',
        streaming: false,
        modelId: 'amazon.nova-lite-v1:0',
        usage: { inputTokens: 120, outputTokens: 80, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
        latencyMs: 900,
        stopReason: 'end_turn',
        errorCode: undefined,
      });
      expect(c.body).toEqual({
        messages: [{ role: 'user', content: [{ text: 'What is the refund window?' }] }],
        inferenceConfig: { maxTokens: 300, temperature: 0 },
      });
    });
  });

  describe('having a ConverseStream record whose output is the stream events', () => {
    it('reads usage, latency and stop reason from the metadata and messageStop events', () => {
      expect(call(converseStreamRecord())).toMatchObject({
        gatewayOperation: 'converse-stream',
        streaming: true,
        usage: { inputTokens: 30, outputTokens: 70 },
        latencyMs: 1400,
        stopReason: 'max_tokens',
      });
    });
  });

  describe('having InvokeModel records', () => {
    it('reads a Nova messages-v1 call with prompt-cache reads', () => {
      expect(call(novaInvokeRecord())).toMatchObject({
        gatewayOperation: 'invoke',
        usage: { inputTokens: 500, outputTokens: 40, cacheReadInputTokens: 1000 },
        stopReason: 'end_turn',
        latencyMs: undefined,
      });
    });
    it('reads a Claude messages call and its stop_reason', () => {
      expect(call(claudeInvokeRecord())).toMatchObject({
        modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
        usage: { inputTokens: 220, outputTokens: 5 },
        stopReason: 'end_turn',
      });
    });
    it('reads the cache writes a Claude call kept for an hour, which bill at the 1-hour rate', () => {
      const record = claudeInvokeRecord();
      const out = (record['output'] as Record<string, Record<string, unknown>>)['outputBodyJson']!;
      out['usage'] = {
        input_tokens: 20,
        output_tokens: 5,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 3000,
        cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
      };
      expect(call(record).usage).toEqual({
        inputTokens: 220,
        outputTokens: 5,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 3000,
        cacheWrite1hInputTokens: 2000,
      });
    });
    it('reads a Titan embedding call', () => {
      expect(call(titanEmbedRecord())).toMatchObject({
        usage: { inputTokens: 4, outputTokens: 0 },
        body: { inputText: 'red running shoes', dimensions: 512 },
      });
    });
    it('reads a Cohere embedding call', () => {
      expect(call(cohereEmbedRecord())).toMatchObject({
        usage: { inputTokens: 6, outputTokens: 0 },
        body: { texts: ['a', 'b'] },
      });
    });
  });

  describe('having an InvokeModelWithResponseStream record without token counts beside the body', () => {
    it('takes them, and the latency, from the invocation metrics of the last chunk', () => {
      expect(call(claudeStreamRecord())).toMatchObject({
        gatewayOperation: 'invoke-with-response-stream',
        streaming: true,
        usage: { inputTokens: 12, outputTokens: 17 },
        latencyMs: 2100,
        stopReason: 'end_turn',
      });
    });
  });

  describe('having a failed call', () => {
    it('keeps the error code and needs no token counts', () => {
      expect(call(errorRecord())).toMatchObject({
        errorCode: 'ThrottlingException',
        usage: { inputTokens: 0, outputTokens: 0 },
      });
    });
  });

  describe('having a body delivered to S3', () => {
    it('has no body but names where it went', () => {
      const c = call(largeBodyRecord());
      expect(c.body).toBeUndefined();
      expect(c.bodyS3Path).toMatch(/^s3:\/\/logs\/.*_input\.json\.gz$/);
      expect(c.usage.inputTokens).toBe(40_000);
    });
  });

  describe('having the body as a JSON string', () => {
    it('reads it as an object', () => {
      const record = converseRecord();
      (record['input'] as Record<string, unknown>)['inputBodyJson'] = JSON.stringify({ messages: [] });
      expect(call(record).body).toEqual({ messages: [] });
    });
  });

  describe('having requestMetadata', () => {
    it('keeps its string entries', () => {
      expect(call(converseRecord({ requestMetadata: { team: 'search', n: 3 } })).requestMetadata).toEqual({
        team: 'search',
      });
    });
  });

  describe('having records it cannot read', () => {
    it.each([
      ['a JSON array', [1, 2], 'not a JSON object'],
      [
        'another schema',
        converseRecord({ schemaType: 'CloudTrail' }),
        'schemaType "CloudTrail" is not ModelInvocationLog',
      ],
      ['no timestamp', converseRecord({ timestamp: undefined }), 'timestamp missing or not an ISO date'],
      [
        'a timestamp that is not a date',
        converseRecord({ timestamp: 'yesterday' }),
        'timestamp missing or not an ISO date',
      ],
      ['no model', converseRecord({ modelId: '' }), 'modelId missing'],
      ['no operation', converseRecord({ operation: undefined }), 'operation missing'],
      [
        'no token counts anywhere',
        converseRecord({ input: { inputBodyJson: {} }, output: {} }),
        'no input token count (input.inputTokenCount) nor usage in the output',
      ],
      [
        'a negative token count',
        converseRecord({ input: { inputBodyJson: {}, inputTokenCount: -3 }, output: {} }),
        'input.inputTokenCount is not a count',
      ],
    ])('names the problem with %s', (_name, record, problem) => {
      expect(parseInvocationRecord(record, origin)).toEqual({ problem });
    });
  });
});
