import { request as httpRequest } from 'node:http';
import type { ConverseStreamOutput, ResponseStream } from '@aws-sdk/client-bedrock-runtime';
import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelWithResponseStreamCommand,
  ModelStreamErrorException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { decodeFrames } from '@nova-cost/event-stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load-config';
import type { Gateway } from './gateway';
import { startGateway } from './gateway';
import { createLogger } from './observability/logger';
import { onAnswerHeaders, rejection } from './testing/sdk-probes';

const MODEL = 'amazon.nova-lite-v1:0';
const CLAUDE = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const DEMO = { accessKeyId: 'demo', secretAccessKey: 'demo-secret' };
const CALM = {
  latency: { fixedMs: 0, perOutputTokenMs: 0 },
  faults: { throttleRate: 0, serverErrorRate: 0, dropRate: 0, slowRate: 0, failFirst: 0, quota: null, midStream: null },
};

let gateway: Gateway;
let sdk: BedrockRuntimeClient;
/** The x-nova-cost-cache header of every answer the SDK client got, in order. */
const outcomes: string[] = [];

let n = 0;
/** A deterministic (cacheable) ConverseStream request no other test sends. */
const converse = (text = `stream question ${(n += 1)}`) => ({
  modelId: MODEL,
  messages: [{ role: 'user' as const, content: [{ text }] }],
  inferenceConfig: { temperature: 0, maxTokens: 300 },
});

beforeAll(async () => {
  gateway = await startGateway({ ...loadConfig({}), port: 0 }, { logger: createLogger('silent'), emfIntervalMs: 0 });
  sdk = new BedrockRuntimeClient({ endpoint: gateway.url, region: 'us-east-1', credentials: DEMO, maxAttempts: 1 });
  onAnswerHeaders(sdk, (headers) => outcomes.push(headers['x-nova-cost-cache'] ?? 'none'));
});
afterAll(async () => {
  sdk.destroy();
  await gateway.shutdown();
});
beforeEach(() => {
  gateway.localBedrock!.configure(CALM);
  gateway.localBedrock!.reset();
  outcomes.length = 0;
});

async function converseStream(
  input: ReturnType<typeof converse>,
  signal?: AbortSignal,
): Promise<ConverseStreamOutput[]> {
  const out = await sdk.send(new ConverseStreamCommand(input), signal ? { abortSignal: signal } : {});
  const events: ConverseStreamOutput[] = [];
  for await (const e of out.stream ?? []) events.push(e);
  return events;
}

const textOf = (events: readonly ConverseStreamOutput[]): string =>
  events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');

