import type { PlannedInvocation } from '@nova-cost/domain';
import { plannedCall } from '@nova-cost/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchingInvokerOptions } from './batching-invoker.options';
import { BatchingInvoker } from './batching-invoker';
import type { Step } from './testing/scripted-model-invoker';
import { ScriptedModelInvoker, throttled } from './testing/scripted-model-invoker';

// Everything runs on Vitest's fake clock: counts and fake milliseconds, never the machine's speed.

const ask = (n: number): PlannedInvocation =>
  plannedCall({
    tenantId: 'acme',
    modelId: 'amazon.nova-lite-v1:0',
    operation: 'converse',
    body: { messages: [{ role: 'user', content: [{ text: `question ${n}` }] }] },
  });

/** An upstream that admits `perSecond` calls in any sliding second (as Bedrock's quota does) and throttles the rest. */
function quotaUpstream(perSecond: number, latencyMs: number): ScriptedModelInvoker {
  const admitted: number[] = [];
  return new ScriptedModelInvoker((): Step => {
    const now = Date.now();
    while (admitted.length > 0 && admitted[0]! <= now - 1_000) admitted.shift();
    if (admitted.length >= perSecond) return { error: throttled() };
    admitted.push(now);
    return { delayMs: latencyMs };
  });
}

/** Runs `count` requests at once to the end; the fake milliseconds it took and how each ended. */
async function run(upstream: ScriptedModelInvoker, count: number, options: BatchingInvokerOptions) {
  const batcher = new BatchingInvoker(upstream, { concurrency: 16, random: () => 0.5, ...options });
  const started = Date.now();
  let settled = 0;
  const outcomes = Array.from({ length: count }, (_, n) =>
    batcher
      .invoke(ask(n))
      .then(
        () => 'ok',
        (e: { kind: string }) => e.kind,
      )
      .finally(() => (settled += 1)),
  );
  while (settled < count) await vi.advanceTimersByTimeAsync(10);
  const results = await Promise.all(outcomes);
  return {
    ms: Date.now() - started,
    answered: results.filter((r) => r === 'ok').length,
    throttledCalls: upstream.calls.length - results.filter((r) => r === 'ok').length,
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('BatchingInvoker under upstream throttling', () => {
  it('paces calls to a 50/s quota it was never told of: every request answered, most of the quota used, at most a third of the calls throttled', async () => {
    const upstream = quotaUpstream(50, 50);
    const { ms, answered, throttledCalls } = await run(upstream, 600, {});
    expect(answered).toBe(600);
    // 600 calls at 50 a second take 12 s at best: at least 80% of the quota used.
    expect(ms).toBeLessThanOrEqual((600 / 50 / 0.8) * 1_000);
    // Throttled calls are not billed; pacing keeps them near its tolerance instead of most calls.
    expect(throttledCalls).toBeLessThan(0.4 * upstream.calls.length);
  });

  it('does not slow down for a throttle now and then (one call in twenty): the time stays near the unthrottled one', async () => {
    const clean = await run(new ScriptedModelInvoker(() => ({ delayMs: 50 })), 400, {});
    const noisy = await run(
      new ScriptedModelInvoker((_r, i) => (i % 20 === 7 ? { error: throttled() } : { delayMs: 50 })),
      400,
      {},
    );
    expect(noisy.answered).toBe(400);
    expect(noisy.ms).toBeLessThanOrEqual(clean.ms * 1.5);
  });

  it('does not follow random throttling down (three calls in ten): retries answer nearly everyone without collapsing the pace', async () => {
    const clean = await run(new ScriptedModelInvoker(() => ({ delayMs: 50 })), 400, {});
    const noisy = await run(
      new ScriptedModelInvoker((_r, i) => (i % 10 < 3 ? { error: throttled() } : { delayMs: 50 })),
      400,
      { retry: { maxAttempts: 8 } },
    );
    expect(noisy.answered).toBe(400);
    expect(noisy.ms).toBeLessThanOrEqual(clean.ms * 5);
  });
});
