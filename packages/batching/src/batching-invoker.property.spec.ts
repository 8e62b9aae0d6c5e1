import fc from 'fast-check';
import { NovaCostError } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchingInvoker } from './batching-invoker';
import { ScriptedModelInvoker, throttled } from './testing/scripted-model-invoker';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const call = fc.record({
  lane: fc.constantFrom('interactive' as const, 'deferrable' as const),
  delayMs: fc.integer({ min: 0, max: 50 }),
  outcome: fc.constantFrom('ok', 'fail', 'throttled-once'),
  abortAfterMs: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
});

describe('BatchingInvoker, whatever the mix of lanes, latencies, failures and aborts', () => {
  it('settles every caller exactly once, with its own answer or an error, and leaves nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 30 }),
        async (calls, concurrency, maxBatchSize, maxWaitMs) => {
          const attempts = new Map<number, number>();
          const upstream = new ScriptedModelInvoker((r) => {
            const n = r.body['n'] as number;
            const spec = calls[n]!;
            const times = (attempts.get(n) ?? 0) + 1;
            attempts.set(n, times);
            if (spec.outcome === 'fail')
              return { delayMs: spec.delayMs, error: new NovaCostError('upstream-unavailable', 'down') };
            if (spec.outcome === 'throttled-once' && times === 1) return { delayMs: spec.delayMs, error: throttled() };
            return { delayMs: spec.delayMs };
          });
          const batcher = new BatchingInvoker(upstream, {
            concurrency,
            lanes: { deferrable: { maxBatchSize, maxWaitMs } },
            random: () => 0.5,
          });
          const settlements: { kind: 'ok' | string; body?: unknown }[][] = calls.map(() => []);
          calls.forEach((spec, n) => {
            const controller = new AbortController();
            if (spec.abortAfterMs !== undefined) setTimeout(() => controller.abort(), spec.abortAfterMs);
            const request = plannedCall({
              tenantId: 't',
              modelId: 'amazon.nova-lite-v1:0',
              operation: 'converse',
              body: { n },
              lane: spec.lane,
            });
            batcher.invoke(request, { signal: controller.signal }).then(
              (r) => settlements[n]!.push({ kind: 'ok', body: r.body }),
              (e: unknown) => settlements[n]!.push({ kind: NovaCostError.is(e) ? e.kind : 'foreign' }),
            );
          });
          await vi.advanceTimersByTimeAsync(10_000);
          calls.forEach((spec, n) => {
            const s = settlements[n]!;
            expect(s).toHaveLength(1);
            const [only] = s;
            if (only!.kind === 'ok') expect(only!.body).toEqual({ echo: { n } });
            else if (spec.abortAfterMs === undefined) expect(only!.kind).toBe('upstream-unavailable');
            else expect(['aborted', 'upstream-unavailable']).toContain(only!.kind);
            if (spec.outcome === 'fail') expect(only!.kind).not.toBe('ok');
            if (spec.outcome !== 'fail' && spec.abortAfterMs === undefined) expect(only!.kind).toBe('ok');
          });
          expect(upstream.maxRunning).toBeLessThanOrEqual(concurrency);
          const { queued, inFlight, upstreamInFlight, heldBatches, completed, failed } = batcher.stats();
          expect({ queued, inFlight, upstreamInFlight, heldBatches }).toEqual({
            queued: 0,
            inFlight: 0,
            upstreamInFlight: 0,
            heldBatches: 0,
          });
          expect(completed + failed).toBe(calls.length);
          vi.clearAllTimers();
        },
      ),
      { numRuns: 60 },
    );
  });
});
