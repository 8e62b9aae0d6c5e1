import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { GuardrailRequest, JsonObject, NovaCostErrorKind, PlannedInvocation } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { NovaCostError, StaticPricingCatalog, costOf } from '@nova-cost/domain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BedrockModelInvoker } from './bedrock-model-invoker';
import type { BedrockClientSettings } from './bedrock-model-invoker.options';

const CALM = {
  latency: { fixedMs: 0, perOutputTokenMs: 0 },
  faults: {
    throttleRate: 0,
    serverErrorRate: 0,
    slowRate: 0,
    dropRate: 0,
    failFirst: 0,
    failFirstWith: 'throttle' as const,
  },
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

function request(modelId: string, operation: 'converse' | 'invoke', body: JsonObject): PlannedInvocation {
  return plannedCall({ modelId, operation, body });
}

// A 1×1 PNG, as a JSON client sends it: base64.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const converseImage = (bytes: string, format = 'png'): JsonObject => ({
  messages: [
    { role: 'user', content: [{ text: 'What is in this picture?' }, { image: { format, source: { bytes } } }] },
  ],
});

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
      expect(result).toMatchObject({
        stopReason: 'end_turn',
        cache: 'bypass',
        modelId: 'us.amazon.nova-lite-v1:0',
        billing: 'on-demand',
      });
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
      const result = await invoker().invoke(
        request('amazon.nova-micro-v1:0', 'converse', converseHello('hi', { inferenceConfig: { maxTokens: 3 } })),
      );
      expect(result.stopReason).toBe('max_tokens');
      expect(result.usage.outputTokens).toBe(3);
    });

    it('reports cache writes then cache reads for a prompt prefix ending at a cachePoint', async () => {
      const body: JsonObject = {
        system: [{ text: 'You are a careful cost analyst. '.repeat(160) }, { cachePoint: { type: 'default' } }],
        messages: [{ role: 'user', content: [{ text: 'Summarise the bill' }] }],
      };
      const first = await invoker().invoke(request('anthropic.claude-3-7-sonnet-20250219-v1:0', 'converse', body));
      const second = await invoker().invoke(request('anthropic.claude-3-7-sonnet-20250219-v1:0', 'converse', body));
      expect(first.usage.cacheWriteInputTokens).toBeGreaterThan(0);
      expect(first.usage.cacheReadInputTokens).toBe(0);
      expect(second.usage).toEqual({
        ...first.usage,
        cacheReadInputTokens: first.usage.cacheWriteInputTokens,
        cacheWriteInputTokens: 0,
      });
    });
  });

  describe('.invoke with converse and images', () => {
    it('sends base64 image bytes of the JSON body to Bedrock encoded once: a real PNG is accepted', async () => {
      const body = converseImage(PNG_BASE64);
      const before = JSON.stringify(body);
      const result = await invoker().invoke(request('amazon.nova-lite-v1:0', 'converse', body));
      expect(result.stopReason).toBe('end_turn');
      expect(JSON.stringify(body), 'the caller body is not mutated').toBe(before);
    });

    it('decodes exactly one layer: bytes the client encoded twice reach Bedrock as base64 text and are refused', async () => {
      const twice = Buffer.from(PNG_BASE64).toString('base64');
      const error = await failure(invoker().invoke(request('amazon.nova-lite-v1:0', 'converse', converseImage(twice))));
      expect(error.kind).toBe('validation');
      expect(error.message).toMatch(/The provided image bytes are not a valid png/);
    });

    it('decodes images inside tool results too', async () => {
      const body: JsonObject = {
        messages: [
          { role: 'user', content: [{ text: 'look it up' }] },
          { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'fetch', input: {} } }] },
          {
            role: 'user',
            content: [
              {
                toolResult: { toolUseId: 't1', content: [{ image: { format: 'png', source: { bytes: PNG_BASE64 } } }] },
              },
            ],
          },
        ],
      };
      const result = await invoker().invoke(request('amazon.nova-lite-v1:0', 'converse', body));
      expect(result.stopReason).toBe('end_turn');
    });

    it("refuses bytes that are not base64 as 'validation' naming the field, without calling Bedrock", async () => {
      const error = await failure(
        invoker().invoke(request('amazon.nova-lite-v1:0', 'converse', converseImage('not base64!'))),
      );
      expect(error.kind).toBe('validation');
      expect(error.details['field']).toBe('messages[0].content[1].image.source.bytes');
      expect(bedrock.stats().calls).toBe(0);
    });
  });

  describe('.invoke with invoke', () => {
    it('passes a Nova messages-v1 body through and reads usage from the response headers', async () => {
      const body: JsonObject = {
        schemaVersion: 'messages-v1',
        messages: [{ role: 'user', content: [{ text: 'Name three savings' }] }],
        inferenceConfig: { max_new_tokens: 500 },
      };
      const result = await invoker().invoke(request('amazon.nova-pro-v1:0', 'invoke', body));
      const usage = result.body['usage'] as { inputTokens: number; outputTokens: number };
      expect(result.usage).toEqual({
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 0,
      });
      expect(result.stopReason).toBe('end_turn');
    });

    it('passes an Anthropic messages body through, with cache_control prompt caching', async () => {
      const body: JsonObject = {
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 200,
        system: [
          { type: 'text', text: 'Long shared instructions. '.repeat(700), cache_control: { type: 'ephemeral' } },
        ],
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
      const cost = (usage: typeof first.usage) =>
        catalog.cost({ modelId: 'global.anthropic.claude-haiku-4-5-20251001-v1:0', region: 'us-east-1', usage });
      expect(cost(second.usage)).toBeLessThan(cost(first.usage));
    });

    it('embeds with Titan v2: one vector of the asked dimensions, input tokens, no output tokens', async () => {
      const result = await invoker().invoke(
        request('amazon.titan-embed-text-v2:0', 'invoke', {
          inputText: 'a short document about spend',
          dimensions: 256,
        }),
      );
      expect(result.body['embedding']).toHaveLength(256);
      expect(result.usage.inputTokens).toBe(result.body['inputTextTokenCount']);
      expect(result.usage.outputTokens).toBe(0);
      expect(result.stopReason).toBeUndefined();
    });

    it('embeds with Nova multimodal embeddings', async () => {
      const body: JsonObject = {
        taskType: 'SINGLE_EMBEDDING',
        singleEmbeddingParams: {
          embeddingPurpose: 'GENERIC_INDEX',
          embeddingDimension: 384,
          text: { truncationMode: 'END', value: 'hello' },
        },
      };
      const result = await invoker().invoke(request('amazon.nova-2-multimodal-embeddings-v1:0', 'invoke', body));
      const [first] = result.body['embeddings'] as { embeddingType: string; embedding: number[] }[];
      expect(first?.embeddingType).toBe('TEXT');
      expect(first?.embedding).toHaveLength(384);
      expect(result.usage.inputTokens).toBeGreaterThan(0);
    });

    it('embeds several Cohere texts in one call', async () => {
      const texts = ['first text', 'second text', 'third text'];
      const result = await invoker().invoke(
        request('cohere.embed-english-v3', 'invoke', { texts, input_type: 'search_document' }),
      );
      expect(result.body['embeddings']).toHaveLength(3);
      expect(result.body['response_type']).toBe('embeddings_floats');
      expect(bedrock.stats().embeddedInputs).toEqual([3]);
    });
  });

  describe('reporting latency', () => {
    const SLOW = { latency: { fixedMs: 40, perOutputTokenMs: 0.5 } };

    it('takes Converse metrics.latencyMs as Bedrock reports it', async () => {
      bedrock.configure(SLOW);
      const result = await invoker().invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello()));
      expect(result.latencyMs).toBe((result.body['metrics'] as { latencyMs: number }).latencyMs);
      expect(result.latencyMs).toBe(Math.round(40 + 0.5 * result.usage.outputTokens));
    });

    it('takes the X-Amzn-Bedrock-Invocation-Latency header of InvokeModel', async () => {
      bedrock.configure(SLOW);
      const result = await invoker().invoke(
        request('amazon.nova-lite-v1:0', 'invoke', { messages: [{ role: 'user', content: [{ text: 'x' }] }] }),
      );
      expect(result.latencyMs).toBe(Math.round(40 + 0.5 * result.usage.outputTokens));
    });

    it('reports the model latency of the answering attempt, not the time spent on a throttled attempt before it', async () => {
      bedrock.configure({ ...SLOW, faults: { failFirst: 1, failFirstWith: 'throttle' } });
      const started = performance.now();
      const result = await invoker().invoke(
        request('amazon.nova-lite-v1:0', 'invoke', { messages: [{ role: 'user', content: [{ text: 'x' }] }] }),
      );
      const clock = performance.now() - started;
      expect(bedrock.stats().calls).toBe(2);
      expect(result.latencyMs).toBe(Math.round(40 + 0.5 * result.usage.outputTokens));
      expect(clock).toBeGreaterThan(result.latencyMs);
    });

    it('reports slow answers as Bedrock measured them', async () => {
      bedrock.configure({ ...SLOW, faults: { failFirst: 1, failFirstWith: 'slow', slowMs: 300 } });
      const result = await invoker().invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello()));
      expect(result.latencyMs).toBe(Math.round(340 + 0.5 * result.usage.outputTokens));
    });
  });

  describe('having faults upstream', () => {
    it('retries throttled calls with the SDK strategy and then succeeds', async () => {
      bedrock.configure({ faults: { failFirst: 2, failFirstWith: 'throttle' } });
      const result = await invoker({ maxAttempts: 3 }).invoke(
        request('amazon.nova-lite-v1:0', 'converse', converseHello()),
      );
      expect(result.usage.outputTokens).toBeGreaterThan(0);
      expect(bedrock.stats()).toMatchObject({ calls: 3, faults: 2 });
    });

    it('retries throttled calls with the adaptive strategy too', async () => {
      bedrock.configure({ faults: { failFirst: 1 } });
      const result = await invoker({ retryMode: 'adaptive' }).invoke(
        request('amazon.nova-lite-v1:0', 'invoke', { messages: [{ role: 'user', content: [{ text: 'x' }] }] }),
      );
      expect(result.stopReason).toBe('end_turn');
      expect(bedrock.stats().calls).toBe(2);
    });

    it("fails 'throttled' with the AWS error name and request id once attempts run out", async () => {
      bedrock.configure({ faults: { failFirst: 10, failFirstWith: 'throttle' } });
      const error = await failure(
        invoker({ maxAttempts: 2 }).invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello())),
      );
      expect(error.kind).toBe('throttled');
      expect(error.retryable).toBe(true);
      expect(error.upstream).toEqual({ name: 'ThrottlingException', status: 429 });
      expect(error.details).toMatchObject({ modelId: 'amazon.nova-lite-v1:0', attempts: 2 });
      expect(typeof error.details['requestId']).toBe('string');
      expect(error.cause).toBeInstanceOf(Error);
      expect(bedrock.stats().calls).toBe(2);
    });

    it("fails 'upstream-unavailable' after retrying 5xx answers", async () => {
      bedrock.configure({ faults: { failFirst: 10, failFirstWith: 'server-error' } });
      const error = await failure(
        invoker({ maxAttempts: 2 }).invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello())),
      );
      expect(error.kind).toBe('upstream-unavailable');
      expect(['InternalServerException', 'ServiceUnavailableException']).toContain(error.upstream?.name);
      expect(bedrock.stats().calls).toBe(2);
    });

    it("fails 'upstream-unavailable' after retries when the connection is dropped", async () => {
      bedrock.configure({ faults: { failFirst: 10, failFirstWith: 'drop' } });
      const error = await failure(
        invoker({ maxAttempts: 2 }).invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello())),
      );
      expect(error.kind).toBe('upstream-unavailable');
      expect(bedrock.stats().calls).toBe(2);
    });

    describe('having retryThrottles false', () => {
      it.each(['standard', 'adaptive'] as const)(
        "fails a throttled call at once as 'throttled' (%s mode): one call upstream",
        async (retryMode) => {
          bedrock.configure({ faults: { failFirst: 10, failFirstWith: 'throttle' } });
          const error = await failure(
            invoker({ retryMode, retryThrottles: false, maxAttempts: 3 }).invoke(
              request('amazon.nova-lite-v1:0', 'converse', converseHello()),
            ),
          );
          expect(error.kind).toBe('throttled');
          expect(error.upstream?.name).toBe('ThrottlingException');
          expect(error.details).toMatchObject({ attempts: 1 });
          expect(bedrock.stats().calls).toBe(1);
        },
      );

      it('still retries 5xx answers and dropped connections', async () => {
        bedrock.configure({ faults: { failFirst: 1, failFirstWith: 'server-error' } });
        const afterServerError = await invoker({ retryThrottles: false, maxAttempts: 3 }).invoke(
          request('amazon.nova-lite-v1:0', 'converse', converseHello()),
        );
        expect(afterServerError.stopReason).toBe('end_turn');
        expect(bedrock.stats().calls).toBe(2);
        bedrock.reset();
        bedrock.configure({ faults: { failFirst: 2, failFirstWith: 'drop' } });
        const afterDrops = await invoker({ retryThrottles: false, retryMode: 'adaptive', maxAttempts: 3 }).invoke(
          request('amazon.nova-lite-v1:0', 'invoke', { messages: [{ role: 'user', content: [{ text: 'x' }] }] }),
        );
        expect(afterDrops.stopReason).toBe('end_turn');
        expect(bedrock.stats().calls).toBe(3);
      });
    });

    it("fails 'timeout' when every attempt outlives requestTimeoutMs", async () => {
      bedrock.configure({ faults: { failFirst: 10, failFirstWith: 'slow', slowMs: 5_000 } });
      const error = await failure(
        invoker({ maxAttempts: 2, requestTimeoutMs: 100 }).invoke(
          request('amazon.nova-lite-v1:0', 'converse', converseHello()),
        ),
      );
      expect(error.kind).toBe('timeout');
      expect(bedrock.stats().calls).toBe(2);
    });
  });

  describe('having a caller error', () => {
    const cases: [string, string, 'converse' | 'invoke', JsonObject, NovaCostErrorKind][] = [
      ['a body of the wrong shape', 'amazon.nova-lite-v1:0', 'converse', { messages: [] }, 'validation'],
      [
        'an Anthropic body without max_tokens',
        'anthropic.claude-3-haiku-20240307-v1:0',
        'invoke',
        { anthropic_version: 'bedrock-2023-05-31', messages: [{ role: 'user', content: 'x' }] },
        'validation',
      ],
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

  describe('having callTimeoutMs', () => {
    it("fails 'timeout' (not 'aborted') once the whole call outlives it, naming the option", async () => {
      bedrock.configure({ latency: { fixedMs: 10_000 } });
      const started = performance.now();
      const error = await failure(
        invoker({ callTimeoutMs: 200 }).invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello())),
      );
      expect(error.kind).toBe('timeout');
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/did not finish within callTimeoutMs \(200 ms\)/);
      expect(error.details).toMatchObject({ callTimeoutMs: 200, modelId: 'amazon.nova-lite-v1:0' });
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('bounds all attempts and the backoff between them together, where requestTimeoutMs bounds one attempt', async () => {
      bedrock.configure({ faults: { failFirst: 20, failFirstWith: 'slow', slowMs: 5_000 } });
      const started = performance.now();
      const error = await failure(
        invoker({ maxAttempts: 20, requestTimeoutMs: 150, callTimeoutMs: 400 }).invoke(
          request('amazon.nova-lite-v1:0', 'invoke', { messages: [{ role: 'user', content: [{ text: 'x' }] }] }),
        ),
      );
      expect(error.kind).toBe('timeout');
      expect(error.details['callTimeoutMs']).toBe(400);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(bedrock.stats().calls).toBeLessThan(20);
    });

    it("leaves the caller's abort 'aborted' when it comes first", async () => {
      bedrock.configure({ latency: { fixedMs: 10_000 } });
      const controller = new AbortController();
      const pending = invoker({ callTimeoutMs: 5_000 }).invoke(
        request('amazon.nova-lite-v1:0', 'converse', converseHello()),
        { signal: controller.signal },
      );
      setTimeout(() => controller.abort(), 50);
      expect((await failure(pending)).kind).toBe('aborted');
    });

    it('applies to a ready client too', async () => {
      bedrock.configure({ latency: { fixedMs: 10_000 } });
      const client = new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: bedrock.url,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      try {
        const error = await failure(
          new BedrockModelInvoker({ client, callTimeoutMs: 150 }).invoke(
            request('amazon.nova-lite-v1:0', 'converse', converseHello()),
          ),
        );
        expect(error.kind).toBe('timeout');
      } finally {
        client.destroy();
      }
    });
  });

  describe('having an AbortSignal', () => {
    it("rejects 'aborted' quickly when the caller aborts mid-call", async () => {
      // Held by the endpoint: the call is mid-flight when the caller aborts, however busy the machine.
      const release = bedrock.hold();
      try {
        const controller = new AbortController();
        const pending = invoker().invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello()), {
          signal: controller.signal,
        });
        await expect.poll(() => bedrock.stats().calls).toBe(1);
        controller.abort();
        const error = await failure(pending);
        expect(error.kind).toBe('aborted');
        expect(bedrock.stats().calls).toBe(1);
      } finally {
        release();
      }
    });

    it("rejects 'aborted' without calling when the signal is already aborted", async () => {
      const error = await failure(
        invoker().invoke(request('amazon.nova-lite-v1:0', 'converse', converseHello()), {
          signal: AbortSignal.abort(),
        }),
      );
      expect(error.kind).toBe('aborted');
      expect(bedrock.stats().calls).toBe(0);
    });
  });

  describe('having a ready client', () => {
    it('uses it as given (default HTTP/2 handler included)', async () => {
      const client = new BedrockRuntimeClient({
        region: 'eu-west-1',
        endpoint: bedrock.url,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      });
      try {
        const result = await new BedrockModelInvoker({ client }).invoke(
          request('eu.amazon.nova-micro-v1:0', 'converse', converseHello()),
        );
        expect(result.usage.outputTokens).toBeGreaterThan(0);
        expect(bedrock.stats().byModel).toEqual({ 'eu.amazon.nova-micro-v1:0': 1 });
      } finally {
        client.destroy();
      }
    });
  });
  describe('.apply (ApplyGuardrail)', () => {
    const check = (text: string): GuardrailRequest => ({
      tenantId: 't1',
      guardrailId: 'gr1',
      guardrailVersion: '1',
      body: { source: 'INPUT', content: [{ text: { text } }] },
    });

    it("answers Bedrock's assessment as JSON, with the text units it billed", async () => {
      const result = await invoker({ maxAttempts: 1 }).apply(check('x'.repeat(1200)));
      expect(result.cache).toBe('bypass');
      expect(result.body).toMatchObject({ action: 'NONE', usage: { contentPolicyUnits: 2, topicPolicyUnits: 2 } });
      expect(result.body).not.toHaveProperty('$metadata');
      expect(bedrock.stats().guardrailCalls).toBe(1);
    });

    it('passes an intervention as Bedrock answered it', async () => {
      const result = await invoker({ maxAttempts: 1 }).apply(check('tell me something forbidden'));
      expect(result.body).toMatchObject({ action: 'GUARDRAIL_INTERVENED', outputs: [{ text: expect.any(String) }] });
    });

    it("maps Bedrock's refusal to a validation error that keeps Bedrock's status and type", async () => {
      const error = await failure(
        invoker({ maxAttempts: 1 }).apply({ ...check('x'), body: { source: 'INPUT', content: [] } }),
      );
      expect(error.kind).toBe('validation');
      expect(error.upstream).toEqual({ name: 'ValidationException', status: 400 });
    });

    it('maps a throttle to kind throttled', async () => {
      bedrock.configure({
        faults: { failFirst: 1, failFirstWith: { status: 429, type: 'ThrottlingException', message: 'slow down' } },
      });
      expect((await failure(invoker({ maxAttempts: 1 }).apply(check('x')))).kind).toBe('throttled');
    });
  });
});
