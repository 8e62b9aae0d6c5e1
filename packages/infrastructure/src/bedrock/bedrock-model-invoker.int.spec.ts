import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { InvocationRequest, JsonObject, NovaCostErrorKind } from '@nova-cost/domain';
import { NovaCostError, StaticPricingCatalog, costOf } from '@nova-cost/domain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BedrockModelInvoker } from './bedrock-model-invoker';
import type { BedrockClientSettings } from './bedrock-model-invoker.options';

const CALM = {
  latency: { fixedMs: 0, perOutputTokenMs: 0 },
  faults: { throttleRate: 0, serverErrorRate: 0, slowRate: 0, dropRate: 0, failFirst: 0, failFirstWith: 'throttle' as const },
};

let bedrock: LocalBedrock;
const invokers: BedrockModelInvoker[] = [];

function invoker(settings: Partial<BedrockClientSettings> = {}): BedrockModelInvoker {
  const created = new BedrockModelInvoker({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    ...settings,
  });
  invokers.push(created);
  return created;
}

function request(modelId: string, operation: 'converse' | 'invoke', body: JsonObject): InvocationRequest {
  return { tenantId: 't1', modelId, operation, body };
}

const converseHello = (text = 'Say hello to the cost team', extra: JsonObject = {}): JsonObject => ({
  messages: [{ role: 'user', content: [{ text }] }],
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<NovaCostError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!NovaCostError.is(error)) throw new Error(`expected a NovaCostError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  bedrock = await startLocalBedrock();
});
afterAll(async () => {
  for (const i of invokers) i.destroy();
  await bedrock.close();
});
beforeEach(() => {
  bedrock.configure(CALM);
  bedrock.reset();
});

describe(BedrockModelInvoker, () => {
  describe('.invoke with converse', () => {
    it('returns the Converse body, usage, stop reason, and the model id as requested', async () => {
      const result = await invoker().invoke(request('us.amazon.nova-lite-v1:0', 'converse', converseHello()));
      const content = (result.body['output'] as { message: { content: { text: string }[] } }).message.content;
      expect(content[0]?.text.length).toBeGreaterThan(0);
      expect(result.usage.inputTokens).toBeGreaterThan(0);
      expect(result.usage.outputTokens).toBeGreaterThan(0);
      expect(result).toMatchObject({ stopReason: 'end_turn', source: 'upstream', modelId: 'us.amazon.nova-lite-v1:0', billing: 'on-demand' });
      expect(result.body['$metadata']).toBeUndefined();
      expect(bedrock.stats().byModel).toEqual({ 'us.amazon.nova-lite-v1:0': 1 });
    });

    it('prices the usage with the domain catalog', async () => {
      const result = await invoker().invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello()));
      const catalog = new StaticPricingCatalog();
      const cost = catalog.cost({ modelId: 'amazon.nova-lite-v1:0', region: 'us-east-1', usage: result.usage });
      expect(cost).toBeGreaterThan(0);
      expect(cost).toBe(costOf(result.usage, catalog.price({ modelId: 'amazon.nova-lite-v1:0', region: 'us-east-1' })));
    });

    it('stops with max_tokens when inferenceConfig.maxTokens caps the answer', async () => {
      const result = await invoker().invoke(request('amazon.nova-micro-v1:0', 'converse', converseHello('hi', { inferenceConfig: { maxTokens: 3 } })));
      expect(result.stopReason).toBe('max_tokens');
      expect(result.usage.outputTokens).toBe(3);
    });

    it('reports cache writes then cache reads for a prompt prefix ending at a cachePoint', async () => {
      const body: JsonObject = {
        system: [{ text: 'You are a careful cost analyst. '.repeat(40) }, { cachePoint: { type: 'default' } }],
        messages: [{ role: 'user', content: [{ text: 'Summarise the bill' }] }],
      };
      const first = await invoker().invoke(request('anthropic.claude-3-7-sonnet-20250219-v1:0', 'converse', body));
      const second = await invoker().invoke(request('anthropic.claude-3-7-sonnet-20250219-v1:0', 'converse', body));
      expect(first.usage.cacheWriteInputTokens).toBeGreaterThan(0);
      expect(first.usage.cacheReadInputTokens).toBe(0);
      expect(second.usage).toEqual({ ...first.usage, cacheReadInputTokens: first.usage.cacheWriteInputTokens, cacheWriteInputTokens: 0 });
    });
  });

  describe('.invoke with invoke', () => {
    it('passes a Nova messages-v1 body through and reads usage from the response headers', async () => {
      const body: JsonObject = { schemaVersion: 'messages-v1', messages: [{ role: 'user', content: [{ text: 'Name three savings' }] }], inferenceConfig: { max_new_tokens: 500 } };
      const result = await invoker().invoke(request('amazon.nova-pro-v1:0', 'invoke', body));
      const usage = result.body['usage'] as { inputTokens: number; outputTokens: number };
      expect(result.usage).toEqual({ inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
      expect(result.stopReason).toBe('end_turn');
    });

    it('passes an Anthropic messages body through, with cache_control prompt caching', async () => {
      const body: JsonObject = {
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 200,
        system: [{ type: 'text', text: 'Long shared instructions. '.repeat(50), cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Which model is cheapest?' }],
      };
      const first = await invoker().invoke(request('anthropic.claude-haiku-4-5-20251001-v1:0', 'invoke', body));
      const second = await invoker().invoke(request('anthropic.claude-haiku-4-5-20251001-v1:0', 'invoke', body));
      expect((first.body['content'] as { type: string }[])[0]?.type).toBe('text');
      expect(first.stopReason).toBe('end_turn');
      expect(first.usage.cacheWriteInputTokens).toBeGreaterThan(0);
      expect(second.usage.cacheReadInputTokens).toBe(first.usage.cacheWriteInputTokens);
      expect(second.usage.cacheWriteInputTokens).toBe(0);
      // A cache read is billed at a tenth of input, a write at 1.25×: the repeat costs less.
      const catalog = new StaticPricingCatalog();
      const cost = (usage: typeof first.usage) => catalog.cost({ modelId: 'global.anthropic.claude-haiku-4-5-20251001-v1:0', region: 'us-east-1', usage });
      expect(cost(second.usage)).toBeLessThan(cost(first.usage));
    });

    it('embeds with Titan v2: one vector of the asked dimensions, input tokens, no output tokens', async () => {
      const result = await invoker().invoke(request('amazon.titan-embed-text-v2:0', 'invoke', { inputText: 'a short document about spend', dimensions: 256 }));
      expect(result.body['embedding']).toHaveLength(256);
      expect(result.usage.inputTokens).toBe(result.body['inputTextTokenCount']);
      expect(result.usage.outputTokens).toBe(0);
      expect(result.stopReason).toBeUndefined();
    });

    it('embeds with Nova multimodal embeddings', async () => {
      const body: JsonObject = { taskType: 'SINGLE_EMBEDDING', singleEmbeddingParams: { embeddingPurpose: 'GENERIC_INDEX', embeddingDimension: 384, text: { truncationMode: 'END', value: 'hello' } } };
      const result = await invoker().invoke(request('amazon.nova-2-multimodal-embeddings-v1:0', 'invoke', body));
      const [first] = result.body['embeddings'] as { embeddingType: string; embedding: number[] }[];
      expect(first?.embeddingType).toBe('TEXT');
      expect(first?.embedding).toHaveLength(384);
      expect(result.usage.inputTokens).toBeGreaterThan(0);
    });

    it('embeds several Cohere texts in one call', async () => {
      const texts = ['first text', 'second text', 'third text'];
      const result = await invoker().invoke(request('cohere.embed-english-v3', 'invoke', { texts, input_type: 'search_document' }));
      expect(result.body['embeddings']).toHaveLength(3);
      expect(result.body['response_type']).toBe('embeddings_floats');
      expect(bedrock.stats().embeddedInputs).toEqual([3]);
    });
  });

  describe('having faults upstream', () => {
    it('retries throttled calls with the SDK strategy and then succeeds', async () => {
      bedrock.configure({ faults: { failFirst: 2, failFirstWith: 'throttle' } });
      const result = await invoker({ maxAttempts: 3 }).invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello()));
      expect(result.usage.outputTokens).toBeGreaterThan(0);
      expect(bedrock.stats()).toMatchObject({ calls: 3, faults: 2 });
    });

    it('retries throttled calls with the adaptive strategy too', async () => {
      bedrock.configure({ faults: { failFirst: 1 } });
      const result = await invoker({ retryMode: 'adaptive' }).invoke(request('amazon.nova-lite-v1:0', 'invoke', { messages: [{ role: 'user', content: [{ text: 'x' }] }] }));
      expect(result.stopReason).toBe('end_turn');
      expect(bedrock.stats().calls).toBe(2);
    });

    it("fails 'throttled' with the AWS error name and request id once attempts run out", async () => {
      bedrock.configure({ faults: { failFirst: 10, failFirstWith: 'throttle' } });
      const error = await failure(invoker({ maxAttempts: 2 }).invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello())));
      expect(error.kind).toBe('throttled');
      expect(error.retryable).toBe(true);
      expect(error.details).toMatchObject({ awsErrorName: 'ThrottlingException', httpStatusCode: 429, modelId: 'amazon.nova-lite-v1:0', attempts: 2 });
      expect(typeof error.details['requestId']).toBe('string');
      expect(error.cause).toBeInstanceOf(Error);
      expect(bedrock.stats().calls).toBe(2);
    });

    it("fails 'upstream-unavailable' after retrying 5xx answers", async () => {
      bedrock.configure({ faults: { failFirst: 10, failFirstWith: 'server-error' } });
      const error = await failure(invoker({ maxAttempts: 2 }).invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello())));
      expect(error.kind).toBe('upstream-unavailable');
      expect(['InternalServerException', 'ServiceUnavailableException']).toContain(error.details['awsErrorName']);
      expect(bedrock.stats().calls).toBe(2);
    });

    it("fails 'upstream-unavailable' after retries when the connection is dropped", async () => {
      bedrock.configure({ faults: { failFirst: 10, failFirstWith: 'drop' } });
      const error = await failure(invoker({ maxAttempts: 2 }).invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello())));
      expect(error.kind).toBe('upstream-unavailable');
      expect(bedrock.stats().calls).toBe(2);
    });

    it("fails 'timeout' when every attempt outlives requestTimeoutMs", async () => {
      bedrock.configure({ faults: { failFirst: 10, failFirstWith: 'slow', slowMs: 5_000 } });
      const error = await failure(invoker({ maxAttempts: 2, requestTimeoutMs: 100 }).invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello())));
      expect(error.kind).toBe('timeout');
      expect(bedrock.stats().calls).toBe(2);
    });
  });

  describe('having a caller error', () => {
    const cases: [string, string, 'converse' | 'invoke', JsonObject, NovaCostErrorKind][] = [
      ['a body of the wrong shape', 'amazon.nova-lite-v1:0', 'converse', { messages: [] }, 'validation'],
      ['an Anthropic body without max_tokens', 'anthropic.claude-3-haiku-20240307-v1:0', 'invoke', { anthropic_version: 'bedrock-2023-05-31', messages: [{ role: 'user', content: 'x' }] }, 'validation'],
      ['an unknown model', 'amazon.nova-imaginary-v9:0', 'converse', converseHello(), 'validation'],
      ['a retired model', 'anthropic.claude-v2', 'invoke', { prompt: 'x' }, 'not-found'],
      ['Converse on an embedding model', 'amazon.titan-embed-text-v2:0', 'converse', converseHello(), 'validation'],
    ];
    it.each(cases)('does not retry %s', async (_name, modelId, operation, body, kind) => {
      const error = await failure(invoker().invoke(request(modelId, operation, body)));
      expect(error.kind).toBe(kind);
      expect(error.retryable).toBe(false);
      expect(bedrock.stats().calls).toBe(1);
    });
  });

  describe('having an AbortSignal', () => {
    it("rejects 'aborted' quickly when the caller aborts mid-call", async () => {
      bedrock.configure({ latency: { fixedMs: 10_000 } });
      const controller = new AbortController();
      const pending = invoker().invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello()), { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      const error = await failure(pending);
      expect(error.kind).toBe('aborted');
      expect(bedrock.stats().calls).toBe(1);
    });

    it("rejects 'aborted' without calling when the signal is already aborted", async () => {
      const error = await failure(invoker().invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello()), { signal: AbortSignal.abort() }));
      expect(error.kind).toBe('aborted');
      expect(bedrock.stats().calls).toBe(0);
    });
  });

  describe('having a ready client', () => {
    it('uses it as given (default HTTP/2 handler included)', async () => {
      const client = new BedrockRuntimeClient({ region: 'eu-west-1', endpoint: bedrock.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      try {
        const result = await new BedrockModelInvoker({ client }).invoke(request('eu.amazon.nova-micro-v1:0', 'converse', converseHello()));
        expect(result.usage.outputTokens).toBeGreaterThan(0);
        expect(bedrock.stats().byModel).toEqual({ 'eu.amazon.nova-micro-v1:0': 1 });
      } finally {
        client.destroy();
      }
    });
  });
});
