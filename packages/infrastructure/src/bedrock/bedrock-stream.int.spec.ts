import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server } from 'node:http';
import { createServer, request } from 'node:http';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { JsonObject, ModelStream, ModelStreamEvent, StreamOperation } from '@nova-cost/domain';
import { NovaCostError, chunkJson } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BedrockModelInvoker } from './bedrock-model-invoker';

const CALM = {
  latency: { fixedMs: 0, perOutputTokenMs: 0 },
  faults: { throttleRate: 0, serverErrorRate: 0, dropRate: 0, slowRate: 0, failFirst: 0, quota: null, midStream: null },
};
const HELLO: JsonObject = { messages: [{ role: 'user', content: [{ text: 'stream me an answer' }] }] };
const CLAUDE_BODY: JsonObject = {
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 200,
  messages: [{ role: 'user', content: 'stream me an answer' }],
};

let bedrock: LocalBedrock;
let invoker: BedrockModelInvoker;

beforeAll(async () => {
  bedrock = await startLocalBedrock();
  invoker = new BedrockModelInvoker({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  invoker.destroy();
  await bedrock.close();
});
beforeEach(() => {
  bedrock.configure(CALM);
  bedrock.reset();
});

const start = (
  operation: StreamOperation,
  modelId: string,
  body: JsonObject,
  signal?: AbortSignal,
): Promise<ModelStream> =>
  invoker.stream(plannedCall({ tenantId: 't', modelId, operation, body }), signal ? { signal } : {});

async function drain(stream: ModelStream): Promise<ModelStreamEvent[]> {
  const events: ModelStreamEvent[] = [];
  for await (const e of stream.events) events.push(e);
  return events;
}

async function failure(promise: Promise<unknown>): Promise<NovaCostError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!NovaCostError.is(error)) throw new Error(`expected a NovaCostError, got ${String(error)}`);
  return error;
}

/**
 * A proxy between an adapter and the endpoint that tells what went through it: each request as it came and each
 * answer's bytes. Closed with `close()`; `invoker()` is an adapter calling through it.
 */
