import type { ConverseStreamOutput, ResponseStream } from '@aws-sdk/client-bedrock-runtime';
import {
  ApplyGuardrailCommand,
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelStreamErrorException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { decodeFrames } from '@nova-cost/event-stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalBedrock } from './start-local-bedrock';
import { startLocalBedrock } from './start-local-bedrock';

const CALM = {
  latency: { fixedMs: 0, perOutputTokenMs: 0 },
  faults: { throttleRate: 0, serverErrorRate: 0, dropRate: 0, slowRate: 0, failFirst: 0, quota: null, midStream: null },
};
const HELLO = { messages: [{ role: 'user' as const, content: [{ text: 'tell me about streams' }] }] };
const NOVA_BODY = {
  messages: [{ role: 'user', content: [{ text: 'tell me about streams' }] }],
  inferenceConfig: { max_new_tokens: 300 },
};
const CLAUDE_BODY = {
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 300,
  messages: [{ role: 'user', content: 'tell me about streams' }],
};
const CLAUDE = 'anthropic.claude-3-5-haiku-20241022-v1:0';

let bedrock: LocalBedrock;
let http1: BedrockRuntimeClient;
let http2: BedrockRuntimeClient;

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

async function converseEvents(
  client: BedrockRuntimeClient,
  input: Record<string, unknown> = HELLO,
  signal?: AbortSignal,
): Promise<ConverseStreamOutput[]> {
  const out = await client.send(
    new ConverseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', ...input }),
    signal ? { abortSignal: signal } : {},
  );
  const events: ConverseStreamOutput[] = [];
  for await (const event of out.stream ?? []) events.push(event);
  return events;
}

async function invokeChunks(modelId: string, body: unknown): Promise<Record<string, unknown>[]> {
  const out = await http1.send(
    new InvokeModelWithResponseStreamCommand({ modelId, body: JSON.stringify(body), contentType: 'application/json' }),
  );
  const chunks: Record<string, unknown>[] = [];
  for await (const event of (out.body ?? []) as AsyncIterable<ResponseStream>) {
    chunks.push(
      JSON.parse(Buffer.from(event.chunk?.bytes ?? new Uint8Array()).toString('utf8')) as Record<string, unknown>,
    );
  }
  return chunks;
}

const textOf = (events: ConverseStreamOutput[]): string =>
  events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error) => e,
  );
}

