import { startLocalBedrock } from '@nova-cost/bedrock-local';
import type { LocalBedrock } from '@nova-cost/bedrock-local';
import type { PlannedInvocation } from '@nova-cost/domain';
import type { PlannedCallFields } from '@nova-cost/testing';
import { plannedCall } from '@nova-cost/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BatchingInvoker } from './batching-invoker';
import { HttpModelInvoker } from './testing/http-model-invoker';

// The local Bedrock endpoint over real HTTP with real timers: no assertion on speed; where calls must be in flight
// at a given moment, the endpoint holds them (hold()) instead of a latency guessed long enough.
let endpoint: LocalBedrock;
let upstream: HttpModelInvoker;

const NO_FAULTS = { throttleRate: 0, serverErrorRate: 0, slowRate: 0, dropRate: 0, failFirst: 0 };

beforeAll(async () => {
  endpoint = await startLocalBedrock({ seed: 7 });
  upstream = new HttpModelInvoker(endpoint.url);
});
afterAll(async () => {
  await endpoint.close();
});
beforeEach(() => {
  endpoint.configure({ latency: { fixedMs: 20, perOutputTokenMs: 0 }, faults: NO_FAULTS });
  endpoint.reset();
});

const ask = (text: string, over: PlannedCallFields = {}): PlannedInvocation =>
  plannedCall({
    tenantId: 'acme',
    modelId: 'amazon.nova-micro-v1:0',
    operation: 'converse',
    body: { messages: [{ role: 'user', content: [{ text }] }], inferenceConfig: { maxTokens: 32 } },
    ...over,
  });
const embed = (texts: string[]): PlannedInvocation =>
  plannedCall({
    tenantId: 'acme',
    modelId: 'cohere.embed-english-v3',
    operation: 'invoke',
    body: { texts, input_type: 'search_document' },
    lane: 'deferrable',
  });