async function recordingProxy(onRequest: (req: IncomingMessage) => void = () => {}) {
  const answered: Buffer[] = [];
  const proxy: Server = createServer((req, res) => {
    onRequest(req);
    const upstream = request(`${bedrock.url}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 500, up.headers);
      up.on('data', (c: Buffer) => answered.push(c));
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const invoker = () =>
    new BedrockModelInvoker({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
  return {
    invoker,
    /** The bytes answered since the last call, and forgets them. */
    takeAnswered: () => Buffer.concat(answered.splice(0)),
    close: () => new Promise((resolve) => proxy.close(resolve)),
  };
}

describe('BedrockModelInvoker.stream', () => {
  it('streams ConverseStream events as Bedrock named them, and reports the metadata usage', async () => {
    const unary = await invoker.invoke(
      plannedCall({
        tenantId: 't',
        modelId: 'amazon.nova-lite-v1:0',
        operation: 'converse',
        body: HELLO,
      }),
    );
    const stream = await start('converse-stream', 'amazon.nova-lite-v1:0', HELLO);
    expect(stream.cache).toBe('bypass');
    const events = await drain(stream);
    expect(events.map((e) => e.type)).toEqual([
      'messageStart',
      ...Array<string>(events.length - 4).fill('contentBlockDelta'),
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    const text = events
      .map((e) => ((e.payload['delta'] as JsonObject | undefined)?.['text'] as string | undefined) ?? '')
      .join('');
    expect(text).toBe(
      ((unary.body['output'] as JsonObject)['message'] as { content: { text: string }[] }).content[0]?.text,
    );
    expect(await stream.report).toMatchObject({
      end: 'complete',
      reported: true,
      usage: unary.usage,
      stopReason: 'end_turn',
    });
  });

  it('streams InvokeModelWithResponseStream chunks with their bytes in base64, the usage from the invocation metrics', async () => {
    const stream = await start('invoke-with-response-stream', 'anthropic.claude-3-5-haiku-20241022-v1:0', CLAUDE_BODY);
    const events = await drain(stream);
    expect(events.every((e) => e.type === 'chunk')).toBe(true);
    expect(chunkJson(events.at(-1)!)).toMatchObject({
      type: 'message_stop',
      'amazon-bedrock-invocationMetrics': expect.any(Object),
    });
    const report = await stream.report;
    expect(report.end).toBe('complete');
    expect(report.usage.outputTokens).toBeGreaterThan(0);
  });

  it('rejects the call itself when Bedrock refuses it before the first event', async () => {
    bedrock.configure({ faults: { failFirst: 1 } });
    const error = await failure(start('converse-stream', 'amazon.nova-lite-v1:0', HELLO));
    expect(error).toMatchObject({
      kind: 'throttled',
      upstream: { name: 'ThrottlingException', status: 429 },
    });
  });

  it('throws an exception event from the iteration with its Bedrock name, and reports the stream failed', async () => {
    bedrock.configure({ faults: { midStream: { kind: 'exception', afterEvents: 3 } } });
    const stream = await start('converse-stream', 'amazon.nova-lite-v1:0', HELLO);
    const error = await failure(drain(stream));
    expect(error.upstream?.name).toBe('ModelStreamErrorException');
    expect(await stream.report).toMatchObject({ end: 'failed', events: 3, reported: false });
  });

  it('reports a cut connection as a failure of kind upstream-unavailable', async () => {
    bedrock.configure({ faults: { midStream: { kind: 'cut', afterEvents: 2 } } });
    // Events written just before the cut may be lost with it, so the cut may come before the stream started.
    const error = await failure((async () => drain(await start('converse-stream', 'amazon.nova-lite-v1:0', HELLO)))());
    expect(error.kind).toBe('upstream-unavailable');
  });

  it('closes the upstream call when the reader leaves, reporting what was produced until then', async () => {
    bedrock.configure({ latency: { perOutputTokenMs: 1000 } });
    const stream = await start('converse-stream', 'amazon.nova-lite-v1:0', HELLO);
    for await (const e of stream.events) if (e.type === 'contentBlockDelta') break;
    const report = await stream.report;
    expect(report).toMatchObject({ end: 'abandoned', reported: false });
    expect(report.usage.inputTokens).toBeGreaterThan(0);
    expect(report.usage.outputTokens).toBeGreaterThan(0);
    await expect.poll(() => bedrock.stats().streams.abandoned).toBe(1);
  });

  it("ends the call when the caller's signal is aborted mid-stream", async () => {
    bedrock.configure({ faults: { midStream: { kind: 'stall', afterEvents: 2 } } });
    const abort = new AbortController();
    const stream = await start('converse-stream', 'amazon.nova-lite-v1:0', HELLO, abort.signal);
    const reading = drain(stream);
    abort.abort();
    expect((await failure(reading)).kind).toBe('aborted');
    await expect.poll(() => bedrock.stats().faults).toBe(1);
  });

  it('hands on each event with the frame Bedrock sent, byte for byte, and its payload without the padding', async () => {
    const proxy = await recordingProxy();
    const viaProxy = proxy.invoker();
    try {
      for (const [operation, modelId, body] of [
        ['converse-stream', 'amazon.nova-lite-v1:0', HELLO],
        ['invoke-with-response-stream', 'anthropic.claude-3-5-haiku-20241022-v1:0', CLAUDE_BODY],
      ] as const) {
        proxy.takeAnswered();
        const stream = await viaProxy.stream(plannedCall({ tenantId: 't', modelId, operation, body }));
        const events = await drain(stream);
        const answered = proxy.takeAnswered();
        expect(events.length).toBeGreaterThan(3);
        expect(Buffer.concat(events.map((e) => e.frame!))).toEqual(answered);
        // Every frame carries Bedrock's random padding; the payloads handed on do not.
        expect(answered.includes('"p":"')).toBe(true);
        expect(events.some((e) => 'p' in e.payload)).toBe(false);
        expect((await stream.report).end).toBe('complete');
      }
    } finally {
      viaProxy.destroy();
      await proxy.close();
    }
  });

  it('raises an exception Bedrock sends as its first event by rejecting the call, with its name', async () => {
    bedrock.configure({
      faults: { midStream: { kind: 'exception', afterEvents: 0, exception: 'validationException', message: 'no' } },
    });
    const error = await failure(start('converse-stream', 'amazon.nova-lite-v1:0', HELLO));
    expect(error).toMatchObject({ kind: 'validation', upstream: { name: 'ValidationException' } });
  });

  it('retries a refusal before the first event as the SDK client is configured to', async () => {
    const retrying = new BedrockModelInvoker({
      region: 'us-east-1',
      endpoint: bedrock.url,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 2,
    });
    try {
      bedrock.configure({ faults: { failFirst: 1, failFirstWith: 'server-error' } });
      const stream = await retrying.stream(
        plannedCall({ tenantId: 't', modelId: 'amazon.nova-lite-v1:0', operation: 'converse-stream', body: HELLO }),
      );
      expect((await drain(stream)).at(-1)?.type).toBe('metadata');
      expect(bedrock.stats().calls).toBe(2);
    } finally {
      retrying.destroy();
    }
  });

  it('authenticates a stream as the client authenticates unary calls: with a Bedrock API key when one is set', async () => {
    // AWS_BEARER_TOKEN_BEDROCK makes the SDK prefer bearer auth (Bedrock API keys) over SigV4, even with credentials.
    const seen: string[] = [];
    const proxy = await recordingProxy((req) => seen.push(`${req.url} ${req.headers['authorization']}`));
    const before = process.env['AWS_BEARER_TOKEN_BEDROCK'];
    process.env['AWS_BEARER_TOKEN_BEDROCK'] = 'probe-api-key';
    const withApiKey = proxy.invoker();
    try {
      const modelId = 'amazon.nova-lite-v1:0';
      await withApiKey.invoke(plannedCall({ tenantId: 't', modelId, operation: 'converse', body: HELLO }));
      await drain(
        await withApiKey.stream(plannedCall({ tenantId: 't', modelId, operation: 'converse-stream', body: HELLO })),
      );
      expect(seen).toEqual([
        `/model/${encodeURIComponent(modelId)}/converse Bearer probe-api-key`,
        `/model/${encodeURIComponent(modelId)}/converse-stream Bearer probe-api-key`,
      ]);
    } finally {
      if (before === undefined) delete process.env['AWS_BEARER_TOKEN_BEDROCK'];
      else process.env['AWS_BEARER_TOKEN_BEDROCK'] = before;
      withApiKey.destroy();
      await proxy.close();
    }
  });

  it('refuses a unary operation', async () => {
    expect(
      (
        await failure(
          invoker.stream(
            plannedCall({ tenantId: 't', modelId: 'amazon.nova-lite-v1:0', operation: 'converse', body: HELLO }),
          ),
        )
      ).kind,
    ).toBe('internal');
  });
});
