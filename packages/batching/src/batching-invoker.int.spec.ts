import { NovaCostError } from '@nova-cost/domain';
import type { InvocationRequest } from '@nova-cost/domain';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BatchingInvoker } from './batching-invoker';
import { HttpModelInvoker } from './testing/http-model-invoker';
import { startStandInBedrock } from './testing/stand-in-bedrock-endpoint';
import type { StandInEndpoint } from './testing/stand-in-bedrock-endpoint';

// Real HTTP, real timers: generous bounds only, no assertion on speed.
let endpoint: StandInEndpoint;
let upstream: HttpModelInvoker;

beforeAll(async () => {
  endpoint = await startStandInBedrock();
  upstream = new HttpModelInvoker(endpoint.url);
});
afterAll(async () => {
  await endpoint.close();
});
beforeEach(() => {
  endpoint.reset();
  endpoint.configure({ latencyMs: 20 });
});

const ask = (text: string, over: Partial<InvocationRequest> = {}): InvocationRequest => ({
  tenantId: 'acme',
  modelId: 'amazon.nova-micro-v1:0',
  operation: 'converse',
  body: { messages: [{ role: 'user', content: [{ text }] }], inferenceConfig: { maxTokens: 16 } },
  ...over,
});
const answerText = (body: Record<string, unknown>) => JSON.stringify(body['output']);

