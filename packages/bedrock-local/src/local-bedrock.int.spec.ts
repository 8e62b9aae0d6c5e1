import {
  BedrockRuntimeClient,
  ConverseCommand,
  InternalServerException,
  InvokeModelCommand,
  ModelErrorException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalBedrock } from './start-local-bedrock';
import { startLocalBedrock } from './start-local-bedrock';

const CALM = {
  latency: { fixedMs: 0, perOutputTokenMs: 0 },
  faults: { throttleRate: 0, serverErrorRate: 0, dropRate: 0, slowRate: 0, failFirst: 0, quota: null, models: null },
};
// A 1×1 PNG.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const HELLO = { messages: [{ role: 'user' as const, content: [{ text: 'hello there' }] }] };

let bedrock: LocalBedrock;
let http1: BedrockRuntimeClient;
let http2: BedrockRuntimeClient;

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error & { $metadata: { httpStatusCode?: number } }) => e,
  );
}

function post(path: string, body: string): Promise<Response> {
  return fetch(`${bedrock.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

beforeAll(async () => {
  bedrock = await startLocalBedrock();
  const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
  http1 = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });
  http2 = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: bedrock.url, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  http1.destroy();
  http2.destroy();
  await bedrock.close();
});
beforeEach(() => {
  bedrock.configure(CALM);
  bedrock.reset();
});

describe(startLocalBedrock, () => {
  describe('answering the SDK', () => {
    it.each([
      ['HTTP/1.1', () => http1],
      ['HTTP/2 (the SDK default)', () => http2],
    ])('serves Converse over %s', async (_name, client) => {
      const out = await client().send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO }));
      expect(out.output?.message?.content?.[0]?.text).toMatch(/\w+/);
      expect(out.stopReason).toBe('end_turn');
      expect(out.usage).toMatchObject({
        inputTokens: 3,
        totalTokens: (out.usage?.inputTokens ?? 0) + (out.usage?.outputTokens ?? 0),
      });
      expect(out.metrics?.latencyMs).toBe(0);
    });

    it('serves, through Converse, text models Bedrock has that the nova-cost catalog does not price', async () => {
      const out = await http1.send(new ConverseCommand({ modelId: 'writer.palmyra-x5-v1:0', ...HELLO }));
      expect(out.output?.message?.content?.[0]?.text).toMatch(/\w+/);
    });

    it('accepts inference-profile ids and ARNs, URL-encoded as the SDK sends them', async () => {
      for (const modelId of [
        'us.amazon.nova-lite-v1:0',
        'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
        'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0',
      ]) {
        await http1.send(new ConverseCommand({ modelId, ...HELLO }));
      }
      const raw = await post('/model/amazon.nova-micro-v1%3A0/converse', JSON.stringify(HELLO));
      expect(raw.status).toBe(200);
      expect(bedrock.stats().byModel).toEqual({
        'us.amazon.nova-lite-v1:0': 1,
        'global.anthropic.claude-sonnet-4-5-20250929-v1:0': 1,
        'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0': 1,
        'amazon.nova-micro-v1:0': 1,
      });
    });

    it("accepts Claude 4.5's global and geo profile ids, and refuses a global id where the model has no global profile", async () => {
      const sonnet = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
      for (const modelId of [`global.${sonnet}`, `us.${sonnet}`, `eu.${sonnet}`, sonnet]) {
        const out = await http1.send(new ConverseCommand({ modelId, ...HELLO }));
        expect(out.stopReason).toBe('end_turn');
      }
      const error = await rejection(
        http1.send(new ConverseCommand({ modelId: 'global.amazon.nova-lite-v1:0', ...HELLO })),
      );
      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toBe('The provided model identifier is invalid.');
    });

    it('puts token counts and latency in InvokeModel response headers', async () => {
      bedrock.configure({ latency: { fixedMs: 5, perOutputTokenMs: 1 } });
      const body = JSON.stringify({
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 300,
        messages: [{ role: 'user', content: 'Count my tokens please' }],
      });
      const res = await post('/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke', body);
      const json = (await res.json()) as { usage: { input_tokens: number; output_tokens: number } };
      expect(res.headers.get('x-amzn-bedrock-input-token-count')).toBe(String(json.usage.input_tokens));
      expect(res.headers.get('x-amzn-bedrock-output-token-count')).toBe(String(json.usage.output_tokens));
      expect(res.headers.get('x-amzn-bedrock-invocation-latency')).toBe(String(5 + json.usage.output_tokens));
      expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('answering deterministically', () => {
    const converse = async (text: string) =>
      (
        await http1.send(
          new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages: [{ role: 'user', content: [{ text }] }] }),
        )
      ).output?.message?.content?.[0]?.text;

    it('gives the same answer to the same request, across servers too', async () => {
      const other = await startLocalBedrock();
      const otherClient = new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: other.url,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        requestHandler: new NodeHttpHandler(),
      });
      try {
        const again = await otherClient.send(
          new ConverseCommand({
            modelId: 'amazon.nova-lite-v1:0',
            messages: [{ role: 'user', content: [{ text: 'q1' }] }],
          }),
        );
        expect(await converse('q1')).toBe(await converse('q1'));
        expect(again.output?.message?.content?.[0]?.text).toBe(await converse('q1'));
      } finally {
        otherClient.destroy();
        await other.close();
      }
    });

    it('gives different answers to different requests', async () => {
      const answers = new Set(await Promise.all(['q1', 'q2', 'q3', 'q4'].map(converse)));
      expect(answers.size).toBe(4);
    });

    it('gives the same embedding to the same text', async () => {
      const embed = async () => {
        const out = await http1.send(
          new InvokeModelCommand({
            modelId: 'amazon.titan-embed-text-v2:0',
            body: JSON.stringify({ inputText: 'same text' }),
          }),
        );
        return (JSON.parse(new TextDecoder().decode(out.body)) as { embedding: number[] }).embedding;
      };
      const first = await embed();
      expect(first).toHaveLength(1024);
      expect(await embed()).toEqual(first);
    });
  });

  describe('answering the InvokeModel body of each family it serves', () => {
    const invoke = async (modelId: string, body: unknown) =>
      JSON.parse(
        new TextDecoder().decode(
          (
            await http1.send(
              new InvokeModelCommand({ modelId, contentType: 'application/json', body: JSON.stringify(body) }),
            )
          ).body,
        ),
      );

    it.each([
      [
        'Llama',
        'meta.llama3-3-70b-instruct-v1:0',
        { prompt: 'hello', max_gen_len: 2 },
        { generation: expect.any(String), generation_token_count: 2, stop_reason: 'length' },
      ],
      [
        'Mistral',
        'mistral.mistral-large-2402-v1:0',
        { prompt: 'hello' },
        { outputs: [{ text: expect.any(String), stop_reason: 'stop' }] },
      ],
      [
        'Titan Embeddings V1',
        'amazon.titan-embed-text-v1',
        { inputText: 'hello' },
        { embedding: expect.any(Array), inputTextTokenCount: 2 },
      ],
      [
        'Cohere Embed v4',
        'cohere.embed-v4:0',
        { texts: ['a', 'b'], input_type: 'search_document', output_dimension: 256 },
        { embeddings: { float: [expect.any(Array), expect.any(Array)] }, response_type: 'embeddings_by_type' },
      ],
    ])('answers %s in its own shape', async (_name, modelId, body, expected) => {
      expect(await invoke(modelId, body)).toMatchObject(expected);
    });

    it('answers Titan V1 with 1536 dimensions and refuses the V2 dimensions field', async () => {
      expect((await invoke('amazon.titan-embed-text-v1', { inputText: 'x' })).embedding).toHaveLength(1536);
      await expect(invoke('amazon.titan-embed-text-v1', { inputText: 'x', dimensions: 256 })).rejects.toBeInstanceOf(
        ValidationException,
      );
    });
  });

  describe('answering tool use', () => {
    const weather = {
      toolSpec: {
        name: 'get_weather',
        description: 'Weather of a city',
        inputSchema: {
          json: {
            type: 'object',
            properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 7 } },
            required: ['city', 'days'],
          },
        },
      },
    };
    const search = {
      toolSpec: {
        name: 'search_docs',
        inputSchema: { json: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } },
      },
    };
    const ask = (text: string, toolChoice?: Record<string, unknown>) =>
      http1.send(
        new ConverseCommand({
          modelId: 'amazon.nova-lite-v1:0',
          messages: [{ role: 'user', content: [{ text }] }],
          toolConfig: { tools: [weather, search], ...(toolChoice ? { toolChoice } : {}) } as never,
        }),
      );

    it('calls the tool a forced toolChoice names, with an input that fits its schema, the same every time', async () => {
      const out = await ask('Plan my week', { tool: { name: 'search_docs' } });
      const block = out.output?.message?.content?.[0];
      expect(out.stopReason).toBe('tool_use');
      expect(block?.toolUse).toMatchObject({
        name: 'search_docs',
        toolUseId: expect.stringMatching(/^tooluse_/),
        input: { query: expect.any(String) },
      });
      expect((await ask('Plan my week', { tool: { name: 'search_docs' } })).output).toEqual(out.output);
    });

    it('calls a tool when any tool is required', async () => {
      const out = await ask('anything', { any: {} });
      const input = out.output?.message?.content?.[0]?.toolUse?.input as { city: string; days: number };
      expect(out.output?.message?.content?.[0]?.toolUse?.name).toBe('get_weather');
      expect(typeof input.city).toBe('string');
      expect(Number.isInteger(input.days) && input.days >= 1 && input.days <= 7).toBe(true);
    });

    it('calls the tool the prompt names when the choice is left to the model, and answers text otherwise', async () => {
      expect((await ask('Use get_weather for Paris', { auto: {} })).output?.message?.content?.[0]?.toolUse?.name).toBe(
        'get_weather',
      );
      const plain = await ask('Tell me a joke');
      expect(plain.stopReason).toBe('end_turn');
      expect(plain.output?.message?.content?.[0]?.text).toMatch(/\w+/);
    });

    it('answers a turn that brings the tool result with text', async () => {
      const out = await http1.send(
        new ConverseCommand({
          modelId: 'amazon.nova-lite-v1:0',
          messages: [
            { role: 'user', content: [{ text: 'Use get_weather for Paris' }] },
            {
              role: 'assistant',
              content: [
                { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris', days: 1 } } },
              ],
            },
            {
              role: 'user',
              content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ json: { forecast: 'sunny' } }] } }],
            },
          ],
          toolConfig: { tools: [weather], toolChoice: { any: {} } } as never,
        }),
      );
      expect(out.stopReason).toBe('end_turn');
      expect(out.output?.message?.content?.[0]?.text).toMatch(/\w+/);
    });

    it('answers Anthropic tools with a tool_use block on InvokeModel', async () => {
      const body = {
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 200,
        tools: [
          {
            name: 'get_weather',
            input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        ],
        tool_choice: { type: 'tool', name: 'get_weather' },
        messages: [{ role: 'user', content: 'Weather?' }],
      };
      const out = await http1.send(
        new InvokeModelCommand({
          modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
          contentType: 'application/json',
          body: JSON.stringify(body),
        }),
      );
      const answer = JSON.parse(new TextDecoder().decode(out.body));
      expect(answer).toMatchObject({
        stop_reason: 'tool_use',
        content: [
          {
            type: 'tool_use',
            id: expect.stringMatching(/^toolu_bdrk_/),
            name: 'get_weather',
            input: { city: expect.any(String) },
          },
        ],
      });
    });
  });

  describe('answering errors as Bedrock does', () => {
    it('throttles with ThrottlingException 429', async () => {
      bedrock.configure({ faults: { failFirst: 1 } });
      const error = await rejection(http1.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO })));
      expect(error).toBeInstanceOf(ThrottlingException);
      expect(error.$metadata.httpStatusCode).toBe(429);
    });

    it('fails with InternalServerException 500 or ServiceUnavailableException 503', async () => {
      bedrock.configure({ faults: { failFirst: 6, failFirstWith: 'server-error' } });
      const errors = await Promise.all(
        Array.from({ length: 6 }, () =>
          rejection(http1.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO }))),
        ),
      );
      for (const error of errors) {
        expect(error instanceof InternalServerException || error instanceof ServiceUnavailableException).toBe(true);
        expect([500, 503]).toContain(error.$metadata.httpStatusCode);
      }
    });

    it('answers an unknown model with ValidationException 400, a retired one with ResourceNotFoundException 404', async () => {
      const unknown = await rejection(
        http2.send(new ConverseCommand({ modelId: 'amazon.nova-imaginary-v1:0', ...HELLO })),
      );
      expect(unknown).toBeInstanceOf(ValidationException);
      expect(unknown.message).toBe('The provided model identifier is invalid.');
      const retired = await rejection(
        http2.send(new InvokeModelCommand({ modelId: 'anthropic.claude-v2', body: '{}' })),
      );
      expect(retired).toBeInstanceOf(ResourceNotFoundException);
      expect(retired.$metadata.httpStatusCode).toBe(404);
    });

    it('answers bad JSON and wrong body shapes with ValidationException 400', async () => {
      const bad = await post('/model/amazon.nova-lite-v1%3A0/invoke', '{not json');
      expect(bad.status).toBe(400);
      expect(bad.headers.get('x-amzn-errortype')).toBe('ValidationException');
      expect(((await bad.json()) as { message: string }).message).toMatch(/not valid JSON/);
      const wrong = await rejection(
        http1.send(
          new InvokeModelCommand({
            modelId: 'cohere.embed-english-v3',
            body: JSON.stringify({ texts: 'one', input_type: 'search_query' }),
          }),
        ),
      );
      expect(wrong).toBeInstanceOf(ValidationException);
    });

    it('reads an image block sent by the SDK as bytes (base64 on the wire once)', async () => {
      const bytes = new Uint8Array(Buffer.from(PNG_BASE64, 'base64'));
      const out = await http2.send(
        new ConverseCommand({
          modelId: 'amazon.nova-lite-v1:0',
          messages: [
            { role: 'user', content: [{ text: 'what is this?' }, { image: { format: 'png', source: { bytes } } }] },
          ],
        }),
      );
      expect(out.stopReason).toBe('end_turn');
    });

    it.each([
      [
        'base64 of base64 (bytes encoded twice)',
        'png',
        Buffer.from(PNG_BASE64).toString('base64'),
        'The provided image bytes are not a valid png',
      ],
      ['a PNG declared jpeg', 'jpeg', PNG_BASE64, 'The provided image bytes are not a valid jpeg'],
      ['bytes that are not base64', 'png', 'not base64!', 'messages.0.content.0.image.source.bytes must be base64'],
      ['an unknown format', 'bmp', PNG_BASE64, 'messages.0.content.0.image.format must be one of png, jpeg, gif, webp'],
    ])('refuses an image block of %s with ValidationException 400', async (_name, format, bytes, message) => {
      const image = { format, source: { bytes } };
      for (const operation of ['converse', 'invoke']) {
        const res = await post(
          `/model/amazon.nova-lite-v1%3A0/${operation}`,
          JSON.stringify({ messages: [{ role: 'user', content: [{ image }] }] }),
        );
        expect(res.status).toBe(400);
        expect(res.headers.get('x-amzn-errortype')).toBe('ValidationException');
        expect(await res.json()).toEqual({ message });
      }
      const inToolResult = { toolResult: { toolUseId: 't1', content: [{ image }] } };
      const res = await post(
        '/model/amazon.nova-lite-v1%3A0/converse',
        JSON.stringify({ messages: [{ role: 'user', content: [inToolResult] }] }),
      );
      expect(res.status).toBe(400);
    });

    it('answers an unknown path with 404', async () => {
      const res = await fetch(`${bedrock.url}/model/amazon.nova-lite-v1%3A0/converse-stream-nope`, {
        method: 'POST',
        body: '{}',
      });
      expect(res.status).toBe(404);
      expect(bedrock.stats().calls).toBe(0);
    });
  });

  describe('injecting faults', () => {
    it.each([
      ['HTTP/1.1', () => http1],
      ['HTTP/2', () => http2],
    ])('drops the connection without an answer over %s, and serves the next call', async (_name, client) => {
      bedrock.configure({ faults: { failFirst: 1, failFirstWith: 'drop' } });
      const error = await rejection(client().send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO })));
      expect(error.$metadata.httpStatusCode).toBeUndefined();
      const next = await client().send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO }));
      expect(next.stopReason).toBe('end_turn');
      expect(bedrock.stats()).toMatchObject({ calls: 2, faults: 1 });
    });

    it('answers the first calls with an error answer of your choosing, body members included', async () => {
      bedrock.configure({
        faults: {
          failFirst: 1,
          failFirstWith: {
            status: 424,
            type: 'ModelErrorException',
            message: 'Received server error (500) from model.',
            members: { originalStatusCode: 500 },
          },
        },
      });
      const error = await rejection(http1.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO })));
      expect(error).toBeInstanceOf(ModelErrorException);
      expect(error).toMatchObject({
        message: 'Received server error (500) from model.',
        originalStatusCode: 500,
        $metadata: { httpStatusCode: 424 },
      });
      expect((await http1.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO }))).stopReason).toBe(
        'end_turn',
      );
    });

    it('injects faults into the calls of the model ids named in faults.models only, as addressed', async () => {
      const sonnet = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
      bedrock.configure({ faults: { throttleRate: 1, models: [`global.${sonnet}`] } });
      const error = await rejection(http1.send(new ConverseCommand({ modelId: `global.${sonnet}`, ...HELLO })));
      expect(error).toBeInstanceOf(ThrottlingException);
      const regional = await http1.send(new ConverseCommand({ modelId: sonnet, ...HELLO }));
      expect(regional.stopReason).toBe('end_turn');
      expect(bedrock.stats()).toMatchObject({ calls: 2, faults: 1 });
      expect(() => bedrock.configure({ faults: { models: ['ok', 3] as never } })).toThrow(/faults.models must be/);
    });

    it('refuses an error answer that Bedrock could not give', () => {
      expect(() =>
        bedrock.configure({ faults: { failFirst: 1, failFirstWith: { status: 200, type: 'Fine' } } }),
      ).toThrow(/failFirstWith must be one of .* or an error answer/);
    });

    it('throttles calls over a per-model quota, set over /__config', async () => {
      await post('/__config', JSON.stringify({ faults: { quota: { requestsPerWindow: 2, windowMs: 60_000 } } }));
      const statuses: number[] = [];
      for (const model of [
        'amazon.nova-lite-v1%3A0',
        'us.amazon.nova-lite-v1%3A0',
        'amazon.nova-lite-v1%3A0',
        'amazon.nova-micro-v1%3A0',
      ]) {
        const res = await post(`/model/${model}/converse`, JSON.stringify(HELLO));
        await res.arrayBuffer();
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 429, 200]);
      bedrock.reset();
      expect((await post('/model/amazon.nova-lite-v1%3A0/converse', JSON.stringify(HELLO))).status).toBe(200);
    });

    it('reports configured latency in metrics.latencyMs (fixed + per output token + slow)', async () => {
      bedrock.configure({
        latency: { fixedMs: 3, perOutputTokenMs: 0.5 },
        faults: { failFirst: 1, failFirstWith: 'slow', slowMs: 7 },
      });
      const slow = await http1.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO }));
      const normal = await http1.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO }));
      const out = normal.usage?.outputTokens ?? 0;
      expect(normal.metrics?.latencyMs).toBe(Math.round(3 + 0.5 * out));
      expect(slow.metrics?.latencyMs).toBe(Math.round(3 + 0.5 * out + 7));
      expect(bedrock.stats().faults).toBe(0);
    });
  });

  describe('injecting faults from a seed', () => {
    it('draws the same faults for the same seed', async () => {
      const outcomes = async (seed: number) => {
        const server = await startLocalBedrock({ seed, faults: { throttleRate: 0.3, serverErrorRate: 0.2 } });
        try {
          const statuses: number[] = [];
          for (let i = 0; i < 20; i += 1) {
            const res = await fetch(`${server.url}/model/amazon.nova-lite-v1%3A0/converse`, {
              method: 'POST',
              body: JSON.stringify(HELLO),
            });
            await res.arrayBuffer();
            statuses.push(res.status);
          }
          return statuses;
        } finally {
          await server.close();
        }
      };
      const first = await outcomes(7);
      expect(await outcomes(7)).toEqual(first);
      expect(first).toContain(200);
      expect(first).toContain(429);
      expect(await outcomes(8)).not.toEqual(first);
    });
  });

  describe('.hold', () => {
    it('counts held calls on arrival and answers them only once released', async () => {
      const release = bedrock.hold();
      expect(bedrock.hold()).toBe(release);
      let answered = 0;
      const calls = Array.from({ length: 3 }, () =>
        http1.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO })).then(() => (answered += 1)),
      );
      await expect.poll(() => bedrock.stats().calls).toBe(3);
      expect(answered).toBe(0);
      release();
      await Promise.all(calls);
      expect(answered).toBe(3);
    });
  });

  describe('control endpoints', () => {
    it('GET /__stats counts calls per model and embedded inputs; POST /__reset clears them', async () => {
      await post(
        '/model/cohere.embed-english-v3/invoke',
        JSON.stringify({ texts: ['a', 'b'], input_type: 'search_query' }),
      );
      await post('/model/amazon.nova-lite-v1%3A0/converse', '{}');
      const stats = await (await fetch(`${bedrock.url}/__stats`)).json();
      expect(stats).toEqual({
        calls: 2,
        byModel: { 'cohere.embed-english-v3': 1, 'amazon.nova-lite-v1:0': 1 },
        embeddedInputs: [2],
        faults: 0,
        streams: { started: 0, completed: 0, abandoned: 0 },
        sessions: { started: 0, completed: 0, abandoned: 0 },
        serviceTiers: {},
        guardrailCalls: 0,
        lastCall: { modelId: 'amazon.nova-lite-v1:0', operation: 'converse', body: {}, bedrockHeaders: {} },
      });
      expect((await post('/__reset', '')).status).toBe(200);
      expect(bedrock.stats()).toEqual({
        calls: 0,
        byModel: {},
        embeddedInputs: [],
        faults: 0,
        streams: { started: 0, completed: 0, abandoned: 0 },
        sessions: { started: 0, completed: 0, abandoned: 0 },
        serviceTiers: {},
        guardrailCalls: 0,
      });
    });

    it('POST /__config changes faults for this process, and rejects an invalid change', async () => {
      expect((await post('/__config', JSON.stringify({ faults: { failFirst: 1 } }))).status).toBe(200);
      const throttled = await post('/model/amazon.nova-lite-v1%3A0/converse', JSON.stringify(HELLO));
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
      const invalid = await post('/__config', JSON.stringify({ faults: { throttleRate: 2 } }));
      expect(invalid.status).toBe(400);
      expect(((await invalid.json()) as { message: string }).message).toMatch(
        /throttleRate must be a number from 0 to 1/,
      );
    });
  });
});

describe('serving both protocols on one port', () => {
  it('decides on HTTP/2 even when the connection preface arrives split', async () => {
    const server = await startLocalBedrock();
    try {
      const socket = connect(server.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('PRI * HT');
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.write('TP/2.0\r\n\r\nSM\r\n\r\n');
      // An HTTP/2 server answers the preface with a SETTINGS frame (type 0x4 at byte 3).
      const frame = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
      expect(frame[3]).toBe(0x4);
      socket.destroy();
    } finally {
      await server.close();
    }
  });
});
