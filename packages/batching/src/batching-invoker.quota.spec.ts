import { NovaCostError } from '@nova-cost/domain';
import type { PlannedCallFields } from '@nova-cost/testing';
import { plannedCall } from '@nova-cost/testing';
import type { PlannedInvocation } from '@nova-cost/domain';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchingInvoker } from './batching-invoker';
import { ScriptedModelInvoker, flushMicrotasks, throttled } from './testing/scripted-model-invoker';

const req = (n: number, over: PlannedCallFields = {}): PlannedInvocation =>
  plannedCall({
    tenantId: 'acme',
    modelId: 'amazon.nova-lite-v1:0',
    operation: 'converse',
    body: { messages: [{ role: 'user', content: [{ text: `question ${n}` }] }], inferenceConfig: { maxTokens: 100 } },
    ...over,
  });

beforeEach(() => {
  // Fakes performance.now too, which limiter's token buckets read.
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const startTimes = (upstream: ScriptedModelInvoker) =>
  upstream.calls.map((c) => c.startedAt - upstream.calls[0]!.startedAt);

describe('BatchingInvoker quotas', () => {
  describe('having a requests-per-minute quota', () => {
    it('makes calls wait for capacity instead of sending them to be throttled', async () => {
      const upstream = new ScriptedModelInvoker();
      // 60 a minute with a 2 s burst: two at once, then one a second.
      const batcher = new BatchingInvoker(upstream, {
        quotas: { default: { requestsPerMinute: 60, burstSeconds: 2 } },
      });
      const calls = Array.from({ length: 5 }, (_, n) => batcher.invoke(req(n)));
      await flushMicrotasks();
      expect(upstream.calls).toHaveLength(2);
      expect(batcher.stats().queued).toBe(3);
      await vi.advanceTimersByTimeAsync(3_000);
      await Promise.all(calls);
      expect(startTimes(upstream)).toEqual([0, 0, 1_000, 2_000, 3_000]);
    });

    it('keeps one bucket per base model, so a profile id shares the quota of its model and other models are not held', async () => {
      const upstream = new ScriptedModelInvoker();
      const batcher = new BatchingInvoker(upstream, {
        quotas: { byModel: { 'amazon.nova-lite-v1:0': { requestsPerMinute: 1, burstSeconds: 60 } } },
      });
      void batcher.invoke(req(1));
      void batcher.invoke(req(2, { modelId: 'us.amazon.nova-lite-v1:0' }));
      void batcher.invoke(req(3, { modelId: 'amazon.nova-micro-v1:0' }));
      await flushMicrotasks();
      expect(upstream.calls.map((c) => c.request.modelId).sort()).toEqual([
        'amazon.nova-lite-v1:0',
        'amazon.nova-micro-v1:0',
      ]);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(upstream.calls).toHaveLength(3);
    });

    it('lets an aborted caller leave the wait for quota', async () => {
      const upstream = new ScriptedModelInvoker();
      const batcher = new BatchingInvoker(upstream, { quotas: { default: { requestsPerMinute: 1 } } });
      await batcher.invoke(req(1));
      const controller = new AbortController();
      const waiting = batcher.invoke(req(2), { signal: controller.signal });
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ kind: 'aborted' });
      await vi.advanceTimersByTimeAsync(120_000);
      expect(upstream.calls).toHaveLength(1);
      expect(batcher.stats().queued).toBe(0);
    });
  });

  describe('having callers waiting for quota when drain runs out of time', () => {
    it('rejects them with shutting-down at the deadline instead of leaving them waiting for capacity', async () => {
      const upstream = new ScriptedModelInvoker();
      const batcher = new BatchingInvoker(upstream, { quotas: { default: { requestsPerMinute: 1 } } });
      const outcomes = Promise.allSettled([1, 2, 3].map((n) => batcher.invoke(req(n))));
      await flushMicrotasks();
      const summary = batcher.drain(500);
      await vi.advanceTimersByTimeAsync(500);
      // The first was answered before the drain began, so only the two waiting ones count.
      await expect(summary).resolves.toEqual({ completed: 0, failed: 0, rejected: 2 });
      expect((await outcomes).map((o) => (o.status === 'rejected' ? (o.reason as NovaCostError).kind : 'ok'))).toEqual([
        'ok',
        'shutting-down',
        'shutting-down',
      ]);
      expect(vi.getTimerCount()).toBe(0);
      expect(upstream.calls).toHaveLength(1);
    });
  });

  describe('having a tokens-per-minute quota', () => {
    it('reserves the prompt estimate plus the output cap, and settles with the real usage', async () => {
      // Each request reserves ~3 prompt tokens + 100 output tokens; the upstream reports 10 in all.
      const upstream = new ScriptedModelInvoker(() => ({ usage: { inputTokens: 5, outputTokens: 5 } }));
      const batcher = new BatchingInvoker(upstream, {
        quotas: { default: { tokensPerMinute: 600, burstSeconds: 20 } },
      });
      // The bucket holds 200 tokens: one reservation of ~104 fits, a second does not until the first settles.
      const first = batcher.invoke(req(1));
      const second = batcher.invoke(req(2));
      await flushMicrotasks();
      // The first call settled (10 used), giving back ~94 tokens: the second goes without waiting for the refill.
      await expect(Promise.all([first, second])).resolves.toHaveLength(2);
      expect(startTimes(upstream)).toEqual([0, 0]);
    });

    it('waits for the tokens a large request needs', async () => {
      const upstream = new ScriptedModelInvoker(() => ({ usage: { inputTokens: 3, outputTokens: 100 } }));
      const batcher = new BatchingInvoker(upstream, {
        quotas: { default: { tokensPerMinute: 6_000, burstSeconds: 1 } },
      });
      // 100 tokens a second; each request takes ~103.
      const calls = [1, 2, 3].map((n) => batcher.invoke(req(n)));
      await vi.advanceTimersByTimeAsync(5_000);
      await Promise.all(calls);
      const [a, b, c] = startTimes(upstream);
      expect(a).toBe(0);
      expect(b).toBeGreaterThanOrEqual(1_000);
      expect(c! - b!).toBeGreaterThanOrEqual(1_000);
    });
  });

  describe('having a throttled upstream', () => {
    it('retries with exponential backoff and full jitter, then answers', async () => {
      const upstream = new ScriptedModelInvoker((_r, i) => (i < 3 ? { error: throttled() } : {}));
      // random() = 0.5: half of the ceilings 100, 200, 400 ms.
      const batcher = new BatchingInvoker(upstream, { random: () => 0.5, retry: { baseDelayMs: 100 } });
      const call = batcher.invoke(req(1));
      await vi.advanceTimersByTimeAsync(1_000);
      await expect(call).resolves.toBeDefined();
      expect(startTimes(upstream)).toEqual([0, 50, 150, 350]);
      expect(batcher.stats()).toMatchObject({ throttledRetries: 3, dispatched: 4, completed: 1 });
    });

    it('gives up after maxAttempts with a throttled error that says why', async () => {
      const upstream = new ScriptedModelInvoker(() => ({ error: throttled() }));
      const batcher = new BatchingInvoker(upstream, { random: () => 1, retry: { maxAttempts: 3 } });
      const call = batcher.invoke(req(1));
      const outcome = expect(call).rejects.toMatchObject({
        kind: 'throttled',
        message: expect.stringMatching(/after 3 attempts.*retry.maxAttempts/),
      });
      await vi.advanceTimersByTimeAsync(1_000);
      await outcome;
      expect(upstream.calls).toHaveLength(3);
    });

    it('does not start a retry whose backoff would exceed maxTotalDelayMs', async () => {
      const upstream = new ScriptedModelInvoker(() => ({ error: throttled() }));
      // Ceilings 100, 200, 400…: 100 + 200 fit in 350, the next 400 does not.
      const batcher = new BatchingInvoker(upstream, {
        random: () => 0.999999,
        retry: { maxAttempts: 10, maxTotalDelayMs: 350 },
      });
      const call = batcher.invoke(req(1));
      const outcome = expect(call).rejects.toSatisfy(
        (e) => NovaCostError.is(e, 'throttled') && e.details['attempts'] === 3,
      );
      await vi.advanceTimersByTimeAsync(1_000);
      await outcome;
      expect(upstream.calls).toHaveLength(3);
    });

    it('counts requests backing off against maxQueueSize, so sustained throttling cannot grow memory without bound', async () => {
      const upstream = new ScriptedModelInvoker(() => ({ error: throttled() }));
      const batcher = new BatchingInvoker(upstream, {
        maxQueueSize: 2,
        random: () => 1,
        retry: { baseDelayMs: 10_000, maxAttempts: 2 },
      });
      const backingOff = [batcher.invoke(req(1)), batcher.invoke(req(2))].map((p) => p.catch((e: unknown) => e));
      await vi.advanceTimersByTimeAsync(10);
      expect(batcher.stats()).toMatchObject({ queued: 0, backingOff: 2 });
      await expect(batcher.invoke(req(3))).rejects.toSatisfy((e) => NovaCostError.is(e, 'queue-full'));
      await vi.advanceTimersByTimeAsync(10_000);
      for (const outcome of await Promise.all(backingOff)) expect(NovaCostError.is(outcome, 'throttled')).toBe(true);
      expect(batcher.stats()).toMatchObject({ backingOff: 0 });
      const later = batcher.invoke(req(4)).catch((e: unknown) => e); // accepted again: throttled, not queue-full
      await vi.advanceTimersByTimeAsync(20_000);
      expect(NovaCostError.is(await later, 'throttled')).toBe(true);
    });

    it('gives back the tokens a throttled attempt reserved', async () => {
      // 200 tokens in the bucket; each attempt reserves ~104. Without the refund, the retry and the next request
      // would wait a minute for the refill.
      const upstream = new ScriptedModelInvoker((_r, i) =>
        i === 0 ? { error: throttled() } : { usage: { inputTokens: 3, outputTokens: 5 } },
      );
      const batcher = new BatchingInvoker(upstream, {
        random: () => 0,
        quotas: { default: { tokensPerMinute: 600, burstSeconds: 20 } },
      });
      const first = batcher.invoke(req(1));
      await vi.advanceTimersByTimeAsync(10);
      const second = batcher.invoke(req(2));
      await vi.advanceTimersByTimeAsync(100);
      await expect(Promise.all([first, second])).resolves.toHaveLength(2);
      expect(startTimes(upstream).every((t) => t < 100)).toBe(true);
    });

    it('releases its concurrency slot while it backs off', async () => {
      const upstream = new ScriptedModelInvoker((r, i) => (i === 0 ? { error: throttled() } : { delayMs: 10 }));
      const batcher = new BatchingInvoker(upstream, { concurrency: 1, random: () => 1, retry: { baseDelayMs: 1_000 } });
      const retried = batcher.invoke(req(1));
      const other = batcher.invoke(req(2));
      await vi.advanceTimersByTimeAsync(20);
      await expect(other).resolves.toBeDefined();
      await vi.advanceTimersByTimeAsync(1_000);
      await expect(retried).resolves.toBeDefined();
    });
  });
});