describe('BatchingInvoker against a Bedrock endpoint over HTTP', () => {
  it('gives each of many concurrent callers its own answer, within the concurrency limit', async () => {
    const batcher = new BatchingInvoker(upstream, { concurrency: 8, lanes: { deferrable: { maxBatchSize: 10, maxWaitMs: 20 } } });
    const texts = Array.from({ length: 60 }, (_, n) => `question number ${n}`);
    const results = await Promise.all(texts.map((t, n) => batcher.invoke(ask(t, { lane: n % 3 ? 'deferrable' : 'interactive' }))));
    results.forEach((r, n) => expect(answerText(r.body)).toContain(`question number ${n}\\`));
    expect(endpoint.stats()).toMatchObject({ calls: 60 });
    expect(endpoint.stats().maxConcurrent).toBeLessThanOrEqual(8);
    expect(endpoint.stats().maxConcurrent).toBeGreaterThan(1);
  });

  it('isolates failures: a 500 for one request leaves its batch neighbours answered', async () => {
    endpoint.configure({ latencyMs: 10, failMarker: 'poison' });
    const batcher = new BatchingInvoker(upstream, { lanes: { deferrable: { maxBatchSize: 5, maxWaitMs: 50 } } });
    const outcomes = await Promise.allSettled(['a', 'b', 'poison', 'c', 'd'].map((t) => batcher.invoke(ask(t, { lane: 'deferrable' }))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ kind: 'upstream-unavailable' });
  });

  it('retries throttled calls with backoff until every caller is answered', async () => {
    endpoint.configure({ latencyMs: 5, throttleEvery: 3 });
    const batcher = new BatchingInvoker(upstream, { retry: { baseDelayMs: 5, maxAttempts: 6 } });
    const results = await Promise.all(Array.from({ length: 30 }, (_, n) => batcher.invoke(ask(`retry ${n}`))));
    expect(results).toHaveLength(30);
    const { throttled, calls } = endpoint.stats();
    expect(throttled).toBeGreaterThan(0);
    expect(batcher.stats().throttledRetries).toBe(throttled);
    expect(calls).toBe(30 + throttled);
  });

  it('waits for quota instead of being throttled by an endpoint that enforces the rate', async () => {
    // The endpoint allows 10 calls in any 500 ms (1,200 a minute). The batcher is told 720 a minute with a burst
    // of 2: at most 2 + 6 calls in any 500 ms, leaving room for calls that the network bunches up.
    endpoint.configure({ latencyMs: 5, quotaPerWindow: 10, quotaWindowMs: 500 });
    const batcher = new BatchingInvoker(upstream, {
      concurrency: 16,
      retry: { maxAttempts: 1 },
      quotas: { default: { requestsPerMinute: 720, burstSeconds: 0.2 } },
    });
    const outcomes = await Promise.allSettled(Array.from({ length: 24 }, (_, n) => batcher.invoke(ask(`quota ${n}`))));
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(endpoint.stats()).toMatchObject({ calls: 24, throttled: 0 });

    // The control: the same load without the quota is throttled by the endpoint.
    endpoint.reset();
    const unlimited = new BatchingInvoker(upstream, { concurrency: 16, retry: { maxAttempts: 1 } });
    const control = await Promise.allSettled(Array.from({ length: 24 }, (_, n) => unlimited.invoke(ask(`control ${n}`))));
    expect(control.some((o) => o.status === 'rejected' && NovaCostError.is(o.reason, 'throttled'))).toBe(true);
  });

  it('merges Cohere embedding requests into one upstream call and splits the answer back', async () => {
    const batcher = new BatchingInvoker(upstream, { lanes: { deferrable: { maxBatchSize: 4, maxWaitMs: 50 } } });
    const embed = (texts: string[]): InvocationRequest => ({
      tenantId: 'acme',
      modelId: 'cohere.embed-english-v3',
      operation: 'invoke',
      body: { texts, input_type: 'search_document' },
      lane: 'deferrable',
    });
    const groups = [['alpha'], ['be', 'gamma'], ['delta'], ['epsilon', 'z', 'yy']];
    const results = await Promise.all(groups.map((g) => batcher.invoke(embed(g))));
    expect(endpoint.stats().calls).toBe(1);
    results.forEach((r, i) => {
      expect(r.body['texts']).toEqual(groups[i]);
      expect(r.body['embeddings']).toEqual(groups[i]!.map((t) => [t.length, t.charCodeAt(0)]));
    });
    expect(results.reduce((n, r) => n + r.usage.inputTokens, 0)).toBe(groups.flat().reduce((n, t) => n + Math.ceil(t.length / 4), 0));
  });

  it('removes a queued request whose caller aborts, and aborts the HTTP call of one in flight', async () => {
    endpoint.configure({ latencyMs: 200 });
    const batcher = new BatchingInvoker(upstream, { concurrency: 1 });
    const inFlight = new AbortController();
    const queued = new AbortController();
    const first = batcher.invoke(ask('in flight'), { signal: inFlight.signal });
    const second = batcher.invoke(ask('queued'), { signal: queued.signal });
    const third = batcher.invoke(ask('kept'));
    await new Promise((r) => setTimeout(r, 50));
    queued.abort();
    inFlight.abort();
    await expect(first).rejects.toMatchObject({ kind: 'aborted' });
    await expect(second).rejects.toMatchObject({ kind: 'aborted' });
    await expect(third).resolves.toBeDefined();
    expect(endpoint.stats().byModel).toEqual({ 'amazon.nova-micro-v1:0': 2 });
  });

  describe('.drain', () => {
    it('having enough time, answers everything accepted', async () => {
      const batcher = new BatchingInvoker(upstream, { concurrency: 4 });
      const calls = Array.from({ length: 12 }, (_, n) => batcher.invoke(ask(`drain ${n}`, { lane: n % 2 ? 'deferrable' : 'interactive' })));
      await expect(batcher.drain(10_000)).resolves.toEqual({ completed: 12, failed: 0, rejected: 0 });
      await expect(Promise.all(calls)).resolves.toHaveLength(12);
    });

    it('not having enough time, rejects the rest with shutting-down and nobody hangs', async () => {
      endpoint.configure({ latencyMs: 300 });
      const batcher = new BatchingInvoker(upstream, { concurrency: 2 });
      const calls = Array.from({ length: 6 }, (_, n) => batcher.invoke(ask(`late ${n}`)));
      const settled = Promise.allSettled(calls);
      const summary = await batcher.drain(100);
      expect(summary).toEqual({ completed: 0, failed: 0, rejected: 6 });
      const outcomes = await settled;
      for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toMatchObject({ kind: 'shutting-down' });
      expect(endpoint.stats().calls).toBe(2);
    });
  });
});