describe('BatchingInvoker against the local Bedrock endpoint', () => {
  it('gives each of many concurrent callers its own answer', async () => {
    const requests = Array.from({ length: 48 }, (_, n) =>
      ask(`question number ${n}`, { lane: n % 3 ? 'deferrable' : 'interactive' }),
    );
    const expected = await Promise.all(requests.map((r) => upstream.invoke(r)));
    endpoint.reset();
    const batcher = new BatchingInvoker(upstream, {
      concurrency: 8,
      lanes: { deferrable: { maxBatchSize: 10, maxWaitMs: 20 } },
    });
    const results = await Promise.all(requests.map((r) => batcher.invoke(r)));
    results.forEach((r, n) => expect(r.body['output']).toEqual(expected[n]!.body['output']));
    expect(new Set(results.map((r) => JSON.stringify(r.body['output']))).size).toBe(48);
    expect(endpoint.stats().calls).toBe(48);
  });

  it('isolates failures: 5xx answers fail only their own callers', async () => {
    endpoint.configure({ faults: { serverErrorRate: 0.3 } });
    const batcher = new BatchingInvoker(upstream, { lanes: { deferrable: { maxBatchSize: 10, maxWaitMs: 50 } } });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, n) => batcher.invoke(ask(`isolate ${n}`, { lane: 'deferrable' }))),
    );
    const failed = outcomes.filter((o) => o.status === 'rejected');
    expect(failed.length).toBe(endpoint.stats().faults);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(30);
    for (const f of failed) expect((f as PromiseRejectedResult).reason).toMatchObject({ kind: 'upstream-unavailable' });
  });

  it('retries throttled calls with backoff until every caller is answered', async () => {
    endpoint.configure({ latency: { fixedMs: 5 }, faults: { throttleRate: 0.3 } });
    const batcher = new BatchingInvoker(upstream, { retry: { baseDelayMs: 5, maxAttempts: 10 } });
    const results = await Promise.all(Array.from({ length: 30 }, (_, n) => batcher.invoke(ask(`retry ${n}`))));
    expect(results).toHaveLength(30);
    const { faults, calls } = endpoint.stats();
    expect(faults).toBeGreaterThan(0);
    expect(batcher.stats().throttledRetries).toBe(faults);
    expect(calls).toBe(30 + faults);
  });

  it('gives up on a call still throttled when its retry budget is spent', async () => {
    endpoint.configure({ latency: { fixedMs: 0 }, faults: { failFirst: 3, failFirstWith: 'throttle' } });
    const batcher = new BatchingInvoker(upstream, { retry: { baseDelayMs: 1, maxAttempts: 3 } });
    await expect(batcher.invoke(ask('unlucky'))).rejects.toMatchObject({ kind: 'throttled', details: { attempts: 3 } });
    await expect(batcher.invoke(ask('lucky'))).resolves.toBeDefined();
  });

  it('merges Cohere embedding requests into one upstream call and splits the answer back', async () => {
    const groups = [['alpha'], ['beta', 'gamma'], ['delta'], ['epsilon', 'zeta', 'eta']];
    const alone = await Promise.all(groups.map((g) => upstream.invoke(embed(g))));
    endpoint.reset();
    const batcher = new BatchingInvoker(upstream, { lanes: { deferrable: { maxBatchSize: 4, maxWaitMs: 50 } } });
    const results = await Promise.all(groups.map((g) => batcher.invoke(embed(g))));
    expect(endpoint.stats()).toMatchObject({ calls: 1, embeddedInputs: [7] });
    results.forEach((r, i) => {
      expect(r.body['texts']).toEqual(groups[i]);
      expect(r.body['embeddings']).toEqual(alone[i]!.body['embeddings']);
      expect(r.body['response_type']).toBe('embeddings_floats');
    });
    const total = (rs: typeof results) => rs.reduce((n, r) => n + r.usage.inputTokens, 0);
    expect(total(results)).toBe(total(alone));
  });

  it('refuses a request over maxQueueSize with queue-full at once, and answers every accepted one', async () => {
    endpoint.configure({ latency: { fixedMs: 200 } });
    const batcher = new BatchingInvoker(upstream, { concurrency: 1, maxQueueSize: 2 });
    const accepted = [batcher.invoke(ask('first')), batcher.invoke(ask('second')), batcher.invoke(ask('third'))];
    await expect(batcher.invoke(ask('fourth'))).rejects.toMatchObject({
      kind: 'queue-full',
      details: { maxQueueSize: 2 },
    });
    expect((await Promise.all(accepted)).map((r) => r.cache)).toEqual(['bypass', 'bypass', 'bypass']);
    expect(endpoint.stats().calls).toBe(3);
  });

  it('removes a queued request whose caller aborts, and aborts the HTTP call of one in flight', async () => {
    const release = endpoint.hold();
    try {
      const batcher = new BatchingInvoker(upstream, { concurrency: 1 });
      const inFlight = new AbortController();
      const queued = new AbortController();
      const first = batcher.invoke(ask('in flight'), { signal: inFlight.signal });
      const second = batcher.invoke(ask('queued'), { signal: queued.signal });
      const third = batcher.invoke(ask('kept'));
      // The first call has reached the endpoint (and waits there): the others wait in the batcher.
      await expect.poll(() => endpoint.stats().calls).toBe(1);
      queued.abort();
      inFlight.abort();
      await expect(first).rejects.toMatchObject({ kind: 'aborted' });
      await expect(second).rejects.toMatchObject({ kind: 'aborted' });
      release();
      await expect(third).resolves.toBeDefined();
      expect(endpoint.stats().calls).toBe(2);
    } finally {
      release();
    }
  });

  describe('.drain', () => {
    it('having enough time, answers everything accepted', async () => {
      const batcher = new BatchingInvoker(upstream, { concurrency: 4 });
      const calls = Array.from({ length: 12 }, (_, n) =>
        batcher.invoke(ask(`drain ${n}`, { lane: n % 2 ? 'deferrable' : 'interactive' })),
      );
      await expect(batcher.drain(10_000)).resolves.toEqual({ completed: 12, failed: 0, rejected: 0 });
      await expect(Promise.all(calls)).resolves.toHaveLength(12);
    });

    it('not having enough time, rejects the rest with shutting-down and nobody hangs', async () => {
      // Held upstream: no call can finish before the deadline, however busy the machine.
      const release = endpoint.hold();
      try {
        const batcher = new BatchingInvoker(upstream, { concurrency: 2 });
        const settled = Promise.allSettled(Array.from({ length: 6 }, (_, n) => batcher.invoke(ask(`late ${n}`))));
        await expect.poll(() => endpoint.stats().calls).toBe(2);
        await expect(batcher.drain(100)).resolves.toEqual({ completed: 0, failed: 0, rejected: 6 });
        for (const o of await settled)
          expect((o as PromiseRejectedResult).reason).toMatchObject({ kind: 'shutting-down' });
        await expect(batcher.invoke(ask('after'))).rejects.toMatchObject({ kind: 'shutting-down' });
        expect(endpoint.stats().calls).toBe(2);
      } finally {
        release();
      }
    });
  });
});