/** A raw HTTP/1.1 POST with the demo API key: status, headers, the body's frames and the trailers. */
function rawPost(
  path: string,
  body: unknown,
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  frames: ReturnType<typeof decodeFrames>;
  trailers: Record<string, string | undefined>;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${gateway.url}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'demo-key' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            frames: decodeFrames(Buffer.concat(chunks)),
            trailers: res.trailers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('streaming through the gateway (AWS SDK)', () => {
  describe('ConverseStreamCommand', () => {
    it('streams a miss from upstream, then replays it from the cache with the same text and usage', async () => {
      const input = converse();
      const first = await converseStream(input);
      const second = await converseStream(input);
      expect(outcomes).toEqual(['miss', 'hit']);
      expect(textOf(second)).toBe(textOf(first));
      expect(textOf(first).length).toBeGreaterThan(20);
      expect(second.at(-1)?.metadata?.usage).toEqual(first.at(-1)?.metadata?.usage);
      expect(second.map((e) => Object.keys(e)[0])).toEqual(first.map((e) => Object.keys(e)[0]));
      expect(gateway.localBedrock!.stats().streams).toMatchObject({ started: 1, completed: 1 });
    });

    it('makes one upstream stream of 20 identical concurrent ones, every caller getting the whole text', async () => {
      const input = converse();
      const release = gateway.localBedrock!.hold();
      const all = Promise.all(Array.from({ length: 20 }, () => converseStream(input)));
      await expect.poll(() => gateway.localBedrock!.stats().calls).toBe(1);
      release();
      const texts = (await all).map(textOf);
      expect(new Set(texts).size).toBe(1);
      expect(texts[0]!.length).toBeGreaterThan(20);
      expect(gateway.localBedrock!.stats().calls).toBe(1);
      expect(outcomes.filter((o) => o === 'miss')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'coalesced' || o === 'hit')).toHaveLength(19);
    });

    it('gives a caller that joins mid-stream every event so far, then the rest live, from one upstream stream', async () => {
      gateway.localBedrock!.configure({ latency: { perOutputTokenMs: 50 } });
      const input = converse();
      const leader = await sdk.send(new ConverseStreamCommand(input));
      const reading = leader.stream![Symbol.asyncIterator]();
      const leaderEvents: ConverseStreamOutput[] = [];
      while (!leaderEvents.at(-1)?.contentBlockDelta) {
        const next = await reading.next();
        if (next.done) throw new Error('the stream ended before its first delta');
        leaderEvents.push(next.value);
      }
      // The leader has text; the endpoint holds the rest while a second caller joins.
      const release = gateway.localBedrock!.hold();
      const joiner = converseStream(input);
      await expect.poll(() => outcomes.length).toBe(2);
      release();
      for (let next = await reading.next(); !next.done; next = await reading.next()) leaderEvents.push(next.value);
      const joinerEvents = await joiner;
      expect(outcomes).toEqual(['miss', 'coalesced']);
      expect(joinerEvents).toEqual(leaderEvents);
      expect(joinerEvents.at(-1)?.metadata?.usage?.outputTokens).toBeGreaterThan(0);
      expect(gateway.localBedrock!.stats().calls).toBe(1);
    });

    it('aborts the upstream stream when its only client aborts mid-stream', async () => {
      gateway.localBedrock!.configure({ latency: { perOutputTokenMs: 1000 } });
      const abort = new AbortController();
      const out = await sdk.send(new ConverseStreamCommand(converse()), { abortSignal: abort.signal });
      // The SDK ends the iteration, or rejects it, once aborted: either way the client has gone.
      await (async () => {
        for await (const e of out.stream ?? []) if (e.contentBlockDelta) abort.abort();
      })().catch(() => undefined);
      await expect
        .poll(() => gateway.localBedrock!.stats().streams)
        .toEqual({ started: 1, completed: 0, abandoned: 1 });
    });

    it('keeps the upstream stream when one of two clients aborts: the other gets every word', async () => {
      gateway.localBedrock!.configure({ latency: { perOutputTokenMs: 20 } });
      const input = converse();
      const abort = new AbortController();
      const [leaving, staying] = await Promise.all([
        sdk.send(new ConverseStreamCommand(input), { abortSignal: abort.signal }),
        sdk.send(new ConverseStreamCommand(input)),
      ]);
      expect([...outcomes].sort()).toEqual(['coalesced', 'miss']);
      await (async () => {
        for await (const e of leaving.stream ?? []) if (e.contentBlockDelta) abort.abort();
      })().catch(() => undefined);
      const events: ConverseStreamOutput[] = [];
      for await (const e of staying.stream ?? []) events.push(e);
      expect(events.at(-1)?.metadata?.usage?.outputTokens).toBeGreaterThan(0);
      expect(textOf(events).length).toBeGreaterThan(20);
      expect(gateway.localBedrock!.stats().streams).toEqual({ started: 1, completed: 1, abandoned: 0 });
    });

    it('raises a fault mid-stream in the SDK as the exception Bedrock sent, and caches nothing', async () => {
      const message = 'The model stream broke, as Bedrock words it.';
      gateway.localBedrock!.configure({
        faults: { midStream: { kind: 'exception', afterEvents: 3, streams: 1, message } },
      });
      const input = converse();
      const error = await rejection(converseStream(input));
      expect(error).toBeInstanceOf(ModelStreamErrorException);
      // Bedrock's own words and members, not the gateway's description of the failure.
      expect(error).toMatchObject({ message, originalStatusCode: 500, originalMessage: message });
      expect(textOf(await converseStream(input)).length).toBeGreaterThan(20);
      expect(outcomes).toEqual(['miss', 'miss']);
      expect(gateway.localBedrock!.stats().calls).toBe(2);
    });

    it('ends a stream whose upstream connection was cut with an exception event the SDK raises', async () => {
      gateway.localBedrock!.configure({
        latency: { perOutputTokenMs: 5 },
        faults: { midStream: { kind: 'cut', afterEvents: 4, streams: 1 } },
      });
      const error = await rejection(converseStream(converse()));
      expect(error.name).toMatch(/ModelStreamErrorException|ServiceUnavailableException|InternalServerException/);
    });

    it('answers an error before the first event as an ordinary Bedrock error', async () => {
      gateway.localBedrock!.configure({
        faults: {
          failFirst: 1,
          failFirstWith: { status: 400, type: 'ValidationException', message: 'bad stream request' },
        },
      });
      const error = await rejection(converseStream(converse()));
      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toBe('bad stream request');
    });
  });

  describe('InvokeModelWithResponseStreamCommand', () => {
    it("streams Claude's own chunks on a miss, then replays them from the cache", async () => {
      const body = JSON.stringify({
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 200,
        temperature: 0,
        messages: [{ role: 'user', content: `invoke stream ${(n += 1)}` }],
      });
      const read = async () => {
        const out = await sdk.send(
          new InvokeModelWithResponseStreamCommand({ modelId: CLAUDE, body, contentType: 'application/json' }),
        );
        const chunks: Record<string, unknown>[] = [];
        for await (const e of (out.body ?? []) as AsyncIterable<ResponseStream>)
          chunks.push(JSON.parse(Buffer.from(e.chunk!.bytes!).toString('utf8')) as Record<string, unknown>);
        return chunks;
      };
      const first = await read();
      const second = await read();
      expect(outcomes).toEqual(['miss', 'hit']);
      expect(second).toEqual(first);
      expect(first.at(-1)).toMatchObject({
        type: 'message_stop',
        'amazon-bedrock-invocationMetrics': { outputTokenCount: expect.any(Number) },
      });
    });
    it('raises a fault mid-stream in the SDK, and caches nothing', async () => {
      gateway.localBedrock!.configure({ faults: { midStream: { kind: 'exception', afterEvents: 2, streams: 1 } } });
      const body = JSON.stringify({
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 200,
        temperature: 0,
        messages: [{ role: 'user', content: `invoke stream fault ${(n += 1)}` }],
      });
      const read = async () => {
        const out = await sdk.send(
          new InvokeModelWithResponseStreamCommand({ modelId: CLAUDE, body, contentType: 'application/json' }),
        );
        let chunks = 0;
        for await (const e of (out.body ?? []) as AsyncIterable<ResponseStream>) if (e.chunk) chunks += 1;
        return chunks;
      };
      expect(await rejection(read())).toBeInstanceOf(ModelStreamErrorException);
      expect(await read()).toBeGreaterThan(2);
      expect(outcomes).toEqual(['miss', 'miss']);
      expect(gateway.localBedrock!.stats().calls).toBe(2);
    });
  });

  describe('on the wire', () => {
    it('sends the cache outcome and model with the headers, and cost and saving as trailers once the stream ended', async () => {
      const input = converse();
      const { modelId, ...body } = input;
      const miss = await rawPost(`/model/${modelId}/converse-stream`, body);
      expect(miss.status).toBe(200);
      expect(miss.headers['content-type']).toBe('application/vnd.amazon.eventstream');
      expect(miss.headers).toMatchObject({ 'x-nova-cost-cache': 'miss', 'x-nova-cost-model': MODEL });
      expect(miss.frames.map((f) => f.headers[':event-type'])).toContain('metadata');
      expect(Number(miss.trailers['x-nova-cost-usd'])).toBeGreaterThan(0);
      const hit = await rawPost(`/model/${modelId}/converse-stream`, body);
      expect(hit.headers['x-nova-cost-cache']).toBe('hit');
      expect(hit.trailers).toMatchObject({ 'x-nova-cost-usd': '0.00000000' });
      expect(Number(hit.trailers['x-nova-cost-saved-usd'])).toBeGreaterThan(0);
    });

    it('records every stream in /costs and the metrics', async () => {
      const before = (await (await fetch(`${gateway.url}/costs`, { headers: { 'x-api-key': 'demo-key' } })).json()) as {
        total: { calls: number };
      };
      await converseStream(converse());
      await expect
        .poll(
          async () =>
            (
              (await (await fetch(`${gateway.url}/costs`, { headers: { 'x-api-key': 'demo-key' } })).json()) as {
                total: { calls: number };
              }
            ).total.calls,
        )
        .toBe(before.total.calls + 1);
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      expect(metrics).toMatch(
        /nova_cost_streams_total\{operation="converse-stream",end="complete",client="complete"\} \d+/,
      );
      expect(metrics).toMatch(/nova_cost_requests_total\{route="converse-stream",status="200",cache="miss"\} \d+/);
    });
  });

  describe('CountTokensCommand', () => {
    it('counts tokens through the gateway for free, the same body a second time from the cache', async () => {
      const input = {
        converse: { messages: [{ role: 'user' as const, content: [{ text: `count me ${(n += 1)}` }] }] },
      };
      const first = await sdk.send(new CountTokensCommand({ modelId: CLAUDE, input }));
      const second = await sdk.send(new CountTokensCommand({ modelId: CLAUDE, input }));
      expect(first.inputTokens).toBeGreaterThan(0);
      expect(second.inputTokens).toBe(first.inputTokens);
      expect(outcomes).toEqual(['miss', 'hit']);
      expect(gateway.localBedrock!.stats().calls).toBe(1);
    });

    it("passes Bedrock's refusal of a model it does not count for", async () => {
      const input = { converse: { messages: [{ role: 'user' as const, content: [{ text: 'count me on Nova' }] }] } };
      expect(await rejection(sdk.send(new CountTokensCommand({ modelId: MODEL, input })))).toBeInstanceOf(
        ValidationException,
      );
    });
  });
});