describe('streaming answers', () => {
  describe('ConverseStream', () => {
    it.each([
      ['HTTP/1.1', () => http1],
      ['HTTP/2 (the SDK default)', () => http2],
    ])(
      'streams the Converse answer to the same request as events over %s, usage in the last',
      async (_name, client) => {
        const unary = await client().send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO }));
        const events = await converseEvents(client());
        const kinds = events.map((e) => Object.keys(e).find((k) => k !== '$unknown'));
        expect(kinds[0]).toBe('messageStart');
        expect(kinds.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
        expect(kinds.filter((k) => k === 'contentBlockDelta').length).toBeGreaterThan(1);
        expect(events[0]?.messageStart?.role).toBe('assistant');
        expect(textOf(events)).toBe(unary.output?.message?.content?.[0]?.text);
        expect(events.at(-2)?.messageStop?.stopReason).toBe('end_turn');
        expect(events.at(-1)?.metadata?.usage).toEqual(unary.usage);
        expect(events.at(-1)?.metadata?.metrics?.latencyMs).toBe(0);
      },
    );

    it('streams a tool call: contentBlockStart naming the tool, then its input JSON in deltas', async () => {
      const toolConfig = {
        tools: [
          {
            toolSpec: {
              name: 'weather',
              inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
            },
          },
        ],
        toolChoice: { tool: { name: 'weather' } },
      };
      const events = await converseEvents(http1, { ...HELLO, toolConfig });
      const start = events.find((e) => e.contentBlockStart)?.contentBlockStart;
      expect(start?.start?.toolUse?.name).toBe('weather');
      const input = events.map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? '').join('');
      expect(JSON.parse(input)).toMatchObject({ city: expect.any(String) });
      expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('tool_use');
    });

    it('reports the configured time to first token and time per token in metadata, and takes at least that long', async () => {
      bedrock.configure({ latency: { fixedMs: 40, perOutputTokenMs: 2 } });
      const started = performance.now();
      const events = await converseEvents(http1);
      const elapsed = performance.now() - started;
      const outputTokens = events.at(-1)?.metadata?.usage?.outputTokens ?? 0;
      expect(events.at(-1)?.metadata?.metrics?.latencyMs).toBe(40 + 2 * outputTokens);
      expect(elapsed).toBeGreaterThanOrEqual(40 + 2 * (outputTokens - 1));
    });
  });

  describe('InvokeModelWithResponseStream', () => {
    it("streams Nova's own chunks, the last with usage and amazon-bedrock-invocationMetrics", async () => {
      const unary = JSON.parse(
        new TextDecoder().decode(
          (
            await http1.send(
              new InvokeModelCommand({ modelId: 'amazon.nova-micro-v1:0', body: JSON.stringify(NOVA_BODY) }),
            )
          ).body,
        ),
      ) as {
        output: { message: { content: { text: string }[] } };
        usage: { inputTokens: number; outputTokens: number };
      };
      const chunks = await invokeChunks('amazon.nova-micro-v1:0', NOVA_BODY);
      expect(chunks[0]).toEqual({ messageStart: { role: 'assistant' } });
      const text = chunks
        .map((c) => (c['contentBlockDelta'] as { delta?: { text?: string } } | undefined)?.delta?.text ?? '')
        .join('');
      expect(text).toBe(unary.output.message.content[0]?.text);
      expect(chunks.at(-2)).toEqual({ messageStop: { stopReason: 'end_turn' } });
      expect(chunks.at(-1)).toMatchObject({
        metadata: { usage: { inputTokens: unary.usage.inputTokens, outputTokens: unary.usage.outputTokens } },
        'amazon-bedrock-invocationMetrics': {
          inputTokenCount: unary.usage.inputTokens,
          outputTokenCount: unary.usage.outputTokens,
          invocationLatency: 0,
          firstByteLatency: 0,
        },
      });
    });

    it("streams Anthropic's message events, message_stop carrying amazon-bedrock-invocationMetrics", async () => {
      const unary = JSON.parse(
        new TextDecoder().decode(
          (await http1.send(new InvokeModelCommand({ modelId: CLAUDE, body: JSON.stringify(CLAUDE_BODY) }))).body,
        ),
      ) as {
        content: { text: string }[];
        usage: { input_tokens: number; output_tokens: number };
      };
      const chunks = await invokeChunks(CLAUDE, CLAUDE_BODY);
      expect(chunks.map((c) => c['type'])).toEqual(
        expect.arrayContaining([
          'message_start',
          'content_block_start',
          'content_block_delta',
          'content_block_stop',
          'message_delta',
          'message_stop',
        ]),
      );
      expect(chunks[0]).toMatchObject({
        type: 'message_start',
        message: { role: 'assistant', usage: { input_tokens: unary.usage.input_tokens } },
      });
      const text = chunks.map((c) => (c['delta'] as { text?: string } | undefined)?.text ?? '').join('');
      expect(text).toBe(unary.content[0]?.text);
      expect(chunks.at(-2)).toMatchObject({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn' },
        usage: { output_tokens: unary.usage.output_tokens },
      });
      expect(chunks.at(-1)).toMatchObject({
        type: 'message_stop',
        'amazon-bedrock-invocationMetrics': {
          inputTokenCount: unary.usage.input_tokens,
          outputTokenCount: unary.usage.output_tokens,
        },
      });
    });

    it('refuses to stream an embedding model, as an ordinary error answer', async () => {
      const error = await rejection(
        http1.send(
          new InvokeModelWithResponseStreamCommand({
            modelId: 'amazon.titan-embed-text-v2:0',
            body: JSON.stringify({ inputText: 'x' }),
          }),
        ),
      );
      expect(error).toBeInstanceOf(ValidationException);
    });
  });

  describe('on the wire', () => {
    it('answers application/vnd.amazon.eventstream frames with Bedrock headers and a random p padding', async () => {
      const res = await fetch(`${bedrock.url}/model/amazon.nova-micro-v1:0/invoke-with-response-stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(NOVA_BODY),
      });
      expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
      expect(res.headers.get('x-amzn-bedrock-content-type')).toBe('application/json');
      const frames = decodeFrames(new Uint8Array(await res.arrayBuffer()));
      expect(frames.length).toBeGreaterThan(4);
      for (const frame of frames) {
        expect(frame.headers).toEqual({
          ':event-type': 'chunk',
          ':content-type': 'application/json',
          ':message-type': 'event',
        });
        const payload = frame.body as { bytes: string; p: string };
        expect('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.startsWith(payload.p)).toBe(true);
        expect(payload.p.length).toBeGreaterThan(0);
      }
    });
  });

  describe('faults', () => {
    it('answers an error before the first event as an ordinary error answer', async () => {
      bedrock.configure({ faults: { failFirst: 1 } });
      expect(await rejection(converseEvents(http1))).toBeInstanceOf(ThrottlingException);
    });

    it('breaks a stream with an exception event after N events, which the SDK raises', async () => {
      bedrock.configure({ faults: { midStream: { kind: 'exception', afterEvents: 3 } } });
      const received: ConverseStreamOutput[] = [];
      const out = await http1.send(new ConverseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO }));
      const error = await rejection(
        (async () => {
          for await (const event of out.stream ?? []) received.push(event);
        })(),
      );
      expect(error).toBeInstanceOf(ModelStreamErrorException);
      expect(received).toHaveLength(3);
      expect(bedrock.stats()).toMatchObject({ faults: 1, streams: { started: 1, completed: 0 } });
    });

    it('breaks only as many streams as asked, with the exception named', async () => {
      bedrock.configure({
        faults: { midStream: { kind: 'exception', afterEvents: 0, exception: 'throttlingException', streams: 1 } },
      });
      expect(await rejection(converseEvents(http1))).toBeInstanceOf(ThrottlingException);
      expect(textOf(await converseEvents(http1))).toMatch(/\w/);
    });

    it('cuts the connection after N events, which the SDK reports as an error', async () => {
      bedrock.configure({ faults: { midStream: { kind: 'cut', afterEvents: 2 } } });
      const error = await rejection(converseEvents(http1));
      expect(error).toBeInstanceOf(Error);
      expect(bedrock.stats().streams.completed).toBe(0);
    });

    it('stalls after N events until the client gives up, and counts the stream abandoned', async () => {
      bedrock.configure({ faults: { midStream: { kind: 'stall', afterEvents: 2 } } });
      const abort = new AbortController();
      const out = await http1.send(new ConverseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO }), {
        abortSignal: abort.signal,
      });
      const received: ConverseStreamOutput[] = [];
      const reading = (async () => {
        for await (const event of out.stream ?? []) {
          received.push(event);
          if (received.length === 2) abort.abort();
        }
      })();
      await rejection(reading);
      expect(received).toHaveLength(2);
      await expect.poll(() => bedrock.stats().faults).toBe(1);
    });

    it('counts a stream whose client aborted mid-way as abandoned', async () => {
      bedrock.configure({ latency: { perOutputTokenMs: 1000 } });
      const abort = new AbortController();
      const out = await http1.send(new ConverseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', ...HELLO }), {
        abortSignal: abort.signal,
      });
      const reading = (async () => {
        for await (const event of out.stream ?? []) if (event.contentBlockDelta) abort.abort();
      })();
      await rejection(reading);
      await expect.poll(() => bedrock.stats().streams).toEqual({ started: 1, completed: 0, abandoned: 1 });
    });

    it('holds a stream before its first event until released', async () => {
      const release = bedrock.hold();
      const pending = converseEvents(http1);
      await expect.poll(() => bedrock.stats().calls).toBe(1);
      expect(bedrock.stats().streams.completed).toBe(0);
      release();
      expect(textOf(await pending)).toMatch(/\w/);
      expect(bedrock.stats().streams.completed).toBe(1);
    });
  });
});

describe('CountTokens', () => {
  it('counts the input tokens a Converse call to a Claude model is billed, without calling it', async () => {
    const unary = await http1.send(new ConverseCommand({ modelId: CLAUDE, ...HELLO }));
    const counted = await http1.send(new CountTokensCommand({ modelId: CLAUDE, input: { converse: HELLO } }));
    expect(counted.inputTokens).toBe(unary.usage?.inputTokens);
  });

  it('counts an InvokeModel body', async () => {
    const counted = await http1.send(
      new CountTokensCommand({
        modelId: CLAUDE,
        input: { invokeModel: { body: new TextEncoder().encode(JSON.stringify(CLAUDE_BODY)) } },
      }),
    );
    expect(counted.inputTokens).toBeGreaterThan(0);
  });

  it('refuses models Bedrock does not count for, and inference-profile ids', async () => {
    expect(
      await rejection(
        http1.send(new CountTokensCommand({ modelId: 'amazon.nova-lite-v1:0', input: { converse: HELLO } })),
      ),
    ).toBeInstanceOf(ValidationException);
    expect(
      await rejection(http1.send(new CountTokensCommand({ modelId: `us.${CLAUDE}`, input: { converse: HELLO } }))),
    ).toBeInstanceOf(ValidationException);
  });
});

describe('ApplyGuardrail', () => {
  it('passes harmless text, billing each policy a text unit per started 1,000 characters', async () => {
    const out = await http1.send(
      new ApplyGuardrailCommand({
        guardrailIdentifier: 'gr1',
        guardrailVersion: '1',
        source: 'INPUT',
        content: [{ text: { text: 'x'.repeat(1500) } }, { text: { text: 'hello' } }],
      }),
    );
    expect(out.action).toBe('NONE');
    expect(out.usage).toMatchObject({
      topicPolicyUnits: 3,
      contentPolicyUnits: 3,
      wordPolicyUnits: 3,
      sensitiveInformationPolicyUnits: 3,
    });
    expect(bedrock.stats().guardrailCalls).toBe(1);
  });

  it('intervenes on its denied topic, with the blocked message and an assessment', async () => {
    const out = await http1.send(
      new ApplyGuardrailCommand({
        guardrailIdentifier: 'gr1',
        guardrailVersion: 'DRAFT',
        source: 'OUTPUT',
        content: [{ text: { text: 'a forbidden subject' } }],
      }),
    );
    expect(out.action).toBe('GUARDRAIL_INTERVENED');
    expect(out.outputs?.[0]?.text).toMatch(/cannot answer/);
    expect(out.assessments?.[0]?.topicPolicy?.topics?.[0]).toMatchObject({ action: 'BLOCKED', detected: true });
  });

  it('refuses a request without content', async () => {
    expect(
      await rejection(
        http1.send(
          new ApplyGuardrailCommand({
            guardrailIdentifier: 'gr1',
            guardrailVersion: '1',
            source: 'INPUT',
            content: [],
          }),
        ),
      ),
    ).toBeInstanceOf(ValidationException);
  });
});
