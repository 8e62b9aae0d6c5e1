import { NovaCostError } from '@nova-cost/domain';
import type { PlannedCallFields } from '@nova-cost/testing';
import { plannedCall } from '@nova-cost/testing';
import type { InvocationResult, PlannedInvocation } from '@nova-cost/domain';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchingInvoker } from './batching-invoker';
import { ScriptedModelInvoker, flushMicrotasks } from './testing/scripted-model-invoker';

const req = (n: number, over: PlannedCallFields = {}): PlannedInvocation =>
  plannedCall({
    tenantId: 'acme',
    modelId: 'amazon.nova-lite-v1:0',
    operation: 'converse',
    body: { messages: [{ role: 'user', content: [{ text: `question ${n}` }] }] },
    ...over,
  });
const deferred = (n: number) => req(n, { lane: 'deferrable' });

/** Records how each promise settled without leaving rejections unhandled. */
function track<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe(BatchingInvoker, () => {
  describe('.invoke', () => {
    describe('having many concurrent callers', () => {
      it('gives each caller its own answer, whatever order the upstream answers in', async () => {
        // Later requests answer sooner, so completion order is the reverse of arrival order.
        const upstream = new ScriptedModelInvoker((_r, i) => ({ delayMs: 100 - i }));
        const batcher = new BatchingInvoker(upstream, { concurrency: 50 });
        const calls = Array.from({ length: 40 }, (_, n) => batcher.invoke(n % 2 ? deferred(n) : req(n)));
        await vi.advanceTimersByTimeAsync(2_000);
        const results = await Promise.all(calls);
        results.forEach((r, n) => expect(r.body).toEqual({ echo: req(n).body }));
      });

      it('dispatches a batch concurrently up to the limit, never one call after another', async () => {
        const upstream = new ScriptedModelInvoker(() => ({ delayMs: 50 }));
        const batcher = new BatchingInvoker(upstream, {
          concurrency: 4,
          lanes: { deferrable: { maxBatchSize: 10, maxWaitMs: 1_000 } },
        });
        const calls = Array.from({ length: 10 }, (_, n) => batcher.invoke(deferred(n)));
        await flushMicrotasks();
        expect(upstream.calls).toHaveLength(4);
        expect(batcher.stats()).toMatchObject({ upstreamInFlight: 4, inFlight: 4, queued: 6, heldBatches: 0 });
        await vi.advanceTimersByTimeAsync(150);
        await Promise.all(calls);
        expect(upstream.maxRunning).toBe(4);
        // 10 calls of 50 ms, 4 at a time: three waves, at 0, 50 and 100 ms.
        expect([...new Set(upstream.calls.map((c) => c.startedAt - upstream.calls[0]!.startedAt))]).toEqual([
          0, 50, 100,
        ]);
      });
    });

    describe('having lanes', () => {
      it('does not hold interactive requests back by default', async () => {
        const upstream = new ScriptedModelInvoker();
        const batcher = new BatchingInvoker(upstream);
        const call = batcher.invoke(req(1));
        await flushMicrotasks();
        expect(upstream.calls).toHaveLength(1);
        await vi.advanceTimersByTimeAsync(0);
        await expect(call).resolves.toMatchObject({ cache: 'bypass' });
      });

      it('holds deferrable requests until the batch is full', async () => {
        const upstream = new ScriptedModelInvoker();
        const batcher = new BatchingInvoker(upstream, {
          lanes: { deferrable: { maxBatchSize: 3, maxWaitMs: 10_000 } },
        });
        void batcher.invoke(deferred(1));
        void batcher.invoke(deferred(2));
        await flushMicrotasks();
        expect(upstream.calls).toHaveLength(0);
        expect(batcher.stats()).toMatchObject({ heldBatches: 1, heldRequests: 2, queued: 2 });
        void batcher.invoke(deferred(3));
        await flushMicrotasks();
        expect(upstream.calls).toHaveLength(3);
      });

      it('dispatches a deferrable batch that is not full after maxWaitMs (1 s by default)', async () => {
        const upstream = new ScriptedModelInvoker();
        const batcher = new BatchingInvoker(upstream);
        const call = batcher.invoke(deferred(1));
        await vi.advanceTimersByTimeAsync(999);
        expect(upstream.calls).toHaveLength(0);
        await vi.advanceTimersByTimeAsync(1);
        expect(upstream.calls).toHaveLength(1);
        await expect(call).resolves.toBeDefined();
      });

      it('serves waiting interactive requests before waiting deferrable ones', async () => {
        const upstream = new ScriptedModelInvoker(() => ({ delayMs: 10 }));
        const batcher = new BatchingInvoker(upstream, {
          concurrency: 1,
          lanes: { deferrable: { maxBatchSize: 3, maxWaitMs: 5 } },
        });
        const all = [
          batcher.invoke(req(0)),
          ...[1, 2, 3].map((n) => batcher.invoke(deferred(n))),
          batcher.invoke(req(4)),
        ];
        await vi.advanceTimersByTimeAsync(100);
        await Promise.all(all);
        expect(upstream.calls.map((c) => c.request.lane ?? 'interactive')).toEqual([
          'interactive',
          'interactive',
          'deferrable',
          'deferrable',
          'deferrable',
        ]);
      });
    });

    describe('having failures', () => {
      it('fails only the request whose call failed, never its neighbours', async () => {
        const boom = new NovaCostError('upstream-unavailable', 'model unavailable');
        const upstream = new ScriptedModelInvoker((_r, i) => (i === 2 ? { error: boom } : { delayMs: 5 }));
        const batcher = new BatchingInvoker(upstream, { lanes: { deferrable: { maxBatchSize: 5, maxWaitMs: 100 } } });
        const calls = Array.from({ length: 5 }, (_, n) => track(batcher.invoke(deferred(n))));
        await vi.advanceTimersByTimeAsync(10);
        expect(calls.map((c) => c.settled)).toEqual([true, true, true, true, true]);
        expect(calls[2]!.error).toBe(boom);
        expect(calls.filter((c) => c.value !== undefined)).toHaveLength(4);
        expect(batcher.stats()).toMatchObject({ completed: 4, failed: 1, queued: 0, inFlight: 0 });
      });

      it('settles every caller when the wrapped invoker throws synchronously', async () => {
        const upstream = new ScriptedModelInvoker(() => ({
          throwSync: new TypeError('cannot read properties of undefined'),
        }));
        const batcher = new BatchingInvoker(upstream, { lanes: { deferrable: { maxBatchSize: 3, maxWaitMs: 100 } } });
        const calls = [1, 2, 3].map((n) => track(batcher.invoke(deferred(n))));
        await flushMicrotasks();
        for (const c of calls) {
          expect(c.settled).toBe(true);
          expect(NovaCostError.is(c.error, 'internal')).toBe(true);
          expect((c.error as Error).message).toMatch(/non-NovaCostError: cannot read properties/);
        }
      });

      it('does not retry failures other than throttling', async () => {
        const upstream = new ScriptedModelInvoker(() => ({ error: new NovaCostError('validation', 'bad body') }));
        const batcher = new BatchingInvoker(upstream);
        await expect(batcher.invoke(req(1))).rejects.toMatchObject({ kind: 'validation' });
        expect(upstream.calls).toHaveLength(1);
      });
    });

    describe('having a full queue', () => {
      it('refuses at once with queue-full instead of growing without bound', async () => {
        const upstream = new ScriptedModelInvoker(() => ({ delayMs: 100 }));
        const batcher = new BatchingInvoker(upstream, { concurrency: 1, maxQueueSize: 3 });
        const accepted = [1, 2, 3, 4].map((n) => batcher.invoke(req(n)));
        await flushMicrotasks(); // the first leaves the queue for the upstream
        const refused = track(batcher.invoke(req(5)));
        await flushMicrotasks();
        expect(refused.error).toMatchObject({ kind: 'queue-full', message: expect.stringMatching(/maxQueueSize/) });
        expect(batcher.stats()).toMatchObject({ queued: 3, inFlight: 1, rejectedQueueFull: 1 });
        await vi.advanceTimersByTimeAsync(400);
        await expect(Promise.all(accepted)).resolves.toHaveLength(4);
        const later = track(batcher.invoke(req(6)));
        await vi.advanceTimersByTimeAsync(100);
        expect(later.value).toBeDefined();
      });
    });

    describe('having an abort signal', () => {
      it('removes a queued request and rejects it with aborted', async () => {
        const upstream = new ScriptedModelInvoker(() => ({ delayMs: 50 }));
        const batcher = new BatchingInvoker(upstream, { concurrency: 1 });
        const first = batcher.invoke(req(1));
        const controller = new AbortController();
        const second = track(batcher.invoke(req(2), { signal: controller.signal }));
        const third = batcher.invoke(req(3));
        await flushMicrotasks();
        controller.abort();
        await flushMicrotasks();
        expect(second.error).toMatchObject({ kind: 'aborted' });
        expect(batcher.stats().queued).toBe(1);
        await vi.advanceTimersByTimeAsync(200);
        await Promise.all([first, third]);
        expect(upstream.calls.map((c) => c.request.body)).toEqual([req(1).body, req(3).body]);
      });

      it('removes a request from a held batch', async () => {
        const upstream = new ScriptedModelInvoker();
        const batcher = new BatchingInvoker(upstream);
        const controller = new AbortController();
        const held = track(batcher.invoke(deferred(1), { signal: controller.signal }));
        controller.abort();
        await vi.advanceTimersByTimeAsync(1_000);
        expect(held.error).toMatchObject({ kind: 'aborted' });
        expect(upstream.calls).toHaveLength(0);
      });

      it('passes the abort to the in-flight call', async () => {
        const upstream = new ScriptedModelInvoker(() => ({ delayMs: 1_000 }));
        const batcher = new BatchingInvoker(upstream);
        const controller = new AbortController();
        const call = track(batcher.invoke(req(1), { signal: controller.signal }));
        await flushMicrotasks();
        expect(upstream.calls[0]!.signal?.aborted).toBe(false);
        controller.abort();
        await flushMicrotasks();
        expect(call.error).toMatchObject({ kind: 'aborted' });
        expect(upstream.calls[0]!.signal?.aborted).toBe(true);
        expect(upstream.aborted).toBe(1);
        expect(batcher.stats()).toMatchObject({ inFlight: 0, upstreamInFlight: 0 });
      });

      it('rejects a request whose signal is already aborted without queueing it', async () => {
        const batcher = new BatchingInvoker(new ScriptedModelInvoker());
        await expect(batcher.invoke(req(1), { signal: AbortSignal.abort() })).rejects.toMatchObject({
          kind: 'aborted',
        });
        expect(batcher.stats().queued).toBe(0);
      });
    });
  });

  describe('.drain', () => {
    it('having enough time, dispatches held batches at once and completes everything', async () => {
      const upstream = new ScriptedModelInvoker(() => ({ delayMs: 20 }));
      const batcher = new BatchingInvoker(upstream, { concurrency: 2 });
      const calls = [req(1), deferred(2), deferred(3), req(4)].map((r) => batcher.invoke(r));
      const summary = batcher.drain(10_000);
      expect(batcher.stats().heldBatches).toBe(0);
      await expect(batcher.invoke(req(5))).rejects.toMatchObject({ kind: 'shutting-down' });
      await vi.advanceTimersByTimeAsync(40);
      await expect(summary).resolves.toEqual({ completed: 4, failed: 0, rejected: 0 });
      await expect(Promise.all(calls)).resolves.toHaveLength(4);
    });

    it('not having enough time, rejects the rest with shutting-down, aborts their calls, and nobody hangs', async () => {
      const upstream = new ScriptedModelInvoker(() => ({ delayMs: 100 }));
      const batcher = new BatchingInvoker(upstream, { concurrency: 2 });
      const calls = Array.from({ length: 6 }, (_, n) => track(batcher.invoke(n < 3 ? req(n) : deferred(n))));
      const summary = track(batcher.drain(150));
      await vi.advanceTimersByTimeAsync(150);
      expect(summary.value).toEqual({ completed: 2, failed: 0, rejected: 4 });
      expect(calls.every((c) => c.settled)).toBe(true);
      const rejected = calls.filter((c) => c.error !== undefined);
      expect(rejected).toHaveLength(4);
      for (const c of rejected)
        expect(c.error).toMatchObject({
          kind: 'shutting-down',
          message: expect.stringMatching(/150 ms drain deadline/),
        });
      expect(upstream.aborted).toBe(2);
      expect(batcher.stats()).toMatchObject({ queued: 0, inFlight: 0, upstreamInFlight: 0, draining: true });
    });

    it('resolves at once when nothing is pending, and returns the same drain when called again', async () => {
      const batcher = new BatchingInvoker(new ScriptedModelInvoker());
      const first = batcher.drain(1_000);
      expect(batcher.drain(5)).toBe(first);
      await expect(first).resolves.toEqual({ completed: 0, failed: 0, rejected: 0 });
    });
  });

  describe('.stats', () => {
    it('counts dispatched calls and outcomes', async () => {
      const batcher = new BatchingInvoker(new ScriptedModelInvoker());
      const results: InvocationResult[] = await Promise.all([batcher.invoke(req(1)), batcher.invoke(req(2))]);
      expect(results).toHaveLength(2);
      expect(batcher.stats()).toEqual({
        queued: 0,
        backingOff: 0,
        inFlight: 0,
        upstreamInFlight: 0,
        heldBatches: 0,
        heldRequests: 0,
        dispatched: 2,
        completed: 2,
        failed: 0,
        throttledRetries: 0,
        rejectedQueueFull: 0,
        mergedRequests: 0,
        draining: false,
      });
    });
  });
});
